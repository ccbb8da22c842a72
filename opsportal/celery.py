"""The Celery app: three queues, reliable delivery, JSON only.

Tasks take ids, are idempotent, and are acknowledged after they run (late acks), so a worker
killed mid-task leaves the message on the broker for another worker.
"""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")

app = Celery("opsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("emails"), Queue("documents"))
app.conf.task_default_queue = "default"
app.autodiscover_tasks()
