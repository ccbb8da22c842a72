"""Real services for integration tests: Redis, an SMTP server on loopback, a Celery worker.

Loaded with `pytest_plugins = ["tests.services"]` in tests/conftest.py. Nothing here skips: a
service that is not there fails the test that needs it and says why. `make test` starts
PostgreSQL and Redis (scripts/test-services.sh) and exports DATABASE_URL and REDIS_URL.

Fixtures
    redis_url      session   the broker URL (settings.REDIS_URL), checked to answer PING
    smtp_server    session   an aiosmtpd server on 127.0.0.1 that keeps what it receives
    smtp_settings  function  Django's EMAIL_* pointed at smtp_server; its inbox emptied first
    celery_worker  function  a real `celery worker` process on the test database (see below)

Marker
    @pytest.mark.postgres    the test fails (never skips) unless the database is PostgreSQL

Under pytest-xdist (`make test` runs `-n 2`) each worker process gets its own Redis database
(REDIS_URL's number + 1 + the worker's) and, on PostgreSQL, its own copy of one migrated
template database; SMTP servers, live servers and Chromium take their own ports and folders.

A test that uses the worker::

    @pytest.mark.django_db(transaction=True)
    def test_it_emails_the_customer(celery_worker, smtp_settings):
        order = ...  # committed, so the worker sees it
        (received,) = smtp_settings.wait_for(1)
        assert received.rcpt_tos == ("ada@example.com",)
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

WORKER_QUEUES = "default,emails,documents"
WORKER_READY_TIMEOUT = 60.0
WORKER_STOP_TIMEOUT = 15.0

# aiosmtpd logs every SMTP command at INFO; a failing test's captured log should show the app's.
logging.getLogger("mail.log").setLevel(logging.WARNING)


# --- pytest-xdist ------------------------------------------------------------------------------


def xdist_worker_number() -> int | None:
    """0, 1, … in a pytest-xdist worker (`-n 2`); None when pytest runs in one process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist each worker gets its own Redis database (REDIS_URL's number + 1 + worker).

    pytest-django already gives each worker its own test database. The Redis database holds the
    Celery queues (a worker's Celery process must not take the other's tasks, and `purge()` must
    not empty them), worker heartbeats and label-batch keys named by row ids that both test
    databases reuse. SMTP and live servers take free ports, Chromium its own profile, media a
    per-worker tmp_path_factory folder, so those are separate already.
    """
    number = xdist_worker_number()
    if number is None:
        return
    from urllib.parse import urlsplit, urlunsplit

    from opsportal.celery import app as celery_app

    url = urlsplit(django_settings.REDIS_URL)
    base = int(url.path.strip("/") or 0)
    db = base + 1 + number
    if db > 15:
        raise pytest.UsageError(
            f"xdist worker gw{number} would use Redis database {db} (REDIS_URL {url.path}); "
            "Redis has 16: use a lower database number in REDIS_URL or fewer workers"
        )
    worker_url = urlunsplit(url._replace(path=f"/{db}"))
    django_settings.REDIS_URL = worker_url
    django_settings.CELERY_BROKER_URL = worker_url
    celery_app.conf.broker_url = worker_url


TEMPLATE_DONE = "pg-test-template.done"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, django_db_keepdb, tmp_path_factory
) -> None:
    """pytest-django's hook before the test databases are made (the _gw0, _gw1 suffixes are
    set by the fixture it depends on). Under xdist on PostgreSQL the migrations run once: the
    first worker migrates a template database and every worker copies it (CREATE DATABASE …
    TEMPLATE, what Django's own parallel runner does) instead of each migrating its own
    (~20 s of CPU each, and both at once on a 2-core machine)."""
    from django.db import connection

    if xdist_worker_number() is None or connection.vendor != "postgresql" or django_db_keepdb:
        return
    shared = tmp_path_factory.getbasetemp().parent  # one folder for the whole xdist run
    creation = connection.creation
    migrate_into = creation.create_test_db

    def create_test_db(verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        import fcntl

        name = creation._get_test_db_name()
        template = name.rsplit("_gw", 1)[0] + "_template"
        quote_name = connection.ops.quote_name
        with (shared / "pg-test-template.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            done = shared / TEMPLATE_DONE
            if not done.exists():
                test_settings = connection.settings_dict["TEST"]
                test_settings["NAME"] = template
                try:
                    migrate_into(verbosity, autoclobber=True, serialize=False, keepdb=False)
                finally:
                    test_settings["NAME"] = name
                connection.close()  # a template must have no connections to be copied
                done.write_text(template)
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote_name(name)}")
                cursor.execute(
                    f"CREATE DATABASE {quote_name(name)} WITH TEMPLATE {quote_name(template)}"
                )
        django_settings.DATABASES[connection.alias]["NAME"] = name
        connection.settings_dict["NAME"] = name
        connection.close()
        if serialize:
            connection._test_serialized_contents = creation.serialize_db_to_string()
        connection.ensure_connection()
        return name

    creation.create_test_db = create_test_db


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The xdist controller drops the template database its workers copied (each worker drops
    its own copy)."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return  # an xdist worker, or no xdist at all
    done = config._tmp_path_factory.getbasetemp() / TEMPLATE_DONE
    if not done.exists():
        return
    import psycopg
    from django.db import connection

    # Directly, not through Django: pytest-django blocks database access outside tests.
    params = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        autocommit=True,
    ) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(done.read_text())}")
    done.unlink()


# --- markers ----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before fixtures: a misplaced test fails at once instead of after the database is built.
    if item.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(
            f"{item.nodeid} is marked `postgres` but runs on {connection.vendor}. "
            "Run it with DATABASE_URL=postgres://… (`make test` does).",
            pytrace=False,
        )


# --- Redis ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis the app uses (REDIS_URL); fails if it does not answer."""
    url = django_settings.REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis does not answer at REDIS_URL={url}: {exc}. "
            "Run the tests with `make test`, which starts one.",
            pytrace=False,
        )
    finally:
        client.close()
    return url


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The text/plain body ('' if there is none)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        """The text/html body ('' if there is none)."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class SMTPServer:
    """An SMTP server on 127.0.0.1 that keeps every message it accepts in `messages`.

    `refuse_next(n, reply)` makes it answer the next n messages with `reply` instead.
    """

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self._received: list[ReceivedEmail] = []
        self._refusals: list[str] = []
        self._holds: list[HeldMessage] = []
        self.refused = 0
        self._changed = threading.Condition()
        self._controller = Controller(_RecordingHandler(self), hostname=self.host, port=self.port)

    @property
    def url(self) -> str:
        """As EMAIL_URL (django-environ): plain SMTP, no TLS, no login."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedEmail]:
        with self._changed:
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()
            self._refusals.clear()
            for held in self._holds:
                held.release()
            self._holds.clear()
            self.refused = 0

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        """The next `count` messages get `reply` (e.g. a 4xx or 5xx) instead of being accepted."""
        with self._changed:
            self._refusals.extend([reply] * count)

    def hold_next(self, reply: str = "451 4.4.2 Connection lost") -> HeldMessage:
        """The next message waits in DATA, unanswered, until `held.release()`; then it gets
        `reply` and is not kept: the server never accepted it (its client is gone by then in
        the worker-killed-mid-send tests). `held.arrived` is set when the message is waiting."""
        held = HeldMessage(reply)
        with self._changed:
            self._holds.append(held)
        return held

    def _take_hold(self) -> HeldMessage | None:
        with self._changed:
            return self._holds.pop(0) if self._holds else None

    def _take_refusal(self) -> str | None:
        with self._changed:
            if not self._refusals:
                return None
            self.refused += 1
            self._changed.notify_all()
            return self._refusals.pop(0)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[ReceivedEmail]:
        """Waits until at least `count` messages arrived; fails the test after `timeout` s."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self._received) >= count, timeout)
            received = list(self._received)
        if not arrived:
            subjects = [message.subject for message in received]
            pytest.fail(
                f"expected {count} email(s) within {timeout:g}s, got {len(received)}: {subjects}"
            )
        return received

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def _record(self, received: ReceivedEmail) -> None:
        with self._changed:
            self._received.append(received)
            self._changed.notify_all()


class HeldMessage:
    """A message the server keeps waiting in DATA (see SMTPServer.hold_next)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.arrived = threading.Event()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    async def wait(self) -> str:
        self.arrived.set()
        # In a thread, so the server's event loop keeps serving other connections meanwhile.
        await asyncio.get_running_loop().run_in_executor(None, self._released.wait, 120)
        return self.reply


class _RecordingHandler:
    def __init__(self, server: SMTPServer) -> None:
        self._server = server

    async def handle_DATA(self, server, session, envelope) -> str:
        held = self._server._take_hold()
        if held is not None:
            return await held.wait()
        refusal = self._server._take_refusal()
        if refusal is not None:
            return refusal
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self._server._record(
            ReceivedEmail(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
            )
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1 and a free port, for the whole session."""
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server: SMTPServer) -> SMTPServer:
    """Django sends mail over SMTP to `smtp_server`, whose inbox starts empty."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    smtp_server.clear()
    return smtp_server


# --- Celery worker ----------------------------------------------------------------------------


class CeleryWorker:
    """A `celery -A opsportal worker` subprocess (prefork, one pool process).

    `proc` is the main process; `pool_pids()` its pool processes (kill one of those to test
    that a task whose process died is delivered again). `kill()` SIGKILLs the whole worker;
    `restart()` stops it (gracefully if alive) and starts a new one. Output goes to `log_path`.
    """

    def __init__(self, *, env: dict[str, str], log_path: Path, cwd: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.name = ""
        self.proc: subprocess.Popen | None = None
        self._starts = 0

    def start(self) -> None:
        from opsportal.celery import app as celery_app

        self._starts += 1
        self.name = f"pytest-{os.getpid()}-{self._starts}@{socket.gethostname()}"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "opsportal",
            "worker",
            "-Q",
            WORKER_QUEUES,
            "-c",
            "1",
            "--pool",
            "prefork",
            "--loglevel",
            "INFO",
            "--hostname",
            self.name,
            "--without-mingle",
            "--without-gossip",
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n--- starting {self.name}\n".encode())
            log.flush()
            # Own session, so kill() reaches the pool processes too.
            self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments
                command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + WORKER_READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the Celery worker exited with {self.proc.returncode} while starting:\n"
                    f"{self.log_tail()}",
                    pytrace=False,
                )
            if celery_app.control.ping(destination=[self.name], timeout=0.5):
                return
        self.kill()
        pytest.fail(
            f"the Celery worker did not answer a ping within {WORKER_READY_TIMEOUT:g}s:\n"
            f"{self.log_tail()}",
            pytrace=False,
        )

    def is_alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pool_pids(self) -> list[int]:
        """PIDs of the worker's pool (child) processes, which run the tasks."""
        if not self.is_alive():
            return []
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                children.append(int(stat.parent.name))
        return children

    def is_idle(self) -> bool:
        """True when the worker runs no task and holds none (reserved or with an ETA)."""
        from opsportal.celery import app as celery_app

        inspect = celery_app.control.inspect(destination=[self.name], timeout=2.0)
        for state in (inspect.active(), inspect.reserved(), inspect.scheduled()):
            if state is None or state.get(self.name):
                return False
        return True

    def stop(self, timeout: float = WORKER_STOP_TIMEOUT) -> None:
        """Warm shutdown (finish the running task), then SIGKILL after `timeout` seconds."""
        if not self.is_alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as a crash would."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _database_url(settings_dict: dict) -> str:
    """DATABASE_URL (django-environ) for the test database this process uses."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or "mode=memory" in name:
            pytest.fail(
                "a Celery worker cannot share an in-memory SQLite test database: run this test "
                "on PostgreSQL (`make test`) or give the SQLite test database a file name.",
                pytrace=False,
            )
        return f"sqlite:///{Path(name).resolve()}"
    if engine in ("django.db.backends.postgresql", "opsportal.postgresql"):
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{login}{host}:{port}/{quote(name, safe='')}"
    pytest.fail(f"no Celery worker for the database engine {engine}", pytrace=False)


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, redis_url: str, smtp_server: SMTPServer, tmp_path_factory
) -> Iterator[CeleryWorker]:
    """One worker process for the session; tests use `celery_worker`, which keeps it clean.

    It depends on `django_db_setup`, so it stops before the test database is dropped.
    """
    from django.db import connection

    from opsportal.celery import app as celery_app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "opsportal.settings"),
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "EMAIL_URL": smtp_server.url,
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "off",
        # Outbox retries after 1 s, 2 s, 4 s… so a refused email is retried within a test.
        "EMAIL_RETRY_BASE_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    worker = CeleryWorker(
        env=env,
        log_path=tmp_path_factory.mktemp("celery-worker") / "worker.log",
        cwd=Path(django_settings.BASE_DIR),
    )
    celery_app.control.purge()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(celery_worker_process: CeleryWorker) -> Iterator[CeleryWorker]:
    """A running Celery worker consuming default, emails and documents, with empty queues.

    Scope: the process lives for the whole session (starting one costs seconds) and is
    started again for the next test if a test killed it. Each test starts with empty queues;
    a worker still running or holding a task when the test ends (a retry waiting for its
    countdown, say) is stopped, so nothing from one test runs during the next.
    The worker uses the test database, REDIS_URL, EMAIL_URL=smtp_server and MEDIA_ROOT as they
    were when it started: tests that use it must be `django_db(transaction=True)` (it sees
    only committed rows) and must not override MEDIA_ROOT.
    """
    from opsportal.celery import app as celery_app

    worker = celery_worker_process
    if not worker.is_alive():
        worker.start()
    celery_app.control.purge()
    yield worker
    if worker.is_alive() and not worker.is_idle():
        worker.stop()
        celery_app.control.purge()
