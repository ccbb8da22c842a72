"""Every vendor workflow that writes: vendors, contracts and their life, carriers, purchase orders.

Rules kept here:
- Contracts carry an optimistic lock: a change names the `version` it was made from; the
  conditional `UPDATE … SET version = version + 1 WHERE version = <read>` lets exactly one of two
  concurrent saves through, the other gets a ValidationError with code `conflict` (pages show it
  as a form error, the API answers 409). Every change is saved through the model so
  django-simple-history records who, when and what.
- Purchase orders are locked (`SELECT … FOR UPDATE`, a conditional UPDATE on SQLite) before their
  status moves; receiving goes through `inventory.services.stock_receive`, one receipt per line,
  and never beyond the ordered quantity.
- Side effects (the PO PDF, emails) are rows written in the same transaction (DocumentJob,
  OutboundEmail) and happen after commit.
- Bad input raises ValidationError naming the field or line; nothing is half-saved.
"""

from __future__ import annotations

import datetime
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Max, Sum, Value, When
from django.db.models.functions import Length
from django.utils import timezone

from inventory import services as stock
from inventory.models import Product, Warehouse
from opsportal import emails, jobs
from opsportal.models import DocumentJob
from vendors.models import (
    Carrier,
    CarrierService,
    ContractPrice,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    VendorContact,
    VendorContract,
)

CONFLICT = "conflict"
INVALID_STATUS = "invalid_status"
OVER_RECEIPT = "over_receipt"
Actor = AbstractBaseUser | None

# Days before the end date and before the notice date at which the owner is reminded.
REMINDER_DAYS = (90, 60, 30)
# Contract statuses whose terms may still be edited.
EDITABLE_CONTRACT_STATUSES = (VendorContract.Status.DRAFT, VendorContract.Status.ACTIVE)
PDF_MAGIC = b"%PDF-"


def _error(field: str | None, message: str, code: str | None = None) -> ValidationError:
    if field is None:
        return ValidationError(message, code=code)
    return ValidationError({field: ValidationError(message, code=code)})


def _stamp(obj: Any, by: Actor, reason: str = "") -> None:
    """Who made the change and why, for the history record the next save writes."""
    obj._history_user = by if getattr(by, "is_authenticated", False) else None
    if reason:
        obj._change_reason = reason[:100]


def document_max_bytes() -> int:
    return int(getattr(settings, "VENDORS_CONTRACT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


# --- vendors ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactData:
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    is_primary: bool = False
    pk: int | None = None  # an existing contact of this vendor, or None for a new one


VENDOR_FIELDS = ("name", "kind", "email", "phone", "website", "address", "country", "notes")


@transaction.atomic
def vendor_save(
    *,
    vendor: Vendor | None,
    data: dict,
    contacts: list[ContactData] | None = None,
    by: Actor,
) -> Vendor:
    """Create or update a vendor and (when given) replace its contacts. Status: vendor_set_status."""
    vendor = vendor or Vendor()
    for name in VENDOR_FIELDS:
        if name in data:
            setattr(vendor, name, data[name])
    if "is_active" in data:
        vendor.is_active = data["is_active"]
    vendor.country = (vendor.country or "").upper()
    if vendor.pk is None and data.get("status"):
        vendor.status = data["status"]
        vendor.status_reason = data.get("status_reason", "")
        vendor.status_changed_at = timezone.now()
    vendor.full_clean()
    _stamp(vendor, by)
    vendor.save()
    if contacts is not None:
        _replace_contacts(vendor, contacts)
    return vendor


def _replace_contacts(vendor: Vendor, contacts: list[ContactData]) -> None:
    if sum(1 for c in contacts if c.is_primary) > 1:
        raise _error("contacts", "Only one contact can be the primary contact.")
    existing = {c.pk: c for c in vendor.contacts.all()}
    kept = set()
    for index, data in enumerate(contacts, start=1):
        contact = existing.get(data.pk) if data.pk else None
        if data.pk and contact is None:
            raise _error("contacts", f"Contact {index}: not a contact of this vendor.")
        contact = contact or VendorContact(vendor=vendor)
        for name in ("name", "role", "email", "phone", "is_primary"):
            setattr(contact, name, getattr(data, name))
        try:
            contact.full_clean()
        except ValidationError as exc:
            raise _error("contacts", f"Contact {index}: {' '.join(exc.messages)}") from None
        contact.save()
        kept.add(contact.pk)
    vendor.contacts.exclude(pk__in=kept).delete()


@transaction.atomic
def vendor_set_status(*, vendor: Vendor, status: str, reason: str, by: Actor) -> Vendor:
    """Put a vendor on the approved-supplier list as qualified, conditional or disqualified."""
    if status not in Vendor.Status.values:
        raise _error("status", f"Unknown status {status!r}.")
    reason = (reason or "").strip()
    if not reason:
        raise _error("status_reason", "Give the reason for the status.")
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    vendor.status = status
    vendor.status_reason = reason[:300]
    vendor.status_changed_at = timezone.now()
    _stamp(vendor, by, f"Status: {status}")
    vendor.save()
    return vendor


# --- contracts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLine:
    product: Product
    price: Decimal
    min_qty: int = 1
    lead_time_days: int = 7


CONTRACT_FIELDS = (
    "vendor",
    "number",
    "title",
    "start_date",
    "end_date",
    "auto_renew",
    "notice_days",
    "currency",
    "value",
    "payment_terms",
    "sla_on_time_pct",
    "sla_lead_time_days",
    "sla_max_defect_rate",
    "owner",
    "notes",
)


def _check_prices(prices: list[PriceLine]) -> None:
    seen: dict[tuple[int, int], int] = {}
    for index, line in enumerate(prices, start=1):
        where = f"Price line {index} ({line.product.sku})"
        if line.price is None or line.price < 0:
            raise _error("prices", f"{where}: the price must be 0 or more.")
        if line.min_qty < 1:
            raise _error("prices", f"{where}: the minimum quantity must be at least 1.")
        if line.lead_time_days < 0:
            raise _error("prices", f"{where}: the lead time must not be negative.")
        key = (line.product.pk, line.min_qty)
        if key in seen:
            raise _error(
                "prices",
                f"{where}: the same product and minimum quantity as price line {seen[key]}.",
            )
        seen[key] = index


def _sync_prices(contract: VendorContract, prices: list[PriceLine], by: Actor) -> None:
    _check_prices(prices)
    existing = {(p.product_id, p.min_qty): p for p in contract.prices.all()}
    wanted = {(line.product.pk, line.min_qty): line for line in prices}
    for key, row in existing.items():
        if key not in wanted:
            _stamp(row, by)
            row.delete()
    for key, line in wanted.items():
        row = existing.get(key)
        if row is None:
            row = ContractPrice(contract=contract, product=line.product, min_qty=line.min_qty)
        elif row.price == line.price and row.lead_time_days == line.lead_time_days:
            continue
        row.price = line.price
        row.lead_time_days = line.lead_time_days
        _stamp(row, by)
        row.save()


def _apply_contract_fields(contract: VendorContract, data: dict) -> None:
    for name in CONTRACT_FIELDS:
        if name in data:
            setattr(contract, name, data[name])
    if contract.currency:
        contract.currency = contract.currency.upper()
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise _error("end_date", "The end date must be on or after the start date.")
    try:
        contract.full_clean(exclude=["previous", "signed_document"])
    except ValidationError as exc:
        raise exc from None


@transaction.atomic
def contract_create(
    *, data: dict, prices: list[PriceLine] | None = None, by: Actor
) -> VendorContract:
    """Create a draft contract with its price lines (history: created)."""
    contract = VendorContract(status=VendorContract.Status.DRAFT, version=1)
    if "owner" not in data and getattr(by, "is_authenticated", False):
        contract.owner = by
    _apply_contract_fields(contract, data)
    _stamp(contract, by, "Created")
    contract.save()
    if prices:
        _sync_prices(contract, prices, by)
    return contract


def _lock_contract(contract: VendorContract | int, version: int) -> VendorContract:
    """Claim the next version of a contract, or raise the conflict; returns it freshly read."""
    pk = contract if isinstance(contract, int) else contract.pk
    claimed = VendorContract.objects.filter(pk=pk, version=version).update(version=F("version") + 1)
    if not claimed:
        current = VendorContract.objects.filter(pk=pk).values_list("version", flat=True).first()
        if current is None:
            raise _error(None, "This contract no longer exists.")
        raise ValidationError(
            "Someone else saved this contract after you opened it (you edited version "
            f"{version}, it is now at version {current}). Reload it, then make your change again.",
            code=CONFLICT,
        )
    return VendorContract.objects.get(pk=pk)


def _require_status(contract: VendorContract, allowed: Iterable[str], doing: str) -> None:
    allowed = tuple(allowed)
    if contract.status not in allowed:
        names = ", ".join(VendorContract.Status(s).label.lower() for s in allowed)
        raise ValidationError(
            f"Only a contract that is {names} can be {doing}; {contract.number} is "
            f"{contract.get_status_display().lower()}.",
            code=INVALID_STATUS,
        )


@transaction.atomic
def contract_update(
    *,
    contract: VendorContract,
    version: int,
    data: dict,
    prices: list[PriceLine] | None = None,
    by: Actor,
    reason: str = "",
) -> VendorContract:
    """Change a draft or active contract's terms (and price lines) made from `version`."""
    fresh = _lock_contract(contract, version)
    _require_status(fresh, EDITABLE_CONTRACT_STATUSES, "edited")
    _apply_contract_fields(fresh, data)
    _stamp(fresh, by, reason or "Edited")
    fresh.save()
    if prices is not None:
        _sync_prices(fresh, prices, by)
    return fresh


@transaction.atomic
def contract_activate(*, contract: VendorContract, version: int, by: Actor) -> VendorContract:
    """draft → active."""
    fresh = _lock_contract(contract, version)
    _require_status(fresh, [VendorContract.Status.DRAFT], "activated")
    fresh.status = VendorContract.Status.ACTIVE
    _stamp(fresh, by, "Activated")
    fresh.save()
    return fresh


@transaction.atomic
def contract_terminate(
    *, contract: VendorContract, version: int, reason: str, by: Actor
) -> VendorContract:
    """draft | active → terminated, with the reason in the notes and history."""
    reason = (reason or "").strip()
    if not reason:
        raise _error("reason", "Give the reason for terminating the contract.")
    fresh = _lock_contract(contract, version)
    _require_status(
        fresh, [VendorContract.Status.DRAFT, VendorContract.Status.ACTIVE], "terminated"
    )
    fresh.status = VendorContract.Status.TERMINATED
    today = timezone.localdate()
    fresh.notes = (fresh.notes + "\n" if fresh.notes else "") + f"Terminated {today}: {reason}"
    _stamp(fresh, by, "Terminated")
    fresh.save()
    return fresh


def _renewal_number(number: str) -> str:
    match = re.fullmatch(r"(.*)-R(\d+)", number)
    base, n = (match.group(1), int(match.group(2))) if match else (number, 1)
    taken = set(
        VendorContract.objects.filter(number__startswith=f"{base}-R").values_list(
            "number", flat=True
        )
    )
    n += 1
    while f"{base}-R{n}" in taken:
        n += 1
    return f"{base}-R{n}"


@transaction.atomic
def contract_renew(
    *,
    contract: VendorContract,
    version: int,
    by: Actor,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> VendorContract:
    """active | expired → renewed, and the next term: a new active contract linked by `previous`,
    same terms and price lines, starting the day after the old end unless dates are given."""
    fresh = _lock_contract(contract, version)
    _require_status(fresh, [VendorContract.Status.ACTIVE, VendorContract.Status.EXPIRED], "renewed")
    if VendorContract.objects.filter(previous=fresh).exists():
        raise ValidationError(f"{fresh.number} was renewed already.", code=INVALID_STATUS)
    start = start_date or fresh.end_date + datetime.timedelta(days=1)
    end = end_date or start + (fresh.end_date - fresh.start_date)
    if end < start:
        raise _error("end_date", "The end date must be on or after the start date.")
    fresh.status = VendorContract.Status.RENEWED
    _stamp(fresh, by, "Renewed")
    fresh.save()
    successor = VendorContract(
        previous=fresh,
        status=VendorContract.Status.ACTIVE,
        number=_renewal_number(fresh.number),
        start_date=start,
        end_date=end,
        version=1,
        **{name: getattr(fresh, name) for name in CONTRACT_FIELDS if name not in _RENEW_FRESH},
    )
    _stamp(successor, by, f"Renewal of {fresh.number}")
    successor.save()
    _sync_prices(
        successor,
        [
            PriceLine(p.product, p.price, p.min_qty, p.lead_time_days)
            for p in fresh.prices.select_related("product")
        ],
        by,
    )
    return successor


_RENEW_FRESH = {"number", "start_date", "end_date"}


@transaction.atomic
def contracts_roll_over(*, today: datetime.date) -> dict[str, int]:
    """Active contracts past their end date: auto-renewing ones renew, the others expire."""
    renewed = expired = 0
    past = VendorContract.objects.filter(
        status=VendorContract.Status.ACTIVE, end_date__lt=today
    ).order_by("pk")
    for contract in past:
        if contract.auto_renew:
            contract_renew(contract=contract, version=contract.version, by=None)
            renewed += 1
        else:
            fresh = _lock_contract(contract, contract.version)
            fresh.status = VendorContract.Status.EXPIRED
            _stamp(fresh, None, "Expired")
            fresh.save()
            expired += 1
    return {"renewed": renewed, "expired": expired}


def validate_pdf(data: bytes, *, field: str = "signed_document") -> int:
    """Refuse anything but a readable PDF within the size limit; returns its page count."""
    limit = document_max_bytes()
    if len(data) > limit:
        raise _error(field, f"The file is larger than the limit of {limit // (1024 * 1024)} MB.")
    if not data.startswith(PDF_MAGIC):
        raise _error(field, "The file is not a PDF (it does not start with %PDF-).")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        pages = 0
    if pages < 1:
        raise _error(field, "The file could not be read as a PDF.")
    return pages


@transaction.atomic
def contract_attach_document(
    *, contract: VendorContract, version: int, data: bytes, by: Actor
) -> VendorContract:
    """Store the signed contract (a checked PDF) under a name nobody can guess."""
    validate_pdf(data)
    fresh = _lock_contract(contract, version)
    name = f"contract-{fresh.pk}-{secrets.token_hex(12)}.pdf"
    fresh.signed_document.save(name, ContentFile(data), save=False)
    _stamp(fresh, by, "Signed document")
    fresh.save()
    return fresh


@transaction.atomic
def contract_reminders_queue(*, today: datetime.date) -> int:
    """Email each active contract's owner 90, 60 and 30 days before its end date and before its
    notice date, once each: the outbox key names the contract, the date and the step, and only
    the nearest step due is queued (a contract found 20 days out gets the 30-day one only)."""
    horizon = max(REMINDER_DAYS)
    candidates = (
        VendorContract.objects.filter(status=VendorContract.Status.ACTIVE, end_date__gte=today)
        .filter(end_date__lte=today + datetime.timedelta(days=horizon + _max_notice_days()))
        .select_related("vendor", "owner")
        .order_by("end_date", "pk")
    )
    queued = 0
    for contract in candidates:
        owner = contract.owner
        if owner is None or not owner.email:
            continue
        notice_date = contract.end_date - datetime.timedelta(days=contract.notice_days)
        for what, when in (("end", contract.end_date), ("notice", notice_date)):
            days_left = (when - today).days
            if days_left < 0:
                continue
            due = [step for step in REMINDER_DAYS if days_left <= step]
            if not due:
                continue
            step = min(due)
            context = {
                "contract": contract,
                "what": what,
                "date": when,
                "days_left": days_left,
                "step": step,
                "notice_date": notice_date,
                "url": _absolute(f"/vendors/contracts/{contract.pk}/"),
            }
            subject, text, html = emails.render_email("vendors_contract_reminder", context)
            email = emails.queue_email(
                key=f"contract:{contract.pk}:{what}:{when.isoformat()}:{step}d",
                to=[owner.email],
                subject=subject,
                text=text,
                html=html,
                related=contract,
            )
            queued += email is not None
    return queued


def _max_notice_days() -> int:
    found = VendorContract.objects.filter(status=VendorContract.Status.ACTIVE).aggregate(
        m=Max("notice_days")
    )["m"]
    return found or 0


def _absolute(path: str) -> str:
    return getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + path


# --- carriers ---------------------------------------------------------------------------------


def _check_tracking_template(template: str) -> None:
    if not template:
        return
    if "{tracking_number}" not in template:
        raise _error("tracking_url_template", "Put {tracking_number} where the number goes.")
    if not re.match(r"^https?://[^\s/]+", template):
        raise _error("tracking_url_template", "The template must be an http(s) address.")
    leftover = template.replace("{tracking_number}", "")
    if "{" in leftover or "}" in leftover:
        raise _error("tracking_url_template", "Only {tracking_number} may appear in braces.")


@transaction.atomic
def carrier_save(*, carrier: Carrier | None, data: dict, by: Actor) -> Carrier:
    """Create a carrier (and its carrier vendor, named `vendor_name`, if new) or update one."""
    template = (data.get("tracking_url_template") or "").strip()
    _check_tracking_template(template)
    if carrier is None:
        name = (data.get("vendor_name") or "").strip()
        if not name:
            raise _error("vendor_name", "Name the carrier.")
        vendor = Vendor.objects.filter(name=name).first()
        if vendor is None:
            vendor = Vendor(name=name, kind=Vendor.Kind.CARRIER)
            _stamp(vendor, by, "Created with its carrier")
            vendor.save()
        elif vendor.kind != Vendor.Kind.CARRIER:
            raise _error("vendor_name", f"{name} is a vendor of kind {vendor.get_kind_display()}.")
        elif Carrier.objects.filter(vendor=vendor).exists():
            raise _error("vendor_name", f"{name} has a carrier record already.")
        carrier = Carrier(vendor=vendor)
    for name in ("code", "is_active"):
        if name in data:
            setattr(carrier, name, data[name])
    carrier.code = (carrier.code or "").strip().upper()
    carrier.tracking_url_template = template
    carrier.full_clean()
    carrier.save()
    return carrier


@transaction.atomic
def carrier_service_save(
    *, carrier: Carrier, service: CarrierService | None, data: dict, by: Actor
) -> CarrierService:
    service = service or CarrierService(carrier=carrier)
    if service.carrier_id != carrier.pk:
        raise _error(None, "That service belongs to another carrier.")
    for name in ("code", "name", "speed", "is_active"):
        if name in data:
            setattr(service, name, data[name])
    service.code = (service.code or "").strip().upper()
    service.full_clean()
    service.save()
    return service


# --- purchase orders --------------------------------------------------------------------------


def contract_in_force(vendor: Vendor, on: datetime.date) -> VendorContract | None:
    """The vendor's contract whose term covers `on` (active first, then the latest started)."""
    covering = VendorContract.objects.filter(
        vendor=vendor,
        status__in=[VendorContract.Status.ACTIVE, VendorContract.Status.RENEWED],
        start_date__lte=on,
        end_date__gte=on,
    )
    active_first = Case(
        When(status=VendorContract.Status.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return covering.order_by(active_first, "-start_date", "-pk").first()


def _price_for(prices: list[ContractPrice], quantity: int) -> ContractPrice | None:
    """The price line of the largest minimum quantity the order quantity reaches."""
    reached = [p for p in prices if p.min_qty <= quantity]
    return max(reached, key=lambda p: p.min_qty) if reached else None


def _next_po_number() -> str:
    last = (
        PurchaseOrder.objects.filter(number__regex=r"^PO-[0-9]+$")
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"PO-{int(last[3:]) + 1 if last else 100001}"


@dataclass(frozen=True)
class OrderLineData:
    product: Product
    quantity: int


def _lock_po(po: PurchaseOrder) -> PurchaseOrder:
    # Only the PO row is locked, not the vendor or warehouse rows joined to it.
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("vendor", "warehouse", "contract")
        .get(pk=po.pk)
    )


def _priced_lines(
    vendor: Vendor, lines: list[OrderLineData], *, allow_off_contract: bool, today: datetime.date
) -> tuple[VendorContract | None, list[PurchaseOrderLine], int]:
    if not lines:
        raise _error("lines", "Add at least one line.")
    seen: set[int] = set()
    for index, line in enumerate(lines, start=1):
        if line.quantity is None or line.quantity < 1:
            raise _error(
                "lines", f"Line {index} ({line.product.sku}): the quantity must be 1 or more."
            )
        if line.product.pk in seen:
            raise _error("lines", f"Line {index}: {line.product.sku} is on the order twice.")
        seen.add(line.product.pk)
    contract = contract_in_force(vendor, today)
    prices: dict[int, list[ContractPrice]] = {}
    if contract is not None:
        for price in contract.prices.filter(product_id__in=seen):
            prices.setdefault(price.product_id, []).append(price)
    result, lead_time, missing = [], 0, []
    for line in lines:
        price = _price_for(prices.get(line.product.pk, []), line.quantity)
        if price is None:
            missing.append(line.product.sku)
            result.append(
                PurchaseOrderLine(
                    product=line.product,
                    quantity=line.quantity,
                    unit_price=line.product.unit_cost,
                    off_contract=True,
                )
            )
        else:
            lead_time = max(lead_time, price.lead_time_days)
            result.append(
                PurchaseOrderLine(
                    product=line.product, quantity=line.quantity, unit_price=price.price
                )
            )
    if missing and not allow_off_contract:
        where = f"contract {contract.number}" if contract else "no contract in force"
        raise _error(
            "lines",
            f"Not on the vendor's contract ({where}) at these quantities: {', '.join(missing)}. "
            "Remove them, or order them off contract at their standard cost.",
        )
    return contract, result, lead_time


@transaction.atomic
def purchase_order_create(
    *,
    vendor: Vendor,
    warehouse: Warehouse,
    lines: list[OrderLineData],
    by: Actor,
    expected_date: datetime.date | None = None,
    notes: str = "",
    allow_off_contract: bool = False,
) -> PurchaseOrder:
    """A draft PO priced from the contract in force; off-contract products refused unless allowed
    (then priced at the product's standard cost and flagged)."""
    today = timezone.localdate()
    if not vendor.is_active:
        raise _error("vendor", f"{vendor.name} is inactive.")
    if vendor.status == Vendor.Status.DISQUALIFIED:
        raise _error("vendor", f"{vendor.name} is disqualified: no new purchase orders.")
    if not warehouse.is_active:
        raise _error("warehouse", f"{warehouse.code} is inactive.")
    contract, priced, lead_time = _priced_lines(
        vendor, lines, allow_off_contract=allow_off_contract, today=today
    )
    if expected_date is not None and expected_date < today:
        raise _error("expected_date", "The expected date is in the past.")
    po = PurchaseOrder(
        vendor=vendor,
        warehouse=warehouse,
        contract=contract,
        currency=contract.currency if contract else "USD",
        expected_date=expected_date or today + datetime.timedelta(days=lead_time or 7),
        notes=notes,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    _stamp(po, by, "Created")
    for _attempt in range(5):
        po.number = _next_po_number()
        try:
            with transaction.atomic():
                po.save()
            break
        except IntegrityError:
            if not PurchaseOrder.objects.filter(number=po.number).exists():
                raise
            po.pk = None
    else:
        raise ValidationError("Could not number the purchase order; try again.")
    for line in priced:
        line.purchase_order = po
    PurchaseOrderLine.objects.bulk_create(priced)
    return po


@transaction.atomic
def purchase_order_send(*, purchase_order: PurchaseOrder, by: Actor) -> PurchaseOrder:
    """draft → sent: renders the PO PDF in the background and emails it to the vendor's
    primary contact (or the vendor's address) with the PDF attached, after commit."""
    po = _lock_po(purchase_order)
    if po.status != PurchaseOrder.Status.DRAFT:
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}; only a draft can be sent.",
            code=INVALID_STATUS,
        )
    lines = list(po.lines.select_related("product"))
    if not lines:
        raise _error("lines", f"{po.number} has no lines.")
    contact = po.vendor.contacts.exclude(email="").order_by("-is_primary", "name").first()
    to = contact.email if contact else po.vendor.email
    if not to:
        raise _error(
            None, f"{po.vendor.name} has no email address: add a contact with an email first."
        )
    job = jobs.enqueue(
        DocumentJob.Kind.PURCHASE_ORDER,
        requested_by=by if getattr(by, "is_authenticated", False) else None,
        params={"purchase_order": po.pk},
        total=len(lines),
    )
    po.status = PurchaseOrder.Status.SENT
    po.sent_at = timezone.now()
    po.document_job = job
    _stamp(po, by, f"Sent to {to}")
    po.save()
    total = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    context = {"po": po, "lines": lines, "contact": contact, "total": total}
    subject, text, html = emails.render_email("vendors_purchase_order", context)
    emails.queue_email(
        key=f"po:{po.pk}:sent",
        to=[to],
        subject=subject,
        text=text,
        html=html,
        attachment_job=job,
        related=po,
    )
    return po


@dataclass(frozen=True)
class Receipt:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReceiveResult:
    purchase_order: PurchaseOrder
    received: list[tuple[PurchaseOrderLine, int]]
    late: bool  # received after the expected date


@transaction.atomic
def purchase_order_receive(
    *, purchase_order: PurchaseOrder, receipts: list[Receipt], by: Actor
) -> ReceiveResult:
    """Receive quantities by SKU (or barcode): one stock receipt per line in the PO's warehouse
    (ledger reference: the PO line); sent → partially received → received. Refuses receiving more
    than is outstanding on a line, naming the SKU, and then receives nothing."""
    po = _lock_po(purchase_order)
    if po.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED):
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}: only a sent purchase order "
            "can be received.",
            code=INVALID_STATUS,
        )
    if not receipts:
        raise _error("lines", "Enter a SKU and a quantity to receive.")
    lines = list(po.lines.select_related("product").select_for_update(of=("self",)))
    by_code: dict[str, PurchaseOrderLine] = {}
    for line in lines:
        by_code[line.product.sku.upper()] = line
        if line.product.barcode:
            by_code.setdefault(line.product.barcode.upper(), line)
    wanted: dict[int, int] = {}
    for index, receipt in enumerate(receipts, start=1):
        code = (receipt.sku or "").strip().upper()
        line = by_code.get(code)
        if line is None:
            raise _error("sku", f"Line {index}: {receipt.sku or '(empty)'} is not on {po.number}.")
        if receipt.quantity is None or receipt.quantity < 1:
            raise _error("quantity", f"Line {index} ({line.product.sku}): receive 1 or more.")
        wanted[line.pk] = wanted.get(line.pk, 0) + receipt.quantity
    now = timezone.now()
    done = []
    for line in lines:
        quantity = wanted.get(line.pk)
        if not quantity:
            continue
        outstanding = line.quantity - line.received
        if quantity > outstanding:
            raise ValidationError(
                {
                    "quantity": ValidationError(
                        f"{line.product.sku}: {quantity} is more than the {outstanding} still "
                        f"outstanding (ordered {line.quantity}, received {line.received}). "
                        "Nothing was received.",
                        code=OVER_RECEIPT,
                    )
                }
            )
        stock.stock_receive(
            warehouse=po.warehouse,
            product=line.product,
            quantity=quantity,
            actor=by,
            reference=line,
            reason=f"{po.number}",
        )
        complete_now = line.received + quantity == line.quantity
        # Conditional on what was read under the lock; the CHECK (received ≤ quantity) backs it.
        updated = PurchaseOrderLine.objects.filter(pk=line.pk, received=line.received).update(
            received=F("received") + quantity, received_at=now if complete_now else None
        )
        if not updated:
            raise ValidationError(
                f"{line.product.sku} was received by someone else at the same time; try again.",
                code=CONFLICT,
            )
        line.received += quantity
        line.received_at = now if complete_now else None
        done.append((line, quantity))
    complete = all(line.received >= line.quantity for line in lines)
    po.status = (
        PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIALLY_RECEIVED
    )
    if complete:
        po.received_at = now
    _stamp(po, by, "Received " + ", ".join(f"{q}× {ln.product.sku}" for ln, q in done))
    po.save()
    late = po.expected_date is not None and timezone.localdate() > po.expected_date
    return ReceiveResult(purchase_order=po, received=done, late=late)


@transaction.atomic
def purchase_order_cancel(
    *, purchase_order: PurchaseOrder, reason: str, by: Actor
) -> PurchaseOrder:
    """draft | sent (nothing received) → cancelled; a sent PO's vendor is told by email."""
    reason = (reason or "").strip()
    if not reason:
        raise _error("reason", "Give the reason for cancelling.")
    po = _lock_po(purchase_order)
    if po.status not in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.SENT):
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}: only a draft or a sent purchase "
            "order with nothing received can be cancelled.",
            code=INVALID_STATUS,
        )
    was_sent = po.status == PurchaseOrder.Status.SENT
    po.status = PurchaseOrder.Status.CANCELLED
    po.cancelled_at = timezone.now()
    po.cancel_reason = reason[:300]
    _stamp(po, by, "Cancelled")
    po.save()
    if was_sent:
        contact = po.vendor.contacts.exclude(email="").order_by("-is_primary", "name").first()
        to = contact.email if contact else po.vendor.email
        if to:
            subject, text, html = emails.render_email(
                "vendors_purchase_order_cancelled", {"po": po, "contact": contact}
            )
            emails.queue_email(
                key=f"po:{po.pk}:cancelled",
                to=[to],
                subject=subject,
                text=text,
                html=html,
                related=po,
            )
    return po


def open_po_quantities(
    warehouse_ids: Iterable[int] | None,
    product_ids: Iterable[int] | None,
    until_date: datetime.date,
) -> dict[tuple[int, int], int]:
    """Inbound source for replenishment: units on sent or partly received POs expected by
    `until_date`, by (warehouse id, product id)."""
    lines = PurchaseOrderLine.objects.filter(
        purchase_order__status__in=[
            PurchaseOrder.Status.SENT,
            PurchaseOrder.Status.PARTIALLY_RECEIVED,
        ],
        purchase_order__expected_date__lte=until_date,
        received__lt=F("quantity"),
    )
    if warehouse_ids is not None:
        lines = lines.filter(purchase_order__warehouse_id__in=list(warehouse_ids))
    if product_ids is not None:
        lines = lines.filter(product_id__in=list(product_ids))
    rows = (
        lines.values("purchase_order__warehouse_id", "product_id")
        .annotate(open=Sum(F("quantity") - F("received")))
        .order_by()
    )
    return {
        (row["purchase_order__warehouse_id"], row["product_id"]): int(row["open"])
        for row in rows
        if row["open"]
    }


# --- purchase orders from replenishment suggestions -------------------------------------------


@dataclass(frozen=True)
class SupplyOption:
    """Who supplies a product under a contract in force, and at what price for a quantity."""

    vendor: Vendor
    contract: VendorContract
    price: Decimal
    lead_time_days: int


def supply_options(product_ids: Iterable[int], on: datetime.date) -> dict[int, list[ContractPrice]]:
    """Price lines of contracts in force on `on` for these products (one query), by product."""
    lines = (
        ContractPrice.objects.filter(
            product_id__in=list(product_ids),
            contract__status=VendorContract.Status.ACTIVE,
            contract__start_date__lte=on,
            contract__end_date__gte=on,
            contract__vendor__is_active=True,
        )
        .exclude(contract__vendor__status=Vendor.Status.DISQUALIFIED)
        .select_related("contract__vendor")
        .order_by("product_id", "price", "lead_time_days", "pk")
    )
    found: dict[int, list[ContractPrice]] = {}
    for line in lines:
        found.setdefault(line.product_id, []).append(line)
    return found


def best_supply(prices: list[ContractPrice], quantity: int) -> SupplyOption | None:
    """The cheapest contract price reachable at `quantity` (then the shortest lead time)."""
    reachable = [p for p in prices if p.min_qty <= quantity]
    if not reachable:
        return None
    best = min(reachable, key=lambda p: (p.price, p.lead_time_days, p.contract.vendor.name))
    return SupplyOption(best.contract.vendor, best.contract, best.price, best.lead_time_days)


@dataclass(frozen=True)
class SuggestedOrders:
    created: list[PurchaseOrder]
    unsupplied: list[str]  # "WH-A/SKU-1": no contract in force prices the product


@transaction.atomic
def purchase_orders_from_suggestions(
    *, keys: Iterable[tuple[int, int]], by: Actor, today: datetime.date | None = None
) -> SuggestedOrders:
    """Draft POs for the chosen (warehouse id, product id) replenishment suggestions: each
    product from its cheapest contract supplier at the suggested quantity, one draft per vendor
    and warehouse. Suggestions are recomputed here (what the page showed may be stale)."""
    from inventory import selectors as inventory_selectors

    today = today or timezone.localdate()
    keys = set(keys)
    if not keys:
        raise _error(None, "Choose at least one suggestion.")
    suggestions = [
        s
        for s in inventory_selectors.replenishment_suggestions(
            {w for w, _ in keys}, {p for _, p in keys}, today=today
        )
        if (s.warehouse.pk, s.product.pk) in keys
    ]
    options = supply_options({s.product.pk for s in suggestions}, today)
    grouped: dict[tuple[int, int], list] = {}
    unsupplied = []
    for suggestion in suggestions:
        option = best_supply(options.get(suggestion.product.pk, []), suggestion.suggested_qty)
        if option is None:
            unsupplied.append(f"{suggestion.warehouse.code}/{suggestion.product.sku}")
            continue
        grouped.setdefault((option.vendor.pk, suggestion.warehouse.pk), []).append(
            (option, suggestion)
        )
    created = []
    for _key, rows in sorted(grouped.items()):
        option, first = rows[0]
        created.append(
            purchase_order_create(
                vendor=option.vendor,
                warehouse=first.warehouse,
                lines=_suggestion_lines(rows),
                by=by,
                notes="From replenishment suggestions.",
            )
        )
    return SuggestedOrders(created=created, unsupplied=unsupplied)


def _suggestion_lines(rows: list) -> list[OrderLineData]:
    return [OrderLineData(suggestion.product, suggestion.suggested_qty) for _, suggestion in rows]
