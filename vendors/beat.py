"""Beat entries of the vendors app (merged into settings by opsportal.beat)."""

from celery.schedules import crontab

SCHEDULE = {
    # Before the reminders, so a contract that just ended is expired or renewed first.
    "vendors-contracts-roll-over": {
        "task": "vendors.tasks.contracts_roll_over_task",
        "schedule": crontab(hour=5, minute=10),
    },
    "vendors-contract-reminders": {
        "task": "vendors.tasks.contract_reminders_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
}
