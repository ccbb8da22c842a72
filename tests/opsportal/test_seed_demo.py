"""seed_demo: one user per role, idempotent, the stock invariants hold, a demo worth clicking."""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import InventoryCheck, Product, StockLevel, StockMovement, Warehouse
from opsportal import demo, roles
from opsportal.models import User
from orders.models import Allocation, CustomerEmail, Order, OrderEvent, OrderLine, Shipment
from quality.models import (
    Certification,
    ComplianceRequirement,
    CorrectiveAction,
    Manual,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
)
from vendors.models import Carrier, ShippingRate, VendorContract


def _row_counts() -> dict[str, int]:
    """Rows of every model, including M2M tables and history tables."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _ledger_mismatches():
    """Stock levels whose ledger does not sum to on_hand: one aggregate query."""
    ledger = (
        StockMovement.objects.filter(warehouse=OuterRef("warehouse"), product=OuterRef("product"))
        .values("warehouse", "product")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    return StockLevel.objects.annotate(ledger=Coalesce(Subquery(ledger), 0)).exclude(
        ledger=F("on_hand")
    )


def _running_sum_mismatches():
    """Movements whose on_hand_after is not the running sum of the ledger in time order."""
    running = Window(
        Sum("delta"),
        partition_by=[F("warehouse"), F("product")],
        order_by=[F("created_at").asc(), F("id").asc()],
    )
    return StockMovement.objects.annotate(running=running).exclude(running=F("on_hand_after"))


def _reservation_mismatches():
    """Stock levels whose reserved is not the sum of their allocations: one aggregate query."""
    allocated = (
        Allocation.objects.filter(
            warehouse=OuterRef("warehouse"), order_line__product=OuterRef("product")
        )
        .values("warehouse", "order_line__product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return StockLevel.objects.annotate(allocated=Coalesce(Subquery(allocated), 0)).exclude(
        allocated=F("reserved")
    )


def _shipped_mismatches():
    """Order lines whose shipped count is not what left in shipments (picked ones excluded)."""
    left = ["shipped", "delivered", "exception"]
    return OrderLine.objects.annotate(
        sent=Coalesce(
            Sum("shipment_lines__quantity", filter=Q(shipment_lines__shipment__status__in=left)),
            0,
        )
    ).exclude(sent=F("shipped"))


def _line_allocation_mismatches():
    return OrderLine.objects.annotate(total=Coalesce(Sum("allocations__quantity"), 0)).exclude(
        total=F("allocated")
    )


# The large scale with small overrides. It runs with the function-scoped test transaction, so
# it never meets the small demo below (that one lives in a class-scoped transaction).
def test_large_scale_with_overrides_seeds_and_is_idempotent(db):
    assert not Order.objects.exists()

    _seed("--scale", "large", "--orders", "2000", "--products", "200")

    assert Warehouse.objects.count() == 12
    assert Product.objects.count() == 200
    numbers = list(Order.objects.order_by("number").values_list("number", flat=True))
    assert numbers[0] == "SO-0000001"
    assert numbers[-1] == "SO-0002000"
    assert len(set(numbers)) == 2000
    lines_per_order = OrderLine.objects.count() / 2000
    assert 1.3 < lines_per_order < 1.8
    assert OrderEvent.objects.count() == 2000  # one event per order at this scale
    assert not _ledger_mismatches().exists()
    assert not _reservation_mismatches().exists()
    assert not _line_allocation_mismatches().exists()
    assert not _shipped_mismatches().exists()
    assert not Shipment.objects.annotate(n=Count("lines")).filter(n=0).exists()
    before = _row_counts()

    output = _seed("--scale", "large", "--orders", "2000", "--products", "200")

    assert _row_counts() == before
    assert "everything was already there" in output


def test_an_impossible_size_is_refused(db):
    with pytest.raises(CommandError, match="--warehouses must be between 2 and 12"):
        _seed("--warehouses", "40")
    assert not Warehouse.objects.exists()


@pytest.fixture(scope="class")
def small_demo(django_db_setup, django_db_blocker):
    """The small demo, seeded once for the class inside a transaction rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            output = _seed()
            # The seed's deferred foreign-key checks fire here, once; left pending, each test's
            # teardown (pytest-django checks constraints, then rolls back its savepoint, which
            # queues them again) re-checked every demo row: ~1.5 s a test.
            connection.check_constraints()
            yield output
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.smoke
@pytest.mark.usefixtures("small_demo", "db")
class TestSmallDemo:
    def test_it_creates_one_login_per_role_in_the_right_group(self):
        expected = {
            "manager": roles.OPERATIONS_MANAGER,
            "warehouse": roles.WAREHOUSE_STAFF,
            "warehouse2": roles.WAREHOUSE_STAFF,
            "contracts": roles.CONTRACT_ADMIN,
            "quality": roles.OPERATIONS_MANAGER,
        }
        for username, role in expected.items():
            user = User.objects.get(username=username)
            assert list(user.groups.values_list("name", flat=True)) == [role]
            assert user.check_password(demo.PASSWORD)
            assert not user.is_superuser
        admin = User.objects.get(username="admin")
        assert admin.is_superuser
        assert admin.is_staff
        assert admin.check_password(demo.PASSWORD)

    def test_warehouse_staff_work_in_some_warehouses_not_all(self):
        warehouse = User.objects.get(username="warehouse")
        codes = set(warehouse.warehouses.values_list("code", flat=True))
        assert codes == {"WH-EWR", "WH-ATL"}
        assert Warehouse.objects.count() == 5
        assert set(
            User.objects.get(username="warehouse2").warehouses.values_list("code", flat=True)
        ) == {"WH-CHI"}

    def test_it_prints_the_url_and_the_logins(self, small_demo):
        assert demo.URL in small_demo
        for username in ("manager", "warehouse", "contracts", "admin"):
            assert f"  {username} " in small_demo
        assert demo.PASSWORD in small_demo

    def test_a_second_run_changes_nothing(self):
        before = _row_counts()

        output = _seed()

        assert _row_counts() == before
        assert "everything was already there" in output

    def test_every_ledger_sums_to_on_hand(self):
        assert StockLevel.objects.count() > 1000
        assert not _ledger_mismatches().exists()
        assert not _running_sum_mismatches().exists()
        kinds = set(StockMovement.objects.values_list("kind", flat=True))
        assert {"receipt", "shipment", "adjustment", "count", "quarantine", "return"} <= kinds

    def test_reserved_is_the_sum_of_open_allocations(self):
        assert Allocation.objects.exists()
        assert not _reservation_mismatches().exists()
        assert not _line_allocation_mismatches().exists()
        assert not _shipped_mismatches().exists()
        assert not Allocation.objects.filter(
            order_line__order__status__in=["cancelled", "shipped", "delivered"]
        ).exists()
        assert StockLevel.objects.filter(reserved__gt=0).exists()
        assert StockLevel.objects.filter(quarantined__gt=0).exists()
        assert not StockLevel.objects.filter(on_hand__lt=F("reserved") + F("quarantined")).exists()

    def test_some_stock_is_low(self):
        low = StockLevel.objects.filter(
            on_hand__lte=F("reorder_point") + F("reserved") + F("quarantined")
        )
        assert 0 < low.count() < StockLevel.objects.count() / 3

    def test_products_have_valid_barcodes_and_an_abc_split(self):
        products = list(Product.objects.values_list("barcode", "abc_class"))
        assert len(products) == 300
        for barcode, _ in products:
            assert barcode == demo.ean13(barcode[:12])
        share = {c: sum(1 for _, a in products if a == c) / len(products) for c in "ABC"}
        assert share == pytest.approx({"A": 0.2, "B": 0.3, "C": 0.5}, abs=0.02)

    def test_three_carriers_with_full_rate_cards(self):
        carriers = Carrier.objects.prefetch_related("services")
        assert carriers.count() >= 3
        for carrier in carriers:
            services = list(carrier.services.all())
            assert 2 <= len(services) <= 3
            for service in services:
                rates = {
                    (r.zone, r.max_weight_grams): r
                    for r in ShippingRate.objects.filter(service=service)
                }
                assert set(rates) == {
                    (zone, grams) for zone in range(1, 9) for grams in demo.WEIGHT_BREAKS
                }
                for (zone, grams), rate in rates.items():
                    heavier = rates.get((zone, _next(demo.WEIGHT_BREAKS, grams)))
                    farther = rates.get((zone + 1, grams))
                    assert heavier is None or heavier.price > rate.price
                    assert farther is None or farther.price > rate.price
                    assert farther is None or farther.transit_days >= rate.transit_days

    def test_orders_cover_every_status_with_consistent_detail(self):
        assert Order.objects.count() == 400
        assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
        assert len(set(Order.objects.values_list("channel", flat=True))) >= 5
        assert len(set(Order.objects.values_list("payment_status", flat=True))) >= 4
        held = Order.objects.exclude(hold_kind="")
        assert held.exists()
        assert not held.filter(hold_reason="").exists()
        assert Order.objects.filter(at_risk=True).exists()
        # A shipped or delivered order has shipments; a shipped one is tracked and quoted.
        shipped = Order.objects.filter(status__in=["shipped", "delivered", "partially_shipped"])
        assert not shipped.annotate(n=Count("shipments")).filter(n=0).exists()
        for shipment in Shipment.objects.filter(status__in=["shipped", "delivered"])[:50]:
            assert shipment.tracking_number
            assert shipment.weight_grams > 0
            assert [q["chosen"] for q in shipment.quotes].count(True) == 1
        routed = Order.objects.exclude(routing={}).first()
        assert set(routed.routing) == {"chosen", "reason", "candidates"}
        assert {"warehouse", "can_fill", "meets_promise", "cost", "distance_km"} <= set(
            routed.routing["candidates"][0]
        )
        assert not Order.objects.annotate(n=Count("events")).filter(n=0).exists()

    def test_the_outbox_has_sent_and_failed_emails(self):
        assert not CustomerEmail.objects.filter(status="sent", sent_at=None).exists()
        failed = CustomerEmail.objects.filter(status="failed")
        assert failed.count() >= 2
        assert not failed.filter(last_error="").exists()
        assert CustomerEmail.objects.filter(kind="shipped").exclude(shipment=None).exists()

    def test_counts_are_planned_reviewed_and_posted(self):
        planned = InventoryCheck.objects.filter(status="planned", assigned_to__username="warehouse")
        assert planned.filter(scheduled_for=timezone.localdate()).exists()
        assert InventoryCheck.objects.filter(status="review").exists()
        posted = InventoryCheck.objects.filter(status="posted")
        assert posted.exists()
        assert not posted.annotate(n=Count("lines")).filter(n=0).exists()

    def test_contracts_include_drafts_and_ones_about_to_expire(self):
        today = timezone.localdate()
        contracts = VendorContract.objects
        assert contracts.filter(status="draft").exists()
        assert contracts.filter(status="expired").exists()
        assert contracts.filter(
            status="active", end_date__lte=today + dt.timedelta(days=90)
        ).exists()
        assert (
            contracts.filter(status="active").annotate(n=Count("prices")).filter(n__gt=0).exists()
        )

    def test_quality_records(self):
        clauses = set(
            ComplianceRequirement.objects.filter(standard="ISO 9001:2015").values_list(
                "clause", flat=True
            )
        )
        assert {"7.1.5", "8.4", "8.5.1", "8.7", "9.2", "10.2"} <= clauses
        assert ComplianceRequirement.objects.filter(standard__startswith="OSHA").count() >= 2
        assert SafetyIncident.objects.filter(kind="injury", lost_days__gt=0).count() == 1
        assert SafetyIncident.objects.filter(kind="near_miss").exists()
        soon = timezone.localdate() + dt.timedelta(days=90)
        assert Certification.objects.filter(valid_until__lte=soon).exists()
        assert CorrectiveAction.objects.exclude(verified_by=None).exists()
        assert not CorrectiveAction.objects.filter(verified_by=F("owner")).exists()

    def test_the_order_processing_manual_has_its_sops_in_order(self):
        manual = Manual.objects.get(title="Order Processing Manual")
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
        for document in SOPDocument.objects.filter(code__in=codes):
            effective = document.versions.filter(status="effective")
            assert effective.count() == 1
            version = effective.get()
            assert version.body == (demo.SOP_DIR / f"{document.code}.md").read_text()
            assert version.body.count("\n## ") >= 4
            assert version.approver_id is not None
            assert version.approver_id != version.author_id
            assert document.versions.filter(status="superseded").exists()
            assert document.roles.exists()
        assert SOPVersion.objects.filter(status__in=["draft", "in_review"]).exists()
        assert SOPVersion.objects.filter(acknowledgements__isnull=False).exists()


def _next(values: tuple[int, ...], value: int) -> int | None:
    i = values.index(value)
    return values[i + 1] if i + 1 < len(values) else None
