"""Permission matrix rows for the order pages and API."""

from tests.access import ANONYMOUS, CONTRACTS, MANAGER, NO_ROLE, WAREHOUSE, rule
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
    "orders:order_create": rule(MANAGER),
    "orders:order_import": rule(MANAGER),
    "orders:shipment_detail": rule(*ORDERS, **_by("shipment", "pk", "pk")),
    # POST-only pages: a GET answers 405 to those the rule lets in; other warehouses' shipments
    # and the effect of each POST are tested in test_order_pages.py / test_shipment_pages.py.
    "orders:pick_start": rule(*ORDERS),
    "orders:shipment_pack": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "orders:shipment_ship": rule(*ORDERS, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "orders:shipment_carrier": rule(MANAGER, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "orders:shipment_deliver": rule(MANAGER, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "orders:shipment_exception": rule(MANAGER, kwargs=_by("shipment", "pk", "pk")["kwargs"]),
    "orders:order_hold": rule(MANAGER, kwargs=_by("order", "number", "number")["kwargs"]),
    "orders:order_release": rule(MANAGER, kwargs=_by("order", "number", "number")["kwargs"]),
    "orders:order_cancel": rule(MANAGER, kwargs=_by("order", "number", "number")["kwargs"]),
    "orders:order_reroute": rule(MANAGER, kwargs=_by("order", "number", "number")["kwargs"]),
    "orders:order_payment": rule(MANAGER, kwargs=_by("order", "number", "number")["kwargs"]),
    # Carriers call it without a session: the HMAC signature is the check (test_webhook.py).
    "orders:carrier_webhook": rule(
        ANONYMOUS, NO_ROLE, MANAGER, WAREHOUSE, CONTRACTS, kwargs=lambda w: {"carrier": "ACME"}
    ),
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
    # H5: return verbs (managers; receive also staff of the return's warehouse), resend, labels.
    # POST-only: a GET answers 405 once the role passes, before the object is looked up, so
    # the other-warehouse refusal (404 on POST) is tested in tests/orders/test_return_api.py.
    "api:return-approve": rule(*ORDERS, kwargs=lambda w: {"number": w["orders_return"].number}),
    "api:return-reject": rule(*ORDERS, kwargs=lambda w: {"number": w["orders_return"].number}),
    "api:return-receive": rule(*ORDERS, kwargs=lambda w: {"number": w["orders_return"].number}),
    "api:return-refund": rule(*ORDERS, kwargs=lambda w: {"number": w["orders_return"].number}),
    "api:customeremail-resend": rule(MANAGER, kwargs=lambda w: {"pk": w["orders_email"].pk}),
    "api:label-list": rule(*ORDERS),
    "api:label-zpl": rule(*ORDERS),
}
