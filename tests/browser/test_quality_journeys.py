"""Quality in Chromium: a staff member records a failed inspection and reports a near miss on a
phone (keyboard only for the inspection); a manager works the NCR and approves an SOP."""

import datetime

import pytest
from django.utils import timezone

from inventory import services as stock
from inventory.models import StockLevel
from opsportal import roles
from quality.models import Inspection, NonConformance, SafetyIncident, SOPVersion
from tests import factories
from tests.browser.conftest import screenshot
from tests.factories import InspectionPlanFactory, SOPDocumentFactory, SOPVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def floor():
    warehouse = factories.WarehouseFactory(code="WH-A", name="Springfield")
    staff = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    warehouse.staff.add(staff)
    sop = SOPDocumentFactory(code="SOP-QA-001", title="Receiving inspection and quarantine")
    SOPVersionFactory(
        document=sop,
        number=2,
        status=SOPVersion.Status.EFFECTIVE,
        approver=factories.UserFactory(),
        effective_at=timezone.now(),
    )
    product = factories.ProductFactory(sku="BOLT-M8", name="Hex bolt M8")
    vendor = factories.VendorFactory(name="Northwind Fasteners")
    line = factories.PurchaseOrderLineFactory(
        purchase_order__vendor=vendor, purchase_order__warehouse=warehouse, product=product
    )
    InspectionPlanFactory(
        name="Fasteners receiving",
        vendor=vendor,
        sample_size=8,
        sop=sop,
        criteria=[
            {"name": "Packaging intact", "kind": "pass_fail"},
            {"name": "Thread gauge passes", "kind": "pass_fail"},
            {"name": "Length", "kind": "measure", "unit": "mm", "min": 99.5, "max": 100.5},
        ],
    )
    stock.stock_receive(
        warehouse=warehouse, product=product, quantity=40, actor=None, reference=line
    )
    return Inspection.objects.get()


def test_staff_record_a_failed_inspection_on_a_phone_with_the_keyboard(phone, live_server, floor):
    _sign_in(phone, live_server, "picker")
    phone.goto(f"{live_server.url}/quality/inspections/{floor.pk}/")
    assert phone.get_by_test_id("inspection-sop").inner_text().startswith("SOP-QA-001")
    _fits(phone)
    screenshot(phone, "quality-phone-inspection-form")
    # Keyboard only: radio groups by arrow keys, values typed.
    phone.get_by_label("Pass").first.focus()
    phone.keyboard.press("Space")
    phone.get_by_role("radiogroup", name="Thread gauge passes").get_by_label("Pass").check()
    phone.get_by_label("Length (99.5–100.5 mm)").fill("101.4")
    phone.get_by_label("Quantity to quarantine if it fails").fill("40")
    phone.get_by_label("Notes").fill("3 of 8 sampled bolts too long")
    phone.get_by_test_id("record-submit").press("Enter")
    phone.wait_for_selector("text=Failed: 40 units quarantined")
    assert phone.get_by_test_id("inspection-status").inner_text() == "Failed"
    _fits(phone)
    screenshot(phone, "quality-phone-inspection-failed")
    assert StockLevel.objects.get().quarantined == 40
    assert NonConformance.objects.get().vendor.name == "Northwind Fasteners"


def test_staff_report_a_near_miss_on_a_phone(phone, live_server, floor):
    _sign_in(phone, live_server, "picker")
    phone.goto(f"{live_server.url}/quality/safety/new/")
    _fits(phone)
    phone.get_by_label("Near miss").check()
    phone.get_by_label("What happened").fill("Pallet slipped from the forks in aisle 4")
    phone.get_by_label("Actions taken").fill("Aisle closed, pallet rewrapped")
    screenshot(phone, "quality-phone-incident-form")
    phone.get_by_test_id("incident-submit").click()
    phone.wait_for_selector("text=Near miss recorded")
    incident = SafetyIncident.objects.get()
    assert (incident.kind, incident.warehouse.code) == ("near_miss", "WH-A")
    _fits(phone)


def test_a_manager_works_the_ncr_to_closed(page, live_server, floor):
    inspections_done = floor
    manager = factories.user_with_role(roles.OPERATIONS_MANAGER, username="boss")
    quality = factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    from quality.services import inspections, nonconformance

    inspections.inspection_record(
        inspection=inspections_done,
        results=[
            {"name": "Packaging intact", "passed": True},
            {"name": "Thread gauge passes", "passed": True},
            {"name": "Length", "value": "101"},
        ],
        by=manager,
    )
    nc = NonConformance.objects.get()
    _sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/quality/nonconformances/{nc.pk}/")
    page.get_by_label("Disposition").select_option("return_to_vendor")
    page.get_by_label("Note").first.fill("RMA 4471")
    page.get_by_role("button", name="Record disposition").click()
    page.wait_for_selector("text=Disposition of")
    page.get_by_role("link", name="Add corrective action").click()
    page.get_by_label("Why 1").fill("Bolts 1 mm too long")
    page.get_by_label("Why 2").fill("Cut-off die worn")
    page.get_by_label("Root cause").fill("No die wear check")
    page.get_by_label("Action").fill("Vendor adds a weekly die check")
    page.get_by_label("Owner").select_option(str(manager.pk))
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Add action").click()
    page.get_by_role("button", name="Report done").click()
    assert page.get_by_test_id("capa-needs-other").is_visible()
    screenshot(page, "quality-ncr-capa-awaiting-verification")
    capa = nc.actions.get()
    nonconformance.capa_verify(capa=capa, by=quality, effective=True, notes="3 receipts OK")
    page.reload()
    page.get_by_role("button", name="Close NCR").click()
    page.wait_for_selector("text=closed.")
    assert page.get_by_test_id("nc-status").inner_text() == "Closed"
    screenshot(page, "quality-ncr-closed")


def test_an_sop_goes_through_review_and_staff_acknowledge_it_on_a_phone(page, phone, live_server):
    from django.contrib.auth.models import Group

    from quality.services import sops

    author = factories.user_with_role(roles.OPERATIONS_MANAGER, username="author")
    factories.user_with_role(roles.OPERATIONS_MANAGER, username="quality")
    warehouse = factories.WarehouseFactory(code="WH-A")
    staff = factories.user_with_role(roles.WAREHOUSE_STAFF, username="picker")
    warehouse.staff.add(staff)
    factories.user_with_role(roles.WAREHOUSE_STAFF, username="latecomer")
    document = sops.sop_save(
        document=None,
        code="SOP-WH-001",
        title="Picking",
        area="warehouse",
        owner=author,
        roles=list(Group.objects.filter(name=roles.WAREHOUSE_STAFF)),
        by=author,
    )
    version = sops.version_draft(
        document=document,
        by=author,
        body="## Purpose\n\nPick right.\n\n| Step | What |\n|---|---|\n| 1 | Scan the bin |\n\n"
        "Literal: {{ settings.SECRET_KEY }} {% debug %}",
    )
    sops.version_edit(version=version, by=author, body=version.body, change_summary="First")
    sops.version_submit(version=version, by=author)

    _sign_in(page, live_server, "quality")
    page.goto(f"{live_server.url}/quality/sops/SOP-WH-001/versions/1/")
    screenshot(page, "quality-sop-version-in-review")
    page.get_by_test_id("approve").click()
    page.wait_for_selector("text=v1 is effective")
    page.goto(f"{live_server.url}/quality/sops/SOP-WH-001/")
    assert page.get_by_test_id("pending-reader").count() == 2

    _sign_in(phone, live_server, "picker")
    assert "SOPs to read and acknowledge" in phone.content()
    phone.goto(f"{live_server.url}/quality/sops/to-read/")
    _fits(phone)
    screenshot(phone, "quality-phone-sops-to-read")
    phone.get_by_role("button", name="I have read it").click()
    phone.wait_for_selector("text=Nothing to read")

    page.reload()
    assert page.get_by_test_id("pending-reader").count() == 1
    assert "{{ settings.SECRET_KEY }}" in page.get_by_test_id("sop-body").inner_text()
    screenshot(page, "quality-sop-detail-manager")
