"""Beat entries of the orders app (merged into CELERY_BEAT_SCHEDULE by opsportal.beat)."""

from celery.schedules import crontab

SCHEDULE = {
    # Customer emails left pending (the broker was down at commit) or claimed by a dead worker.
    "orders-customer-email-sweep": {
        "task": "orders.email_tasks.customer_email_sweep_task",
        "schedule": crontab(minute="*/2"),
    },
    # Backorders whose stock arrived without a task (the broker was down at the receipt).
    "orders-backorders-sweep": {
        "task": "orders.fulfilment_tasks.backorders_sweep_task",
        "schedule": crontab(minute="*/10"),
    },
    # Orders that will miss their promise: flagged at risk, the customer told once.
    "orders-at-risk": {
        "task": "orders.fulfilment_tasks.orders_flag_at_risk_task",
        "schedule": crontab(minute="5", hour="*"),
    },
}
