"""Purchase orders: draft from contract prices, send (PDF + email), receive into stock, cancel."""

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from inventory.models import StockLevel, StockMovement
from opsportal.models import DocumentJob, OutboundEmail
from tests import factories
from vendors import selectors, services
from vendors.models import PurchaseOrder, PurchaseOrderLine


@pytest.fixture
def supply(db, warehouse):
    """A supplier with a primary contact and an active contract pricing two products."""
    vendor = factories.VendorFactory(name="Acme Fasteners", email="orders@acme.example.com")
    factories.VendorContactFactory(
        vendor=vendor, name="Ada Sales", email="ada@acme.example.com", is_primary=True
    )
    today = timezone.localdate()
    contract = factories.VendorContractFactory(
        vendor=vendor,
        number="C-ACME",
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=300),
        payment_terms="Net 30",
    )
    bolt = factories.ProductFactory(sku="SKU-BOLT", name="Hex bolt", barcode="4006381333931")
    nut = factories.ProductFactory(sku="SKU-NUT", name="Hex nut", unit_cost=Decimal("0.30"))
    factories.ContractPriceFactory(
        contract=contract, product=bolt, price=Decimal("1.20"), lead_time_days=5
    )
    factories.ContractPriceFactory(
        contract=contract, product=bolt, price=Decimal("1.00"), min_qty=100, lead_time_days=5
    )
    spare = factories.ProductFactory(sku="SKU-SPARE", unit_cost=Decimal("7.00"))
    return {"vendor": vendor, "contract": contract, "bolt": bolt, "nut": nut, "spare": spare}


def _draft(supply, warehouse, *lines, **kwargs):
    return services.purchase_order_create(
        vendor=supply["vendor"],
        warehouse=warehouse,
        lines=[services.OrderLineData(product, qty) for product, qty in lines],
        by=None,
        **kwargs,
    )


def test_a_draft_takes_prices_from_the_contract_tier_the_quantity_reaches(supply, warehouse):
    po = _draft(supply, warehouse, (supply["bolt"], 150))
    line = po.lines.get()
    assert po.status == PurchaseOrder.Status.DRAFT
    assert po.contract == supply["contract"]
    assert po.number.startswith("PO-")
    assert line.unit_price == Decimal("1.00")  # the 100+ tier
    assert po.expected_date == timezone.localdate() + datetime.timedelta(days=5)
    second = _draft(supply, warehouse, (supply["bolt"], 10))
    assert second.lines.get().unit_price == Decimal("1.20")
    assert int(second.number[3:]) == int(po.number[3:]) + 1


def test_products_not_on_the_contract_are_refused_or_flagged(supply, warehouse):
    with pytest.raises(ValidationError, match="Not on the vendor's contract .*SKU-NUT"):
        _draft(supply, warehouse, (supply["bolt"], 10), (supply["nut"], 5))
    assert not PurchaseOrder.objects.exists()

    po = _draft(supply, warehouse, (supply["nut"], 5), allow_off_contract=True)
    line = po.lines.get()
    assert line.off_contract is True
    assert line.unit_price == Decimal("0.30")


def test_the_page_creates_a_draft_and_shows_form_errors(contracts_client, supply, warehouse):
    data = {
        "vendor": supply["vendor"].pk,
        "warehouse": warehouse.pk,
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-sku": "4006381333931",
        "lines-0-quantity": "12",
        "lines-1-sku": "SKU-NUT",
        "lines-1-quantity": "4",
    }
    refused = contracts_client.post(reverse("vendors:purchaseorder_create"), data)
    assert refused.status_code == 400
    assert "SKU-NUT" in refused.content.decode()
    assert not PurchaseOrder.objects.exists()

    response = contracts_client.post(
        reverse("vendors:purchaseorder_create"), {**data, "allow_off_contract": "on"}
    )
    po = PurchaseOrder.objects.get()
    assert response["Location"] == reverse("vendors:purchaseorder_detail", args=[po.number])
    assert po.lines.count() == 2
    assert po.created_by.username == "contracts"


def test_sending_queues_the_pdf_job_and_the_email_with_the_pdf(supply, warehouse):
    po = _draft(supply, warehouse, (supply["bolt"], 10))
    sent = services.purchase_order_send(purchase_order=po, by=None)

    assert sent.status == PurchaseOrder.Status.SENT
    job = sent.document_job
    assert job.kind == DocumentJob.Kind.PURCHASE_ORDER
    assert job.params == {"purchase_order": po.pk}
    email = OutboundEmail.objects.get(key=f"po:{po.pk}:sent")
    assert email.to == ["ada@acme.example.com"]
    assert email.attachment_job == job
    assert email.subject == f"Purchase order {po.number} from opsportal"
    assert "SKU-BOLT Hex bolt: 10 × 1.20 USD" in email.text
    with pytest.raises(ValidationError, match="only a draft can be sent"):
        services.purchase_order_send(purchase_order=po, by=None)


def test_a_vendor_without_any_email_cannot_be_sent_a_po(warehouse, db):
    vendor = factories.VendorFactory(name="Silent Ltd", email="")
    product = factories.ProductFactory()
    po = services.purchase_order_create(
        vendor=vendor,
        warehouse=warehouse,
        lines=[services.OrderLineData(product, 1)],
        by=None,
        allow_off_contract=True,
    )
    with pytest.raises(ValidationError, match="Silent Ltd has no email address"):
        services.purchase_order_send(purchase_order=po, by=None)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.DRAFT
    assert not DocumentJob.objects.exists()


def test_the_renderer_makes_a_readable_pdf(supply, warehouse):
    from opsportal import jobs

    po = _draft(supply, warehouse, (supply["bolt"], 150), notes="Dock 3 please")
    job = DocumentJob.objects.create(
        kind=DocumentJob.Kind.PURCHASE_ORDER, params={"purchase_order": po.pk}, total=1
    )
    filename, content = jobs._RENDERERS[DocumentJob.Kind.PURCHASE_ORDER](job, lambda n: None)

    assert filename == f"{po.number}.pdf"
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    for expected in (po.number, "Acme Fasteners", "SKU-BOLT", "150", "1.00", "150.00", "C-ACME"):
        assert expected in text
    assert "Dock 3 please" in text


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_sent_po_reaches_the_vendor_as_a_pdf_over_real_smtp(celery_worker, smtp_server):
    smtp_server.clear()
    warehouse = factories.WarehouseFactory(code="WH-PDF", address="1 Dock Rd")
    supply_vendor = factories.VendorFactory(name="Real Mail Supply")
    factories.VendorContactFactory(vendor=supply_vendor, email="buyer@realmail.example.com")
    product = factories.ProductFactory(sku="SKU-MAIL")
    today = timezone.localdate()
    contract = factories.VendorContractFactory(
        vendor=supply_vendor,
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=100),
    )
    factories.ContractPriceFactory(contract=contract, product=product, price=Decimal("2.50"))
    with transaction.atomic():
        po = services.purchase_order_create(
            vendor=supply_vendor,
            warehouse=warehouse,
            lines=[services.OrderLineData(product, 40)],
            by=None,
        )
    with transaction.atomic():
        services.purchase_order_send(purchase_order=po, by=None)

    (received,) = smtp_server.wait_for(1, timeout=90)
    assert received.rcpt_tos == ("buyer@realmail.example.com",)
    assert received.subject == f"Purchase order {po.number} from opsportal"
    attachments = list(received.message.iter_attachments())
    (attachment,) = attachments
    assert attachment.get_filename().endswith(f"{po.number}.pdf")
    assert attachments[0].get_content_type() == "application/pdf"
    pdf = PdfReader(io.BytesIO(attachments[0].get_content()))
    assert "SKU-MAIL" in pdf.pages[0].extract_text()
    po.refresh_from_db()
    assert po.document_job.status == DocumentJob.Status.DONE
    time.sleep(1)
    assert len(smtp_server.messages) == 1


def _sent(supply, warehouse, *lines, **kwargs):
    po = _draft(supply, warehouse, *lines, **kwargs)
    return services.purchase_order_send(purchase_order=po, by=None)


def test_staff_receive_on_the_phone_page_into_stock_without_seeing_prices(
    warehouse_client, warehouse_staff, supply, warehouse
):
    po = _sent(supply, warehouse, (supply["bolt"], 10))
    url = reverse("vendors:purchaseorder_receive", args=[po.number])

    page = warehouse_client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="receive-form"' in content
    for secret in ("1.20", "USD", "C-ACME"):
        assert secret not in content

    # Scanning the barcode works as well as typing the SKU.
    response = warehouse_client.post(url, {"sku": "4006381333931", "quantity": "4"})
    assert response.status_code == 302
    po.refresh_from_db()
    line = po.lines.get()
    assert (po.status, line.received, line.received_at) == ("partially_received", 4, None)
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.delta, movement.actor) == ("receipt", 4, warehouse_staff)
    assert movement.reference == line
    assert StockLevel.objects.get(warehouse=warehouse, product=supply["bolt"]).on_hand == 4

    warehouse_client.post(url, {"sku": "sku-bolt", "quantity": "6"})
    po.refresh_from_db()
    line.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert po.received_at is not None
    assert line.received_at is not None
    assert StockLevel.objects.get(warehouse=warehouse, product=supply["bolt"]).on_hand == 10


def test_over_receipt_is_refused_with_a_clear_error_and_nothing_received(
    warehouse_client, supply, warehouse
):
    po = _sent(supply, warehouse, (supply["bolt"], 10))
    url = reverse("vendors:purchaseorder_receive", args=[po.number])
    warehouse_client.post(url, {"sku": "SKU-BOLT", "quantity": "8"})

    response = warehouse_client.post(url, {"sku": "SKU-BOLT", "quantity": "5"})

    assert response.status_code == 400
    assert (
        "SKU-BOLT: 5 is more than the 2 still outstanding (ordered 10, received 8)."
        in response.content.decode()
    )
    assert PurchaseOrderLine.objects.get().received == 8
    assert StockMovement.objects.count() == 1
    unknown = warehouse_client.post(url, {"sku": "SKU-NUT", "quantity": "1"})
    assert "SKU-NUT is not on " in unknown.content.decode()


def test_receiving_several_lines_is_all_or_nothing(supply, warehouse):
    po = _sent(
        supply, warehouse, (supply["bolt"], 10), (supply["spare"], 2), allow_off_contract=True
    )
    with pytest.raises(ValidationError, match="SKU-SPARE: 3 is more than the 2"):
        services.purchase_order_receive(
            purchase_order=po,
            receipts=[services.Receipt("SKU-BOLT", 10), services.Receipt("SKU-SPARE", 3)],
            by=None,
        )
    assert not StockMovement.objects.exists()
    assert list(po.lines.values_list("received", flat=True)) == [0, 0]


def test_staff_of_another_warehouse_cannot_receive(warehouse_client, supply, other_warehouse):
    po = _sent(supply, other_warehouse, (supply["bolt"], 10))
    url = reverse("vendors:purchaseorder_receive", args=[po.number])
    assert warehouse_client.get(url).status_code == 404
    assert warehouse_client.post(url, {"sku": "SKU-BOLT", "quantity": "1"}).status_code == 404
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("client_name", ["manager_client", "contracts_client"])
def test_managers_and_contract_admins_do_not_receive_stock(request, client_name, supply, warehouse):
    po = _sent(supply, warehouse, (supply["bolt"], 10))
    client = request.getfixturevalue(client_name)
    url = reverse("vendors:purchaseorder_receive", args=[po.number])
    assert client.post(url, {"sku": "SKU-BOLT", "quantity": "1"}).status_code == 403
    assert not StockMovement.objects.exists()


def test_a_draft_or_cancelled_po_cannot_be_received(warehouse_client, supply, warehouse):
    po = _draft(supply, warehouse, (supply["bolt"], 10))
    url = reverse("vendors:purchaseorder_receive", args=[po.number])
    assert 'data-testid="not-receivable"' in warehouse_client.get(url).content.decode()
    response = warehouse_client.post(url, {"sku": "SKU-BOLT", "quantity": "1"})
    assert response.status_code == 400
    assert "only a sent purchase order can be received" in response.content.decode()


def test_late_lines_are_flagged_against_the_expected_date(manager_client, supply, warehouse):
    po = _sent(supply, warehouse, (supply["bolt"], 10))
    PurchaseOrder.objects.filter(pk=po.pk).update(
        expected_date=timezone.localdate() - datetime.timedelta(days=2)
    )
    content = manager_client.get(
        reverse("vendors:purchaseorder_detail", args=[po.number])
    ).content.decode()
    assert 'data-testid="line-late"' in content
    result = services.purchase_order_receive(
        purchase_order=po, receipts=[services.Receipt("SKU-BOLT", 10)], by=None
    )
    assert result.late is True
    content = manager_client.get(
        reverse("vendors:purchaseorder_detail", args=[po.number])
    ).content.decode()
    assert "arrived late" in content


def test_cancel_a_sent_po_tells_the_vendor_and_refuses_a_received_one(
    contracts_client, supply, warehouse
):
    po = _sent(supply, warehouse, (supply["bolt"], 10))
    url = reverse("vendors:purchaseorder_cancel", args=[po.number])
    assert contracts_client.post(url, {"reason": ""}).status_code == 400
    response = contracts_client.post(url, {"reason": "Ordered twice"})
    assert response.status_code == 302
    po.refresh_from_db()
    assert (po.status, po.cancel_reason) == ("cancelled", "Ordered twice")
    assert OutboundEmail.objects.filter(key=f"po:{po.pk}:cancelled").exists()

    other = _sent(supply, warehouse, (supply["bolt"], 1))
    services.purchase_order_receive(
        purchase_order=other, receipts=[services.Receipt("SKU-BOLT", 1)], by=None
    )
    with pytest.raises(ValidationError, match="only a draft or a sent purchase order"):
        services.purchase_order_cancel(purchase_order=other, reason="late", by=None)


def test_open_po_quantities_feed_replenishment(supply, warehouse, other_warehouse):
    today = timezone.localdate()
    po = _sent(supply, warehouse, (supply["bolt"], 10), expected_date=today)
    services.purchase_order_receive(
        purchase_order=po, receipts=[services.Receipt("SKU-BOLT", 3)], by=None
    )
    _sent(supply, warehouse, (supply["bolt"], 5), expected_date=today + datetime.timedelta(days=20))
    _draft(supply, other_warehouse, (supply["bolt"], 99))

    bolt = supply["bolt"].pk
    assert services.open_po_quantities(None, None, today) == {(warehouse.pk, bolt): 7}
    later = today + datetime.timedelta(days=30)
    assert services.open_po_quantities([warehouse.pk], [bolt], later) == {(warehouse.pk, bolt): 12}
    assert services.open_po_quantities([other_warehouse.pk], None, later) == {}


def test_the_vendor_scorecard(supply, warehouse, manager_client):
    today = timezone.localdate()
    on_time = _sent(supply, warehouse, (supply["bolt"], 10), expected_date=today)
    services.purchase_order_receive(
        purchase_order=on_time, receipts=[services.Receipt("SKU-BOLT", 10)], by=None
    )
    overdue = _sent(supply, warehouse, (supply["bolt"], 10), expected_date=today)
    PurchaseOrder.objects.filter(pk=overdue.pk).update(
        expected_date=today - datetime.timedelta(days=1)
    )
    services.purchase_order_receive(
        purchase_order=overdue, receipts=[services.Receipt("SKU-BOLT", 5)], by=None
    )
    # Paid above the contract on one line: 10 × 1.32 against 10 × 1.20.
    PurchaseOrderLine.objects.filter(purchase_order=on_time).update(unit_price=Decimal("1.32"))
    factories.NonConformanceFactory(vendor=supply["vendor"], quantity=3)

    card = selectors.vendor_scorecard(supply["vendor"], today=today)

    assert card.lines_due == 2
    assert card.on_time_pct == Decimal("50.0")
    assert card.fill_rate_pct == Decimal("75.0")  # 15 of 20 units due
    assert card.received_units == 15
    assert card.defect_units == 3
    assert card.defect_rate_pct == Decimal("20.0")
    assert card.price_variance_pct == Decimal("5.0")  # (13.20+12.00) vs (12.00+12.00)
    assert card.spend == Decimal("19.20")  # 10 × 1.32 + 5 × 1.20
    assert card.contract_lead_time_days == Decimal("5.0")
    assert card.lead_time_days is not None
    assert card.open_issues == 1

    page = manager_client.get(reverse("vendors:vendor_detail", args=[supply["vendor"].pk]))
    content = page.content.decode()
    assert 'data-testid="score-on-time">50.0 %' in content
    assert 'data-testid="score-defects">20.0 %' in content
    assert 'data-testid="issue-row"' in content
    assert "C-ACME" in content
