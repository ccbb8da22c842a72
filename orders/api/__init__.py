"""The orders API, one module per area; each module's ROUTES are registered under /api/v1/."""

from orders.api import emails, orders, returns

ROUTES = [
    *orders.ROUTES,  # orders (intake, workflow verbs) and shipments (pick, pack, ship, deliver)
    *returns.ROUTES,  # returns (RMAs)
    *emails.ROUTES,  # the customer email outbox
]
