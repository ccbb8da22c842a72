"""The manual PDF: cover, contents with page numbers, one chapter per SOP (its effective
version, with a running header giving code, version and effective date), "page X of Y" footers
and each SOP's revision history. Rendered by the documents worker through opsportal.pdf only.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from opsportal import jobs, pdf
from opsportal.models import DocumentJob
from quality import selectors
from quality.markdown import render_markdown
from quality.models import Manual


@jobs.renderer(DocumentJob.Kind.MANUAL)
def render_manual(job: DocumentJob, progress: jobs.Progress) -> tuple[str, bytes]:
    manual = Manual.objects.get(pk=job.params["manual"])
    chapters = []
    for done, chapter in enumerate(selectors.manual_chapters(manual), start=1):
        # The body is data: Markdown made HTML and sanitised; never compiled as a template.
        chapter.body_html = render_markdown(chapter.effective.body)
        chapters.append(chapter)
        progress(done)
    html = manual_html(manual, chapters)
    content = pdf.render_html_to_pdf(html)
    progress(len(chapters) + 1)
    return f"{slugify(manual.title) or 'manual'}.pdf", content


def manual_html(manual: Manual, chapters: list) -> str:
    issued = max(
        (c.effective.effective_at for c in chapters if c.effective.effective_at), default=None
    )
    return render_to_string(
        "pdf/manual.html",
        {
            "manual": manual,
            "chapters": chapters,
            "issued": issued,
            "printed_at": timezone.now(),
        },
    )
