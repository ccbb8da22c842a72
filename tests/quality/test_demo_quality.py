"""The demo data works end to end for quality: its Order Processing Manual prints with a true
table of contents, work screens link their SOPs, its undecided NCR can be dispositioned."""

import io
import re
from io import StringIO

import pypdf
import pytest
from django.core.management import call_command
from django.template import Context, Template

from inventory.models import StockLevel
from opsportal import jobs
from opsportal.models import DocumentJob, User
from quality.models import Manual, NonConformance, SOPWorkLink
from quality.services import manuals, nonconformance
from tests.shared_rows import shared_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seeded once for the module (~2.5 s); each test runs in its own savepoint inside it."""
    yield from shared_rows(django_db_blocker, lambda: call_command("seed_demo", stdout=StringIO()))


def test_the_demo_order_processing_manual_prints_with_true_page_numbers(demo):
    manual = Manual.objects.get(title="Order Processing Manual")
    job = manuals.manual_render(manual=manual, by=User.objects.get(username="warehouse"))
    assert jobs.run(job.pk, "demo") == DocumentJob.Status.DONE
    job.refresh_from_db()
    with job.file.open("rb") as f:
        reader = pypdf.PdfReader(io.BytesIO(f.read()))
    pages = [page.extract_text() for page in reader.pages]
    codes = list(manual.entries.order_by("position").values_list("document__code", flat=True))
    assert codes == [
        "SOP-ORD-001",
        "SOP-ORD-002",
        "SOP-WH-001",
        "SOP-WH-002",
        "SOP-WH-003",
        "SOP-ORD-003",
        "SOP-INV-001",
    ]
    toc = {}
    for code, page in re.findall(r"(SOP-[A-Z]+-\d{3})[^\n]*?(\d+)\s*$", pages[1], re.M):
        toc.setdefault(code, int(page))
    assert list(toc) == codes
    for code, number in toc.items():
        first = next(n for n, text in enumerate(pages, 1) if f"{code} · v2 · effective" in text)
        assert number == first, code
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_the_demo_maps_every_work_key_to_an_effective_sop(demo):
    assert set(SOPWorkLink.objects.values_list("key", flat=True)) == set(SOPWorkLink.Key.values)
    html = Template('{% load sop_links %}{% sop_link "orders.pick" %}').render(Context())
    assert "SOP-WH-001 Picking v2" in html
    call_command("seed_demo", stdout=StringIO())  # idempotent
    assert SOPWorkLink.objects.count() == len(SOPWorkLink.Key.values)


def test_the_undecided_demo_ncr_releases_its_quarantined_units(demo):
    nc = NonConformance.objects.get(number="NC-0001")
    assert nc.disposition == ""
    assert nc.quarantined > 0
    level = StockLevel.objects.get(warehouse=nc.warehouse, product=nc.product)
    before = level.quarantined
    nonconformance.nc_dispose(
        nc=nc, disposition="use_as_is", by=User.objects.get(username="quality")
    )
    level.refresh_from_db()
    assert level.quarantined == before - nc.quarantined
