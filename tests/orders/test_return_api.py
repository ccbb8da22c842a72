"""Returns API: open, approve/reject, receive, refund; roles, 400s naming fields, 409 on state."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import CustomerEmail, ReturnRequest
from tests.orders.helpers import queries_for
from tests.orders.test_returns import shipped_order

pytestmark = pytest.mark.django_db
LIST = reverse("api:return-list")


def _verb(number: str, verb: str) -> str:
    return reverse(f"api:return-{verb}", args=[number])


def test_the_whole_return_through_the_api(
    manager_client, warehouse_client, warehouse, django_capture_on_commit_callbacks
):
    order, (first, second) = shipped_order(warehouse)
    created = manager_client.post(
        LIST,
        {
            "order": order.number,
            "reason": "Wrong colour",
            "lines": [{"order_line": first.pk, "quantity": 2}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    number = body["number"]
    assert (body["status"], body["warehouse"], body["lines"][0]["quantity"]) == (
        "requested",
        warehouse.code,
        2,
    )
    approved = manager_client.post(_verb(number, "approve"), {}, content_type="application/json")
    assert approved.json()["status"] == "approved"
    line_id = approved.json()["lines"][0]["id"]
    with django_capture_on_commit_callbacks():
        received = warehouse_client.post(
            _verb(number, "receive"),
            {"lines": [{"line": line_id, "received": 2, "disposition": "quality"}]},
            content_type="application/json",
        )
    assert received.status_code == 200, received.json()
    assert received.json()["disposition"] == "quality"
    assert received.json()["refund_status"] == "pending"
    level = StockLevel.objects.get(warehouse=warehouse, product=first.product)
    assert (level.on_hand, level.quarantined) == (12, 2)
    assert CustomerEmail.objects.filter(kind="return_received").count() == 1
    refunded = manager_client.post(_verb(number, "refund"))
    assert (refunded.json()["status"], refunded.json()["refund_status"]) == ("closed", "refunded")


def test_bad_input_names_the_field_and_state_conflicts_are_409(manager_client, warehouse):
    order, (first, _) = shipped_order(warehouse)
    too_many = manager_client.post(
        LIST,
        {"order": order.number, "reason": "x", "lines": [{"order_line": first.pk, "quantity": 9}]},
        content_type="application/json",
    )
    assert too_many.status_code == 400
    assert "at most 3 can be returned" in too_many.json()[f"line_{first.pk}"][0]
    no_lines = manager_client.post(
        LIST, {"order": order.number, "reason": "x", "lines": []}, content_type="application/json"
    )
    assert no_lines.status_code == 400
    assert "lines" in no_lines.json()
    bad_warehouse = manager_client.post(
        LIST,
        {
            "order": order.number,
            "reason": "x",
            "warehouse": "NOPE",
            "lines": [{"order_line": first.pk, "quantity": 1}],
        },
        content_type="application/json",
    )
    assert bad_warehouse.json() == {"warehouse": ["No active warehouse has that code."]}
    assert not ReturnRequest.objects.exists()
    created = manager_client.post(
        LIST,
        {"order": order.number, "reason": "x", "lines": [{"order_line": first.pk, "quantity": 1}]},
        content_type="application/json",
    )
    number = created.json()["number"]
    refund = manager_client.post(_verb(number, "refund"))
    assert refund.status_code == 409
    assert "cannot be refunded" in refund.json()["status"][0]
    reject = manager_client.post(_verb(number, "reject"), {}, content_type="application/json")
    assert reject.status_code == 400
    assert "Say why" in reject.json()["note"][0]


def test_staff_cannot_open_or_decide_and_receive_only_at_their_warehouse(
    warehouse_client, manager_client, warehouse, other_warehouse
):
    order, (first, _) = shipped_order(warehouse)
    body = {
        "order": order.number,
        "reason": "x",
        "lines": [{"order_line": first.pk, "quantity": 1}],
    }
    assert warehouse_client.post(LIST, body, content_type="application/json").status_code == 403
    number = manager_client.post(LIST, body, content_type="application/json").json()["number"]
    assert warehouse_client.post(_verb(number, "approve")).status_code == 403
    assert warehouse_client.post(_verb(number, "refund")).status_code == 403
    theirs, (line, _) = shipped_order(other_warehouse)
    other = manager_client.post(
        LIST,
        {"order": theirs.number, "reason": "x", "lines": [{"order_line": line.pk, "quantity": 1}]},
        content_type="application/json",
    ).json()["number"]
    manager_client.post(_verb(other, "approve"))
    assert warehouse_client.post(_verb(other, "receive"), {}).status_code == 404


def test_the_return_list_api_costs_the_same_queries_for_1_and_20_returns(
    manager_client, manager, warehouse
):
    from orders import returns

    def one_more():
        order, (first, _) = shipped_order(warehouse)
        returns.return_create(order=order, quantities={first.pk: 1}, reason="x", by=manager)

    one_more()
    one = queries_for(manager_client, LIST)
    for _ in range(19):
        one_more()
    assert queries_for(manager_client, LIST) == one
