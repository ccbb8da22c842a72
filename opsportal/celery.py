"""The Celery app: three queues, reliable delivery, JSON only.

Tasks take ids, are idempotent, and are acknowledged after they run (late acks), so a worker
killed mid-task leaves the message on the broker for another worker.
"""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")

app = Celery("opsportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue with its own exchange and routing key: a bare Queue("emails") binds to the default
# exchange with key "default", so one message could land in every queue.
QUEUES = ("default", "emails", "documents")
app.conf.task_queues = tuple(Queue(name, Exchange(name), routing_key=name) for name in QUEUES)
app.conf.task_default_queue = "default"
app.conf.task_default_exchange = "default"
app.conf.task_default_routing_key = "default"
app.autodiscover_tasks()
