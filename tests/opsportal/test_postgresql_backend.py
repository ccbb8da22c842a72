"""opsportal.postgresql: Django's health check, skipped for a connection that just worked."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from opsportal.postgresql import base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _request_ends_after_using_the_database() -> None:
    connection.health_check_done = True
    connection.close_if_unusable_or_obsolete()


def test_the_probe_is_skipped_within_a_second_of_a_request_that_worked(monkeypatch):
    assert connection.settings_dict["ENGINE"] == "opsportal.postgresql"
    connection.ensure_connection()
    clock = [1000.0]
    monkeypatch.setattr(base.time, "monotonic", lambda: clock[0])
    with mock.patch.object(base.DatabaseWrapper, "is_usable", return_value=True) as probe:
        _request_ends_after_using_the_database()
        clock[0] += 0.5
        connection.close_if_health_check_failed()  # the next request's first query
        assert probe.call_count == 0
        assert connection.health_check_done

        _request_ends_after_using_the_database()
        clock[0] += 1.5
        connection.close_if_health_check_failed()  # idle longer: probed as Django does
        assert probe.call_count == 1


def test_a_request_that_had_a_database_error_leaves_the_next_one_probed(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(base.time, "monotonic", lambda: 2000.0)
    with mock.patch.object(base.DatabaseWrapper, "is_usable", return_value=False) as probe:
        connection.health_check_done = True
        connection.errors_occurred = True
        connection.close_if_unusable_or_obsolete()  # Django tests it: unusable, closed
    assert probe.call_count == 1
    assert connection.connection is None
    assert connection._fresh_until == 0.0
