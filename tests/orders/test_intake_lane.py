"""The intake lane (orders.api.intake_lane) answers the fast path's orders ahead of Django's
handler exactly as the whole stack would, headers included, and hands everything else, its
body intact, to Django."""

from __future__ import annotations

import json
import logging
from unittest import mock

import pytest
from django.core import signals
from django.core.handlers.base import BaseHandler
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from opsportal import wsgi
from orders import services
from orders.api.intake_lane import IntakeLane
from orders.models import Order
from tests.orders.conftest import order_body

URL = "/api/v1/orders/"


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """As Django's test client: the WSGI application's request signals would close the
    connection that holds the test's transaction."""
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(manager) -> str:
    return Token.objects.create(user=manager).key


@pytest.fixture
def stocked(world):
    world.receive(world.chicago, world.widget, 10)
    return world


@pytest.fixture
def handled():
    """Counts the requests that went through Django's handler (and its middleware)."""
    with mock.patch.object(
        BaseHandler, "get_response", autospec=True, side_effect=BaseHandler.get_response
    ) as spy:
        yield spy


class Answer:
    def __init__(self, app, environ):
        self.started = {}

        def start_response(status, headers):
            self.started = {"status": status, "headers": headers}

        response = app(environ, start_response)
        self.content = b"".join(response)
        response.close()
        self.status = int(self.started["status"].split()[0])
        self.headers = dict(self.started["headers"])

    def comparable(self) -> tuple:
        body = json.loads(self.content)
        text = json.dumps(body).replace(body["number"], "<number>")
        text = text.replace(body["external_ref"], "<ref>")
        body = json.loads(text)
        for shipment in body["shipments"]:
            shipment["id"] = "<id>"
        headers = dict(self.headers)
        headers["Location"] = headers["Location"].replace(json.loads(self.content)["number"], "")
        headers.pop("Content-Length")  # the numbers differ in length
        return self.status, self.started["status"], headers, body


def _environ(body, *, token=None, path=URL, method="post", **extra) -> dict:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Token {token}"
    factory = RequestFactory()
    if method == "get":
        return factory.get(path, **extra).environ
    return factory.post(path, data, content_type="application/json", **extra).environ


def test_the_lane_answers_as_the_whole_stack_does_without_the_handler(token, stocked, handled):
    lane = Answer(wsgi.application, _environ(order_body("LANE-1"), token=token))
    repeat_lane = Answer(wsgi.application, _environ(order_body("LANE-1"), token=token))
    assert handled.call_count == 0
    stack = Answer(wsgi.django_application, _environ(order_body("STACK-1"), token=token))
    repeat_stack = Answer(wsgi.django_application, _environ(order_body("STACK-1"), token=token))
    assert handled.call_count == 2

    assert (lane.status, repeat_lane.status) == (201, 200)
    assert lane.comparable() == stack.comparable()
    assert repeat_lane.comparable() == repeat_stack.comparable()
    assert lane.headers["X-Frame-Options"] == "DENY"  # the middleware's headers are there
    assert lane.headers["X-Content-Type-Options"] == "nosniff"
    assert int(lane.headers["Content-Length"]) == len(lane.content)
    assert Order.objects.count() == 2


def test_the_lane_closes_the_request_as_django_does(token, stocked):
    finished = mock.Mock()
    signals.request_finished.connect(finished)
    try:
        Answer(wsgi.application, _environ(order_body("LANE-2"), token=token))
    finally:
        signals.request_finished.disconnect(finished)
    assert finished.call_count == 1


@pytest.mark.parametrize(
    ("case", "environ_kwargs", "status"),
    [
        ("unknown SKU: the fast path declines after reading the body", {"sku": "NOPE"}, 400),
        ("a cookie", {"HTTP_COOKIE": "sessionid=x"}, 201),
        ("another path", {"path": URL + "?page=1"}, 201),
        ("a host not allowed", {"HTTP_HOST": "evil.example"}, 400),
        ("a token that is not one", {"token": "0" * 40}, 403),
    ],
)
def test_what_the_lane_does_not_take_goes_to_django_with_its_body(
    token, stocked, handled, case, environ_kwargs, status
):
    body = order_body(f"DECLINE-{len(case)}")
    if "sku" in environ_kwargs:
        body["lines"][0]["sku"] = environ_kwargs.pop("sku")
    kwargs = {"token": token, **environ_kwargs}
    answer = Answer(wsgi.application, _environ(body, **kwargs))
    assert handled.call_count == 1, case
    assert answer.status == status, (case, answer.content)
    if status == 400 and "sku" in case:
        assert b"NOPE" in answer.content  # DRF read the same body and named the SKU


def test_the_https_redirect_is_left_to_django(token, stocked, handled, settings):
    from django.core.handlers.wsgi import WSGIHandler

    settings.SECURE_SSL_REDIRECT = True  # middleware read their settings when they are made
    application = IntakeLane(WSGIHandler())
    answer = Answer(application, _environ(order_body("TLS-1"), token=token))
    assert answer.status == 301
    assert handled.call_count == 1
    assert not Order.objects.exists()


def test_an_error_in_the_intake_is_answered_as_django_answers_it(token, stocked, handled, caplog):
    with (
        mock.patch.object(services, "order_intake", side_effect=RuntimeError("database gone")),
        caplog.at_level(logging.ERROR, logger="django.request"),
    ):
        answer = Answer(wsgi.application, _environ(order_body("ERR-1"), token=token))
    assert answer.status == 500
    assert handled.call_count == 0  # not run a second time through Django
    assert "database gone" in caplog.text


def test_with_other_middleware_the_lane_stays_off(token, stocked, handled, settings, caplog):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    with caplog.at_level(logging.WARNING, logger="orders.api.intake_lane"):
        lane = IntakeLane(wsgi.django_application)
    assert not lane.enabled
    assert "Order intake lane off" in caplog.text
    settings.MIDDLEWARE = settings.MIDDLEWARE[:-1]
    answer = Answer(lane, _environ(order_body("OFF-1"), token=token))
    assert answer.status == 201
    assert handled.call_count == 1


def test_the_projects_wsgi_application_has_the_lane_on():
    assert isinstance(wsgi.application, IntakeLane)
    assert wsgi.application.enabled


def test_the_lane_takes_orders_under_a_script_prefix(token, stocked, handled):
    from django.urls import set_script_prefix

    set_script_prefix("/ops/")  # as a request under SCRIPT_NAME=/ops left it in this thread
    try:
        lane = IntakeLane(wsgi.django_application)
        answer = Answer(lane, _environ(order_body("PREFIX-1"), token=token, SCRIPT_NAME="/ops"))
    finally:
        set_script_prefix("/")
    assert answer.status == 201
    assert handled.call_count == 0
    assert answer.headers["Location"].startswith("/ops/api/v1/orders/")
