"""The intake fast path (orders.api.intake_view) answers exactly as DRF would, and leaves every
request it is not sure of to DRF."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.views import APIView

from orders.api import intake_view
from orders.models import Order
from tests.orders.conftest import order_body

URL = "/api/v1/orders/"


@pytest.fixture
def token(manager) -> str:
    return Token.objects.create(user=manager).key


@pytest.fixture
def dispatches():
    """Counts the requests DRF's dispatch handled."""
    with mock.patch.object(APIView, "dispatch", autospec=True, side_effect=APIView.dispatch) as spy:
        yield spy


def _post(body, *, token: str | None = None, content_type="application/json", **extra):
    client = Client(**({"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}))
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL + extra.pop("query", ""), data, content_type=content_type, **extra)


def _comparable(response) -> tuple:
    body = response.json()
    number = body["number"]
    text = json.dumps(body).replace(number, "<number>").replace(body["external_ref"], "<ref>")
    headers = {k: v for k, v in response.headers.items() if k not in ("Content-Length",)}
    headers["Location"] = headers["Location"].replace(number, "<number>")
    body = json.loads(text)
    for shipment in body["shipments"]:
        shipment["id"] = "<id>"  # the two orders' shipments
    return response.status_code, headers, body


def test_a_plain_token_json_order_skips_drf_and_answers_as_drf_does(
    token, world, dispatches, monkeypatch
):
    world.receive(world.chicago, world.widget, 10)

    fast = _post(order_body("FAST-1"), token=token)
    repeat_fast = _post(order_body("FAST-1"), token=token)
    assert dispatches.call_count == 0
    monkeypatch.setattr(intake_view, "_fast_intake", lambda *args: None)
    slow = _post(order_body("SLOW-1"), token=token)
    repeat_slow = _post(order_body("SLOW-1"), token=token)
    assert dispatches.call_count == 2

    assert fast.status_code == 201
    assert repeat_fast.status_code == 200
    assert _comparable(fast) == _comparable(slow)
    assert _comparable(repeat_fast) == _comparable(repeat_slow)
    assert fast.content.count(b" ") == slow.content.count(b" ")  # DRF's compact rendering
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    ("case", "request_kwargs", "status"),
    [
        ("no token", {"token": None}, 403),  # DRF: no credentials with SessionAuthentication
        ("bad token", {"token": "nope"}, 403),  # DRF: 403, as SessionAuthentication is first
        ("query string", {"query": "?format=json"}, 201),
        ("other content type", {"content_type": "text/plain"}, 415),
        ("browsable API", {"HTTP_ACCEPT": "text/html"}, 201),
        ("NaN", {"body": b'{"channel": NaN}'}, 400),
        ("not UTF-8", {"body": '{"channel": "web"}'.encode("utf-16")}, 400),
        (
            "in doubt",
            {"body": {**order_body("D-1"), "lines": [{"sku": "NOPE", "quantity": 1}]}},
            400,
        ),
    ],
)
def test_what_the_fast_path_is_not_sure_of_goes_to_drf(
    case, request_kwargs, status, token, world, dispatches
):
    world.receive(world.chicago, world.widget, 10)
    kwargs = dict(request_kwargs)
    body = kwargs.pop("body", order_body(f"DRF-{case}"))
    kwargs.setdefault("token", token)

    response = _post(body, **kwargs)

    assert response.status_code == status, response.content
    assert dispatches.call_count == 1


def test_a_role_that_may_not_take_orders_gets_drfs_403(warehouse_staff, world, dispatches):
    token = Token.objects.create(user=warehouse_staff).key

    response = _post(order_body("STAFF-1"), token=token)

    assert response.status_code == 403
    assert dispatches.call_count == 1
    assert not Order.objects.exists()


def test_a_session_cookie_goes_to_drf(manager_client, world, dispatches):
    world.receive(world.chicago, world.widget, 10)

    response = manager_client.post(URL, order_body("SESSION-1"), content_type="application/json")

    assert response.status_code == 201
    assert dispatches.call_count == 1


def test_an_error_of_the_service_is_answered_by_drf(token, world, dispatches, monkeypatch):
    from django.core.exceptions import ValidationError

    from orders import services

    def refuse(**kwargs):
        raise ValidationError({"lines": "No warehouse is active."})

    monkeypatch.setattr(services, "order_intake", refuse)

    response = _post(order_body("ERR-1"), token=token)

    assert response.status_code == 400
    assert response.json() == {"lines": ["No warehouse is active."]}
    assert dispatches.call_count == 1


def test_the_fast_answer_is_written_byte_for_byte_as_drf_writes_it():
    from decimal import Decimal

    from rest_framework.renderers import JSONRenderer

    tricky = {
        "name": 'Zoë "Q" \\ 山田 🚚 \u2028 \u2029 /tab\tnew\nline\x01\x7f',
        "n": [0, -1, 2**53, True, False, None],
        "nested": {"empty": [], "obj": {}, "é": "ü"},
    }
    assert intake_view.render(tricky) == JSONRenderer().render(tricky)
    assert intake_view.render({"price": Decimal("1.50")}) == JSONRenderer().render(
        {"price": Decimal("1.50")}
    )  # a value orjson cannot write: DRF's renderer writes it
