"""Order pages that write: the portal order form, CSV import, manager actions on an order."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import StockLevel
from orders import services
from orders.intake import parse_order
from orders.models import Order, Shipment
from tests.orders.conftest import order_body

FORM = {
    "channel": "phone",
    "external_ref": "",
    "customer_name": "Grace Hopper",
    "customer_email": "grace@example.com",
    "ship_to_name": "",
    "line1": "7 Navy Way",
    "line2": "",
    "city": "Chicago",
    "region": "IL",
    "postal_code": "60601",
    "country": "us",
    "service_level": "standard",
    "payment_status": "authorized",
    "currency": "USD",
    "lines": "WIDGET 2 19.99\nGADGET, 1, 5",
}


def test_a_manager_places_an_order_in_the_portal(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    world.receive(world.chicago, world.gadget, 5)

    response = manager_client.post(reverse("orders:order_create"), FORM)

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order_detail", args=[order.number])
    assert order.status == Order.Status.ALLOCATED
    assert (order.channel, order.ship_to_country, order.ship_to_name) == (
        "phone",
        "US",
        "Grace Hopper",
    )
    assert sorted(order.lines.values_list("product__sku", "quantity")) == [
        ("GADGET", 1),
        ("WIDGET", 2),
    ]


def test_the_order_form_names_the_line_and_field_that_is_wrong(manager_client, world):
    response = manager_client.post(
        reverse("orders:order_create"),
        {**FORM, "lines": "WIDGET 0 19.99\nNOPE 1 1", "postal_code": "1"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 1: quantity: Ensure this value is greater than or equal to 1." in page
    assert "Line 3" not in page
    assert "is not a postal code of US" in page
    assert Order.objects.count() == 0


def test_the_order_form_names_an_unknown_sku_by_its_line(manager_client, world):
    response = manager_client.post(
        reverse("orders:order_create"), {**FORM, "lines": "WIDGET 1 19.99\nNOPE 1 1"}
    )
    assert response.status_code == 400
    assert (
        "Line 2: sku: There is no product with SKU &#x27;NOPE&#x27;." in response.content.decode()
    )


def test_staff_cannot_open_the_order_form(warehouse_client, world):
    assert warehouse_client.get(reverse("orders:order_create")).status_code == 403
    assert warehouse_client.post(reverse("orders:order_create"), FORM).status_code == 403


CSV = (
    "\ufeffexternal_ref;customer_name;customer_email;line1;city;postal_code;country;sku;quantity;unit_price\n"
    "C-1;Zoë Ångström;zoe@example.com;1 Main St;Chicago;60601;US;WIDGET;2;19.99\n"
    "C-1;Zoë Ångström;zoe@example.com;1 Main St;Chicago;60601;US;GADGET;1;5.00\n"
    "C-2;Ada;ada@example.com;2 Main St;Chicago;60601;US;WIDGET;1;19.99\n"
)


def _upload(client, text: str):
    file = SimpleUploadedFile("orders.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("orders:order_import"), {"file": file})


def test_csv_import_places_every_order_and_skips_them_the_second_time(manager_client, world):
    world.receive(world.chicago, world.widget, 10)
    world.receive(world.chicago, world.gadget, 10)

    assert _upload(manager_client, CSV).status_code == 302
    assert _upload(manager_client, CSV).status_code == 302

    orders = Order.objects.order_by("external_ref")
    assert [(o.channel, o.external_ref, o.lines.count()) for o in orders] == [
        ("csv", "C-1", 2),
        ("csv", "C-2", 1),
    ]
    assert orders[0].customer_name == "Zoë Ångström"
    assert StockLevel.objects.get(warehouse=world.chicago, product=world.widget).reserved == 3


def test_csv_import_is_all_or_nothing_with_errors_by_row_and_column(manager_client, world):
    bad = (
        CSV
        + "C-3;Bob;not-an-email;3 Main St;Chicago;60601;US;WIDGET;x;1\n"
        + "C-4;Cy;cy@example.com;4 Main St;Chicago;60601;US;NOPE;1;1\n"
    )

    response = _upload(manager_client, bad)

    assert response.status_code == 400
    page = response.content.decode()
    assert Order.objects.count() == 0
    marker = '<tr data-testid="import-problem"><td class="num">'
    rows = [line.split("</td><td>") for line in page.split(marker)[1:]]
    found = {(r[0], r[1]) for r in rows}
    assert found == {("5", "customer_email"), ("5", "quantity"), ("6", "sku")}


def test_csv_rows_of_one_order_must_agree(manager_client, world):
    text = CSV.replace(
        "C-1;Zoë Ångström;zoe@example.com;1 Main St;Chicago;60601;US;GADGET",
        "C-1;Zoë;zoe@example.com;1 Main St;Chicago;60601;US;GADGET",
    )
    response = _upload(manager_client, text)
    assert response.status_code == 400
    assert "Differs from row 2 of the same order." in response.content.decode()


@pytest.fixture
def placed(manager, world):
    world.receive(world.chicago, world.widget, 5)
    return services.order_intake(data=parse_order(order_body()), by=manager).order


def test_a_manager_holds_and_releases_an_order_from_its_page(manager_client, placed):
    url = reverse("orders:order_hold", args=[placed.number])
    response = manager_client.post(url, {"kind": "address", "reason": "Gate code missing"})
    assert response.status_code == 302
    placed.refresh_from_db()
    assert (placed.hold_kind, placed.hold_reason) == ("address", "Gate code missing")
    page = manager_client.get(reverse("orders:order_detail", args=[placed.number]))
    assert b'data-testid="release-form"' in page.content
    manager_client.post(reverse("orders:order_release", args=[placed.number]), {"note": "Fixed"})
    placed.refresh_from_db()
    assert placed.hold_kind == ""


def test_a_hold_without_a_reason_is_refused_with_a_message(manager_client, placed):
    response = manager_client.post(
        reverse("orders:order_hold", args=[placed.number]), {"kind": "manual"}, follow=True
    )
    assert "Reason: This field is required." in response.content.decode()
    placed.refresh_from_db()
    assert placed.hold_kind == ""


def test_a_manager_cancels_from_the_page_and_stock_is_released(manager_client, placed, world):
    response = manager_client.post(
        reverse("orders:order_cancel", args=[placed.number]), {"reason": "Duplicate"}
    )
    assert response.status_code == 302
    placed.refresh_from_db()
    assert placed.status == Order.Status.CANCELLED
    assert StockLevel.objects.get(warehouse=world.chicago, product=world.widget).reserved == 0


def test_a_manager_reroutes_and_records_payment_from_the_page(manager_client, placed, world):
    world.receive(world.newyork, world.widget, 5)
    manager_client.post(
        reverse("orders:order_reroute", args=[placed.number]),
        {"warehouse": "WH-NYC", "reason": "Closer to the customer's office"},
    )
    manager_client.post(
        reverse("orders:order_payment", args=[placed.number]), {"payment_status": "paid"}
    )
    placed.refresh_from_db()
    assert placed.routing["chosen"] == ["WH-NYC"]
    assert placed.payment_status == "paid"
    page = manager_client.get(reverse("orders:order_detail", args=[placed.number])).content
    assert b"Closer to the customer&#x27;s office" in page
    assert b'data-testid="routing-candidates"' in page


def test_staff_cannot_act_on_orders(warehouse_client, placed):
    for name in ("order_hold", "order_cancel", "order_reroute", "order_payment", "order_release"):
        url = reverse(f"orders:{name}", args=[placed.number])
        assert warehouse_client.post(url, {"reason": "x", "kind": "manual"}).status_code == 403
    placed.refresh_from_db()
    assert placed.status != Order.Status.CANCELLED


def test_the_order_page_shows_why_this_warehouse_and_the_quotes(manager_client, placed):
    page = manager_client.get(reverse("orders:order_detail", args=[placed.number])).content.decode()
    assert "can fill every line" in page
    assert 'data-testid="quotes"' in page
    assert Shipment.objects.filter(order=placed).exists()


def test_only_managers_see_the_new_order_and_import_buttons(manager_client, warehouse_client, db):
    assert b'data-testid="new-order"' in manager_client.get(reverse("orders:order_list")).content
    assert (
        b'data-testid="new-order"' not in warehouse_client.get(reverse("orders:order_list")).content
    )
    assert warehouse_client.get(reverse("orders:order_import")).status_code == 403


def _shipped_order(manager, world) -> tuple[Order, Shipment]:
    world.receive(world.chicago, world.widget, 5)
    order = services.order_intake(
        data=parse_order(
            order_body("W-LINKS", lines=[{"sku": "WIDGET", "quantity": 2, "unit_price": "9"}])
        ),
        by=manager,
    ).order
    (shipment,) = order.shipments.all()
    services.shipments_start_picking(warehouse=world.chicago, by=manager)
    services.shipment_pack(shipment=shipment, by=manager, weight_grams=900)
    return order, shipment


def test_the_order_page_offers_label_return_and_resend_where_they_apply(
    manager, manager_client, world
):
    order, shipment = _shipped_order(manager, world)
    url = reverse("orders:order_detail", args=[order.number])

    page = manager_client.get(url).content.decode()
    assert 'data-testid="print-label"' in page
    assert "Print label" in page
    assert 'data-testid="start-return"' not in page  # nothing shipped yet

    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-LINKS")
    order.email = order.emails.get(kind="order_received")
    order.emails.filter(pk=order.email.pk).update(status="sent")
    page = manager_client.get(url).content.decode()
    assert reverse("orders:return_create", args=[order.number]) in page
    assert "Reprint label" in page
    assert reverse("orders:email_resend", args=[order.email.pk]) in page

    # The links lead somewhere that works for this user.
    assert (
        manager_client.get(reverse("orders:return_create", args=[order.number])).status_code == 200
    )
    response = manager_client.post(
        reverse("orders:email_resend", args=[order.email.pk]), {"next": url}
    )
    assert response.status_code == 302
    assert response["Location"] == url


def test_staff_get_the_label_button_but_no_return_or_resend(manager, world, client):
    from opsportal import roles
    from tests.factories import user_with_role

    order, shipment = _shipped_order(manager, world)
    services.shipment_ship(shipment=shipment, by=manager, tracking_number="ACME-STAFF")
    staff = user_with_role(roles.WAREHOUSE_STAFF)
    world.chicago.staff.add(staff)
    client.force_login(staff)

    page = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert 'data-testid="print-label"' in page
    assert 'data-testid="start-return"' not in page
    assert 'data-testid="resend-email"' not in page
