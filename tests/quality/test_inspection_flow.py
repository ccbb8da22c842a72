"""Receipt → inspection → failed → quarantine + NCR → disposition → CAPA verified → closed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockLevel, StockMovement
from opsportal import roles
from quality.models import CorrectiveAction, Inspection, InspectionPlan, NonConformance
from quality.services import inspections, nonconformance
from tests import factories
from tests.factories import InspectionPlanFactory

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"name": "Packaging intact", "kind": "pass_fail"},
    {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5},
]


@pytest.fixture
def vendor():
    vendor = factories.VendorFactory(name="Northwind Fasteners")
    factories.VendorContactFactory(vendor=vendor, name="B Backup", email="backup@northwind.example")
    factories.VendorContactFactory(
        vendor=vendor, name="Q Primary", email="quality@northwind.example", is_primary=True
    )
    return vendor


@pytest.fixture
def po_line(vendor, warehouse):
    product = factories.ProductFactory(sku="BOLT-M8")
    return factories.PurchaseOrderLineFactory(
        purchase_order__vendor=vendor, purchase_order__warehouse=warehouse, product=product
    )


@pytest.fixture
def plan(vendor):
    return InspectionPlanFactory(
        name="Fasteners receiving", vendor=vendor, sample_size=8, criteria=CRITERIA
    )


def _receive(po_line, quantity=40, actor=None):
    return stock.stock_receive(
        warehouse=po_line.purchase_order.warehouse,
        product=po_line.product,
        quantity=quantity,
        actor=actor,
        reference=po_line,
    )


def _level(po_line) -> StockLevel:
    return StockLevel.objects.get(
        warehouse=po_line.purchase_order.warehouse, product=po_line.product
    )


def test_a_receipt_of_the_vendor_creates_an_inspection_in_the_same_transaction(plan, po_line):
    _receive(po_line, 40)
    inspection = Inspection.objects.get()
    assert inspection.plan == plan
    assert inspection.source == po_line
    assert inspection.vendor == po_line.purchase_order.vendor
    assert (inspection.quantity, inspection.sample_size) == (40, 8)
    assert inspection.status == Inspection.Status.PENDING


def test_a_receipt_that_fails_rolls_back_its_inspection_too(plan, po_line):
    with pytest.raises(ValidationError):
        stock.stock_receive(
            warehouse=po_line.purchase_order.warehouse,
            product=po_line.product,
            quantity=0,
            actor=None,
            reference=po_line,
        )
    assert not Inspection.objects.exists()


def test_other_vendors_receipts_and_other_movements_create_nothing(plan, warehouse):
    other = factories.PurchaseOrderLineFactory(purchase_order__warehouse=warehouse)
    _receive(other, 5)
    stock.stock_quarantine(warehouse=warehouse, product=other.product, quantity=1, actor=None)
    assert not Inspection.objects.exists()


def test_the_vendor_plan_replaces_the_catch_all_plan(plan, po_line):
    InspectionPlanFactory(name="Everything", criteria=CRITERIA)
    _receive(po_line, 5)
    assert list(Inspection.objects.values_list("plan__name", flat=True)) == ["Fasteners receiving"]


def test_every_nth_receipt_is_inspected(po_line, warehouse):
    plan = InspectionPlanFactory(
        sampling=InspectionPlan.Sampling.EVERY_NTH, every_nth=3, sample_size=2
    )
    for _ in range(7):
        _receive(po_line, 4)
    assert Inspection.objects.filter(plan=plan).count() == 2  # the 3rd and the 6th
    plan.refresh_from_db()
    assert plan.receipts_seen == 7


def test_every_unit_sampling_inspects_the_whole_receipt(po_line):
    InspectionPlanFactory(sampling=InspectionPlan.Sampling.EVERY_UNIT)
    _receive(po_line, 12)
    assert Inspection.objects.get().sample_size == 12


def _passing():
    return [
        {"name": "Packaging intact", "passed": True},
        {"name": "Length", "value": "100.1"},
    ]


def _failing():
    return [
        {"name": "Packaging intact", "passed": True},
        {"name": "Length", "value": "101.2", "note": "3 of 8 long"},
    ]


def test_a_passed_inspection_moves_no_stock(plan, po_line, warehouse_staff):
    _receive(po_line, 40)
    inspection = inspections.inspection_record(
        inspection=Inspection.objects.get(), results=_passing(), by=warehouse_staff
    )
    assert inspection.status == Inspection.Status.PASSED
    assert inspection.inspector == warehouse_staff
    assert _level(po_line).quarantined == 0
    assert not NonConformance.objects.exists()


def test_the_server_judges_measurements_against_the_plan(plan, po_line, warehouse_staff):
    _receive(po_line, 40)
    # The browser says passed; the value is out of tolerance: the server decides.
    results = [
        {"name": "Packaging intact", "passed": True},
        {"name": "Length", "value": "100.6", "passed": True},
    ]
    inspection = inspections.inspection_record(
        inspection=Inspection.objects.get(), results=results, by=warehouse_staff
    )
    assert inspection.status == Inspection.Status.FAILED
    assert inspection.results[1] == {"name": "Length", "passed": False, "value": 100.6, "note": ""}


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([{"name": "Packaging intact", "passed": True}], "Length: enter the measured value"),
        (
            [{"name": "Packaging intact", "passed": "maybe"}, {"name": "Length", "value": "100"}],
            "Packaging intact: choose pass or fail",
        ),
        (
            [{"name": "Packaging intact", "passed": True}, {"name": "Length", "value": "long"}],
            "Length: “long” is not a number",
        ),
        ([{"name": "Colour", "passed": True}], "Not criteria of “Fasteners receiving”: Colour"),
    ],
)
def test_bad_results_are_refused_naming_the_criterion_and_nothing_is_saved(
    plan, po_line, warehouse_staff, results, message
):
    _receive(po_line, 40)
    with pytest.raises(ValidationError) as caught:
        inspections.inspection_record(
            inspection=Inspection.objects.get(), results=results, by=warehouse_staff
        )
    assert any(message in m for m in caught.value.message_dict["results"])
    assert Inspection.objects.get().status == Inspection.Status.PENDING
    assert _level(po_line).quarantined == 0


def test_a_failure_quarantines_and_opens_an_ncr_against_source_and_vendor(
    plan, po_line, warehouse_staff
):
    _receive(po_line, 40)
    inspection = inspections.inspection_record(
        inspection=Inspection.objects.get(), results=_failing(), by=warehouse_staff
    )
    assert inspection.status == Inspection.Status.FAILED
    level = _level(po_line)
    assert (level.on_hand, level.quarantined, level.available) == (40, 40, 40 - 40)
    movement = StockMovement.objects.get(kind=StockMovement.Kind.QUARANTINE)
    assert movement.reference == inspection
    nc = NonConformance.objects.get()
    assert nc.origin == NonConformance.Origin.INSPECTION
    assert nc.source == inspection
    assert nc.vendor == po_line.purchase_order.vendor
    assert (nc.product, nc.warehouse) == (po_line.product, po_line.purchase_order.warehouse)
    assert (nc.quantity, nc.quarantined) == (40, 40)
    assert nc.number == "NC-0001"
    assert nc in po_line.purchase_order.vendor.non_conformances.all()


def test_a_failure_with_a_partial_quantity_quarantines_only_that(plan, po_line, warehouse_staff):
    _receive(po_line, 40)
    inspections.inspection_record(
        inspection=Inspection.objects.get(),
        results=_failing(),
        by=warehouse_staff,
        affected_quantity=8,
    )
    assert _level(po_line).quarantined == 8
    assert NonConformance.objects.get().quarantined == 8


def test_quarantining_stock_that_has_left_is_refused_and_nothing_is_saved(
    plan, po_line, warehouse_staff
):
    _receive(po_line, 40)
    stock.stock_adjust(
        warehouse=po_line.purchase_order.warehouse,
        product=po_line.product,
        delta=-35,
        reason_code=StockMovement.Reason.DAMAGED,
        actor=None,
    )
    with pytest.raises(ValidationError) as caught:
        inspections.inspection_record(
            inspection=Inspection.objects.get(), results=_failing(), by=warehouse_staff
        )
    assert "affected_quantity" in caught.value.message_dict
    assert Inspection.objects.get().status == Inspection.Status.PENDING
    assert not NonConformance.objects.exists()
    assert _level(po_line).quarantined == 0


def test_an_inspection_is_recorded_once(plan, po_line, warehouse_staff):
    _receive(po_line, 40)
    inspection = Inspection.objects.get()
    inspections.inspection_record(inspection=inspection, results=_passing(), by=warehouse_staff)
    with pytest.raises(ValidationError, match="already recorded"):
        inspections.inspection_record(inspection=inspection, results=_failing(), by=warehouse_staff)


def test_the_whole_story_ends_with_a_verified_capa_and_a_closed_ncr(
    plan, po_line, warehouse_staff, manager
):
    quality_lead = factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    _receive(po_line, 40)
    inspections.inspection_record(
        inspection=Inspection.objects.get(), results=_failing(), by=warehouse_staff
    )
    nc = NonConformance.objects.get()
    with pytest.raises(ValidationError, match="disposition"):
        nonconformance.nc_close(nc=nc, by=manager)

    nc = nonconformance.nc_dispose(
        nc=nc, disposition=NonConformance.Disposition.RETURN_TO_VENDOR, by=manager, note="RMA 77"
    )
    level = _level(po_line)
    assert (level.on_hand, level.quarantined) == (0, 0)
    write_off = StockMovement.objects.get(kind=StockMovement.Kind.ADJUSTMENT)
    assert write_off.delta == -40
    assert write_off.reason_code == StockMovement.Reason.OTHER
    assert "Returned to vendor Northwind Fasteners" in write_off.reason
    assert write_off.reference == nc

    capa = nonconformance.capa_add(
        nc=nc,
        whys=["Bolts too long", "Wrong die", "Die not checked after change", "No checklist"],
        root_cause="No first-article check after die changes",
        action="Vendor adds a first-article check",
        owner=manager,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
        by=manager,
    )
    nc.refresh_from_db()
    assert nc.status == NonConformance.Status.ACTION
    capa = nonconformance.capa_complete(capa=capa, by=manager)
    with pytest.raises(ValidationError) as caught:
        nonconformance.capa_verify(capa=capa, by=manager, effective=True)
    assert caught.value.message_dict["verified_by"] == [
        "The owner of an action cannot verify its effectiveness; ask someone else."
    ]
    capa = nonconformance.capa_verify(
        capa=capa, by=quality_lead, effective=True, notes="Next 3 receipts passed"
    )
    assert capa.status == CorrectiveAction.Status.VERIFIED
    nc = nonconformance.nc_close(nc=nc, by=manager)
    assert nc.status == NonConformance.Status.CLOSED
    assert nc.closed_at is not None


def test_an_ineffective_action_blocks_closing_until_a_new_one_is_verified(manager):
    quality_lead = factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    nc = nonconformance.nc_open(title="Audit finding", origin="audit", by=manager)
    due = timezone.localdate() + datetime.timedelta(days=5)
    capa = nonconformance.capa_add(nc=nc, action="Train", owner=manager, due_date=due, by=manager)
    nonconformance.capa_complete(capa=capa, by=manager)
    with pytest.raises(ValidationError, match="verification_notes"):
        nonconformance.capa_verify(capa=capa, by=quality_lead, effective=False)
    nonconformance.capa_verify(capa=capa, by=quality_lead, effective=False, notes="Repeat")
    with pytest.raises(ValidationError, match="not verified effective"):
        nonconformance.nc_close(nc=nc, by=manager)


@pytest.mark.parametrize(
    ("disposition", "on_hand", "quarantined", "kind", "reason_code"),
    [
        ("use_as_is", 40, 0, "release", ""),
        ("rework", 40, 0, "release", ""),
        ("scrap", 30, 0, "adjustment", "scrapped"),
    ],
)
def test_each_disposition_moves_the_quarantined_units_through_inventory(
    plan, po_line, warehouse_staff, manager, disposition, on_hand, quarantined, kind, reason_code
):
    _receive(po_line, 40)
    inspections.inspection_record(
        inspection=Inspection.objects.get(),
        results=_failing(),
        by=warehouse_staff,
        affected_quantity=10,
    )
    nc = nonconformance.nc_dispose(
        nc=NonConformance.objects.get(), disposition=disposition, by=manager
    )
    level = _level(po_line)
    assert (level.on_hand, level.quarantined) == (on_hand, quarantined)
    movement = StockMovement.objects.filter(reference_id=str(nc.pk)).get()
    assert (movement.kind, movement.reason_code) == (kind, reason_code)
    assert nc.quarantined == 0
    with pytest.raises(ValidationError, match="already dispositioned"):
        nonconformance.nc_dispose(nc=nc, disposition="scrap", by=manager)
