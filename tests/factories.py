"""factory_boy factories for every model the tests touch; deterministic (Sequence, no random)."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from inventory.models import InventoryCheck, InventoryCheckLine, Product, StockLevel, Warehouse
from opsportal import roles
from opsportal.models import DocumentJob, User
from orders.models import Allocation, CustomerEmail, Order, OrderEvent, OrderLine, Shipment
from quality.models import (
    InspectionPlan,
    NonConformance,
    SafetyIncident,
    SOPDocument,
    SOPVersion,
)
from vendors.models import (
    Carrier,
    CarrierService,
    ContractPrice,
    PurchaseOrder,
    PurchaseOrderLine,
    ShippingRate,
    Vendor,
    VendorContact,
    VendorContract,
)

PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def user_with_role(role: str | None, **kwargs) -> User:
    """A user holding one role (a roles.* name), or a superuser for role='superuser'."""
    if role == "superuser":
        return UserFactory(is_superuser=True, is_staff=True, **kwargs)
    return UserFactory(role=role, **kwargs)


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    city = "Springfield"
    country = "US"
    postal_code = "62701"
    latitude = Decimal("39.781721")
    longitude = Decimal("-89.650148")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    barcode = factory.Sequence(lambda n: f"400000{n:07d}")
    weight_grams = 500
    unit_cost = Decimal("10.00")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    warehouse = factory.SubFactory(WarehouseFactory)
    product = factory.SubFactory(ProductFactory)
    on_hand = 100
    reorder_point = 10
    safety_stock = 5
    bin = factory.Sequence(lambda n: f"A-{n % 20:02d}-{n % 5}")


class InventoryCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InventoryCheck

    warehouse = factory.SubFactory(WarehouseFactory)
    scheduled_for = factory.LazyFunction(timezone.localdate)


class InventoryCheckLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InventoryCheckLine

    inventory_check = factory.SubFactory(InventoryCheckFactory)
    product = factory.SubFactory(ProductFactory)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Vendor {n}")
    kind = Vendor.Kind.SUPPLIER
    status = Vendor.Status.QUALIFIED
    email = factory.Sequence(lambda n: f"sales{n}@vendor.example.com")


class VendorContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorContact

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@vendor.example.com")
    is_primary = True


class VendorContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorContract

    vendor = factory.SubFactory(VendorFactory)
    number = factory.Sequence(lambda n: f"C-{n:05d}")
    title = factory.Sequence(lambda n: f"Supply agreement {n}")
    status = VendorContract.Status.ACTIVE
    start_date = datetime.date(2026, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    value = Decimal("100000.00")


class ContractPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractPrice

    contract = factory.SubFactory(VendorContractFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("8.50")


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    vendor = factory.SubFactory(VendorFactory, kind=Vendor.Kind.CARRIER)
    code = factory.Sequence(lambda n: f"CAR{n}")
    tracking_url_template = "https://track.example.com/{tracking_number}"


class CarrierServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarrierService

    carrier = factory.SubFactory(CarrierFactory)
    code = factory.Sequence(lambda n: f"SVC{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    speed = CarrierService.Speed.GROUND


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    service = factory.SubFactory(CarrierServiceFactory)
    zone = 1
    max_weight_grams = 5000
    price = Decimal("7.50")
    transit_days = 3


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    number = factory.Sequence(lambda n: f"PO-{n:06d}")
    vendor = factory.SubFactory(VendorFactory)
    warehouse = factory.SubFactory(WarehouseFactory)


class PurchaseOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrderLine

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 10
    unit_price = Decimal("8.50")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T{n:08d}")
    channel = Order.Channel.WEB
    external_ref = factory.Sequence(lambda n: f"EXT-{n}")
    customer_name = "Ada Lovelace"
    customer_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    ship_to_name = "Ada Lovelace"
    ship_to_line1 = "1 Main St"
    ship_to_city = "Springfield"
    ship_to_region = "IL"
    ship_to_postal_code = "62701"
    ship_to_country = "US"
    placed_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 2
    unit_price = Decimal("19.99")


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allocation

    order_line = factory.SubFactory(OrderLineFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = 1


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    warehouse = factory.SubFactory(WarehouseFactory)


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    kind = OrderEvent.Kind.RECEIVED


class CustomerEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerEmail

    order = factory.SubFactory(OrderFactory)
    kind = CustomerEmail.Kind.ORDER_RECEIVED
    to = factory.LazyAttribute(lambda e: e.order.customer_email)
    subject = "Your order"


class DocumentJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentJob

    kind = DocumentJob.Kind.LABELS
    total = 10


class SOPDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SOPDocument
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"SOP-TST-{n:03d}")
    title = factory.Sequence(lambda n: f"Procedure {n}")
    area = SOPDocument.Area.ORDERS


class SOPVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SOPVersion

    document = factory.SubFactory(SOPDocumentFactory)
    number = 1
    body = "# Purpose\n\nDo the thing."
    author = factory.SubFactory(UserFactory)


class InspectionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    trigger = InspectionPlan.Trigger.RECEIPT
    criteria = factory.LazyFunction(lambda: [{"name": "Packaging intact", "kind": "pass_fail"}])


class NonConformanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NonConformance

    number = factory.Sequence(lambda n: f"NC-{n:05d}")
    title = factory.Sequence(lambda n: f"Damaged goods {n}")


class SafetyIncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SafetyIncident

    warehouse = factory.SubFactory(WarehouseFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    kind = SafetyIncident.Kind.NEAR_MISS
    description = "Pallet slipped from forks"


ROLE_NAMES = {
    "manager": roles.OPERATIONS_MANAGER,
    "warehouse": roles.WAREHOUSE_STAFF,
    "contracts": roles.CONTRACT_ADMIN,
}
