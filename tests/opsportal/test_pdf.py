import base64
import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pypdf
import pytest
from django.conf import settings as django_settings
from PIL import Image

from opsportal import pdf
from opsportal.pdf import (
    INTERNAL_BASE_URL,
    PDFResourceRefused,
    render_html_to_pdf,
    render_template_to_pdf,
    safe_url_fetcher,
)

PASSWD_LINE = "root:x:0:0"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _image_xobjects(data: bytes) -> list:
    """Return every image XObject used by the pages, looking inside forms and patterns too."""
    images = []

    def collect(resources) -> None:
        resources = resources.get_object() if resources else {}
        for xobject in resources.get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Image":
                images.append(xobject)
            elif xobject.get("/Subtype") == "/Form":
                collect(xobject.get("/Resources"))
        # Backgrounds are drawn through tiling patterns with their own resources.
        for pattern in resources.get("/Pattern", {}).values():
            collect(pattern.get_object().get("/Resources"))

    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        collect(page.get("/Resources"))
    return images


def _decoded_streams(data: bytes) -> bytes:
    """Return the decompressed content of every stream in the PDF, to search for leaked bytes."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    chunks = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: S112 - free entries in the xref table have no object
            continue
        if isinstance(obj, pypdf.generic.StreamObject):
            chunks.append(obj.get_data())
    return b"\n".join(chunks)


def _png_data_url() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class _CountingListener:
    """A TCP server on loopback that counts the connections it accepts."""

    def __init__(self) -> None:
        self.accepted = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            # Closed at once so a client that did connect fails fast instead of waiting.
            connection.close()

    def __enter__(self) -> "_CountingListener":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def wait_for(self, count: int) -> None:
        for _ in range(100):
            if self.accepted >= count:
                return
            time.sleep(0.02)


@pytest.fixture
def pdf_templates(settings):
    """Add in-memory templates that extend pdf/base.html."""
    rows = "".join(
        f"<tr><td>SKU-{number:03d}</td><td>Widget {number}</td><td>{number}</td></tr>"
        for number in range(120)
    )
    settings.TEMPLATES = [
        {
            **django_settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "tests/pick_list.html": (
                                '{% extends "pdf/base.html" %}'
                                "{% block content %}<p>Pick list for {{ warehouse }}</p>"
                                "<table><thead><tr><th>SKU</th><th>Product</th><th>Qty</th>"
                                "</tr></thead><tbody>" + rows + "</tbody></table>"
                                "{% endblock %}"
                            )
                        },
                    ),
                    "django.template.loaders.filesystem.Loader",
                ],
            },
        }
    ]


@pytest.mark.smoke
@pytest.mark.usefixtures("pdf_templates")
def test_it_renders_a_template_to_a_pdf_with_page_x_of_y():
    data = render_template_to_pdf(
        "tests/pick_list.html", {"title": "Pick list", "warehouse": "Springfield DC"}
    )

    reader = pypdf.PdfReader(io.BytesIO(data))
    page_count = len(reader.pages)
    assert data.startswith(b"%PDF-")
    assert page_count >= 2
    first_page = reader.pages[0].extract_text()
    last_page = reader.pages[-1].extract_text()
    assert "Pick list for Springfield DC" in first_page
    assert "SKU-000" in first_page
    assert "SKU-119" in last_page
    assert f"Page 1 of {page_count}" in first_page
    assert f"Page {page_count} of {page_count}" in last_page
    assert reader.metadata.title == "Pick list"


def test_it_applies_stylesheets_given_as_static_urls():
    without = render_html_to_pdf("<p>Count sheet</p>")
    with_stylesheet = render_html_to_pdf("<p>Count sheet</p>", stylesheets=["/static/pdf/pdf.css"])

    assert "Page 1 of 1" not in _pdf_text(without)
    assert "Page 1 of 1" in _pdf_text(with_stylesheet)


@pytest.mark.smoke
def test_it_refuses_file_urls_and_embeds_nothing_from_the_filesystem(caplog):
    assert PASSWD_LINE in Path("/etc/passwd").read_text()  # the leak this test looks for
    # A real image on disk: a fetcher that read files would embed it.
    logo_file_url = (Path(django_settings.BASE_DIR) / "static" / "img" / "logo.png").as_uri()
    with pytest.raises(PDFResourceRefused):
        safe_url_fetcher("file:///etc/passwd")
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="opsportal.pdf"):
        data = render_html_to_pdf(
            "<link rel='stylesheet' href='file:///etc/passwd'>"
            "<style>@import url('file:///etc/passwd');"
            " p::after { content: url('file:///etc/passwd'); }</style>"
            "<p>Receiving report</p><img src='file:///etc/passwd'>"
            f"<img src='FILE:/etc/passwd'><img src='{logo_file_url}'>"
            "<object data='file:///etc/passwd'></object>"
            "<link rel='attachment' href='file:///etc/passwd'>"
        )

    assert "Receiving report" in _pdf_text(data)
    assert _image_xobjects(data) == []
    assert pypdf.PdfReader(io.BytesIO(data)).attachments == {}
    assert PASSWD_LINE not in _pdf_text(data)
    assert PASSWD_LINE.encode() not in data
    assert PASSWD_LINE.encode() not in _decoded_streams(data)
    refused = [r for r in caplog.records if r.name == "opsportal.pdf" and r.levelname == "WARNING"]
    assert any("file:///etc/passwd" in record.getMessage() for record in refused)


def test_it_refuses_attachments_from_the_filesystem_but_embeds_data_attachments():
    data = render_html_to_pdf(
        "<link rel='attachment' href='file:///etc/passwd'>"
        "<link rel='attachment' href='/static/../../../../etc/passwd'>"
        "<a rel='attachment' href='file:///etc/passwd'>passwd</a>"
        "<link rel='attachment' href='data:text/plain,pick%20list' download='note.txt'>"
    )

    attachments = pypdf.PdfReader(io.BytesIO(data)).attachments
    assert list(attachments) == ["attachment.bin"]
    assert attachments["attachment.bin"] == [b"pick list"]
    assert PASSWD_LINE.encode() not in _decoded_streams(data)


@pytest.mark.smoke
def test_it_refuses_network_urls_without_opening_a_connection(caplog):
    with _CountingListener() as listener:
        targets = [
            f"http://127.0.0.1:{listener.port}/",
            f"https://127.0.0.1:{listener.port}/latest/meta-data/",
            f"http://localhost:{listener.port}/x.png",
            f"//127.0.0.1:{listener.port}/protocol-relative.png",
            "https://169.254.169.254/latest/meta-data/",
        ]
        html = "".join(
            f"<img src='{url}'><link rel='stylesheet' href='{url}'>"
            f"<style>@import url('{url}'); @font-face {{ font-family: x; src: url('{url}'); }}"
            f" p {{ background: url('{url}'); }}</style>"
            for url in targets
        )
        with caplog.at_level(logging.WARNING, logger="opsportal.pdf"):
            data = render_html_to_pdf(html + "<p style='font-family: x'>Carrier manifest</p>")

        assert listener.accepted == 0
        # The listener does count connections: one made on purpose is seen.
        socket.create_connection(("127.0.0.1", listener.port), timeout=1).close()
        listener.wait_for(1)
        assert listener.accepted == 1

    assert "Carrier manifest" in _pdf_text(data)
    assert _image_xobjects(data) == []
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "opsportal.pdf")
    assert f"http://127.0.0.1:{listener.port}/" in logged
    assert "https://169.254.169.254/latest/meta-data/" in logged


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1:6379/",
        "https://169.254.169.254/latest/meta-data/",
        "http://localhost/static/img/logo.png",
        "ftp://example.com/manual.pdf",
        "gopher://127.0.0.1:6379/_INFO",
        "javascript:alert(1)",
        "opsportal-internal:/static/img/logo.png",
        # The internal origin exactly, or nothing: another scheme, port or user info is refused.
        "http://pdf.opsportal.invalid/static/img/logo.png",
        "https://pdf.opsportal.invalid:8443/static/img/logo.png",
        "https://user@pdf.opsportal.invalid/static/img/logo.png",
        "https://pdf.opsportal.invalid/admin/",
        "https://pdf.opsportal.invalid/staticx/img/logo.png",
        "/static/img/logo.png",
    ],
)
def test_the_fetcher_refuses_anything_but_data_static_and_media_urls(url, caplog):
    with (
        caplog.at_level(logging.WARNING, logger="opsportal.pdf"),
        pytest.raises(PDFResourceRefused),
    ):
        safe_url_fetcher(url)

    assert [r.levelname for r in caplog.records if r.name == "opsportal.pdf"] == ["WARNING"]


@pytest.mark.parametrize(
    "path",
    [
        "static/../../../etc/passwd",
        "static/img/../../../../etc/passwd",
        "static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "static/%2E%2E%2F%2E%2E%2Fetc/passwd",
        "static/..%5c..%5cetc%5cpasswd",
        "static/%252e%252e/%252e%252e/etc/passwd",
        "static//etc/passwd",
        "static/%2Fetc/passwd",
        "static/img/logo.png%00.css",
        "static/%ff%fe",
        "media/../settings.py",
        "media/../../opsportal/settings.py",
        "media/%2e%2e/opsportal/settings.py",
        "media/./../opsportal/settings.py",
    ],
)
def test_the_fetcher_refuses_path_traversal(path):
    with pytest.raises(PDFResourceRefused):
        safe_url_fetcher(INTERNAL_BASE_URL + path)


def test_it_renders_without_files_reached_by_traversal():
    data = render_html_to_pdf(
        "<p>Safety incident</p>"
        "<img src='/static/../../../etc/passwd'>"
        "<img src='/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd'>"
        "<img src='/media/../opsportal/settings.py'>"
        "<link rel='stylesheet' href='/media/%2e%2e/%2e%2e/%2e%2e/etc/passwd'>"
    )

    assert "Safety incident" in _pdf_text(data)
    assert _image_xobjects(data) == []
    assert PASSWD_LINE.encode() not in _decoded_streams(data)


def test_it_embeds_a_static_image():
    data = render_html_to_pdf("<p>Label</p><img src='/static/img/logo.png'>")

    images = _image_xobjects(data)
    assert len(images) == 1
    assert (images[0]["/Width"], images[0]["/Height"]) == (48, 48)


def test_it_resolves_urls_in_a_static_stylesheet_relative_to_that_stylesheet(settings, tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.css").write_text(".logo { background: url(../img/logo.png) }")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, tmp_path]

    data = render_html_to_pdf(
        "<div class='logo' style='width: 10mm; height: 10mm'></div>",
        stylesheets=["/static/reports/report.css"],
    )

    assert len(_image_xobjects(data)) == 1


def test_it_embeds_a_data_url_image():
    data = render_html_to_pdf(f"<p>Barcode</p><img src='{_png_data_url()}'>")

    images = _image_xobjects(data)
    assert len(images) == 1
    assert (images[0]["/Width"], images[0]["/Height"]) == (4, 4)


def test_it_embeds_a_media_image(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "signatures").mkdir()
    Image.new("RGB", (6, 3), (0, 0, 0)).save(tmp_path / "signatures" / "approver.png")

    data = render_html_to_pdf("<img src='/media/signatures/approver.png'>")

    images = _image_xobjects(data)
    assert len(images) == 1
    assert (images[0]["/Width"], images[0]["/Height"]) == (6, 3)


def test_a_missing_static_file_is_skipped_and_the_pdf_still_renders():
    data = render_html_to_pdf("<p>Manual</p><img src='/static/img/missing.png'>")

    assert "Manual" in _pdf_text(data)
    assert _image_xobjects(data) == []


def test_every_render_uses_the_same_font_configuration(monkeypatch):
    import weasyprint

    used = []
    original_write_pdf = weasyprint.HTML.write_pdf

    def spy_write_pdf(self, *args, **kwargs):
        used.append(kwargs["font_config"])
        return original_write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", spy_write_pdf)

    render_html_to_pdf("<p>first</p>")
    render_html_to_pdf("<p>second</p>")

    assert len(used) == 2
    assert used[0] is used[1]
    assert used[0] is pdf.get_font_config()
    assert isinstance(used[0], weasyprint.text.fonts.FontConfiguration)


def test_importing_the_module_does_not_import_weasyprint():
    code = (
        "import sys, django; django.setup(); import opsportal.pdf; "
        "print('weasyprint' in sys.modules); "
        "opsportal.pdf.get_font_config(); print('weasyprint' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]},
        check=True,
        timeout=60,
    )

    # The second line shows the check can see weasyprint once something does import it.
    assert result.stdout.split() == ["False", "True"]
