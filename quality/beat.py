"""Beat entries of the quality app (merged into CELERY_BEAT_SCHEDULE by opsportal.beat)."""

from celery.schedules import crontab

SCHEDULE = {
    # Periodic inspection plans open their inspections before the morning shift.
    "quality-periodic-inspections": {
        "task": "quality.tasks.inspections_periodic_task",
        "schedule": crontab(hour=5, minute=10),
    },
    # Each overdue corrective action emails its owner once per due date.
    "quality-capa-overdue-reminders": {
        "task": "quality.tasks.capa_overdue_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Reviews due within 30 days and certifications expiring within 60, once per date.
    "quality-compliance-reminders": {
        "task": "quality.tasks.compliance_reminders_task",
        "schedule": crontab(hour=7, minute=5),
    },
}
