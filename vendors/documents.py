"""The purchase order PDF, rendered in the background (DocumentJob kind "purchase_order")."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from opsportal import jobs, pdf
from opsportal.models import DocumentJob
from vendors.models import PurchaseOrder


@jobs.renderer(DocumentJob.Kind.PURCHASE_ORDER)
def render_purchase_order(job: DocumentJob, progress: jobs.Progress) -> tuple[str, bytes]:
    """PDF of the purchase order named in job.params["purchase_order"]."""
    po = PurchaseOrder.objects.select_related("vendor", "warehouse", "contract").get(
        pk=job.params["purchase_order"]
    )
    lines = list(po.lines.select_related("product").order_by("pk"))
    for line in lines:
        line.line_total = line.quantity * line.unit_price
    contact = po.vendor.contacts.order_by("-is_primary", "name").first()
    context = {
        "title": f"Purchase order {po.number}",
        "po": po,
        "lines": lines,
        "contact": contact,
        "total": sum((line.line_total for line in lines), Decimal(0)),
        "printed_at": timezone.localtime(),
    }
    progress(len(lines) // 2)
    content = pdf.render_template_to_pdf("pdf/purchase_order.html", context)
    progress(len(lines))
    return f"{po.number}.pdf", content
