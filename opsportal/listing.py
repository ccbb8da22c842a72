"""What every list page shares: pagination, CSV export with neutralised formulas."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, StreamingHttpResponse

PAGE_SIZES = (25, 50, 100, 200)

# Cells a spreadsheet would run as a formula (CSV injection); prefixed with a quote on export.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def paginate(request: HttpRequest, queryset, *, default_size: int = 50) -> Page:
    """One page of the queryset; ?page= and ?size= from the request, bad values fall back."""
    try:
        size = int(request.GET.get("size", default_size))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """Stream rows as CSV (UTF-8 with BOM so spreadsheets read accents), formulas neutralised."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def querystring_without(request: HttpRequest, *keys: str) -> str:
    """The current query string minus some keys (for pagination and sort links)."""
    params = request.GET.copy()
    for key in keys:
        params.pop(key, None)
    return params.urlencode()


def wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def csv_url(request: HttpRequest) -> str:
    """This list's CSV export: the same filters, every page."""
    query = querystring_without(request, "page", "format")
    return f"?{query}&format=csv" if query else "?format=csv"


def list_template(request: HttpRequest, name: str) -> str:
    """The whole page, or only its `results` partial for an HTMX request (filters, polling)."""
    return f"{name}#results" if getattr(request, "htmx", False) else name


def list_context(request: HttpRequest, filterset, rows=None, **extra) -> dict:
    """What every list template reads: the filter form, one page, the query strings."""
    return {
        "filter": filterset,
        "page_obj": paginate(request, filterset.qs if rows is None else rows),
        "querystring": querystring_without(request, "page"),
        "csv_url": csv_url(request),
        **extra,
    }
