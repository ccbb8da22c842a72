"""Beat entries of the inventory app (merged into settings with every app's beat.py)."""

from celery.schedules import crontab

SCHEDULE = {
    # Nightly, before the first warehouse's day begins: the planner reads the classes.
    "inventory-abc-classify": {
        "task": "inventory.tasks.product_abc_classify_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # Hourly and idempotent: each warehouse is planned in the first run of its own local day
    # (warehouses keep their time zone), later runs that day create nothing.
    "inventory-check-plan-daily": {
        "task": "inventory.tasks.check_plan_daily_task",
        "schedule": crontab(minute=5),
    },
}
