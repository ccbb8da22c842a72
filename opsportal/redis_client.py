"""One Redis client per process for what the project keeps in Redis besides Celery's queues:
label batch boards, worker heartbeats, the health check.

`client(timeout=…)` is cached per REDIS_URL and timeout, so its connection pool is reused by
every call (a new client per use would connect anew each time).
"""

from __future__ import annotations

import redis
from django.conf import settings

_clients: dict[tuple[str, float], redis.Redis] = {}


def client(*, timeout: float = 2) -> redis.Redis:
    """The client for settings.REDIS_URL whose reads and connects give up after `timeout` s."""
    key = (settings.REDIS_URL, timeout)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(
            key[0], socket_timeout=timeout, socket_connect_timeout=min(timeout, 2)
        )
    return _clients[key]
