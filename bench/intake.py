# ruff: noqa: T201, S603, S607 - a command-line tool: it prints and runs fixed commands
"""Intake benchmark: orders per second over the HTTP API against PostgreSQL.

    make bench            (python -m bench: this and the label benchmark)
    python -m bench intake --orders 3000 --runs 3 --workers 3 --clients 16

It starts a throwaway PostgreSQL and Redis (scripts/test-services.sh with its own state file
and ports 54360/63860, so it never touches the test or development servers), migrates, seeds
bench data (bench/seed.py), measures the queries of one intake in process, then starts
gunicorn (sync workers, 127.0.0.1) with persistent connections and posts orders from CLIENTS
concurrent clients (threads in two load processes, a new connection per request as gunicorn's
sync workers close them). Each order has 1–3 random SKUs of 200 and a random US postal code
of the bundled data set, so orders spread over the three warehouses. Reported: orders/s per
run and the median, latency p50/p95, errors, queries per order. The servers are stopped at the
end however it ends. Note: the throwaway PostgreSQL runs with fsync and synchronous_commit
off (as for tests), which flatters commit latency compared with a durable production setup.
Orders/s here depend on what else the machine runs; `python -m bench.intake_profile` gives
the CPU ms per order in process (and per step with --sections), which holds on a shared machine.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import multiprocessing
import os
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts" / "test-services.sh"
PG_PORT, REDIS_PORT, HTTP_PORT = "54360", "63860", 8760


def _env_from_services(env: dict) -> dict:
    out = subprocess.run(  # noqa: S603
        ["bash", str(SERVICES), "env"], env=env, check=True, capture_output=True, text=True
    ).stdout
    found = {}
    for line in out.splitlines():
        for word in shlex.split(line.removeprefix("export ")):
            if "=" in word:
                key, value = word.split("=", 1)
                found[key] = value
    return found


def _postal_codes() -> list[str]:
    with (ROOT / "opsportal" / "data" / "postal_codes.csv").open(encoding="utf-8") as f:
        return [row["postal_code"] for row in csv.DictReader(f) if row["country"] == "US"]


def order_body(ref: str, n: int, skus: list[int], postal_code: str) -> dict:
    """A bench order (DESIGN.md's body): one unit of each BENCH-nnnn SKU given, shipped in the US."""
    return {
        "channel": "web",
        "external_ref": ref,
        "customer": {"name": "Zoë Bench", "email": f"bench{n}@example.com"},
        "ship_to": {
            "name": "Zoë Bench",
            "line1": f"{n} Main St",
            "city": "Somewhere",
            "postal_code": postal_code,
            "country": "US",
        },
        "service_level": "standard",
        "lines": [{"sku": f"BENCH-{s:04d}", "quantity": 1, "unit_price": "9.99"} for s in skus],
    }


def _client(args: tuple) -> dict:
    """One load process: `threads` clients posting their share of the orders."""
    token, start, count, threads, products, seed, run_id = args
    postal = _postal_codes()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(start, start + count))
    rng_lock = threading.Lock()
    rng = random.Random(seed)  # noqa: S311 - load shape, not security

    def body(n: int) -> bytes:
        with rng_lock:
            skus = rng.sample(range(products), rng.randint(1, 3))
            code = rng.choice(postal)
        return json.dumps(order_body(f"BENCH-{run_id}-{n}", n, skus, code)).encode()

    def work() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            payload = body(n)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
                conn.request(
                    "POST",
                    "/api/v1/orders/",
                    payload,
                    {"Content-Type": "application/json", "Authorization": f"Token {token}"},
                )
                response = conn.getresponse()
                response.read()
                conn.close()
                status = response.status
            except OSError as exc:
                status, detail = 0, repr(exc)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    errors.append(str(status) if status else detail)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {"latencies": latencies, "errors": errors}


def _run(token: str, orders: int, clients: int, products: int, run_id: str) -> dict:
    processes = 2
    share = orders // processes
    jobs = [
        (
            token,
            i * share,
            share + (orders % processes if i == processes - 1 else 0),
            clients // processes,
            products,
            hash((run_id, i)) & 0xFFFF,
            run_id,
        )
        for i in range(processes)
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_client, jobs)
    seconds = time.perf_counter() - started
    latencies = sorted(x for part in parts for x in part["latencies"])
    errors = [e for part in parts for e in part["errors"]]
    return {
        "orders": len(latencies),
        "seconds": seconds,
        "orders_per_s": len(latencies) / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)],
        "errors": len(errors),
        "error_sample": errors[:3],
    }


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3000, help="orders per measured run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (2-4)")
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    state = ROOT / "var" / "bench-services.env"
    base = {
        **os.environ,
        "TEST_SERVICES_STATE": str(state),
        "TEST_PG_PORT": PG_PORT,
        "TEST_REDIS_PORT": REDIS_PORT,
    }
    python = sys.executable
    gunicorn = None
    subprocess.run(["bash", str(SERVICES), "start"], env=base, check=True)  # noqa: S603
    try:
        services = _env_from_services(base)
        env = {
            **base,
            "DATABASE_URL": services["DATABASE_URL"],
            "REDIS_URL": services["REDIS_URL"],
            "DEBUG": "off",
            "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "off",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "dummymail://",
        }
        run = {"env": env, "cwd": ROOT, "check": True}
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], **run)  # noqa: S603
        print("seeding bench data …", flush=True)
        seeded = subprocess.run(  # noqa: S603
            [python, "-m", "bench.seed", "--queries"], capture_output=True, text=True, **run
        )
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        gunicorn = subprocess.Popen(  # noqa: S603
            [
                python,
                "-m",
                "gunicorn",
                "opsportal.wsgi:application",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{HTTP_PORT}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        _wait_port(HTTP_PORT)
        print(f"warm-up (300 orders, {args.clients} clients) …", flush=True)
        _run(data["token"], 300, args.clients, data["products"], f"warm{time.time_ns()}")
        results = []
        for n in range(args.runs):
            result = _run(
                data["token"], args.orders, args.clients, data["products"], f"r{n}{time.time_ns()}"
            )
            results.append(result)
            print(
                f"run {n + 1}: {result['orders']} orders in {result['seconds']:.1f} s = "
                f"{result['orders_per_s']:.0f} orders/s (p50 {result['p50_ms']:.0f} ms, "
                f"p95 {result['p95_ms']:.0f} ms, errors {result['errors']} {result['error_sample']})",
                flush=True,
            )
        median = statistics.median(r["orders_per_s"] for r in results)
        queries = data["queries"]
        print(
            f"\nintake over HTTP: median {median:.0f} orders/s "
            f"({args.workers} gunicorn sync workers, {args.clients} clients, {args.runs} runs "
            f"of {args.orders}); queries per order (auth included): "
            f"{queries['1_line']} for 1 line, {queries['5_line']} for 5 lines"
        )
        return 0 if all(r["errors"] == 0 for r in results) else 1
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        subprocess.run(["bash", str(SERVICES), "stop"], env=base, check=False)  # noqa: S603


if __name__ == "__main__":
    raise SystemExit(main())
