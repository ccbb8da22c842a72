"""Small test helpers: query counts, rows on a page, CSV bodies."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(client, url: str, **extra) -> int:
    """How many queries one GET (including a streamed body) runs; the response must be 200."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
        assert response.status_code == 200, response.status_code
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries)


def count_rows(response, testid: str) -> int:
    return response.content.decode().count(f'data-testid="{testid}"')


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))
