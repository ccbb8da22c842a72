"""Safety incidents: staff scoping, filters, days since the last lost-time incident."""

import datetime

from django.urls import reverse
from django.utils import timezone

from quality.models import SafetyIncident
from quality.selectors import days_since_lost_time
from tests.factories import SafetyIncidentFactory, WarehouseFactory

URL = reverse("quality:incident_list")


def _days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _pks(response) -> set[int]:
    return {incident.pk for incident in response.context["page_obj"]}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contract_admins_are_refused(contracts_client):
    assert contracts_client.get(URL).status_code == 403


def test_it_refuses_post(manager_client):
    assert manager_client.post(URL).status_code == 405


def test_warehouse_staff_see_only_their_warehouses_incidents_and_cards(
    warehouse_client, warehouse, other_warehouse
):
    mine = SafetyIncidentFactory(warehouse=warehouse, description="Forklift clipped rack")
    SafetyIncidentFactory(warehouse=other_warehouse, description="Elsewhere")
    response = warehouse_client.get(URL)
    assert _pks(response) == {mine.pk}
    assert [s.warehouse.code for s in response.context["lost_time"]] == ["WH-A"]
    body = response.content.decode()
    assert "Forklift clipped rack" in body
    assert "Elsewhere" not in body


def test_managers_see_every_warehouse(manager_client, warehouse, other_warehouse):
    here = SafetyIncidentFactory(warehouse=warehouse)
    there = SafetyIncidentFactory(warehouse=other_warehouse)
    response = manager_client.get(URL)
    assert _pks(response) == {here.pk, there.pk}
    assert [s.warehouse.code for s in response.context["lost_time"]] == ["WH-A", "WH-B"]


def test_days_since_lost_time_counts_only_incidents_with_lost_days(warehouse, other_warehouse):
    SafetyIncidentFactory(warehouse=warehouse, occurred_at=_days_ago(40), lost_days=3)
    SafetyIncidentFactory(warehouse=warehouse, occurred_at=_days_ago(12), lost_days=1)
    SafetyIncidentFactory(warehouse=warehouse, occurred_at=_days_ago(2), lost_days=0)
    SafetyIncidentFactory(warehouse=other_warehouse, occurred_at=_days_ago(1), lost_days=0)
    WarehouseFactory(code="WH-OFF", is_active=False)
    summaries = {s.warehouse.code: s.days for s in days_since_lost_time(None)}
    assert summaries == {"WH-A": 12, "WH-B": None}
    only_a = days_since_lost_time({warehouse.pk})
    assert [(s.warehouse.code, s.days) for s in only_a] == [("WH-A", 12)]


def test_the_cards_show_the_days(manager_client, warehouse):
    SafetyIncidentFactory(warehouse=warehouse, occurred_at=_days_ago(7), lost_days=2)
    body = manager_client.get(URL).content.decode()
    assert '<div class="figure" data-testid="days-since">7</div>' in body


def test_it_filters_by_kind_severity_lost_time_warehouse_and_dates(
    manager_client, warehouse, other_warehouse
):
    injury = SafetyIncidentFactory(
        warehouse=warehouse,
        kind=SafetyIncident.Kind.INJURY,
        severity=SafetyIncident.Severity.HIGH,
        lost_days=4,
        occurred_at=_days_ago(20),
    )
    near_miss = SafetyIncidentFactory(warehouse=other_warehouse, occurred_at=_days_ago(1))
    assert _pks(manager_client.get(URL, {"kind": "injury"})) == {injury.pk}
    assert _pks(manager_client.get(URL, {"severity": "high"})) == {injury.pk}
    assert _pks(manager_client.get(URL, {"lost_time": "true"})) == {injury.pk}
    assert _pks(manager_client.get(URL, {"lost_time": "false"})) == {near_miss.pk}
    assert _pks(manager_client.get(URL, {"warehouse": other_warehouse.pk})) == {near_miss.pk}
    since = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    assert _pks(manager_client.get(URL, {"occurred_after": since})) == {near_miss.pk}
    assert _pks(manager_client.get(URL, {"occurred_before": since})) == {injury.pk}


def test_the_list_costs_the_same_queries_for_1_and_20_rows(manager_client, queries_for):
    SafetyIncidentFactory(warehouse=WarehouseFactory(), lost_days=1)
    one = queries_for(manager_client, URL)
    for _ in range(19):
        SafetyIncidentFactory(warehouse=WarehouseFactory(), lost_days=1)
    assert queries_for(manager_client, URL) == one
