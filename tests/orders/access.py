"""Permission matrix rows for the order pages and API."""

from tests.access import MANAGER, WAREHOUSE, rule
from tests.factories import CustomerEmailFactory, OrderEventFactory
from tests.orders.factories import ReturnRequestFactory, order_in


def add_objects(world: dict) -> None:
    for key, warehouse in (("", world["warehouse"]), ("_other", world["other_warehouse"])):
        placed = order_in(warehouse)
        OrderEventFactory(order=placed.order)
        world[f"orders_order{key}"] = placed.order
        world[f"orders_shipment{key}"] = placed.shipment
        world[f"orders_return{key}"] = ReturnRequestFactory(order=placed.order, warehouse=warehouse)
        world[f"orders_email{key}"] = CustomerEmailFactory(order=placed.order)


def _by(name: str, kwarg: str, attribute: str) -> dict:
    return {
        "kwargs": lambda w: {kwarg: getattr(w[f"orders_{name}"], attribute)},
        "other_warehouse_kwargs": lambda w: {kwarg: getattr(w[f"orders_{name}_other"], attribute)},
    }


# Orders are operations work: managers see all, warehouse staff what touches their warehouses
# (read-only); contract admins never see orders. The email outbox is for managers only.
ORDERS = (MANAGER, WAREHOUSE)

MATRIX = {
    "orders:order_list": rule(*ORDERS),
    "orders:order_detail": rule(*ORDERS, **_by("order", "number", "number")),
    "orders:shipment_list": rule(*ORDERS),
    "orders:pick_list": rule(*ORDERS),
    "orders:return_list": rule(*ORDERS),
    "orders:email_list": rule(MANAGER),
    "api:order-list": rule(*ORDERS),
    "api:order-detail": rule(*ORDERS, **_by("order", "number", "number")),
    "api:shipment-list": rule(*ORDERS),
    "api:shipment-detail": rule(*ORDERS, **_by("shipment", "pk", "pk")),
    "api:return-list": rule(*ORDERS),
    "api:return-detail": rule(*ORDERS, **_by("return", "number", "number")),
    "api:customeremail-list": rule(MANAGER),
    "api:customeremail-detail": rule(MANAGER, kwargs=lambda w: {"pk": w["orders_email"].pk}),
}
