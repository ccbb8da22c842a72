"""Contract admins keep vendors and contracts: pages, lifecycle, optimistic lock, history."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.urls import reverse

from tests import factories
from vendors import services
from vendors.models import ContractPrice, Vendor, VendorContract


def _price_management(prefix: str, total: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _contract_post(vendor, owner, *, version="", number="C-NEW-1", title="Fasteners 2026", **extra):
    data = {
        "vendor": vendor.pk,
        "number": number,
        "title": title,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "notice_days": "60",
        "currency": "usd",
        "value": "120000.00",
        "payment_terms": "Net 30",
        "sla_on_time_pct": "95",
        "sla_lead_time_days": "10",
        "sla_max_defect_rate": "1.5",
        "owner": owner.pk,
        "notes": "",
        "version": version,
        **_price_management("prices", 0),
    }
    data.update(extra)
    return data


def _with_prices(data: dict, rows: list[tuple[str, str, str, str]]) -> dict:
    data = {**data, **_price_management("prices", len(rows))}
    for i, (sku, price, min_qty, lead) in enumerate(rows):
        data.update(
            {
                f"prices-{i}-sku": sku,
                f"prices-{i}-price": price,
                f"prices-{i}-min_qty": min_qty,
                f"prices-{i}-lead_time_days": lead,
            }
        )
    return data


def test_a_contract_admin_creates_a_vendor_with_contacts_and_status(contracts_client):
    data = {
        "name": "Acme Fasteners",
        "kind": "supplier",
        "email": "sales@acme.example.com",
        "phone": "+1 555 0100",
        "website": "acme.example.com",
        "address": "1 Bolt Way",
        "country": "us",
        "notes": "",
        "is_active": "on",
        "status-status": "conditional",
        "status-reason": "First audit pending",
        **_price_management("contacts", 2),
        "contacts-0-name": "Ada Buyer",
        "contacts-0-email": "ada@acme.example.com",
        "contacts-0-is_primary": "on",
        "contacts-1-name": "Bob Billing",
        "contacts-1-role": "Accounts",
    }
    response = contracts_client.post(reverse("vendors:vendor_create"), data)

    vendor = Vendor.objects.get(name="Acme Fasteners")
    assert response.status_code == 302
    assert response["Location"] == reverse("vendors:vendor_detail", args=[vendor.pk])
    assert vendor.country == "US"
    assert vendor.status == Vendor.Status.CONDITIONAL
    assert vendor.status_reason == "First audit pending"
    assert vendor.status_changed_at is not None
    assert [(c.name, c.is_primary) for c in vendor.contacts.all()] == [
        ("Ada Buyer", True),
        ("Bob Billing", False),
    ]


def test_a_vendor_needs_a_name_and_two_primary_contacts_are_refused(contracts_client):
    data = {
        "name": "",
        "kind": "supplier",
        "status-status": "qualified",
        "status-reason": "Audit passed",
        **_price_management("contacts", 0),
    }
    response = contracts_client.post(reverse("vendors:vendor_create"), data)
    assert response.status_code == 400
    assert "name" in response.context["form"].errors

    vendor = factories.VendorFactory(name="Two Primaries")
    data = {
        "name": "Two Primaries",
        "kind": "supplier",
        **_price_management("contacts", 2),
        "contacts-0-name": "A",
        "contacts-0-is_primary": "on",
        "contacts-1-name": "B",
        "contacts-1-is_primary": "on",
    }
    response = contracts_client.post(reverse("vendors:vendor_edit", args=[vendor.pk]), data)
    assert response.status_code == 400
    assert "Only one contact can be the primary contact." in response.content.decode()
    assert vendor.contacts.count() == 0


def test_changing_the_approved_supplier_status_records_reason_and_date(contracts_client):
    vendor = factories.VendorFactory(status=Vendor.Status.QUALIFIED)
    url = reverse("vendors:vendor_status", args=[vendor.pk])

    refused = contracts_client.post(url, {"status": "disqualified", "reason": ""})
    assert refused.status_code == 400
    response = contracts_client.post(url, {"status": "disqualified", "reason": "Failed audit"})

    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.DISQUALIFIED
    assert vendor.status_reason == "Failed audit"
    assert vendor.history.first().history_user.username == "contracts"


def test_a_contract_admin_creates_a_contract_with_prices_edits_it_and_sees_history(
    contracts_client, contract_admin
):
    vendor = factories.VendorFactory(name="Acme")
    factories.ProductFactory(sku="SKU-BOLT")
    factories.ProductFactory(sku="SKU-NUT", barcode="4000000099999")
    data = _with_prices(
        _contract_post(vendor, contract_admin),
        [("SKU-BOLT", "1.25", "1", "5"), ("4000000099999", "0.10", "100", "7")],
    )
    response = contracts_client.post(reverse("vendors:contract_create"), data)

    contract = VendorContract.objects.get(number="C-NEW-1")
    assert response.status_code == 302
    assert contract.status == VendorContract.Status.DRAFT
    assert contract.currency == "USD"
    assert contract.version == 1
    assert sorted((p.product.sku, p.price, p.min_qty) for p in contract.prices.all()) == [
        ("SKU-BOLT", Decimal("1.25"), 1),
        ("SKU-NUT", Decimal("0.10"), 100),
    ]

    edit = _with_prices(
        _contract_post(vendor, contract_admin, version="1", title="Fasteners 2026 (rev)"),
        [("SKU-BOLT", "1.30", "1", "5")],
    )
    response = contracts_client.post(reverse("vendors:contract_edit", args=[contract.pk]), edit)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Fasteners 2026 (rev)"
    assert contract.version == 2
    assert [(p.product.sku, p.price) for p in contract.prices.all()] == [
        ("SKU-BOLT", Decimal("1.30"))
    ]

    page = contracts_client.get(reverse("vendors:contract_history", args=[contract.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "<strong>Title</strong>: Fasteners 2026 → Fasteners 2026 (rev)" in content
    assert content.count('data-testid="history-row"') == 2
    # Price lines: two created, one changed, one deleted — each with who did it.
    assert content.count('data-testid="price-history-row"') == 4
    assert "Deleted</td><td>SKU-NUT" in content
    assert contract_admin.display_name in content


def test_the_second_of_two_admins_saving_the_same_version_gets_a_conflict(
    contracts_client, contract_admin
):
    contract = factories.VendorContractFactory(owner=contract_admin, title="Original")
    other = factories.user_with_role("Contract Admin", username="other-admin")
    url = reverse("vendors:contract_edit", args=[contract.pk])
    first = _contract_post(
        contract.vendor, contract_admin, version="1", number=contract.number, title="First wins"
    )
    second = {**first, "title": "Second loses"}

    assert contracts_client.post(url, first).status_code == 302
    from django.test import Client

    late = Client()
    late.force_login(other)
    response = late.post(url, second)

    assert response.status_code == 409
    assert 'data-testid="conflict"' in response.content.decode()
    assert "it is now at version 2" in response.content.decode()
    contract.refresh_from_db()
    assert contract.title == "First wins"
    assert contract.version == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_of_one_version_let_exactly_one_through():
    contract = factories.VendorContractFactory(title="Start")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(title: str) -> None:
        try:
            barrier.wait()
            services.contract_update(contract=contract, version=1, data={"title": title}, by=None)
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.append(exc.error_list[0].code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=save, args=(t,)) for t in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    contract.refresh_from_db()
    assert contract.version == 2
    assert contract.title in ("A", "B")
    assert contract.history.count() == 2  # created + the one save that won


def test_bad_contract_input_names_the_field_and_saves_nothing(contracts_client, contract_admin):
    vendor = factories.VendorFactory()
    factories.ProductFactory(sku="SKU-1")
    data = _contract_post(vendor, contract_admin, end_date="2025-01-01")
    response = contracts_client.post(reverse("vendors:contract_create"), data)
    assert response.status_code == 400
    assert "end_date" in response.context["form"].errors

    dup = _with_prices(
        _contract_post(vendor, contract_admin, number="C-DUP"),
        [("SKU-1", "1.00", "1", "5"), ("SKU-1", "2.00", "1", "5")],
    )
    response = contracts_client.post(reverse("vendors:contract_create"), dup)
    assert response.status_code == 400
    assert "Price line 2 (SKU-1): the same product and minimum quantity as price line 1." in (
        response.content.decode()
    )
    unknown = _with_prices(
        _contract_post(vendor, contract_admin, number="C-UNK"), [("NOPE", "1.00", "1", "5")]
    )
    response = contracts_client.post(reverse("vendors:contract_create"), unknown)
    assert response.status_code == 400
    assert "No product with SKU or barcode &#x27;NOPE&#x27;." in response.content.decode()
    assert not VendorContract.objects.filter(number__in=["C-DUP", "C-UNK"]).exists()
    assert not ContractPrice.objects.exists()


def test_lifecycle_activate_renew_keeps_the_old_term_and_copies_prices(contracts_client):
    contract = factories.VendorContractFactory(
        number="C-LIFE",
        status=VendorContract.Status.DRAFT,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    factories.ContractPriceFactory(contract=contract, price=Decimal("3.00"))

    response = contracts_client.post(
        reverse("vendors:contract_activate", args=[contract.pk]), {"version": 1}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.status, contract.version) == ("active", 2)

    response = contracts_client.post(
        reverse("vendors:contract_renew", args=[contract.pk]), {"version": 2}
    )
    successor = VendorContract.objects.get(previous=contract)
    assert response["Location"] == reverse("vendors:contract_detail", args=[successor.pk])
    contract.refresh_from_db()
    assert contract.status == VendorContract.Status.RENEWED
    assert successor.number == "C-LIFE-R2"
    assert successor.status == VendorContract.Status.ACTIVE
    assert (successor.start_date, successor.end_date) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
    )
    assert [p.price for p in successor.prices.all()] == [Decimal("3.00")]
    assert [p.price for p in contract.prices.all()] == [Decimal("3.00")]  # the old term stays

    again = contracts_client.post(
        reverse("vendors:contract_renew", args=[contract.pk]), {"version": contract.version}
    )
    assert again.status_code == 302
    assert VendorContract.objects.filter(previous=contract).count() == 1


def test_terminate_needs_a_reason_and_a_renewed_contract_cannot_be_edited(contracts_client):
    contract = factories.VendorContractFactory(status=VendorContract.Status.ACTIVE)
    url = reverse("vendors:contract_terminate", args=[contract.pk])
    contracts_client.post(url, {"version": 1, "reason": ""})
    contract.refresh_from_db()
    assert contract.status == VendorContract.Status.ACTIVE

    contracts_client.post(url, {"version": 1, "reason": "Vendor exits the market"})
    contract.refresh_from_db()
    assert contract.status == VendorContract.Status.TERMINATED
    assert "Vendor exits the market" in contract.notes

    with pytest.raises(ValidationError, match="Only a contract that is draft, active"):
        services.contract_update(
            contract=contract, version=contract.version, data={"title": "x"}, by=None
        )


def test_roll_over_expires_or_auto_renews_past_contracts(db):
    today = datetime.date(2026, 6, 1)
    ends = datetime.date(2026, 5, 31)
    plain = factories.VendorContractFactory(number="C-PLAIN", end_date=ends)
    auto = factories.VendorContractFactory(number="C-AUTO", end_date=ends, auto_renew=True)
    current = factories.VendorContractFactory(number="C-CURRENT", end_date=today)

    assert services.contracts_roll_over(today=today) == {"renewed": 1, "expired": 1}
    plain.refresh_from_db()
    auto.refresh_from_db()
    current.refresh_from_db()
    assert plain.status == VendorContract.Status.EXPIRED
    assert auto.status == VendorContract.Status.RENEWED
    assert auto.renewal.start_date == datetime.date(2026, 6, 1)
    assert current.status == VendorContract.Status.ACTIVE
    assert services.contracts_roll_over(today=today) == {"renewed": 0, "expired": 0}


@pytest.mark.parametrize("client_name", ["manager_client", "warehouse_client"])
def test_managers_and_staff_cannot_write_contracts_or_vendors(request, client_name):
    client = request.getfixturevalue(client_name)
    contract = factories.VendorContractFactory(title="Untouched")
    vendor = contract.vendor
    posts = [
        (reverse("vendors:contract_edit", args=[contract.pk]), {"title": "Hacked", "version": 1}),
        (reverse("vendors:contract_activate", args=[contract.pk]), {"version": 1}),
        (reverse("vendors:contract_terminate", args=[contract.pk]), {"version": 1, "reason": "x"}),
        (reverse("vendors:contract_renew", args=[contract.pk]), {"version": 1}),
        (reverse("vendors:vendor_edit", args=[vendor.pk]), {"name": "Hacked"}),
        (
            reverse("vendors:vendor_status", args=[vendor.pk]),
            {"status": "qualified", "reason": "x"},
        ),
        (reverse("vendors:contract_create"), {"title": "x"}),
        (reverse("vendors:vendor_create"), {"name": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    contract.refresh_from_db()
    assert (contract.title, contract.version, contract.status) == ("Untouched", 1, "active")


def test_anonymous_posts_go_to_login(client, db):
    contract = factories.VendorContractFactory()
    response = client.post(reverse("vendors:contract_edit", args=[contract.pk]), {})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_expiring_contracts_selector_for_the_dashboard(db):
    from vendors import selectors

    today = datetime.date(2026, 6, 1)
    soon = factories.VendorContractFactory(number="C-SOON", end_date=datetime.date(2026, 7, 1))
    factories.VendorContractFactory(number="C-LATER", end_date=datetime.date(2026, 12, 1))
    factories.VendorContractFactory(
        number="C-DRAFT", end_date=datetime.date(2026, 7, 1), status=VendorContract.Status.DRAFT
    )
    overdue = factories.VendorContractFactory(number="C-OVER", end_date=datetime.date(2026, 5, 1))

    assert list(selectors.expiring_contracts(90, today=today)) == [overdue, soon]
    assert list(selectors.expiring_contracts(10, today=today)) == [overdue]
