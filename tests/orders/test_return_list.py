"""The returns list: scoping by the return warehouse, filters, query budget."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from orders.models import ReturnRequest
from tests.orders.factories import ReturnRequestFactory, order_in
from tests.orders.helpers import count_rows, queries_for


def _url(**query) -> str:
    return reverse("orders:return_list") + (f"?{urlencode(query)}" if query else "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_contract_admins_cannot_see_returns(contracts_client):
    assert contracts_client.get(_url()).status_code == 403


def test_the_list_is_read_only(manager_client):
    assert manager_client.post(_url()).status_code == 405


def test_managers_see_every_return(manager_client, warehouse, other_warehouse):
    ReturnRequestFactory(
        number="RMA-A",
        order=order_in(warehouse, number="W-1").order,
        warehouse=warehouse,
        disposition=ReturnRequest.Disposition.RESTOCK,
        refund_status=ReturnRequest.RefundStatus.PENDING,
    )
    ReturnRequestFactory(number="RMA-B", warehouse=other_warehouse)
    ReturnRequestFactory(number="RMA-C", warehouse=None)

    response = manager_client.get(_url())

    body = response.content.decode()
    assert count_rows(response, "return-row") == 3
    assert "Restock" in body
    assert "Refund pending" in body
    assert ">W-1<" in body


def test_warehouse_staff_see_returns_to_their_warehouse_only(
    warehouse_client, warehouse, other_warehouse
):
    ReturnRequestFactory(number="RMA-MINE", warehouse=warehouse)
    ReturnRequestFactory(number="RMA-THEIRS", warehouse=other_warehouse)
    ReturnRequestFactory(number="RMA-NOWHERE", warehouse=None)

    body = warehouse_client.get(_url()).content.decode()

    assert "RMA-MINE" in body
    assert "RMA-THEIRS" not in body
    assert "RMA-NOWHERE" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": ReturnRequest.Status.RECEIVED}, {"RMA-RECEIVED"}),
        ({"disposition": "undecided"}, {"RMA-REQUESTED"}),
        ({"disposition": ReturnRequest.Disposition.SCRAP}, {"RMA-RECEIVED"}),
        ({"q": "RMA-REQ"}, {"RMA-REQUESTED"}),
    ],
)
def test_filters_narrow_the_list(manager_client, warehouse, query, expected):
    ReturnRequestFactory(number="RMA-REQUESTED", warehouse=warehouse)
    ReturnRequestFactory(
        number="RMA-RECEIVED",
        warehouse=warehouse,
        status=ReturnRequest.Status.RECEIVED,
        disposition=ReturnRequest.Disposition.SCRAP,
    )

    body = manager_client.get(_url(**query)).content.decode()

    assert {n for n in ("RMA-REQUESTED", "RMA-RECEIVED") if f">{n}<" in body} == expected


@pytest.mark.parametrize("client_fixture", ["manager_client", "warehouse_client"])
def test_the_query_count_does_not_grow_with_the_rows(request, client_fixture, warehouse):
    client = request.getfixturevalue(client_fixture)
    ReturnRequestFactory(warehouse=warehouse)
    client.get(_url())
    one = queries_for(client, _url())
    for _ in range(19):
        ReturnRequestFactory(warehouse=warehouse)

    assert queries_for(client, _url()) == one
