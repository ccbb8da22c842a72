"""Helpers shared by the inventory tests."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def queries_for() -> Callable:
    """How many queries one GET costs (after a warm-up, so caches are equal between runs)."""

    def measure(client, url: str, **extra) -> int:
        assert client.get(url, **extra).status_code == 200
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, **extra)
            assert response.status_code == 200
        return len(context)

    return measure
