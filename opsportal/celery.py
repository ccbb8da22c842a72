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


def route_task(name: str, args, kwargs, options, task=None, **kw) -> dict | None:
    """Queues by task name: emails go to `emails`, documents to `documents`, the rest `default`.

    `*_email_send_task` and anything in an `email_tasks` module → emails;
    `document_job_*`, `*_render_task` and anything in a `label_tasks` module → documents.
    """
    if name.endswith("_email_send_task") or ".email_tasks." in name:
        return {"queue": "emails"}
    if "document_job_run" in name or name.endswith("_render_task") or ".label_tasks." in name:
        return {"queue": "documents"}
    return None


app.conf.task_routes = (route_task,)
app.autodiscover_tasks()
