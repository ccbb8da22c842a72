import pytest
import redis
from django.urls import reverse

from opsportal.signals import HEARTBEAT_KEY_PREFIX

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _heartbeats(url: str) -> list[bytes]:
    return list(redis.Redis.from_url(url).scan_iter(match=HEARTBEAT_KEY_PREFIX + "*"))


def test_it_is_healthy_with_a_live_worker(client, settings, redis_url, celery_worker):
    settings.REDIS_URL = redis_url
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}
    assert response.json()["workers"] >= 1


def test_it_is_unhealthy_when_no_worker_beats(client, settings, redis_url, celery_worker):
    settings.REDIS_URL = redis_url
    connection = redis.Redis.from_url(redis_url)
    keys = _heartbeats(redis_url)
    assert keys, "the running worker writes a heartbeat"
    # The heartbeat expires on its own: a dead worker stops answering within the TTL.
    assert 0 < connection.ttl(keys[0]) <= settings.WORKER_HEARTBEAT_TTL
    celery_worker.kill()
    connection.delete(*keys)  # what the TTL would do a few seconds later
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "fail"
    assert response.json()["checks"]["database"] == "ok"


def test_it_is_unhealthy_when_redis_is_unreachable(client, settings, db):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "fail"
    assert response.json()["checks"]["worker"] == "fail"


def test_it_needs_no_sign_in_and_refuses_post(client, db):
    assert client.post(reverse("healthz")).status_code == 405
