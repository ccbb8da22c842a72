"""Non-conformances (NCRs), their disposition through inventory.services, corrective and
preventive actions (CAPA) verified by someone other than their owner, overdue reminders and
supplier corrective action requests (SCAR) to the vendor."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone

from inventory import services as stock
from inventory.models import Product, StockMovement, Warehouse
from opsportal import emails
from quality.models import CorrectiveAction, NonConformance
from quality.services.common import choice, error, text, whole_number
from vendors.models import Vendor

Status = NonConformance.Status
Disposition = NonConformance.Disposition
ActionStatus = CorrectiveAction.Status
NUMBER_PREFIX = "NC-"
# Days to close a new NCR, by severity, when no due date is given.
DUE_DAYS = {"minor": 30, "major": 14, "critical": 3}
MAX_WHYS = 5


def _next_number() -> str:
    last = (
        NonConformance.objects.filter(number__regex=rf"^{NUMBER_PREFIX}[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    value = int(last[len(NUMBER_PREFIX) :]) + 1 if last else 1
    return f"{NUMBER_PREFIX}{value:04d}"


def _insert_numbered(nc: NonConformance) -> NonConformance:
    """Save with the next free number. Two NCRs opened at once: the second insert waits for the
    first to commit, fails on the unique number, and takes the next one."""
    for _attempt in range(10):
        nc.number = _next_number()
        try:
            with transaction.atomic():
                nc.save()
            return nc
        except IntegrityError:
            if not NonConformance.objects.filter(number=nc.number).exists():
                raise
    raise error("number", "Could not number the non-conformance; try again.")


@transaction.atomic
def nc_open(
    *,
    title: str,
    by: Any,
    description: str = "",
    origin: str = NonConformance.Origin.MANUAL,
    source: models.Model | None = None,
    product: Product | None = None,
    vendor: Vendor | None = None,
    warehouse: Warehouse | None = None,
    quantity: int = 0,
    quarantined: int = 0,
    quarantine_now: bool = False,
    severity: str = NonConformance.Severity.MINOR,
    owner: Any = None,
    due_date: datetime.date | None = None,
) -> NonConformance:
    """Open an NCR. `quarantine_now` moves `quantity` available units into quarantine (through
    inventory.services) and holds them for the disposition; `quarantined` says how many the
    caller already quarantined for it."""
    title = text(title, "title", max_length=200, required=True)
    description = text(description, "description", max_length=5000)
    origin = choice(origin, "origin", NonConformance.Origin)
    severity = choice(severity, "severity", NonConformance.Severity)
    quantity = whole_number(quantity, "quantity")
    quarantined = whole_number(quarantined, "quarantined")
    if quarantine_now:
        if product is None or warehouse is None:
            raise error("quarantine_now", "Choose the product and warehouse to quarantine.")
        if quantity < 1:
            raise error("quantity", "Enter how many units to quarantine.")
        try:
            stock.stock_quarantine(
                warehouse=warehouse,
                product=product,
                quantity=quantity,
                actor=by,
                reason=f"Non-conformance: {title}"[:200],
            )
        except ValidationError as exc:
            raise error("quantity", " ".join(exc.messages)) from exc
        quarantined = quantity
    if quarantined > quantity:
        raise error("quantity", f"At least the {quarantined} units held in quarantine.")
    today = timezone.localdate()
    nc = NonConformance(
        title=title,
        description=description,
        origin=origin,
        product=product,
        vendor=vendor,
        warehouse=warehouse,
        quantity=quantity,
        quarantined=quarantined,
        severity=severity,
        owner=owner,
        due_date=due_date or today + datetime.timedelta(days=DUE_DAYS[severity]),
    )
    if source is not None:
        nc.source_type = ContentType.objects.get_for_model(source)
        nc.source_id = str(source.pk)
    nc._history_user = by
    return _insert_numbered(nc)


def _locked(nc: NonConformance) -> NonConformance:
    locked = (
        NonConformance.objects.select_for_update(of=("self",))
        .select_related("product", "warehouse", "vendor")
        .get(pk=nc.pk)
    )
    return locked


def _not_closed(nc: NonConformance) -> None:
    if nc.status == Status.CLOSED:
        raise error("status", f"{nc.number} is closed.", code="invalid_status")


@transaction.atomic
def nc_update(*, nc: NonConformance, data: dict, by: Any) -> NonConformance:
    """Change an open NCR's title, description, severity, owner, due date or status."""
    nc = _locked(nc)
    _not_closed(nc)
    if "title" in data:
        nc.title = text(data["title"], "title", max_length=200, required=True)
    if "description" in data:
        nc.description = text(data["description"], "description", max_length=5000)
    if "severity" in data:
        nc.severity = choice(data["severity"], "severity", NonConformance.Severity)
    if "owner" in data:
        nc.owner = data["owner"]
    if "due_date" in data:
        nc.due_date = data["due_date"]
    if "status" in data and data["status"] != nc.status:
        status = choice(data["status"], "status", Status)
        if status == Status.CLOSED:
            raise error(
                "status", "Close it with “Close” once its disposition and actions are done."
            )
        nc.status = status
    nc._history_user = by
    nc.save()
    return nc


@transaction.atomic
def nc_dispose(*, nc: NonConformance, disposition: str, by: Any, note: str = "") -> NonConformance:
    """Decide what happens to the non-conforming units and move the quarantined ones:
    use as is / rework → released to available; return to vendor / scrap → written off
    (adjustment with a reason). Each movement goes through inventory.services."""
    nc = _locked(nc)
    _not_closed(nc)
    if nc.disposition:
        raise error(
            "disposition",
            f"{nc.number} is already dispositioned ({nc.get_disposition_display().lower()}).",
            code="invalid_status",
        )
    if not disposition:
        raise error("disposition", "Choose a disposition.")
    disposition = choice(disposition, "disposition", Disposition)
    note = text(note, "note", max_length=200)
    if disposition == Disposition.RETURN_TO_VENDOR and nc.vendor_id is None:
        raise error("disposition", "This NCR names no vendor to return the units to.")
    held = nc.quarantined
    if held and (nc.product_id is None or nc.warehouse_id is None):
        raise error("disposition", "Quarantined units need a product and a warehouse.")
    label = f"{nc.number} {Disposition(disposition).label.lower()}"
    reason = f"{label}: {note}" if note else label
    if held:
        common = {
            "warehouse": nc.warehouse,
            "product": nc.product,
            "actor": by,
            "reference": nc,
        }
        try:
            if disposition in (Disposition.USE_AS_IS, Disposition.REWORK):
                stock.stock_release(quantity=held, reason=reason[:200], **common)
            elif disposition == Disposition.SCRAP:
                stock.stock_adjust(
                    delta=-held,
                    reason_code=StockMovement.Reason.SCRAPPED,
                    reason=reason[:200],
                    from_quarantine=True,
                    **common,
                )
            else:  # return to vendor: the units leave our stock
                stock.stock_adjust(
                    delta=-held,
                    reason_code=StockMovement.Reason.OTHER,
                    reason=f"Returned to vendor {nc.vendor.name}: {reason}"[:200],
                    from_quarantine=True,
                    **common,
                )
        except ValidationError as exc:
            raise error("disposition", " ".join(exc.messages)) from exc
    nc.disposition = disposition
    nc.disposition_note = note
    nc.disposed_at = timezone.now()
    nc.disposed_by = by
    nc.quarantined = 0
    if nc.status == Status.OPEN:
        nc.status = Status.INVESTIGATING
    nc._history_user = by
    nc.save()
    return nc


@transaction.atomic
def nc_close(*, nc: NonConformance, by: Any) -> NonConformance:
    """Close an NCR whose units are dispositioned and whose actions are verified effective."""
    nc = _locked(nc)
    _not_closed(nc)
    if nc.quarantined or (nc.product_id and nc.quantity and not nc.disposition):
        raise error("disposition", "Decide the disposition of the units before closing.")
    pending = list(nc.actions.exclude(status=ActionStatus.VERIFIED).values_list("pk", "status"))
    if pending:
        raise error(
            "actions",
            f"{len(pending)} corrective action(s) are not verified effective yet; an action "
            "found not effective needs a new action.",
        )
    nc.status = Status.CLOSED
    nc.closed_at = timezone.now()
    nc._history_user = by
    nc.save()
    return nc


# --- CAPA ------------------------------------------------------------------------------------


def _whys(whys: Any) -> list[str]:
    if whys in (None, ""):
        return []
    if isinstance(whys, str):
        whys = whys.splitlines()
    if not isinstance(whys, list):
        raise error("whys", "Give the whys as a list, first why first.")
    cleaned = [" ".join(str(why).split()) for why in whys]
    cleaned = [why for why in cleaned if why]
    if len(cleaned) > MAX_WHYS:
        raise error("whys", f"At most {MAX_WHYS} whys (this has {len(cleaned)}).")
    for index, why in enumerate(cleaned, start=1):
        if len(why) > 500:
            raise error("whys", f"Why {index} is longer than 500 characters.")
    return cleaned


@transaction.atomic
def capa_add(
    *,
    nc: NonConformance,
    action: str,
    owner: Any,
    due_date: datetime.date,
    by: Any,
    kind: str = CorrectiveAction.Kind.CORRECTIVE,
    whys: Any = None,
    root_cause: str = "",
) -> CorrectiveAction:
    """Add a corrective or preventive action (5 whys → root cause → action, owner, due)."""
    nc = _locked(nc)
    _not_closed(nc)
    action_text = text(action, "action", max_length=5000, required=True)
    if owner is None:
        raise error("owner", "Choose who owns the action.")
    if due_date is None:
        raise error("due_date", "Give the action a due date.")
    if due_date < timezone.localdate():
        raise error("due_date", "The due date is in the past.")
    capa = CorrectiveAction(
        non_conformance=nc,
        kind=choice(kind, "kind", CorrectiveAction.Kind),
        whys=_whys(whys),
        root_cause=text(root_cause, "root_cause", max_length=5000),
        action=action_text,
        owner=owner,
        due_date=due_date,
    )
    capa._history_user = by
    capa.save()
    if nc.status in (Status.OPEN, Status.INVESTIGATING):
        nc.status = Status.ACTION
        nc._history_user = by
        nc.save(update_fields=["status"])
    return capa


def _locked_action(capa: CorrectiveAction) -> CorrectiveAction:
    return (
        CorrectiveAction.objects.select_for_update(of=("self",))
        .select_related("non_conformance", "owner")
        .get(pk=capa.pk)
    )


@transaction.atomic
def capa_complete(*, capa: CorrectiveAction, by: Any, notes: str = "") -> CorrectiveAction:
    """The owner (or a manager) reports the action done: it now awaits verification."""
    capa = _locked_action(capa)
    if capa.status not in (ActionStatus.OPEN, ActionStatus.INEFFECTIVE):
        raise error("status", "Only an open action can be reported done.", code="invalid_status")
    capa.status = ActionStatus.DONE
    capa.completed_at = timezone.now()
    if notes:
        capa.verification_notes = text(notes, "notes", max_length=2000)
    capa._history_user = by
    capa.save()
    return capa


@transaction.atomic
def capa_verify(
    *, capa: CorrectiveAction, by: Any, effective: bool, notes: str = ""
) -> CorrectiveAction:
    """Someone other than the owner checks the action worked: verified, or not effective
    (then it reopens for the owner)."""
    capa = _locked_action(capa)
    if capa.owner_id == getattr(by, "pk", None):
        raise error(
            "verified_by",
            "The owner of an action cannot verify its effectiveness; ask someone else.",
            code="owner_cannot_verify",
        )
    if capa.status != ActionStatus.DONE:
        raise error(
            "status", "Only an action reported done can be verified.", code="invalid_status"
        )
    notes = text(notes, "verification_notes", max_length=2000, required=not effective)
    capa.status = ActionStatus.VERIFIED if effective else ActionStatus.INEFFECTIVE
    capa.verified_by = by
    capa.verified_at = timezone.now()
    capa.verification_notes = notes
    capa._history_user = by
    capa.save()
    return capa


def capa_overdue_reminders(*, today: datetime.date) -> int:
    """Email each owner of an overdue open action, once per action and due date."""
    overdue = (
        CorrectiveAction.objects.filter(
            status__in=[ActionStatus.OPEN, ActionStatus.INEFFECTIVE], due_date__lt=today
        )
        .exclude(owner__email="")
        .select_related("owner", "non_conformance")
        .order_by("due_date", "pk")
    )
    queued = 0
    for capa in overdue:
        with transaction.atomic():
            subject, body, html = emails.render_email(
                "quality_capa_overdue",
                {
                    "capa": capa,
                    "nc": capa.non_conformance,
                    "days_late": (today - capa.due_date).days,
                    "url": _absolute(
                        reverse("quality:nonconformance_detail", args=[capa.non_conformance_id])
                    ),
                },
            )
            if emails.queue_email(
                key=f"capa:{capa.pk}:overdue:{capa.due_date.isoformat()}",
                to=[capa.owner.email],
                subject=subject,
                text=body,
                html=html,
                related=capa,
            ):
                queued += 1
    return queued


def _absolute(path: str) -> str:
    from django.conf import settings

    base = getattr(settings, "PORTAL_BASE_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + path


# --- SCAR ------------------------------------------------------------------------------------


def scar_recipient(vendor: Vendor) -> str:
    """The vendor's primary contact's address (else another contact's, else the vendor's own)."""
    contact = vendor.contacts.exclude(email="").order_by("-is_primary", "name", "pk").first()
    if contact is not None:
        return contact.email
    if vendor.email:
        return vendor.email
    raise error(
        "vendor",
        f"{vendor.name} has no contact with an email address: add one on the vendor first.",
    )


@transaction.atomic
def scar_send(*, nc: NonConformance, by: Any, request_text: str = "") -> NonConformance:
    """Email a supplier corrective action request to the vendor's primary contact (once)."""
    nc = _locked(nc)
    if nc.vendor_id is None:
        raise error("vendor", f"{nc.number} names no vendor.")
    if nc.scar_sent_at:
        raise error(
            "scar",
            f"The corrective action request for {nc.number} went out on "
            f"{timezone.localtime(nc.scar_sent_at):%Y-%m-%d %H:%M}.",
            code="already_sent",
        )
    recipient = scar_recipient(nc.vendor)
    request_text = text(request_text, "request_text", max_length=5000)
    subject, body, html = emails.render_email(
        "quality_scar",
        {
            "nc": nc,
            "vendor": nc.vendor,
            "request_text": request_text,
            "respond_by": timezone.localdate() + datetime.timedelta(days=14),
            "sender": by,
        },
    )
    emails.queue_email(
        key=f"scar:{nc.pk}", to=[recipient], subject=subject, text=body, html=html, related=nc
    )
    nc.scar_sent_at = timezone.now()
    nc._history_user = by
    nc.save(update_fields=["scar_sent_at"])
    return nc
