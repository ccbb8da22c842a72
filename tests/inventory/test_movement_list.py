"""The stock ledger page: read only, scoped, filters, CSV, query budget."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockMovement
from tests.factories import ProductFactory
from tests.inventory.factories import StockMovementFactory

URL = reverse("inventory:movement_list")


def _reasons(response) -> list[str]:
    return [movement.reason for movement in response.context["page_obj"]]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _created(movement, when: datetime.datetime) -> None:
    # The ledger refuses save() on an existing row; the test moves the clock in SQL.
    StockMovement.objects.filter(pk=movement.pk).update(created_at=when)


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client):
    assert contracts_client.get(URL).status_code == 403


def test_it_refuses_post(manager_client):
    assert manager_client.post(URL).status_code == 405


@pytest.mark.smoke
def test_it_lists_movements_newest_first(manager_client, warehouse, manager):
    product = ProductFactory(sku="LEDGER-1")
    StockMovementFactory(warehouse=warehouse, product=product, reason="first", delta=10)
    StockMovementFactory(
        warehouse=warehouse,
        product=product,
        reason="second",
        kind=StockMovement.Kind.SHIPMENT,
        delta=-3,
        on_hand_after=7,
        actor=manager,
    )
    response = manager_client.get(URL)
    assert _reasons(response) == ["second", "first"]
    body = response.content.decode()
    assert '<td class="num">-3</td>' in body
    assert '<td class="num">+10</td>' in body
    assert manager.display_name in body


def test_warehouse_staff_see_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    StockMovementFactory(warehouse=warehouse, reason="ours")
    StockMovementFactory(warehouse=other_warehouse, reason="theirs")
    assert _reasons(warehouse_client.get(URL)) == ["ours"]


def test_filters_by_warehouse_product_and_kind(manager_client, warehouse, other_warehouse):
    bolt = ProductFactory(sku="BOLT-1")
    StockMovementFactory(warehouse=warehouse, product=bolt, reason="bolt in A")
    StockMovementFactory(warehouse=other_warehouse, product=bolt, reason="bolt in B")
    StockMovementFactory(
        warehouse=warehouse, reason="adjusted", kind=StockMovement.Kind.ADJUSTMENT, delta=-1
    )
    assert _reasons(manager_client.get(URL, {"warehouse": "WH-B"})) == ["bolt in B"]
    assert sorted(_reasons(manager_client.get(URL, {"product": "bolt-1"}))) == [
        "bolt in A",
        "bolt in B",
    ]
    assert _reasons(manager_client.get(URL, {"kind": "adjustment"})) == ["adjusted"]


def test_filters_by_date_range(manager_client, warehouse):
    day = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
    for offset, reason in ((-1, "before"), (0, "on the day"), (1, "after")):
        _created(
            StockMovementFactory(warehouse=warehouse, reason=reason),
            day + datetime.timedelta(days=offset),
        )
    response = manager_client.get(URL, {"date_from": "2026-03-10", "date_to": "2026-03-10"})
    assert _reasons(response) == ["on the day"]
    response = manager_client.get(URL, {"date_from": "2026-03-10"})
    assert _reasons(response) == ["after", "on the day"]


def test_a_malformed_date_shows_nothing_and_says_why(manager_client, warehouse):
    StockMovementFactory(warehouse=warehouse)
    response = manager_client.get(URL, {"date_from": "yesterday"})
    assert _reasons(response) == []
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_csv_export_neutralises_formulas(manager_client, warehouse):
    movement = StockMovementFactory(
        warehouse=warehouse,
        product=ProductFactory(sku="CSV-L"),
        reason="=cmd|' /C calc'!A0",
        delta=-4,
        on_hand_after=6,
        kind=StockMovement.Kind.SHIPMENT,
    )
    header, row = _csv_rows(manager_client.get(URL, {"format": "csv"}))
    assert header == [
        "created_at",
        "warehouse",
        "sku",
        "kind",
        "delta",
        "on_hand_after",
        "reason",
        "reference",
        "actor",
    ]
    assert row[1:] == ["WH-A", "CSV-L", "shipment", "'-4", "6", "'=cmd|' /C calc'!A0", "", ""]
    assert row[0] == movement.created_at.isoformat()


def test_staff_csv_holds_only_their_warehouses(warehouse_client, warehouse, other_warehouse):
    StockMovementFactory(warehouse=warehouse, reason="ours")
    StockMovementFactory(warehouse=other_warehouse, reason="theirs")
    _, *rows = _csv_rows(warehouse_client.get(URL, {"format": "csv"}))
    assert [row[6] for row in rows] == ["ours"]


def test_the_query_count_does_not_grow_with_rows(manager_client, warehouse, manager, queries_for):
    StockMovementFactory(warehouse=warehouse, actor=manager)
    one = queries_for(manager_client, URL)
    StockMovementFactory.create_batch(19, warehouse=warehouse, actor=manager)
    assert queries_for(manager_client, URL) == one


def test_recent_dates_use_the_local_day(manager_client, warehouse):
    StockMovementFactory(warehouse=warehouse, reason="today")
    today = timezone.localdate().isoformat()
    assert _reasons(manager_client.get(URL, {"date_from": today, "date_to": today})) == ["today"]
