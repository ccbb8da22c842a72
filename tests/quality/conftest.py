"""Helpers shared by the quality tests."""

import csv
import io
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
            if response.streaming:
                b"".join(response.streaming_content)
        return len(context)

    return measure


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))
