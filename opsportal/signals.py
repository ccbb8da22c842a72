"""Wiring that must run in every process: role groups after migrate, the worker heartbeat, and
forgetting remembered API tokens when tokens, users, groups or memberships change."""

import logging
import socket
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver

logger = logging.getLogger(__name__)

HEARTBEAT_KEY_PREFIX = "opsportal:worker-heartbeat:"


@receiver(post_migrate)
def sync_roles_after_migrate(sender, app_config, using, apps=None, **kwargs) -> None:
    """New models bring new permissions: keep the role groups' grants as roles.py says."""
    if app_config.label != "opsportal":
        return
    from opsportal.roles import sync_role_groups

    sync_role_groups()


def _forget_tokens_on_change() -> None:
    from rest_framework.authtoken.models import Token

    from opsportal.authentication import forget_tokens

    user_model = get_user_model()
    for model in (Token, user_model, Group):
        post_save.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-{model}")
        post_delete.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-{model}")
    through = user_model.groups.through
    m2m_changed.connect(forget_tokens, sender=through, dispatch_uid="forget-tokens-groups")


_forget_tokens_on_change()

_heartbeat_stop = threading.Event()


def _beat(hostname: str) -> None:
    import redis

    from opsportal import redis_client

    client = redis_client.client()
    interval = max(settings.WORKER_HEARTBEAT_TTL // 3, 1)
    while not _heartbeat_stop.is_set():
        try:
            client.set(HEARTBEAT_KEY_PREFIX + hostname, "1", ex=settings.WORKER_HEARTBEAT_TTL)
        except redis.RedisError:
            logger.warning("worker heartbeat: Redis unreachable")
        _heartbeat_stop.wait(interval)


@worker_ready.connect
def start_worker_heartbeat(sender=None, **kwargs) -> None:
    """The worker's main process writes a short-lived key; /healthz/ wants a fresh one."""
    hostname = getattr(sender, "hostname", None) or socket.gethostname()
    _heartbeat_stop.clear()
    threading.Thread(target=_beat, args=(hostname,), name="heartbeat", daemon=True).start()


@worker_shutdown.connect
def stop_worker_heartbeat(sender=None, **kwargs) -> None:
    _heartbeat_stop.set()
