"""The Celery beat schedule, gathered from each app's `<app>/beat.py`.

Each app keeps `SCHEDULE = {name: {"task": ..., "schedule": ...}}` next to its tasks, importing
only `celery.schedules`, so settings can read it before Django is set up.
"""

from __future__ import annotations

import importlib

from celery.schedules import crontab

PROJECT_APPS = ("opsportal", "inventory", "vendors", "orders", "quality")

SCHEDULE = {
    # Outbound emails left pending (Redis was down at commit) or claimed by a worker that died.
    "opsportal-email-sweep": {
        "task": "opsportal.tasks.outbound_email_sweep_task",
        "schedule": crontab(minute="*/2"),
    },
    # Document jobs whose worker died before it finished.
    "opsportal-document-job-sweep": {
        "task": "opsportal.tasks.document_job_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
}


def collect_schedule(apps: tuple[str, ...] = PROJECT_APPS) -> dict:
    """Every app's SCHEDULE merged; a name used twice is a mistake and raises."""
    merged: dict = {}
    for app in apps:
        name = f"{app}.beat"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for key, entry in getattr(module, "SCHEDULE", {}).items():
            if key in merged:
                raise ValueError(f"Beat entry {key!r} is defined twice ({name}).")
            merged[key] = entry
    return merged
