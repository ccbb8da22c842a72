"""The orders API, one module per area; each module's ROUTES are registered under /api/v1/."""

from orders.api import emails, labels, orders, returns

ROUTES = [
    *orders.ROUTES,  # orders (intake, workflow verbs) and shipments (pick, pack, ship, deliver)
    *returns.ROUTES,  # returns (RMAs)
    *emails.ROUTES,  # the customer email outbox
    *labels.ROUTES,  # shipping label batches (PDF job) and ZPL
]
