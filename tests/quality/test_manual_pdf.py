"""The manual PDF, read back with pypdf: cover, contents whose page numbers are where each SOP
really starts, running header, "Page X of Y", revision history; nothing fetched from outside."""

import io
import json
import re
import time
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone
from django.utils.safestring import mark_safe

from opsportal import jobs
from opsportal.models import DocumentJob
from quality import manuals, selectors
from quality.models import Manual, SOPVersion
from quality.services import manuals as manual_services
from tests import factories
from tests.factories import SOPDocumentFactory, SOPVersionFactory

SOP_DIR = Path(__file__).resolve().parents[2] / "opsportal" / "data" / "sops"
REFERENCE = json.loads((SOP_DIR.parent / "demo_reference.json").read_text(encoding="utf-8"))
TITLES = {spec["code"]: spec["title"] for spec in REFERENCE["sops"]}
# The demo's Order Processing Manual: intake, routing, picking, packing, shipping, returns, counts.
ORDER = [
    "SOP-ORD-001",
    "SOP-ORD-002",
    "SOP-WH-001",
    "SOP-WH-002",
    "SOP-WH-003",
    "SOP-ORD-003",
    "SOP-INV-001",
]
HOSTILE = """

## Links that must go nowhere

See [the metadata service](http://169.254.169.254/latest/meta-data/) and
[the admin](http://127.0.0.1:8000/admin/) and [a file](file:///etc/passwd).

![passwd](file:///etc/passwd)
<img src="http://127.0.0.1:8000/static/img/logo.png">
<img src="http://169.254.169.254/latest/meta-data/iam.png">
<link rel="stylesheet" href="http://127.0.0.1:8000/evil.css">
<style>@import url("file:///etc/passwd");</style>
<iframe src="file:///etc/passwd"></iframe>

Template text stays text: {{ settings.SECRET_KEY }} and {% debug %}.
"""


def _manual(with_hostile: str = "") -> Manual:
    author = factories.UserFactory(username="author", first_name="Ann")
    approver = factories.UserFactory(username="approver", first_name="Bob")
    earlier = timezone.now() - timezone.timedelta(days=200)
    for code in ORDER:
        document = SOPDocumentFactory(code=code, title=TITLES[code])
        body = (SOP_DIR / f"{code}.md").read_text(encoding="utf-8")
        SOPVersionFactory(
            document=document,
            number=1,
            body="First issue",
            status=SOPVersion.Status.SUPERSEDED,
            author=author,
            approver=approver,
            effective_at=earlier,
            change_summary="First issue.",
        )
        SOPVersionFactory(
            document=document,
            number=2,
            body=body + (with_hostile if code == "SOP-WH-001" else ""),
            status=SOPVersion.Status.EFFECTIVE,
            author=author,
            approver=approver,
            effective_at=timezone.now(),
            change_summary=f"Revised {TITLES[code].lower()}.",
        )
        SOPVersionFactory(document=document, number=3, body="Draft not printed", author=author)
    return manual_services.manual_save(
        manual=None,
        title="Order Processing Manual",
        description="How an order is taken, routed, picked, packed, shipped and returned.",
        codes="\n".join(ORDER),
        by=author,
    )


def _pages(content: bytes) -> tuple[pypdf.PdfReader, list[str]]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return reader, [page.extract_text() for page in reader.pages]


def _render(manual: Manual, by) -> DocumentJob:
    job = manual_services.manual_render(manual=manual, by=by)
    # Run in this process the way the documents worker does (the worker test is below).
    assert jobs.run(job.pk, "test-task") == DocumentJob.Status.DONE, job.error
    job.refresh_from_db()
    return job


def _toc(pages: list[str]) -> dict[str, int]:
    """SOP code → page number as printed in the table of contents."""
    entries = {}
    for text in pages[1:3]:
        for code, page in re.findall(r"(SOP-[A-Z]+-\d{3})[^\n]*?(\d+)\s*$", text, re.M):
            entries.setdefault(code, int(page))
    return entries


@pytest.mark.django_db
def test_the_order_processing_manual_has_a_true_table_of_contents(manager):
    manual = _manual()
    job = _render(manual, manager)
    assert job.file.name.endswith("order-processing-manual.pdf")
    assert (job.progress, job.total) == (8, 8)
    with job.file.open("rb") as f:
        reader, pages = _pages(f.read())

    assert "Order Processing Manual" in pages[0]
    assert "Contents" in pages[1]
    toc = _toc(pages)
    assert list(toc) == ORDER  # in the manual's order
    for position, code in enumerate(ORDER, start=1):
        # Where the chapter really starts: its document-control line and numbered title.
        starts = [
            number
            for number, text in enumerate(pages, start=1)
            if f"{position}. {TITLES[code]}" in text and f"{code} · v2 · effective" in text
        ]
        assert starts, f"{code} not found in the PDF"
        assert toc[code] == starts[0], f"{code}: contents say {toc[code]}, it is on {starts[0]}"
        # Each SOP's text made it in (a line from the middle of its Markdown).
        body = (SOP_DIR / f"{code}.md").read_text(encoding="utf-8")
        heading = re.findall(r"^## (.+)$", body, re.M)[-1]
        assert any(heading in text for text in pages), heading
    assert "Draft not printed" not in "".join(pages)


@pytest.mark.django_db
def test_every_page_but_the_cover_has_header_and_page_x_of_y(manager):
    job = _render(_manual(), manager)
    with job.file.open("rb") as f:
        reader, pages = _pages(f.read())
    total = len(pages)
    assert total >= len(ORDER) + 3  # cover, contents, one or more pages per SOP, history
    assert "Page 1 of" not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text, number
        assert "Order Processing Manual" in text, number
    # A page inside a chapter carries that SOP's code, version and effective date on top.
    chapter_pages = [t for t in pages if "SOP-WH-001 · v2 · effective" in t]
    assert len(chapter_pages) >= 1
    history = pages[-1]
    assert "Revision history" in history
    for code in ORDER:
        assert code in history
    assert "First issue." in history
    assert f"Revised {TITLES['SOP-WH-003'].lower()}." in history


def _uris(reader: pypdf.PdfReader) -> list[str]:
    uris = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def _images(reader: pypdf.PdfReader) -> set:
    """Every distinct image the PDF embeds (WeasyPrint shares one resource dictionary)."""
    found = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for ref in (resources.get("/XObject") or {}).values():
            if ref.get_object().get("/Subtype") == "/Image":
                found.add(getattr(ref, "idnum", id(ref)))
    return found


@pytest.mark.django_db
def test_links_to_files_loopback_and_metadata_are_dropped_and_nothing_is_embedded(manager):
    job = _render(_manual(with_hostile=HOSTILE), manager)
    with job.file.open("rb") as f:
        content = f.read()
    reader, pages = _pages(content)
    text = "".join(pages)
    for uri in _uris(reader):
        assert not re.search(r"127\.0\.0\.1|169\.254|localhost|file:", uri), uri
    assert b"169.254.169.254" not in content
    assert b"file:///" not in content
    assert b"127.0.0.1" not in content
    assert "root:x:0" not in text
    # Only the cover's logo (a project static file) is an image; the chapters embed none.
    assert len(_images(reader)) == 1
    # The link texts remain, as plain text; template syntax prints as typed.
    assert "the metadata service" in text
    assert "{{ settings.SECRET_KEY }}" in text
    assert "{% debug %}" in text


@pytest.mark.django_db
def test_the_fetcher_refuses_them_even_if_html_got_past_the_sanitiser(manager, caplog):
    manual = _manual()
    chapters = selectors.manual_chapters(manual)
    for chapter in chapters:
        chapter.body_html = mark_safe(  # noqa: S308 - deliberately unsanitised, to test the fetcher
            '<img src="file:///etc/passwd"><img src="http://127.0.0.1:8000/static/img/logo.png">'
            '<img src="http://169.254.169.254/latest/meta-data/x.png">'
            '<link rel="stylesheet" href="http://127.0.0.1/evil.css">'
        )
    from opsportal import pdf

    content = pdf.render_html_to_pdf(manuals.manual_html(manual, chapters))
    reader, pages = _pages(content)
    assert len(_images(reader)) == 1  # the cover's logo only
    refused = [r.getMessage() for r in caplog.records if "Refused to fetch" in r.getMessage()]
    for url in ("file:///etc/passwd", "http://127.0.0.1", "http://169.254.169.254"):
        assert any(url in message for message in refused), url


@pytest.mark.django_db
def test_a_manual_with_an_sop_without_effective_version_is_refused(manager):
    manual = _manual()
    SOPVersion.objects.filter(document__code="SOP-WH-002", status="effective").update(
        status="superseded"
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="SOP-WH-002"):
        manual_services.manual_render(manual=manual, by=manager)
    assert not DocumentJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("", "at least one SOP code"),
        ("SOP-ORD-001\nSOP-NOPE-001", "No SOP with the code SOP-NOPE-001"),
        ("SOP-ORD-001, SOP-ORD-001", "Listed twice: SOP-ORD-001"),
    ],
)
def test_manual_chapters_are_checked_by_code(manager, codes, message):
    SOPDocumentFactory(code="SOP-ORD-001")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        manual_services.manual_save(manual=None, title="M", description="", codes=codes, by=manager)
    assert message in " ".join(caught.value.message_dict["codes"])


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_manual_on_the_documents_queue(celery_worker, manager):
    manual = _manual()
    job = manual_services.manual_render(manual=manual, by=manager)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (DocumentJob.Status.DONE, DocumentJob.Status.FAILED):
            break
        time.sleep(0.3)
    assert job.status == DocumentJob.Status.DONE, job.error or celery_worker.log_tail()
    with job.file.open("rb") as f:
        _reader, pages = _pages(f.read())
    assert list(_toc(pages)) == ORDER
    manual.refresh_from_db()
    assert manual.last_job == job
