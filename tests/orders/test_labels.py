"""Shipping labels: asking for a batch, the PDF read back with pypdf, ZPL, the worker run."""

from __future__ import annotations

import io
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from opsportal import jobs
from opsportal.models import DocumentJob
from orders import labels
from orders.models import OrderEvent, Shipment
from tests.factories import CarrierServiceFactory, WarehouseFactory
from tests.orders.factories import order_in
from vendors.models import CarrierService


def packed_shipments(count: int, warehouse=None, **fields) -> list[Shipment]:
    """Packed shipments with a carrier service and a weight, ready for labels."""
    warehouse = warehouse or WarehouseFactory(code="WH-LBL", name="Label DC", address="9 Dock Rd")
    service = CarrierService.objects.filter(carrier__code="ACME").first()
    service = service or CarrierServiceFactory(name="Ground", carrier__code="ACME")
    shipments = []
    for number in range(count):
        placed = order_in(
            warehouse,
            shipment_status=Shipment.Status.PACKED,
            ship_to_name=f"Zoë O'Brien {number}",
        )
        Shipment.objects.filter(pk=placed.shipment.pk).update(
            carrier_service=service, weight_grams=1250 + number, **fields
        )
        placed.shipment.refresh_from_db()
        shipments.append(placed.shipment)
    return shipments


def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _run_job(job: DocumentJob) -> DocumentJob:
    """Runs the job in this process, the helper tasks inline (as a worker would, in turn)."""

    def helper(*args):
        labels.part_render(board_key=args[0], index=args[1], shipment_ids=args[2], printed=args[3])

    with mock.patch("orders.label_tasks.label_part_render_task.delay", side_effect=helper):
        jobs.run(job.pk, "task-test")
    job.refresh_from_db()
    return job


# --- asking for labels ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_assigns_tracking_numbers_marks_labelled_and_queues_one_job(
    manager, django_capture_on_commit_callbacks
):
    shipments = packed_shipments(3)
    with django_capture_on_commit_callbacks() as callbacks:
        job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)
    assert len(callbacks) == 1  # the document task, after commit
    assert (job.kind, job.total, job.status) == ("labels", 3, "queued")
    assert job.params == {"shipments": [s.pk for s in shipments], "format": "pdf"}
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.status == Shipment.Status.LABELLED
        assert shipment.tracking_number.startswith("ACME")
        assert len(shipment.tracking_number) == len("ACME") + 12
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.LABELLED).count() == 3


@pytest.mark.django_db
def test_a_reprint_keeps_the_tracking_number_and_writes_no_second_event(manager):
    (shipment,) = packed_shipments(1, tracking_number="1Z999AA10123456784")
    labels.labels_request(shipment_ids=[shipment.pk], by=manager)
    labels.labels_request(shipment_ids=[shipment.pk], by=manager)
    shipment.refresh_from_db()
    assert shipment.tracking_number == "1Z999AA10123456784"
    assert OrderEvent.objects.filter(kind=OrderEvent.Kind.LABELLED).count() == 1
    assert DocumentJob.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": Shipment.Status.PICKING}, "labels are printed once it is packed"),
        ({"carrier_service": None}, "no carrier service"),
        ({"weight_grams": 0}, "no weight"),
    ],
)
def test_one_unprintable_shipment_refuses_the_batch_and_saves_nothing(manager, change, message):
    good, bad = packed_shipments(2)
    Shipment.objects.filter(pk=bad.pk).update(**change)
    with pytest.raises(ValidationError) as caught:
        labels.labels_request(shipment_ids=[good.pk, bad.pk], by=manager)
    assert f"Shipment {bad.pk}" in caught.value.message_dict["shipments"][0]
    assert message in caught.value.message_dict["shipments"][0]
    good.refresh_from_db()
    assert (good.status, good.tracking_number) == (Shipment.Status.PACKED, "")
    assert not DocumentJob.objects.exists()


@pytest.mark.django_db
def test_staff_cannot_label_another_warehouses_shipment(warehouse_staff, other_warehouse):
    (theirs,) = packed_shipments(1, warehouse=other_warehouse)
    with pytest.raises(ValidationError, match=f"Shipment {theirs.pk} does not exist"):
        labels.labels_request(shipment_ids=[theirs.pk], by=warehouse_staff)


@pytest.mark.django_db
def test_bad_ids_and_formats_are_named(manager):
    with pytest.raises(ValidationError, match="'x' is not a shipment id"):
        labels.labels_request(shipment_ids=["x"], by=manager)
    with pytest.raises(ValidationError, match="at least one"):
        labels.labels_request(shipment_ids=[], by=manager)
    with pytest.raises(ValidationError, match="Choose one of pdf, zpl"):
        labels.labels_request(shipment_ids=[1], by=manager, fmt="png")
    with pytest.raises(ValidationError, match="At most 500"):
        labels.labels_request(shipment_ids=range(1, 502), by=manager)


# --- rendering ----------------------------------------------------------------------------------


def test_split_gives_contiguous_parts_none_too_small():
    assert labels.split(list(range(100)), parts=2) == [list(range(50)), list(range(50, 100))]
    assert labels.split(list(range(10)), parts=2) == [list(range(10))]  # 10 // 8 = 1 part
    assert labels.split(list(range(17)), parts=4) == [list(range(9)), list(range(9, 17))]
    assert labels.split([7], parts=2) == [[7]]


def test_the_barcode_is_one_1bit_png_one_pixel_per_module():
    from PIL import Image

    url = labels.code128_data_url("1Z999AA10123456784")
    import base64

    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    modules = labels.code128_modules("1Z999AA10123456784")
    assert image.mode == "1"
    assert image.size == (len(modules) + 2 * labels.QUIET_ZONE_MODULES, 1)
    assert modules.startswith("11010010000")  # Start B
    assert modules.endswith("1100011101011")  # Stop


@pytest.mark.django_db
def test_a_pdf_batch_has_one_4x6_page_per_shipment_with_every_tracking_number(manager):
    shipments = packed_shipments(20)  # two parts of ten
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)
    job = _run_job(job)
    assert job.status == DocumentJob.Status.DONE, job.error
    assert (job.progress, job.total) == (20, 20)
    with job.file.open("rb") as f:
        reader, text = _pdf_text(f.read())
    assert len(reader.pages) == 20
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    for position, shipment in enumerate(shipments):
        shipment.refresh_from_db()
        page_text = reader.pages[position].extract_text()
        assert shipment.tracking_number in page_text  # in order, one per page
        assert shipment.order.number in page_text
        assert f"{(1250 + position) / 1000:.2f} kg" in page_text
        assert "ACME" in page_text
        assert "Ground" in page_text
        assert f"Zoë O'Brien {position}" in page_text
        assert "Label DC" in page_text
    assert "9 Dock Rd" in text
    # Each page draws one image (the barcode), not hundreds of rectangles.
    for page in reader.pages:
        operators = page.get_contents().get_data()
        assert operators.count(b" Do") == 1
        assert operators.count(b" re") < 10


@pytest.mark.django_db
def test_the_lead_renders_every_part_itself_when_no_helper_runs(manager):
    shipments = packed_shipments(16)
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)
    with mock.patch("orders.label_tasks.label_part_render_task.delay") as delay:
        jobs.run(job.pk, "task-alone")
    assert delay.call_count == 1  # one helper asked for, never ran
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.DONE
    with job.file.open("rb") as f:
        reader, _ = _pdf_text(f.read())
    assert len(reader.pages) == 16


@pytest.mark.django_db
def test_a_zpl_batch_has_one_label_per_shipment_with_its_barcode(manager):
    shipments = packed_shipments(3)
    shipments[0].order.ship_to_name = "A^B~C\\D"
    shipments[0].order.save()
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager, fmt="zpl")
    job = _run_job(job)
    assert job.status == DocumentJob.Status.DONE, job.error
    assert job.file.name.endswith(".zpl")
    with job.file.open("rb") as f:
        zpl = f.read().decode()
    assert zpl.count("^XA") == zpl.count("^XZ") == 3
    for shipment in shipments:
        shipment.refresh_from_db()
        assert f"^BCN,250,Y,N,N^FH\\^FD{shipment.tracking_number}^FS" in zpl
        assert shipment.order.number in zpl
    assert "A\\5EB\\7EC\\5CD" in zpl  # command characters in data are escaped
    assert "^FDA^B" not in zpl


# --- on a real worker ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_batch_on_the_documents_queue(celery_worker, manager):
    shipments = packed_shipments(24)
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (DocumentJob.Status.DONE, DocumentJob.Status.FAILED):
            break
        time.sleep(0.2)
    assert job.status == DocumentJob.Status.DONE, job.error or celery_worker.log_tail()
    with job.file.open("rb") as f:
        reader, text = _pdf_text(f.read())
    assert len(reader.pages) == 24
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.tracking_number in text


@pytest.mark.django_db
def test_without_redis_the_lead_renders_every_part_alone(manager):
    from redis.exceptions import ConnectionError as RedisConnectionError

    shipments = packed_shipments(16)
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)
    down = RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("orders.label_tasks.label_part_render_task.delay"),
        mock.patch.object(labels.PartBoard, "result", side_effect=down),
    ):
        jobs.run(job.pk, "task-no-redis")
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.DONE, job.error
    with job.file.open("rb") as f:
        reader, text = _pdf_text(f.read())
    assert len(reader.pages) == 16
    for shipment in shipments:
        shipment.refresh_from_db()
        assert shipment.tracking_number in text


@pytest.mark.django_db
def test_a_part_whose_helper_died_is_rendered_by_the_lead_once_the_claim_expires(manager):
    shipments = packed_shipments(16)
    job = labels.labels_request(shipment_ids=[s.pk for s in shipments], by=manager)

    def helper_dies_after_claiming(board_key, index, shipment_ids, printed):
        assert labels.PartBoard(board_key).claim(index)  # …and never stores its part

    started = time.monotonic()
    with (
        mock.patch.object(labels, "CLAIM_TTL_SECONDS", 1),
        mock.patch(
            "orders.label_tasks.label_part_render_task.delay",
            side_effect=helper_dies_after_claiming,
        ),
    ):
        jobs.run(job.pk, "task-orphan")
    job.refresh_from_db()
    assert job.status == DocumentJob.Status.DONE, job.error
    assert time.monotonic() - started >= 1  # it waited for the claim to lapse
    with job.file.open("rb") as f:
        reader, _ = _pdf_text(f.read())
    assert len(reader.pages) == 16
