"""Shipping labels: 4×6 in PDF (one document for a whole batch) and ZPL for thermal printers.

A batch is a DocumentJob of kind "labels" (documents queue) with the shipment ids in its params.
The PDF is rendered in parts by several worker processes at once and merged with pypdf:

- the job's own task (the "lead") sends one helper task per part but the first, then works
  through the parts itself in order: a part nobody has claimed it renders; a part a helper
  claimed it waits for. Claims live in Redis with a time to live, so a helper that died leaves
  its part to the lead once its claim expires, and a lead with no free helper (one worker
  process, all busy) simply renders every part itself: it never waits on a task that cannot run;
- each part is one WeasyPrint document with a cheap layout: a handful of fixed-height blocks
  in normal flow per label (address lines in one `pre-line` block rather than one element each;
  no flexbox, no absolute positioning: both measured slower), one font in two weights, and the
  Code128 barcode as ONE 1-bit PNG with one pixel per module, stretched with
  `image-rendering: pixelated`, instead of hundreds of rectangles. `bench/labels.py` measures.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from opsportal import jobs, redis_client, roles
from opsportal.models import DocumentJob
from orders.models import OrderEvent, Shipment

logger = logging.getLogger(__name__)

Format = str  # "pdf" or "zpl"
FORMATS = {"pdf": "PDF (4×6 in)", "zpl": "ZPL (thermal printer)"}
FORMAT_CHOICES = list(FORMATS.items())
MAX_BATCH = 500
# Statuses a label can be printed (or reprinted) in.
PRINTABLE = (Shipment.Status.PACKED, Shipment.Status.LABELLED, Shipment.Status.SHIPPED)
# Parts of a PDF batch: at most this many, none smaller than MIN_PART labels (a WeasyPrint
# document has a fixed cost, ~0.15 s of font subsetting, so tiny parts do not pay).
PARTS = 2
MIN_PART = 8
# A helper's claim on a part expires after this long (it died); the lead then renders it.
CLAIM_TTL_SECONDS = 60
BOARD_TTL_SECONDS = 900
QUIET_ZONE_MODULES = 10


# --- what goes on a label ---------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    shipment: int
    order_number: str
    tracking_number: str
    carrier_code: str
    service_name: str
    weight: str
    warehouse_code: str
    from_name: str
    from_address: str
    from_city: str
    to_name: str
    to_line1: str
    to_line2: str
    to_city: str
    to_country: str


def _weight(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def labels_for(shipment_ids: Sequence[int]) -> list[Label]:
    """The labels of these shipments, in the order given (one query)."""
    shipments = Shipment.objects.select_related(
        "order", "warehouse", "carrier_service__carrier"
    ).in_bulk(shipment_ids)
    labels = []
    for shipment_id in shipment_ids:
        shipment = shipments.get(shipment_id)
        if shipment is None:
            raise ValidationError({"shipments": f"Shipment {shipment_id} does not exist."})
        order, warehouse, service = shipment.order, shipment.warehouse, shipment.carrier_service
        to_city = " ".join(
            part
            for part in (order.ship_to_postal_code, order.ship_to_city, order.ship_to_region)
            if part
        )
        from_city = " ".join(
            part for part in (warehouse.postal_code, warehouse.city, warehouse.country) if part
        )
        labels.append(
            Label(
                shipment=shipment.pk,
                order_number=order.number,
                tracking_number=shipment.tracking_number,
                carrier_code=service.carrier.code if service else "",
                service_name=service.name if service else "",
                weight=_weight(shipment.weight_grams),
                warehouse_code=warehouse.code,
                from_name=warehouse.name,
                from_address=" ".join(warehouse.address.split()),
                from_city=from_city,
                to_name=order.ship_to_name,
                to_line1=order.ship_to_line1,
                to_line2=order.ship_to_line2,
                to_city=to_city,
                to_country=order.ship_to_country,
            )
        )
    return labels


# --- Code128 as one image ---------------------------------------------------------------------


def code128_modules(value: str) -> str:
    """The bars of a Code128 symbol as '1' (bar) and '0' (space) modules, checksum included."""
    from barcode.codex import Code128

    if not value:
        raise ValueError("A barcode needs a value.")
    return Code128(value).build()[0]


@lru_cache(maxsize=2048)  # a reprint or a retried part; bounded for a long-lived worker
def code128_data_url(value: str) -> str:
    """A 1-pixel-high, 1-bit PNG with one pixel per module (quiet zones included), as data: URL.

    Stretched to size with `image-rendering: pixelated`, it prints as crisp bars; WeasyPrint
    places one image instead of laying out and drawing hundreds of rectangles.
    """
    from PIL import Image

    modules = "0" * QUIET_ZONE_MODULES + code128_modules(value) + "0" * QUIET_ZONE_MODULES
    image = Image.new("1", (len(modules), 1))
    image.putdata([0 if module == "1" else 1 for module in modules])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- PDF and ZPL ------------------------------------------------------------------------------


def render_pdf(labels: Sequence[Label], *, printed: str | None = None) -> bytes:
    """One PDF, one 4×6 in page per label."""
    from opsportal.pdf import render_html_to_pdf

    printed = printed or timezone.localdate().isoformat()
    count = len(labels)
    context = {
        "labels": [
            {
                **label.__dict__,
                "barcode": code128_data_url(label.tracking_number),
                "printed": printed,
                "position": position,
                "count": count,
            }
            for position, label in enumerate(labels, start=1)
        ]
    }
    return render_html_to_pdf(render_to_string("pdf/label_sheet.html", context))


def _zpl_text(value: str) -> str:
    """Field data for ^FH\\: the characters ZPL treats as commands written as hex escapes."""
    return value.replace("\\", "\\5C").replace("^", "\\5E").replace("~", "\\7E")


def render_zpl(labels: Iterable[Label]) -> str:
    """ZPL II for 4×6 in labels at 203 dpi (812 × 1218 dots); the printer draws the Code128."""
    out = []
    for label in labels:
        to_lines = [label.to_name, label.to_line1, label.to_line2, label.to_city, label.to_country]
        fields = [
            (30, 30, 22, f"FROM: {label.from_name}"),
            (30, 58, 22, label.from_address),
            (30, 86, 22, label.from_city),
            (560, 30, 60, label.carrier_code),
            (560, 100, 24, label.service_name),
            (30, 200, 22, "SHIP TO:"),
        ]
        y = 232
        for line in filter(None, to_lines):
            fields.append((30, y, 40 if y == 232 else 34, line))
            y += 46
        fields += [
            (30, 560, 22, "ORDER"),
            (300, 560, 22, "WEIGHT"),
            (560, 560, 22, "SHIPMENT"),
            (30, 590, 34, label.order_number),
            (300, 590, 34, label.weight),
            (560, 590, 34, str(label.shipment)),
            (30, 1120, 20, f"{label.warehouse_code}"),
        ]
        commands = ["^XA", "^CI28", "^PW812", "^LL1218", "^FO20,180^GB772,3,3^FS"]
        commands += [
            f"^FO{x},{y}^A0N,{size},{size}^FH\\^FD{_zpl_text(text)}^FS"
            for x, y, size, text in fields
        ]
        commands += [
            "^FO20,540^GB772,3,3^FS",
            # Code128, 250 dots high, human-readable line below; ^FH so ^ and ~ stay data.
            f"^FO40,700^BY3,2,250^BCN,250,Y,N,N^FH\\^FD{_zpl_text(label.tracking_number)}^FS",
            "^XZ",
        ]
        out.append("\n".join(commands))
    return "\n".join(out) + "\n"


# --- asking for labels ------------------------------------------------------------------------


def _check_digit(digits: str) -> int:
    """Mod-10 (Luhn) check digit, so a mistyped tracking number is caught at the scanner."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return (10 - total % 10) % 10


def tracking_number_for(shipment: Shipment) -> str:
    """The tracking number printed for a shipment that has none yet: carrier code + id + check."""
    digits = f"{shipment.pk:011d}"
    return f"{shipment.carrier_service.carrier.code}{digits}{_check_digit(digits)}"


def _parse_ids(shipment_ids: Iterable[object]) -> list[int]:
    ids: list[int] = []
    for number, value in enumerate(shipment_ids, start=1):
        try:
            shipment_id = int(str(value).strip())
        except ValueError:
            raise ValidationError(
                {"shipments": f"Item {number}: {value!r} is not a shipment id."}
            ) from None
        if shipment_id not in ids:
            ids.append(shipment_id)
    if not ids:
        raise ValidationError({"shipments": "Choose at least one shipment."})
    if len(ids) > MAX_BATCH:
        raise ValidationError(
            {"shipments": f"At most {MAX_BATCH} labels in one batch (this has {len(ids)})."}
        )
    return ids


@transaction.atomic
def labels_request(
    *, shipment_ids: Iterable[object], by: AbstractBaseUser, fmt: Format = "pdf"
) -> DocumentJob:
    """Asks for one label document for a batch of shipments (a DocumentJob, rendered after commit).

    Side effects: those of `labels_prepare`, and the job (its task is sent on commit).
    """
    if fmt not in FORMATS:
        raise ValidationError({"format": f"Choose one of {', '.join(FORMATS)}."})
    ids = labels_prepare(shipment_ids=shipment_ids, by=by)
    return jobs.enqueue(
        DocumentJob.Kind.LABELS,
        requested_by=by,
        params={"shipments": ids, "format": fmt},
        total=len(ids),
    )


@transaction.atomic
def labels_prepare(*, shipment_ids: Iterable[object], by: AbstractBaseUser) -> list[int]:
    """Checks a batch and readies it for labels; returns the shipment ids in the order given.

    Every shipment must be in a warehouse the user works in, packed (or already labelled or
    shipped: a reprint), with a carrier service and a weight. Side effects: a shipment without
    a tracking number gets one; packed shipments become labelled, each with a timeline event.
    """
    ids = _parse_ids(shipment_ids)
    shipments = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("carrier_service__carrier", "order")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    found = {shipment.pk: shipment for shipment in shipments}
    warehouse_ids = roles.warehouse_ids_for(by)
    for shipment_id in ids:
        shipment = found.get(shipment_id)
        if shipment is None or (
            warehouse_ids is not None and shipment.warehouse_id not in warehouse_ids
        ):
            raise ValidationError({"shipments": f"Shipment {shipment_id} does not exist."})
        if shipment.status not in PRINTABLE:
            raise ValidationError(
                {
                    "shipments": f"Shipment {shipment_id} is {shipment.get_status_display()}: "
                    "labels are printed once it is packed."
                }
            )
        if shipment.carrier_service is None:
            raise ValidationError(
                {"shipments": f"Shipment {shipment_id} has no carrier service chosen yet."}
            )
        if shipment.weight_grams <= 0:
            raise ValidationError(
                {"shipments": f"Shipment {shipment_id} has no weight: pack it first."}
            )

    now = timezone.now()
    events = []
    for shipment_id in ids:
        shipment = found[shipment_id]
        changed = {}
        if not shipment.tracking_number:
            changed["tracking_number"] = tracking_number_for(shipment)
        if shipment.status == Shipment.Status.PACKED:
            changed["status"] = Shipment.Status.LABELLED
        if changed:
            Shipment.objects.filter(pk=shipment_id).update(**changed)
            for field, value in changed.items():
                setattr(shipment, field, value)
        if "status" in changed:
            events.append(
                OrderEvent(
                    order_id=shipment.order_id,
                    kind=OrderEvent.Kind.LABELLED,
                    actor=by,
                    message=f"Label for shipment {shipment_id}: {shipment.tracking_number}",
                    data={"shipment": shipment_id, "tracking_number": shipment.tracking_number},
                    created_at=now,
                )
            )
    OrderEvent.objects.bulk_create(events)
    return ids


# --- rendering a job in parts -----------------------------------------------------------------


def split(ids: Sequence[int], parts: int = PARTS, min_part: int = MIN_PART) -> list[list[int]]:
    """Contiguous slices of nearly equal size: at most `parts`, none under `min_part` (but one)."""
    count = max(1, min(parts, len(ids) // min_part or 1))
    size = math.ceil(len(ids) / count)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


class PartBoard:
    """Who renders which part of one job, and the finished parts, in Redis (with a TTL)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.redis = _redis()

    def claim(self, index: int) -> bool:
        claimed = self.redis.set(f"{self.key}:claim:{index}", b"1", nx=True, ex=CLAIM_TTL_SECONDS)
        return bool(claimed)

    def store(self, index: int, pdf: bytes) -> None:
        self.redis.set(f"{self.key}:pdf:{index}", pdf, ex=BOARD_TTL_SECONDS)

    def result(self, index: int) -> bytes | None:
        return self.redis.get(f"{self.key}:pdf:{index}")

    def claimed(self, index: int) -> bool:
        return bool(self.redis.exists(f"{self.key}:claim:{index}"))

    def finish(self, count: int) -> None:
        """Marks the job finished (late helpers do nothing) and drops the parts."""
        pipe = self.redis.pipeline()
        pipe.set(f"{self.key}:done", b"1", ex=BOARD_TTL_SECONDS)
        for index in range(count):
            pipe.delete(f"{self.key}:pdf:{index}")
        pipe.execute()

    def finished(self) -> bool:
        return bool(self.redis.exists(f"{self.key}:done"))


def _redis():
    return redis_client.client(timeout=5)


def part_render(*, board_key: str, index: int, shipment_ids: list[int], printed: str) -> bool:
    """A helper's work (label_part_render_task): render one part unless it is taken or done."""
    board = PartBoard(board_key)
    if board.finished() or not board.claim(index):
        return False
    board.store(index, render_pdf(labels_for(shipment_ids), printed=printed))
    return True


def render_pdf_in_parts(
    shipment_ids: Sequence[int],
    *,
    progress: Callable[[int], None] = lambda done: None,
    parts: int = PARTS,
    board_key: str | None = None,
    poll_seconds: float = 0.02,
) -> bytes:
    """The whole batch as one PDF, its parts rendered by this process and helper tasks."""
    from pypdf import PdfWriter

    from orders.label_tasks import label_part_render_task

    slices = split(shipment_ids, parts)
    printed = timezone.localdate().isoformat()
    if len(slices) == 1:
        pdf = render_pdf(labels_for(slices[0]), printed=printed)
        progress(len(shipment_ids))
        return pdf

    board = PartBoard(board_key or f"opsportal:labels:{uuid.uuid4().hex}")
    try:
        for index in range(1, len(slices)):
            label_part_render_task.delay(board.key, index, slices[index], printed)
        rendered = _render_with_helpers(board, slices, printed, progress, poll_seconds)
    except (RedisError, KombuError) as error:
        # No board or no broker: slower, but the batch still comes out, rendered here alone.
        logger.warning("Label parts rendered in one process (%s)", error)
        rendered = {}
        for index, part in enumerate(slices):
            rendered[index] = render_pdf(labels_for(part), printed=printed)
            progress(sum(len(slices[i]) for i in rendered))

    writer = PdfWriter()
    for index in range(len(slices)):
        writer.append(io.BytesIO(rendered[index]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _render_with_helpers(
    board: PartBoard,
    slices: list[list[int]],
    printed: str,
    progress: Callable[[int], None],
    poll_seconds: float,
) -> dict[int, bytes]:
    """Works through the parts in order: renders the unclaimed ones, waits for the others."""

    rendered: dict[int, bytes] = {}
    while len(rendered) < len(slices):
        waiting = False
        for index, part in enumerate(slices):
            if index in rendered:
                continue
            stored = board.result(index)
            if stored is not None:
                rendered[index] = stored
            elif board.claim(index):
                rendered[index] = render_pdf(labels_for(part), printed=printed)
            else:
                waiting = True  # a helper is on it
                continue
            progress(sum(len(slices[i]) for i in rendered))
        if waiting and len(rendered) < len(slices):
            time.sleep(poll_seconds)
    board.finish(len(slices))
    return rendered


@jobs.renderer(DocumentJob.Kind.LABELS)
def render_label_job(job: DocumentJob, progress: Callable[[int], None]) -> tuple[str, bytes]:
    """The DocumentJob renderer: `labels-<job>.pdf` or `.zpl` for the shipments in its params."""
    ids = [int(value) for value in job.params.get("shipments", [])]
    if not ids:
        raise ValueError("The job names no shipments.")
    fmt = job.params.get("format", "pdf")
    if fmt == "zpl":
        text = render_zpl(labels_for(ids))
        progress(len(ids))
        return f"labels-{job.pk}.zpl", text.encode("utf-8")
    # The key names this run of the job: a re-run after a crash starts a fresh board.
    key = f"opsportal:labels:job{job.pk}:{getattr(job, 'task_id', '')}:{uuid.uuid4().hex[:8]}"
    # bench/labels.py compares part counts through the params; pages never set it.
    parts = min(max(int(job.params.get("parts", PARTS)), 1), 8)
    pdf = render_pdf_in_parts(ids, progress=progress, board_key=key, parts=parts)
    return f"labels-{job.pk}.pdf", pdf
