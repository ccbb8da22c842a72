"""Beat entries of the orders app (merged into CELERY_BEAT_SCHEDULE by opsportal.beat)."""

from celery.schedules import crontab

SCHEDULE = {
    # Customer emails left pending (the broker was down at commit) or claimed by a dead worker.
    "orders-customer-email-sweep": {
        "task": "orders.email_tasks.customer_email_sweep_task",
        "schedule": crontab(minute="*/2"),
    },
}
