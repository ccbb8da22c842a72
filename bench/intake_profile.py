# ruff: noqa: T201 - a command-line tool: it prints its figures
"""CPU time of one intake, in process: the figure that holds on a shared machine.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m bench.intake_profile --orders 300
    … --profile 40        (cProfile of the hot path, the top functions by cumulative time)

Migrates and seeds the database given (bench/seed.py: three warehouses, 200 products, a rate
card, a manager token), then posts orders through the whole Django stack (WSGI handler via the
test Client: token auth, parsing, validation, routing, quotes, reservation, inserts, events,
the outbox row and the Celery publish on commit) in a loop, each in its own request. Reported:
median and p90 CPU ms per order (time.process_time of this process; PostgreSQL's and Redis's own
CPU is not in it), wall ms, and the queries of a 1-line and a 5-line order.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import time

import django

# As bench/intake.py runs the web server: DEBUG off (no query log), quiet logs, no real email.
for key, value in {
    "DJANGO_SETTINGS_MODULE": "opsportal.settings",
    "DEBUG": "off",
    "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "off",
    "LOG_LEVEL": "WARNING",
    "EMAIL_URL": "dummymail://",
}.items():
    os.environ.setdefault(key, value)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench import seed as bench_seed  # noqa: E402
from bench.intake import order_body  # noqa: E402


def _body(n: int, rng: random.Random, products: int, run: str) -> bytes:
    skus = rng.sample(range(products), rng.randint(1, 3))
    code = rng.choice(["60601", "10001", "75201", "94105", "98101"])
    return json.dumps(order_body(f"PROF-{run}-{n}", n, skus, code)).encode()


SECTIONS = [
    ("orders.api.intake_view", None, "_fast_intake"),
    ("opsportal.authentication", "TokenAuthentication", "authenticate_credentials"),
    ("orders.intake", None, "fast_order_input"),
    ("orders.intake_cache", None, "products_by_sku"),
    ("orders.services", None, "order_intake"),
    ("orders.services", None, "_first_read"),
    ("orders.services", None, "_intake_reserving"),
    ("orders.routing", None, "plan"),
    ("orders.services", None, "_build"),
    ("orders.carrier_choice", None, "choose"),
    ("orders.services", None, "notify"),
    ("orders.notifications", None, "render_subject"),
    ("orders.fastsql", "Rows", "add"),
    ("orders.fastsql", "Rows", "add_rows"),
    ("orders.fastsql", "Rows", "write"),
    ("orders.notifications", None, "kick"),
    ("orders.api.orders", None, "_intake_body"),
    ("rest_framework.renderers", "JSONRenderer", "render"),
]


def _time_sections() -> dict[str, float]:
    """Wrap each step with a CPU timer (nested steps count in their callers too)."""
    import functools
    import importlib

    spent: dict[str, float] = {}

    def wrap(fn, name):
        @functools.wraps(fn)
        def timed(*a, **kw):
            started = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - started

        return timed

    for module_name, owner_name, attr in SECTIONS:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        name = f"{module_name}.{owner_name + '.' if owner_name else ''}{attr}"
        original = owner.__dict__[attr]
        if isinstance(original, property):
            setattr(owner, attr, property(wrap(original.fget, name)))
        else:
            setattr(owner, attr, wrap(original, name))
    return spent


def _backend_cpu_reader():
    """Seconds of CPU used so far by this connection's PostgreSQL backend process (read from
    /proc, so only for a server on this machine); a reader giving None where it cannot."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = f"/proc/{pid}/stat"
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            with open(stat, encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print the top N by cumtime")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callees", default="", help="also print what these functions call")
    parser.add_argument(
        "--sections", action="store_true", help="CPU ms per order of each step (wrapped timers)"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    data = bench_seed.seed()
    queries = bench_seed.queries_per_order(data["token"])
    client = Client(HTTP_AUTHORIZATION=f"Token {data['token']}")
    rng = random.Random(6)  # noqa: S311 - load shape
    run = str(time.time_ns())
    bodies = [_body(n, rng, data["products"], run) for n in range(args.orders + 30)]

    def post(payload: bytes) -> None:
        response = client.post("/api/v1/orders/", payload, content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"intake failed: {response.status_code} {response.content[:300]!r}")

    spent = _time_sections() if args.sections else None
    backend = _backend_cpu_reader()
    for payload in bodies[:30]:  # warm-up: imports, caches, connections
        post(payload)
    if spent is not None:
        spent.clear()
    cpu, wall = [], []
    backend_before = backend()
    # CPU time, not wall: waits for PostgreSQL do not count (they cost the database, not us).
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for payload in bodies[30:]:
        c0, w0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        post(payload)
        if profiler:
            profiler.disable()
        cpu.append(1000 * (time.process_time() - c0))
        wall.append(1000 * (time.perf_counter() - w0))
    backend_after = backend()
    cpu.sort()
    database = (
        f"; PostgreSQL backend CPU ms/order (mean) "
        f"{1000 * (backend_after - backend_before) / args.orders:.2f}"
        if backend_before is not None and backend_after is not None
        else ""
    )
    print(
        f"{args.orders} orders: CPU ms/order median {statistics.median(cpu):.2f}, "
        f"p90 {cpu[int(len(cpu) * 0.9)]:.2f}{database}; "
        f"wall ms median {statistics.median(wall):.2f}; "
        f"queries {queries['1_line']} (1 line) / {queries['5_line']} (5 lines)"
        + (" [under cProfile]" if profiler else "")
    )
    if spent is not None:
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            print(f"  {name:<45} {1000 * seconds / args.orders:6.2f} ms/order")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        if args.callees:
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_callees(args.callees)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
