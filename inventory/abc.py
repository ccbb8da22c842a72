"""ABC classification of products from the value they ship, with a manager's override.

A product's movement value is the units it shipped (ledger rows of kind shipment, every
warehouse) over a window (90 days by default) times its unit cost. Ranked by value, the products
that make the first ~80 % of the total are A, the next ~15 % B, the rest (and whatever shipped
nothing) C. A product is A when the share of value *before* it is under 80 %, so the top seller
is always A even when it alone is 95 % of the value.

A manager can set a class by hand (`abc_class_locked`): the nightly run still records what it
computed (`abc_computed_class`, value and share) but leaves `abc_class` alone. The planner of
daily checks reads `abc_class`: A daily, B weekly, C monthly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper, F, Sum
from django.utils import timezone

from inventory.models import Product, StockMovement

A_SHARE = Decimal("0.80")
B_SHARE = Decimal("0.95")
DEFAULT_WINDOW_DAYS = 90
_SHARE_PLACES = Decimal("0.0001")


@dataclass
class AbcResult:
    """What a classification run did: products per computed class, and how many changed."""

    window_days: int
    total_value: Decimal = Decimal("0")
    counts: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0, "C": 0})
    changed: int = 0
    kept_by_override: int = 0


def shipped_values(*, since: datetime.datetime) -> dict[int, Decimal]:
    """Product id → shipped units × unit cost since `since`, over every warehouse (1 query)."""
    value = ExpressionWrapper(
        -F("delta") * F("product__unit_cost"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    rows = (
        StockMovement.objects.filter(kind=StockMovement.Kind.SHIPMENT, created_at__gte=since)
        .values("product_id")
        .annotate(value=Sum(value))
    )
    return {row["product_id"]: row["value"] or Decimal("0") for row in rows}


def classify(values: dict[int, Decimal], product_ids: list[int]) -> dict[int, tuple[str, Decimal]]:
    """Product id → (class, cumulative share of value) for the given products.

    Ranked by value, highest first, ties by id so the result never depends on query order.
    """
    ranked = sorted(product_ids, key=lambda pk: (-values.get(pk, Decimal("0")), pk))
    total = sum((max(values.get(pk, Decimal("0")), Decimal("0")) for pk in ranked), Decimal("0"))
    result: dict[int, tuple[str, Decimal]] = {}
    running = Decimal("0")
    for pk in ranked:
        value = max(values.get(pk, Decimal("0")), Decimal("0"))
        if total == 0 or value == 0:
            result[pk] = (Product.AbcClass.C, Decimal("1") if total else Decimal("0"))
            continue
        before = running / total
        running += value
        share = (running / total).quantize(_SHARE_PLACES)
        if before < A_SHARE:
            result[pk] = (Product.AbcClass.A, share)
        elif before < B_SHARE:
            result[pk] = (Product.AbcClass.B, share)
        else:
            result[pk] = (Product.AbcClass.C, share)
    return result


@transaction.atomic
def product_abc_classify(
    *, window_days: int = DEFAULT_WINDOW_DAYS, now: datetime.datetime | None = None
) -> AbcResult:
    """Recompute every active product's class from its shipped value; writes Product rows
    (computed class, value, share; `abc_class` too unless a manager locked it)."""
    if window_days < 1:
        raise ValidationError({"window_days": "The window must be at least one day."})
    now = now or timezone.now()
    values = shipped_values(since=now - datetime.timedelta(days=window_days))
    products = list(
        Product.objects.filter(is_active=True).only(
            "pk", "abc_class", "abc_class_locked", "abc_computed_class", "abc_movement_value"
        )
    )
    classes = classify(values, [product.pk for product in products])
    result = AbcResult(window_days=window_days, total_value=sum(values.values(), Decimal("0")))
    for product in products:
        computed, share = classes[product.pk]
        result.counts[computed] += 1
        product.abc_computed_class = computed
        product.abc_movement_value = values.get(product.pk, Decimal("0"))
        product.abc_value_share = share
        product.abc_computed_at = now
        if product.abc_class_locked:
            result.kept_by_override += product.abc_class != computed
        elif product.abc_class != computed:
            product.abc_class = computed
            result.changed += 1
    Product.objects.bulk_update(
        products,
        [
            "abc_class",
            "abc_computed_class",
            "abc_movement_value",
            "abc_value_share",
            "abc_computed_at",
        ],
        batch_size=1000,
    )
    return result


@transaction.atomic
def product_abc_override(*, product: Product, abc_class: str | None) -> Product:
    """Set a product's class by hand (locked against the nightly run), or with None/"" give it
    back to the computation (it takes the last computed class at once). Writes the Product."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if abc_class:
        if abc_class not in Product.AbcClass.values:
            raise ValidationError({"abc_class": f"{abc_class!r} is not A, B or C."})
        product.abc_class = abc_class
        product.abc_class_locked = True
    else:
        product.abc_class_locked = False
        if product.abc_computed_class:
            product.abc_class = product.abc_computed_class
    product.save(update_fields=["abc_class", "abc_class_locked"])
    return product
