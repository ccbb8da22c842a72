"""Helper tasks for label batches (documents queue): render one part of a PDF."""

from __future__ import annotations

from celery import shared_task

from orders import labels


@shared_task(queue="documents", acks_late=True)
def label_part_render_task(
    board_key: str, index: int, shipment_ids: list[int], printed: str
) -> bool:
    return labels.part_render(
        board_key=board_key, index=index, shipment_ids=shipment_ids, printed=printed
    )
