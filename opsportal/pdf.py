"""The one way the project renders PDFs: WeasyPrint with a fetcher that never leaves the project.

Documents may load `data:` URLs and the project's own static and media files, addressed the way
templates write them (`{% static %}` gives `/static/...`, `FileField.url` gives `/media/...`).
Everything else - `file://`, `http(s)://` (loopback, metadata services, redirects), `ftp:`, path
traversal, unknown schemes - is refused before any connection or file access is attempted.
WeasyPrint logs the failed fetch and renders the document without that resource.

WeasyPrint is imported inside the functions: `import weasyprint` costs 0.36 s and 41 MB
(PERFORMANCE.md), which the web process should pay only when it actually renders.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import DataHandler, Request

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

if TYPE_CHECKING:
    from django.http import HttpRequest
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs (`/static/pdf/pdf.css`, `../img/logo.png` inside a stylesheet) need a base URL,
# and WeasyPrint resolves them with urllib's urljoin, which only resolves against schemes it
# knows: a private scheme such as `opsportal-internal:/` leaves `/static/x.css` unresolved.
# So the base is an https origin under `.invalid`, a TLD reserved never to resolve (RFC 6761).
# Only this fetcher recognises the origin and maps it to storage; no code path sends it to the
# network, and if one ever did, DNS would fail rather than reach a host.
INTERNAL_BASE_URL = "https://pdf.opsportal.invalid/"
_INTERNAL_ORIGIN = urlsplit(INTERNAL_BASE_URL)

# Fetch failures are logged with the URL; a data: URL can be megabytes long.
_LOGGED_URL_LENGTH = 200


class PDFResourceRefused(ValueError):
    """A document asked for a resource outside the project's static and media files."""


class PDFResourceNotFound(FileNotFoundError):
    """A document asked for a static or media file that does not exist."""


def safe_url_fetcher(url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
    """Return a `data:`, static or media resource for WeasyPrint; raise for anything else."""
    from weasyprint.urls import URLFetcherResponse

    # Headers are for HTTP requests, which this fetcher never makes.
    del headers
    try:
        if url[:5].lower() == "data:":
            body, content_type = _read_data_url(url)
            canonical_url = url
        else:
            canonical_url, body, content_type = _read_project_file(url)
    except PDFResourceRefused as refusal:
        logger.warning("Refused to fetch %s for a PDF: %s", _shorten(url), refusal)
        raise
    except PDFResourceNotFound:
        logger.warning("No such file for a PDF: %s", _shorten(url))
        raise
    return URLFetcherResponse(canonical_url, body=body, headers={"Content-Type": content_type})


def _read_data_url(url: str) -> tuple[bytes, str]:
    """Decode a `data:` URL with urllib's own parser, called directly: no opener is involved."""
    try:
        # Only the data: handler runs here, on a URL whose scheme the caller checked.
        response = DataHandler().data_open(Request(url))  # noqa: S310
    except ValueError as error:
        raise PDFResourceRefused(f"malformed data: URL ({error})") from error
    return response.read(), response.headers.get("Content-Type", "text/plain")


def _read_project_file(url: str) -> tuple[str, bytes, str]:
    """Map an internal `/static/...` or `/media/...` URL to its bytes, refusing anything else."""
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise PDFResourceRefused("malformed URL") from error
    # Exact scheme and netloc: a port, user info or another host is a different origin.
    if (parts.scheme.lower(), parts.netloc.lower()) != (
        _INTERNAL_ORIGIN.scheme,
        _INTERNAL_ORIGIN.netloc,
    ):
        raise PDFResourceRefused("only data: URLs and the project's static and media files")

    path = parts.path
    static_prefix = urlsplit(settings.STATIC_URL).path
    media_prefix = urlsplit(settings.MEDIA_URL).path
    if static_prefix and path.startswith(static_prefix):
        name = _storage_name(path.removeprefix(static_prefix))
        body = _read_static_file(name)
    elif media_prefix and path.startswith(media_prefix):
        name = _storage_name(path.removeprefix(media_prefix))
        body = _read_media_file(name)
    else:
        raise PDFResourceRefused("path is outside STATIC_URL and MEDIA_URL")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # The query and fragment are dropped so cache-busting suffixes still find the file.
    return f"{INTERNAL_BASE_URL.rstrip('/')}{path}", body, content_type


def _storage_name(encoded_name: str) -> str:
    """Decode a storage name from a URL path, refusing anything that could leave the root."""
    try:
        name = unquote(encoded_name, errors="strict")
    except UnicodeDecodeError as error:
        raise PDFResourceRefused("path is not UTF-8") from error
    # A `%` left after decoding means double encoding (`%252e%252e`): no project file has one.
    if not name or any(char in name for char in ("\\", "\x00", "%")):
        raise PDFResourceRefused("unsafe characters in path")
    # Empty segments catch absolute names and `//`; dot segments catch traversal, encoded or not.
    if any(segment in ("", ".", "..") for segment in name.split("/")):
        raise PDFResourceRefused("path traversal")
    return name


def _read_static_file(name: str) -> bytes:
    """Read a static file the way the site serves it: finders first, then collected files."""
    try:
        # Finders serve the source files in development; the storage holds the collected (and,
        # in production, hashed) names that `{% static %}` produces after collectstatic.
        found = finders.find(name)
        if found:
            return Path(found).read_bytes()
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as static_file:
                return static_file.read()
    except SuspiciousFileOperation as error:
        raise PDFResourceRefused("path escapes the static files") from error
    raise PDFResourceNotFound(f"static file {name!r} not found")


def _read_media_file(name: str) -> bytes:
    """Read an uploaded file through the default storage (local disk or object storage)."""
    try:
        if default_storage.exists(name):
            with default_storage.open(name) as media_file:
                return media_file.read()
    except SuspiciousFileOperation as error:
        raise PDFResourceRefused("path escapes the media files") from error
    raise PDFResourceNotFound(f"media file {name!r} not found")


def _shorten(url: str) -> str:
    """Return the URL cut to a length fit for a log line."""
    if len(url) <= _LOGGED_URL_LENGTH:
        return url
    return f"{url[:_LOGGED_URL_LENGTH]}…"


_lock = threading.Lock()
_font_config: FontConfiguration | None = None
_url_fetcher: URLFetcher | None = None
# A FontConfiguration made before a fork (Celery prefork) must not be shared with the children.
_owner_pid: int | None = None


def get_font_config() -> FontConfiguration:
    """Return this process's FontConfiguration, creating it on first use."""
    # One per process keeps a long-lived worker's memory flat (+25 MB per 100 renders otherwise).
    global _font_config, _owner_pid
    with _lock:
        if _font_config is None or _owner_pid != os.getpid():
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
            _owner_pid = os.getpid()
        return _font_config


def get_url_fetcher() -> URLFetcher:
    """Return this process's WeasyPrint fetcher, which delegates every URL to safe_url_fetcher."""
    global _url_fetcher
    with _lock:
        if _url_fetcher is None:
            _url_fetcher = _make_url_fetcher()
        return _url_fetcher


def _make_url_fetcher() -> URLFetcher:
    """Build the fetcher; the class is defined here because its base lives in weasyprint."""
    from weasyprint.urls import URLFetcher

    class SafeURLFetcher(URLFetcher):
        """WeasyPrint 70 fetcher (a URLFetcher subclass, as its docs ask) that never opens URLs."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
            return safe_url_fetcher(url, headers)

    # No protocols and no redirects for the inherited opener, in case anything reached it;
    # fail_on_errors=False lets WeasyPrint skip a refused resource and finish the document.
    return SafeURLFetcher(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)


def render_html_to_pdf(html: str, *, stylesheets: list[str] | None = None) -> bytes:
    """Render an HTML string to PDF bytes; stylesheets are URLs such as `static("pdf/x.css")`."""
    import weasyprint

    url_fetcher = get_url_fetcher()
    font_config = get_font_config()
    extra_stylesheets = [
        weasyprint.CSS(
            url=urljoin(INTERNAL_BASE_URL, stylesheet),
            url_fetcher=url_fetcher,
            font_config=font_config,
        )
        for stylesheet in stylesheets or ()
    ]
    document = weasyprint.HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=url_fetcher)
    return document.write_pdf(stylesheets=extra_stylesheets, font_config=font_config)


def render_template_to_pdf(
    template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None
) -> bytes:
    """Render a Django template, then its HTML to PDF bytes."""
    html = render_to_string(template_name, context, request=request)
    return render_html_to_pdf(html)
