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
    # Labels, returns, resend (H5). POST-only views answer 405 to a GET that passed the rule.
    "orders:label_batch": rule(*ORDERS),
    "orders:return_detail": rule(*ORDERS, **_by("return", "number", "number")),
    "orders:return_decide": rule(MANAGER, **_by("return", "number", "number")),
    "orders:return_receive": rule(*ORDERS, **_by("return", "number", "number")),
    "orders:return_refund": rule(MANAGER, **_by("return", "number", "number")),
    "orders:return_create": rule(MANAGER, **_by("order", "number", "number")),
    "orders:email_resend": rule(MANAGER, kwargs=lambda w: {"pk": w["orders_email"].pk}),
    "api:order-list": rule(*ORDERS),
    "api:order-detail": rule(*ORDERS, **_by("order", "number", "number")),
    # POST-only workflow verbs: the matrix GETs them, which answers 405 to anyone the read rule
    # lets in. Who may POST them (managers; staff pick/pack/ship in their warehouses, 404 for
    # others) is tested with real POSTs in test_workflow_api.py.
    "api:order-cancel": rule(*ORDERS, kwargs=_by("order", "number", "number")["kwargs"]),
    "api:order-hold": rule(*ORDERS, kwargs=_by("order", "number", "number")["kwargs"]),
    "api:order-release": rule(*ORDERS, kwargs=_by("order", "number", "number")["kwargs"]),
    "api:order-reroute": rule(*ORDERS, kwargs=_by("order", "number", "number")["kwargs"]),
    "api:order-payment": rule(*ORDERS, kwargs=_by("order", "number", "number")["kwargs"]),
    "api:shipment-pick": rule(*ORDERS),
    "api:shipment-pack": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "api:shipment-ship": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "api:shipment-deliver": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "api:shipment-exception": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "api:shipment-carrier": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "api:shipment-list": rule(*ORDERS),
    "api:shipment-detail": rule(*ORDERS, **_by("shipment", "pk", "pk")),
    "api:return-list": rule(*ORDERS),
    "api:return-detail": rule(*ORDERS, **_by("return", "number", "number")),
    "api:customeremail-list": rule(MANAGER),
    "api:customeremail-detail": rule(MANAGER, kwargs=lambda w: {"pk": w["orders_email"].pk}),
}
