"""The customer email outbox page: managers only, filters, CSV, query budget."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from orders.models import CustomerEmail
from tests.factories import CustomerEmailFactory, OrderFactory
from tests.orders.helpers import count_rows, csv_rows, queries_for


def _url(**query) -> str:
    return reverse("orders:email_list") + (f"?{urlencode(query)}" if query else "")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(_url())
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("client_fixture", ["warehouse_client", "contracts_client"])
def test_only_managers_see_the_outbox(request, client_fixture):
    assert request.getfixturevalue(client_fixture).get(_url()).status_code == 403


def test_the_outbox_is_read_only(manager_client):
    assert manager_client.post(_url()).status_code == 405


def test_managers_see_each_email_with_its_status_and_last_error(manager_client, db):
    CustomerEmailFactory(
        order=OrderFactory(number="W-5"),
        to="ada@example.com",
        status=CustomerEmail.Status.FAILED,
        attempts=3,
        last_error="550 mailbox unavailable",
    )

    response = manager_client.get(_url())

    body = response.content.decode()
    assert count_rows(response, "email-row") == 1
    assert ">W-5<" in body
    assert "ada@example.com" in body
    assert "Failed" in body
    assert "550 mailbox unavailable" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": CustomerEmail.Status.SENT}, {"SENT-1"}),
        ({"kind": CustomerEmail.Kind.SHIPPED}, {"PENDING-1"}),
        ({"q": "SENT-"}, {"SENT-1"}),
    ],
)
def test_filters_narrow_the_list(manager_client, db, query, expected):
    CustomerEmailFactory(order=OrderFactory(number="SENT-1"), status=CustomerEmail.Status.SENT)
    CustomerEmailFactory(order=OrderFactory(number="PENDING-1"), kind=CustomerEmail.Kind.SHIPPED)

    body = manager_client.get(_url(**query)).content.decode()

    assert {n for n in ("SENT-1", "PENDING-1") if f">{n}<" in body} == expected


def test_csv_export_neutralises_formulas(manager_client, db):
    CustomerEmailFactory(order=OrderFactory(number="W-6"), last_error="=cmd|' /C calc'!A0")

    header, *rows = csv_rows(manager_client.get(_url(format="csv")))

    row = dict(zip(header, rows[0], strict=True))
    assert row["order"] == "W-6"
    assert row["last_error"] == "'=cmd|' /C calc'!A0"


def test_the_query_count_does_not_grow_with_the_rows(manager_client, db):
    CustomerEmailFactory()
    manager_client.get(_url())
    one = queries_for(manager_client, _url())
    for _ in range(19):
        CustomerEmailFactory()

    assert queries_for(manager_client, _url()) == one
