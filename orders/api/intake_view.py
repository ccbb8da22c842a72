"""`POST /api/v1/orders/` without DRF's dispatch, for the requests that surely succeed there.

Order intake is the hot path, and DRF's dispatch (request wrapping, the authenticator and
permission chains, content negotiation, the response's rendering pass) costs about as much CPU
as a tenth of the intake itself. `with_fast_intake(view)` wraps the order list/create view the
router builds: a POST that is plainly a token-authenticated JSON order a manager may place,
and that `fast_order_input` accepts, is answered here, with the bytes, status and headers DRF
would send (tested side by side). Everything else goes to the DRF view untouched: other
methods, session cookies (DRF tries SessionAuthentication first, with its CSRF check), any
other Authorization, content type, Accept or query string, a bad token or role (DRF answers
401/403), any body in doubt, and every error the service raises (DRF runs it again and answers
400/409; an intake that fails changes nothing, so running it twice is safe). In the web
server, `orders.api.intake_lane` runs `_fast_intake` even earlier, ahead of Django's handler.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from opsportal import roles
from opsportal.authentication import TokenAuthentication

_JSON = "application/json"
_CONTENT_TYPES = {_JSON, "application/json; charset=utf-8", "application/json;charset=utf-8"}
_ACCEPTED = {"", "*/*", _JSON}
# Set in the WSGI environ by orders.api.intake_lane for a request it tried and passed on.
LANE_DECLINED = "opsportal.intake_lane.declined"


def with_fast_intake(view: Callable, viewset: type) -> Callable:
    """The router's list/create view of `viewset`, with the intake fast path in front."""
    rule = viewset.write_roles
    methods = {*view.actions, "options"} | ({"head"} if "get" in view.actions else set())
    allow = ", ".join(m.upper() for m in viewset.http_method_names if m in methods)

    @functools.wraps(view)  # keeps cls, actions, initkwargs, csrf_exempt: DRF's and ours
    def fast_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST" and not request.META.get(LANE_DECLINED):
            response = _fast_intake(request, rule, allow)
            if response is not None:
                return response
        return view(request, *args, **kwargs)

    fast_view.intake_rule = (rule, allow)  # for orders.api.intake_lane
    return fast_view


def render(body: dict) -> bytes:
    """The bytes DRF's JSONRenderer gives for the intake's answer, written by orjson: compact,
    UTF-8, U+2028 and U+2029 escaped as DRF escapes them. The answer holds only text, integers,
    booleans, None, lists and dicts (no floats), which both write alike (tested); a value
    orjson cannot write goes to DRF's renderer."""
    try:
        out = orjson.dumps(body)
    except TypeError:
        return JSONRenderer().render(body)
    if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
        out = out.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    return out


def _fast_intake(request: HttpRequest, rule: tuple, allow: str) -> HttpResponse | None:
    from orders import services
    from orders.api.orders import _intake_body
    from orders.intake import fast_order_input

    meta = request.META
    auth = meta.get("HTTP_AUTHORIZATION", "").split()
    if (
        len(auth) != 2
        or auth[0] != "Token"
        or meta.get("QUERY_STRING")
        or meta.get("CONTENT_TYPE", "").lower() not in _CONTENT_TYPES
        or meta.get("HTTP_ACCEPT", "") not in _ACCEPTED
        or settings.SESSION_COOKIE_NAME in request.COOKIES
    ):
        return None
    try:
        user, _token = TokenAuthentication().authenticate_credentials(auth[1])
    except exceptions.AuthenticationFailed:
        return None
    if not roles.rule_allows(rule, user):
        return None
    try:
        # Strict JSON in UTF-8: NaN, Infinity, lone surrogates and integers past 64 bits are
        # refused here (DRF decides about them).
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return None
    data = fast_order_input(body)
    if data is None:
        return None
    request.user = user  # as DRF does, for what runs after the view
    try:
        result = services.order_intake(data=data, by=user)
    except ValidationError:
        return None
    response = HttpResponse(
        render(_intake_body(result)),
        status=201 if result.created else 200,
        content_type=_JSON,
    )
    response["Location"] = f"{request.path}{result.order.number}/"
    # DRF's answer varies with Accept (negotiation) and, as its session check reads the
    # session, with Cookie (a session cookie would change who is asking).
    response["Vary"] = "Accept, Cookie"
    response["Allow"] = allow
    return response
