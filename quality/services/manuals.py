"""Manuals: an ordered set of SOPs printed as one PDF in the background (DocumentJob "manual")."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from opsportal import jobs
from opsportal.models import DocumentJob
from quality.models import Manual, ManualEntry, SOPDocument, SOPVersion
from quality.services.common import error, text

MAX_CHAPTERS = 60


def parse_codes(value: Any) -> list[str]:
    """SOP codes one per line (or separated by commas/spaces), order kept."""
    if isinstance(value, list | tuple):
        codes = [str(code).strip().upper() for code in value]
    else:
        codes = [code.upper() for code in re.split(r"[\s,;]+", str(value or "")) if code]
    return [code for code in codes if code]


@transaction.atomic
def manual_save(
    *, manual: Manual | None, title: str, description: str, codes: Any, by: Any
) -> Manual:
    """Create or update a manual and its chapters, in the order the codes are given."""
    manual = manual or Manual()
    title = text(title, "title", max_length=200, required=True)
    clash = Manual.objects.filter(title__iexact=title).exclude(pk=manual.pk)
    if clash.exists():
        raise error("title", f"A manual called “{title}” exists already.")
    codes = parse_codes(codes)
    if not codes:
        raise error("codes", "List at least one SOP code.")
    if len(codes) > MAX_CHAPTERS:
        raise error("codes", f"At most {MAX_CHAPTERS} SOPs per manual.")
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise error("codes", f"Listed twice: {', '.join(repeated)}.")
    documents = {d.code: d for d in SOPDocument.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in documents]
    if unknown:
        raise error("codes", f"No SOP with the code {', '.join(unknown)}.")
    manual.title = title
    manual.description = text(description, "description", max_length=2000)
    manual.save()
    manual.entries.all().delete()
    ManualEntry.objects.bulk_create(
        ManualEntry(manual=manual, document=documents[code], position=position)
        for position, code in enumerate(codes, start=1)
    )
    return manual


@transaction.atomic
def manual_render(*, manual: Manual, by: Any) -> DocumentJob:
    """Queue the manual's PDF (documents queue, after commit); the job is the manual's latest."""
    manual = Manual.objects.select_for_update().get(pk=manual.pk)
    chapters = manual.entries.count()
    if not chapters:
        raise error("manual", "The manual has no SOPs yet.")
    without = list(
        manual.entries.exclude(document__versions__status=SOPVersion.Status.EFFECTIVE).values_list(
            "document__code", flat=True
        )
    )
    if without:
        raise error(
            "manual",
            f"No effective version yet: {', '.join(without)}. Approve one or take it out.",
        )
    job = jobs.enqueue(
        DocumentJob.Kind.MANUAL,
        requested_by=by,
        params={"manual": manual.pk},
        total=chapters + 1,  # one step per chapter, one for laying out the PDF
    )
    manual.last_job = job
    manual.save(update_fields=["last_job"])
    return job
