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

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench import seed as bench_seed  # noqa: E402


def _body(n: int, rng: random.Random, products: int, run: str) -> bytes:
    skus = rng.sample(range(products), rng.randint(1, 3))
    return json.dumps(
        {
            "channel": "web",
            "external_ref": f"PROF-{run}-{n}",
            "customer": {"name": "Zoë Bench", "email": f"bench{n}@example.com"},
            "ship_to": {
                "name": "Zoë Bench",
                "line1": f"{n} Main St",
                "city": "Somewhere",
                "postal_code": rng.choice(["60601", "10001", "75201", "94105", "98101"]),
                "country": "US",
            },
            "service_level": "standard",
            "lines": [{"sku": f"BENCH-{s:04d}", "quantity": 1, "unit_price": "9.99"} for s in skus],
        }
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", type=int, default=0, help="print the top N by cumtime")
    parser.add_argument("--sort", default="cumulative")
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

    for payload in bodies[:30]:  # warm-up: imports, caches, connections
        post(payload)
    cpu, wall = [], []
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
    cpu.sort()
    print(
        f"{args.orders} orders: CPU ms/order median {statistics.median(cpu):.2f}, "
        f"p90 {cpu[int(len(cpu) * 0.9)]:.2f}; wall ms median {statistics.median(wall):.2f}; "
        f"queries {queries['1_line']} (1 line) / {queries['5_line']} (5 lines)"
        + (" [under cProfile]" if profiler else "")
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
