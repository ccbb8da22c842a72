"""Order intake ahead of Django's request handler (WSGI), for the requests the fast path takes.

`orders.api.intake_view` answers a plain token-authenticated JSON order without DRF's dispatch.
Before it runs, Django's handler and the eleven middleware of settings.MIDDLEWARE cost about as
much CPU again as DRF did (~0.7 ms of an order's ~7). `IntakeLane(handler)` wraps the WSGI
application: a POST to the order list that could take the fast path is answered here, by the
same `_fast_intake`, with what the middleware would have done to it:

- before: Django's request_started (old connections closed), the host check of ALLOWED_HOSTS,
  and SecurityMiddleware's and CommonMiddleware's request steps (the HTTPS redirect, refused
  user agents): any answer of theirs, or a bad host, sends the request down the whole stack;
- after: SecurityMiddleware's, CommonMiddleware's and XFrameOptionsMiddleware's headers, and
  request_finished when the server closes the response, as Django does. The other middleware
  change nothing for such a request: it has no cookie (sessions, CSRF, messages), names its
  user by token (authentication, axes), and its view is an API view (the access rule, which
  DRF's HasRole and the fast path check).

Everything else goes to Django untouched, and so does everything if settings.MIDDLEWARE is not
the list this was written for: a middleware added later would be skipped here otherwise (a
warning says so at start). A request the fast path declines after reading its body goes on
to Django with that body. Tests compare the lane's answers, headers included, with Django's.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_script_name
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_script_prefix, resolve, reverse, set_script_prefix

from orders.api import intake_view

logger = logging.getLogger(__name__)

# The middleware this lane stands in for, in order (settings.MIDDLEWARE when it was written).
KNOWN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "opsportal.roles.AccessRuleMiddleware",
)


def _unused(request):  # the get_response of middleware used only for their steps
    raise AssertionError("the intake lane calls middleware steps, never the chain")


class IntakeLane:
    def __init__(self, handler: WSGIHandler) -> None:
        self.handler = handler
        self.enabled = tuple(settings.MIDDLEWARE) == KNOWN_MIDDLEWARE
        if not self.enabled:
            logger.warning(
                "Order intake lane off: settings.MIDDLEWARE is not the list it stands in for "
                "(orders.api.intake_lane.KNOWN_MIDDLEWARE); every request goes through Django."
            )
        self._security = SecurityMiddleware(_unused)
        self._common = CommonMiddleware(_unused)
        self._xframe = XFrameOptionsMiddleware(_unused)
        self._path: str | None = None
        self._rule_allow: tuple | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.enabled or not self._candidate(environ):
            return self.handler(environ, start_response)
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.handler.__class__, environ=environ)
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return self._decline(environ, request, start_response)
        if self._security.process_request(request) or self._common.process_request(request):
            return self._decline(environ, request, start_response)
        rule, allow = self._rule_allow
        try:
            response = intake_view._fast_intake(request, rule, allow)
        except Exception as exc:  # noqa: BLE001 - answered as Django's handler answers it
            response = response_for_exception(request, exc)
        if response is None:
            return self._decline(environ, request, start_response)
        response = self._security.process_response(request, response)
        response = self._common.process_response(request, response)
        response = self._xframe.process_response(request, response)
        # As WSGIHandler: the server's close() of the response sends request_finished.
        response._handler_class = self.handler.__class__
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.OutputString()) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return response

    def _candidate(self, environ: dict) -> bool:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("HTTP_COOKIE"):
            return False
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            return False
        if self._path is None:
            # PATH_INFO has no script prefix (SCRIPT_NAME), which reverse() puts in front.
            self._path = "/" + reverse("api:order-list")[len(get_script_prefix()) :]
            self._rule_allow = resolve(self._path).func.intake_rule
        return environ.get("PATH_INFO") == self._path

    def _decline(self, environ: dict, request: WSGIRequest, start_response: Callable):
        # The body, if read, goes on to Django; the fast view does not try again.
        if hasattr(request, "_body"):
            environ["wsgi.input"] = io.BytesIO(request._body)
        environ[intake_view.LANE_DECLINED] = True
        return self.handler(environ, start_response)
