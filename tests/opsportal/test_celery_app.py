import pytest

from opsportal.celery import QUEUES, app


@pytest.mark.smoke
def test_each_queue_has_its_own_exchange_and_routing_key():
    bindings = {
        queue.name: (queue.exchange.name, queue.routing_key) for queue in app.conf.task_queues
    }
    assert bindings == {name: (name, name) for name in QUEUES}


def test_delivery_is_reliable_and_json_only():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_a_message_sent_to_one_queue_reaches_only_that_queue(redis_url, celery_worker_process):
    """Publish to 'emails' and look at the Redis lists behind each queue."""
    import redis

    # A worker left running by an earlier test would consume the message before we look.
    celery_worker_process.stop()

    assert app.conf.broker_url == redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete(*QUEUES)
    app.send_task("opsportal.tests.noop", queue="emails")
    lengths = {name: client.llen(name) for name in QUEUES}
    client.delete(*QUEUES)
    assert lengths == {"default": 0, "emails": 1, "documents": 0}


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("opsportal.tasks.outbound_email_send_task", "emails"),
        ("orders.email_tasks.customer_email_send_task", "emails"),
        ("orders.email_tasks.customer_email_drain_task", "emails"),
        ("opsportal.tasks.document_job_run_task", "documents"),
        ("orders.label_tasks.label_part_render_task", "documents"),
        ("quality.tasks.manual_render_task", "documents"),
        ("opsportal.tasks.outbound_email_sweep_task", "default"),
        ("inventory.tasks.check_plan_task", "default"),
    ],
)
def test_tasks_are_routed_to_their_queue_by_name(task_name, queue):
    from opsportal.celery import app

    route = app.amqp.router.route({}, task_name)
    assert route["queue"].name == queue
