"""The orders admin: changelists in constant queries, ledgers and reservations read-only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CarrierServiceFactory,
    CustomerEmailFactory,
    OrderEventFactory,
    ProductFactory,
)
from tests.orders.factories import ReturnLineFactory, ReturnRequestFactory, order_in
from tests.orders.helpers import queries_for

MODELS = (
    "order",
    "orderline",
    "allocation",
    "shipment",
    "shipmentline",
    "orderevent",
    "customeremail",
    "returnrequest",
    "returnline",
)


def _add_everything(warehouse, product, service) -> None:
    placed = order_in(warehouse, product=product)
    placed.shipment.carrier_service = service
    placed.shipment.save()
    OrderEventFactory(order=placed.order, actor=None)
    CustomerEmailFactory(order=placed.order)
    rma = ReturnRequestFactory(order=placed.order, warehouse=warehouse)
    ReturnLineFactory(return_request=rma, order_line=placed.line)


@pytest.mark.parametrize("model", MODELS)
def test_each_changelist_runs_the_same_queries_for_1_and_20_rows(
    superuser_client, warehouse, model
):
    product, service = ProductFactory(), CarrierServiceFactory()
    url = reverse(f"admin:orders_{model}_changelist")
    _add_everything(warehouse, product, service)
    superuser_client.get(url)
    one = queries_for(superuser_client, url)
    for _ in range(19):
        _add_everything(warehouse, product, service)

    assert queries_for(superuser_client, url) == one


def test_the_order_changelist_never_counts_the_whole_table(superuser_client, warehouse):
    order_in(warehouse, number="FIND-ME")

    with CaptureQueriesContext(connection) as ctx:
        response = superuser_client.get(reverse("admin:orders_order_changelist") + "?q=FIND-ME")

    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1  # the filtered count only, not a second full-table one
    assert "FIND-ME" in response.content.decode()


def test_an_order_opens_in_the_admin_with_its_lines_and_shipments(superuser_client, warehouse):
    placed = order_in(warehouse)

    response = superuser_client.get(reverse("admin:orders_order_change", args=[placed.order.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "lines-TOTAL_FORMS" in body
    assert "Shipments" in body


@pytest.mark.parametrize("model", ["orderevent", "allocation"])
def test_ledger_and_reservation_rows_cannot_be_added_or_changed(superuser_client, warehouse, model):
    placed = order_in(warehouse)
    obj = OrderEventFactory(order=placed.order) if model == "orderevent" else placed.allocation

    assert superuser_client.get(reverse(f"admin:orders_{model}_add")).status_code == 403
    change = reverse(f"admin:orders_{model}_change", args=[obj.pk])
    assert superuser_client.get(change).status_code == 200  # viewable
    assert superuser_client.post(change, {}).status_code == 403
    delete = reverse(f"admin:orders_{model}_delete", args=[obj.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403


def test_outbox_rows_are_not_added_by_hand(superuser_client, db):
    assert superuser_client.get(reverse("admin:orders_customeremail_add")).status_code == 403
