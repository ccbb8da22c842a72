"""POST /api/v1/orders/: intake routed, reserved and quoted; idempotent; 400s that name the field."""

from __future__ import annotations

import copy
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel
from orders.models import Allocation, CustomerEmail, Order, OrderEvent, Shipment
from tests.orders.conftest import order_body

URL = "/api/v1/orders/"


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


def test_the_url_is_the_order_list(db):
    assert reverse("api:order-list") == URL


@pytest.mark.smoke
def test_an_order_is_routed_reserved_quoted_and_answered_with_201(manager_client, world):
    world.receive(world.chicago, world.widget, 10)

    response = post(manager_client, order_body())

    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert response["Location"] == f"{URL}{order.number}/"
    assert body["status"] == order.status == Order.Status.ALLOCATED
    assert body["lines"] == [
        {"sku": "WIDGET", "quantity": 2, "unit_price": "19.99", "allocated": 2, "backordered": 0}
    ]
    assert body["shipments"][0]["warehouse"] == "WH-CHI"
    assert body["shipments"][0]["carrier"] == "ACME"
    assert body["routing"]["chosen"] == ["WH-CHI"]
    assert str(order.total_amount) == "39.98"
    level = StockLevel.objects.get(warehouse=world.chicago, product=world.widget)
    assert (level.on_hand, level.reserved) == (10, 2)
    (allocation,) = Allocation.objects.filter(order_line__order=order)
    assert (allocation.warehouse, allocation.quantity) == (world.chicago, 2)
    (shipment,) = order.shipments.all()
    assert shipment.status == Shipment.Status.PENDING
    assert [(sl.order_line.product.sku, sl.quantity) for sl in shipment.lines.all()] == [
        ("WIDGET", 2)
    ]
    assert shipment.carrier_service == world.ground  # cheaper and meets the promise
    assert {q["service"] for q in shipment.quotes} == {"GND", "NXT"}
    assert order.promised_ship_date
    assert order.promised_delivery_date
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds[:4] == [
        OrderEvent.Kind.RECEIVED,
        OrderEvent.Kind.ROUTED,
        OrderEvent.Kind.ALLOCATED,
        OrderEvent.Kind.CARRIER_CHOSEN,
    ]
    (email,) = CustomerEmail.objects.filter(order=order)
    assert email.kind == CustomerEmail.Kind.ORDER_RECEIVED


def test_order_numbers_follow_each_other(manager_client, world):
    world.receive(world.chicago, world.widget, 10)
    first = post(manager_client, order_body("W-1")).json()["number"]
    second = post(manager_client, order_body("W-2")).json()["number"]
    assert first.startswith("SO-")
    assert len(first) == 10
    assert int(second[3:]) == int(first[3:]) + 1


def test_the_same_order_posted_twice_is_one_order_with_the_same_answer(manager_client, world):
    world.receive(world.chicago, world.widget, 10)

    first = post(manager_client, order_body())
    again = post(manager_client, order_body())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(warehouse=world.chicago, product=world.widget).reserved == 2


def test_the_same_reference_on_another_channel_is_another_order(manager_client, world):
    world.receive(world.chicago, world.widget, 10)
    post(manager_client, order_body())
    response = post(manager_client, order_body(channel="marketplace"))
    assert response.status_code == 201
    assert Order.objects.count() == 2


def test_what_no_warehouse_has_is_backordered_and_the_customer_told(manager_client, world):
    world.receive(world.chicago, world.widget, 1)

    response = post(
        manager_client,
        order_body(lines=[{"sku": "WIDGET", "quantity": 3, "unit_price": "5.00"}]),
    )

    body = response.json()
    assert body["status"] == Order.Status.PARTIALLY_ALLOCATED
    assert body["lines"][0]["allocated"] == 1
    assert body["lines"][0]["backordered"] == 2
    order = Order.objects.get(number=body["number"])
    assert set(order.emails.values_list("kind", flat=True)) == {
        CustomerEmail.Kind.ORDER_RECEIVED,
        CustomerEmail.Kind.BACKORDERED,
    }
    assert "backordered: WIDGET ×2" in order.routing["reason"]


def test_nothing_in_stock_anywhere_is_backordered(manager_client, world):
    body = post(manager_client, order_body()).json()
    assert body["status"] == Order.Status.BACKORDERED
    assert body["shipments"] == []


def test_unicode_names_and_addresses_round_trip_exactly(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    body = order_body()
    body["customer"]["name"] = "Zoë Ångström-Łukasiewicz 山田太郎 👩‍🚀"
    body["ship_to"]["name"] = "Ñandú Çelik"
    body["ship_to"]["line1"] = "Straße 1 — «Hôtel» 東京"
    body["ship_to"]["city"] = "Chicago ☃"

    answer = post(manager_client, body).json()

    assert answer["customer"]["name"] == body["customer"]["name"]
    assert answer["ship_to"]["line1"] == body["ship_to"]["line1"]
    detail = manager_client.get(f"{URL}{answer['number']}/").json()
    assert detail["customer_name"] == body["customer"]["name"]
    assert detail["ship_to_name"] == "Ñandú Çelik"
    assert detail["ship_to_city"] == "Chicago ☃"


def _errors(client, body) -> dict:
    response = post(client, body)
    assert response.status_code == 400, response.content
    return response.json()


def test_an_unknown_sku_is_named_by_its_line(manager_client, world):
    body = order_body(
        lines=[
            {"sku": "WIDGET", "quantity": 1, "unit_price": "1.00"},
            {"sku": "NOPE-9", "quantity": 1, "unit_price": "1.00"},
        ]
    )
    errors = _errors(manager_client, body)
    assert list(errors["lines"]) == ["1"]  # lines[1].sku
    assert "NOPE-9" in errors["lines"]["1"]["sku"][0]
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("quantity", "words"),
    [
        (0, "greater than or equal to 1"),
        (-3, "greater than or equal to 1"),
        (1.5, "whole number"),
        ("2.5", "whole number"),
        (10**30, "less than or equal to"),
        (True, "valid integer"),
        (None, "may not be null"),
    ],
)
def test_bad_quantities_are_named(manager_client, world, quantity, words):
    body = order_body(lines=[{"sku": "WIDGET", "quantity": quantity, "unit_price": "1.00"}])
    errors = _errors(manager_client, body)
    assert words in errors["lines"]["0"]["quantity"][0]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("country", "XX", "not an ISO 3166-1 country"),
        ("country", "USA", "no more than 2"),
        ("postal_code", "6270", "not a postal code of US"),
        ("postal_code", "ABCDE", "not a postal code of US"),
    ],
)
def test_bad_addresses_are_named(manager_client, world, field, value, words):
    body = order_body()
    body["ship_to"][field] = value
    errors = _errors(manager_client, body)
    assert words in errors["ship_to"][field][0]


def test_missing_fields_are_named(manager_client, world):
    body = order_body()
    del body["customer"]["email"]
    del body["ship_to"]["line1"]
    del body["external_ref"]
    body["lines"] = []
    errors = _errors(manager_client, body)
    assert "required" in errors["customer"]["email"][0]
    assert "required" in errors["ship_to"]["line1"][0]
    assert "required" in errors["external_ref"][0]
    assert errors["lines"]


def test_a_sku_twice_is_refused(manager_client, world):
    line = {"sku": "WIDGET", "quantity": 1, "unit_price": "1.00"}
    errors = _errors(manager_client, order_body(lines=[line, dict(line)]))
    assert "already on line 0" in errors["lines"]["1"]["sku"][0]


def test_a_negative_price_is_refused(manager_client, world):
    errors = _errors(
        manager_client, order_body(lines=[{"sku": "WIDGET", "quantity": 1, "unit_price": "-1"}])
    )
    assert "greater than or equal to 0" in errors["lines"]["0"]["unit_price"][0]


def test_an_unknown_postal_code_of_a_known_shape_is_placed_approximately(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    body = order_body()
    body["ship_to"]["postal_code"] = "60699"  # not in the bundled data; 606xx is Chicago
    answer = post(manager_client, body).json()
    order = Order.objects.get(number=answer["number"])
    assert order.hold_kind == ""
    assert "approximate" in order.routing["destination"]


def test_a_country_without_known_postal_codes_is_held_for_its_address(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    body = order_body()
    body["ship_to"].update(country="JP", postal_code="100-0001")
    answer = post(manager_client, body).json()
    assert answer["hold_kind"] == Order.HoldKind.ADDRESS
    assert "100-0001" in answer["hold_reason"]


def test_a_failed_payment_at_intake_puts_the_order_on_hold(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    answer = post(manager_client, order_body(payment_status="failed")).json()
    assert (answer["payment_status"], answer["hold_kind"]) == ("failed", "payment")


@pytest.mark.parametrize("client_name", ["warehouse_client", "contracts_client", "client"])
def test_only_managers_take_orders(request, world, client_name):
    client = request.getfixturevalue(client_name)
    response = post(client, order_body())
    assert response.status_code in (401, 403)
    assert Order.objects.count() == 0


def _intake_queries(client, ref: str, lines: list[dict], **headers) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = post(client, order_body(ref, lines=lines), **headers)
    assert response.status_code == 201, response.content
    # The test's own transaction turns the intake's BEGIN/COMMIT into a savepoint pair.
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.postgres
def test_intake_costs_the_same_few_queries_for_one_line_or_five(client, manager, world):
    from rest_framework.authtoken.models import Token

    from opsportal.authentication import forget_tokens
    from tests import factories

    token = Token.objects.create(user=manager)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    products = [factories.ProductFactory(sku=f"Q-{n}") for n in range(5)]
    for product in products:
        world.receive(world.chicago, product, 100)
    five_lines = [{"sku": p.sku, "quantity": 1, "unit_price": "1.00"} for p in products]
    post(client, order_body("warm-up", lines=five_lines), **auth)  # product and rate caches
    one = _intake_queries(client, "Q1", five_lines[:1], **auth)
    five = _intake_queries(client, "Q5", five_lines, **auth)
    # The token was read by the warm-up and is remembered (opsportal.authentication). Is it a
    # repeat, what stock is there, the ids and the order number (one read); the reservation
    # and every row in one statement (alone it is its own transaction: no BEGIN or COMMIT).
    assert len(one) == len(five) == 2, one
    assert five[0].startswith("SELECT (SELECT id FROM orders_order")
    assert "nextval(" in five[0]
    assert five[1].startswith("WITH \nwant AS (")
    assert "UPDATE" in five[1]
    assert "INSERT" in five[1]
    forget_tokens()  # a token not remembered costs one query more, first: its user and roles
    cold = _intake_queries(client, "Q6", five_lines, **auth)
    assert len(cold) == 3
    assert '"authtoken_token"' in cold[0]


def test_a_repeated_post_costs_few_queries(manager_client, world):
    world.receive(world.chicago, world.widget, 5)
    body = order_body()
    post(manager_client, copy.deepcopy(body))
    with CaptureQueriesContext(connection) as ctx:
        assert post(manager_client, body).status_code == 200
    assert len(ctx.captured_queries) <= 8


def test_the_intake_answer_matches_its_documented_serializer(manager_client, world):
    from orders.api.orders import IntakeResultSerializer

    world.receive(world.chicago, world.widget, 5)
    body = post(manager_client, order_body()).json()
    order = Order.objects.get(number=body["number"])
    order.intake_lines = list(order.lines.select_related("product"))
    order.intake_shipments = list(order.shipments.select_related("warehouse"))
    assert body == json.loads(json.dumps(IntakeResultSerializer(order).data))


@pytest.mark.postgres
def test_the_repeat_check_can_use_the_partial_unique_index_when_prepared(db):
    """Prepared statements get generic plans (settings: plan_cache_mode), which cannot use
    a partial index unless the query repeats its predicate: else every intake scans orders."""
    from orders.services import _EXISTING_SQL

    sql = _EXISTING_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the index when it can be used at all
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE repeat_check(varchar, varchar) AS {sql}")
        try:
            cursor.execute("EXPLAIN EXECUTE repeat_check('web', 'W-1')")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE repeat_check")
    assert "order_channel_external_ref_unique" in plan, plan


@pytest.mark.postgres
def test_a_shortfall_inside_a_callers_transaction_rolls_back_only_its_savepoint(
    manager_client, world, monkeypatch
):
    """In a transaction (here the test's), the one-statement write runs in a savepoint: its
    failure on a shortfall leaves the transaction usable, and the reserving path takes over."""
    from inventory import services as stock
    from orders import services

    world.receive(world.chicago, world.widget, 3)
    original = services._first_read

    def first_read_then_race(data, warehouses):
        result = original(data, warehouses)
        stock.stock_reserve_many(lines=[(world.chicago.pk, world.widget.pk, 2)])
        return result

    monkeypatch.setattr(services, "_first_read", first_read_then_race)
    body = order_body(lines=[{"sku": "WIDGET", "quantity": 3, "unit_price": "1.00"}])

    answer = post(manager_client, body)

    assert answer.status_code == 201, answer.content
    assert [line["allocated"] for line in answer.json()["lines"]] == [1]
    assert StockLevel.objects.get(warehouse=world.chicago, product=world.widget).reserved == 3
    assert Order.objects.count() == 1
    assert Allocation.objects.get().quantity == 1
