# ruff: noqa: T201, S603, S607 - a command-line tool: it prints and runs fixed commands
"""Intake benchmark: orders per second over the HTTP API against PostgreSQL.

    make bench            (python -m bench: this and the label benchmark)
    python -m bench intake --seconds 20 --runs 3 --workers 2 --clients 16
    python -m bench intake --client python --orders 3000     (the older Python load client)

It starts a throwaway PostgreSQL and Redis (scripts/test-services.sh with its own state file
and ports 54360/63860, so it never touches the test or development servers), migrates, seeds
bench data (bench/seed.py), measures the queries of one intake in process, then starts
the web server as the Procfile runs it, granian (2 workers of 1 thread each by default: on this
2-core machine, where PostgreSQL shares the cores, 3 measured ≈ 5% fewer orders/s; on
127.0.0.1, persistent database connections) and posts orders from
CLIENTS concurrent clients. Each order is distinct and valid: 1–3 random distinct SKUs of the
200 seeded, one unit each, and a random US postal code of the bundled data set, so orders
spread over the three warehouses (the shape of `order_body()` below).

Load client (`--client`):
  wrk (default)  `wrk` (C, event loop; installed with apt-get when missing and running as root)
                 with CLIENTS connections on 2 threads and bench/intake.lua, which builds every
                 body. It costs ≈ 0.05 ms of CPU per request, against ≈ 1 ms for the Python
                 client, so on a small machine the figure is the server's, not the client's.
                 Runs last `--seconds` (after a 5 s warm-up). Orders/s of a run = orders rows
                 really created with that run's external_ref prefix (counted in PostgreSQL
                 after wrk exits: requests still in flight when wrk stops finish on the server
                 and are counted, at most CLIENTS of them) / wrk's measured duration. Also shown:
                 wrk's responses/s, latency p50/p95 (wrk's histogram, which wrk corrects for
                 coordinated omission), responses other than 201 (counted in the Lua
                 `response()`; a sample body is printed) and socket errors. Before the
                 measured runs one body from the Lua builder is compared field by field with
                 `order_body()` built from its values and posted once (it must get a 201).
  python         2 processes × CLIENTS/2 threads of http.client, `--orders` per run after a
                 300-order warm-up; latency measured per request in the client.
`wrk` keeps its connections open (HTTP/1.1 keep-alive, as an order channel's client would);
the Python client opens a new connection per request. Any error (a response other than 201, a socket error) makes the
bench exit 1. The servers are stopped at the end however it ends. Note: the throwaway
PostgreSQL runs with fsync and synchronous_commit off (as for tests), which flatters commit
latency compared with a durable production setup. Orders/s here depend on what else the
machine runs; `python -m bench.intake_profile` gives the CPU ms per order in process (and per
step with --sections), which holds on a shared machine.
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
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts" / "test-services.sh"
PG_PORT, REDIS_PORT, HTTP_PORT = "54360", "63860", 8760
LUA = ROOT / "bench" / "intake.lua"
WRK_THREADS, WRK_WARMUP_SECONDS = 2, 5
WRK_RESULT = "BENCH-WRK-RESULT "


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


def _post_order(token: str, payload: bytes) -> tuple[int, bytes]:
    """POST one order body to the bench's web server on a new connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
    try:
        conn.request(
            "POST",
            "/api/v1/orders/",
            payload,
            {"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


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
                status, _ = _post_order(token, payload)
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


def _wrk_binary() -> str:
    """Path of wrk; installs it with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(
            "wrk is not installed (as root: apt-get install -y wrk); or run with --client python"
        )
    print("wrk is missing: apt-get install -y wrk …", flush=True)
    quiet = {
        "check": False,
        "stdout": subprocess.DEVNULL,
        "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    }
    if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update"], **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get could not install wrk; run with --client python")
    return found


def _count_orders(database_url: str, prefix: str) -> int:
    """Orders whose external_ref starts with `prefix`, once the count stops moving (requests in
    flight when wrk stopped still finish on the server)."""
    import psycopg  # noqa: PLC0415 - only the wrk client needs it, after Django set nothing up

    deadline = time.monotonic() + 15
    last = -1
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            time.sleep(0.3)
            count = conn.execute(
                "SELECT count(*) FROM orders_order WHERE starts_with(external_ref, %s)", [prefix]
            ).fetchone()[0]
            if count == last or time.monotonic() > deadline:
                return count
            last = count


def _wrk_run(
    wrk: str, data: dict, clients: int, seconds: int, run_id: str, database_url: str, **extra
) -> dict:
    """One wrk run of `seconds` with bench/intake.lua; orders counted in PostgreSQL."""
    env = {
        **os.environ,
        "BENCH_WRK_TOKEN": data["token"],
        "BENCH_WRK_RUN": run_id,
        "BENCH_WRK_PRODUCTS": str(data["products"]),
        "BENCH_WRK_POSTAL_CODES": ",".join(_postal_codes()),
        "BENCH_WRK_SEED": str(zlib.crc32(run_id.encode()) & 0xFFFFFF),
        **extra,
    }
    command = [
        wrk,
        "--threads",
        str(WRK_THREADS),
        "--connections",
        str(clients),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(LUA),
        f"http://127.0.0.1:{HTTP_PORT}/api/v1/orders/",
    ]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=seconds + 120,
        check=False,
    )
    found = [line for line in done.stdout.splitlines() if line.startswith(WRK_RESULT)]
    if done.returncode != 0 or not found:
        raise SystemExit(
            f"wrk failed (exit {done.returncode}, no result line from bench/intake.lua):\n"
            f"{done.stdout}{done.stderr}"
        )
    wrk_result = json.loads(found[-1].removeprefix(WRK_RESULT))
    duration = wrk_result["duration_us"] / 1e6
    orders = _count_orders(database_url, f"BENCH-{run_id}-")
    socket_errors = {k: wrk_result[k] for k in ("connect", "read", "write", "timeout")}
    problems = []
    if wrk_result["other"]:
        problems.append(f"{wrk_result['other']} responses other than 201")
    if any(socket_errors.values()):
        problems.append(f"socket errors {socket_errors}")
    # wrk stops with up to `clients` requests in flight: the server finishes them (counted
    # rows) but wrk never sees their 201. More than that, or fewer rows than 201s, is a bug.
    if not wrk_result["created"] <= orders <= wrk_result["created"] + clients:
        problems.append(
            f"{orders} order rows for {wrk_result['created']} responses 201 "
            f"(expected between {wrk_result['created']} and {wrk_result['created'] + clients})"
        )
    return {
        "orders": orders,
        "seconds": duration,
        "orders_per_s": orders / duration,
        "responses_per_s": wrk_result["responses"] / duration,
        "created": wrk_result["created"],
        "p50_ms": wrk_result["p50_us"] / 1000,
        "p95_ms": wrk_result["p95_us"] / 1000,
        "socket_errors": socket_errors,
        "other": wrk_result["other"],
        "sample": wrk_result["sample"],
        "problems": problems,
    }


def _print_wrk_run(label: str, result: dict) -> None:
    errors = ", ".join(f"{k} {v}" for k, v in result["socket_errors"].items())
    print(
        f"{label}: {result['orders']} orders created in {result['seconds']:.1f} s = "
        f"{result['orders_per_s']:.0f} orders/s (wrk {result['responses_per_s']:.0f} "
        f"responses/s, {result['created']} of them 201; p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms; non-201 {result['other']}; socket errors {errors})",
        flush=True,
    )
    for problem in result["problems"]:
        print(f"  ERROR: {problem}", flush=True)
    if result["sample"]:
        print(f"  sample non-201 response: {result['sample']}", flush=True)


def _check_lua_body(path: Path, data: dict, run_id: str) -> None:
    """The body bench/intake.lua builds equals order_body() built from its own values (keys,
    nesting, constants, number formats, UTF-8 name), its random parts are in range, and the
    server takes it (201). Raises SystemExit naming what differs."""
    raw = path.read_bytes()
    try:
        body = json.loads(raw.decode("utf-8"))
        skus = [int(line["sku"].removeprefix("BENCH-")) for line in body["lines"]]
        n = int(body["customer"]["email"].removeprefix("bench").removesuffix("@example.com"))
        expected = order_body(body["external_ref"], n, skus, body["ship_to"]["postal_code"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SystemExit(f"bench/intake.lua built an unreadable body ({exc!r}): {raw!r}") from exc
    problems = []
    if body != expected:
        problems.append(f"differs from order_body():\n  lua:    {body}\n  python: {expected}")
    if not 1 <= len(skus) <= 3 or len(set(skus)) != len(skus):
        problems.append(f"needs 1-3 distinct SKUs, has {skus}")
    if not all(0 <= s < data["products"] for s in skus):
        problems.append(f"SKUs {skus} outside the {data['products']} seeded")
    if body["ship_to"]["postal_code"] not in _postal_codes():
        problems.append(f"postal code {body['ship_to']['postal_code']} not in the bundled list")
    if not body["external_ref"].startswith(f"BENCH-{run_id}-"):
        problems.append(f"external_ref {body['external_ref']} lacks the run prefix")
    if not problems:
        status, answer = _post_order(data["token"], raw)
        if status != 201:
            problems.append(f"the server answered {status}: {answer[:500]!r}")
    if problems:
        raise SystemExit("bench/intake.lua's order body is wrong: " + "; ".join(problems))
    print(f"lua body check: same shape as order_body(), posted once: 201 ({len(raw)} bytes)")


def _bench_wrk(args: argparse.Namespace, wrk: str, data: dict, database_url: str) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        check = Path(tmp) / "body.json"
        run_id = f"warm{time.time_ns()}"
        print(f"warm-up (wrk, {WRK_WARMUP_SECONDS} s, {args.clients} clients) …", flush=True)
        warm = _wrk_run(
            wrk,
            data,
            args.clients,
            WRK_WARMUP_SECONDS,
            run_id,
            database_url,
            BENCH_WRK_CHECK_BODY=str(check),
        )
        _print_wrk_run("warm-up", warm)
        if warm["problems"]:
            return [warm]
        _check_lua_body(check, data, run_id)
    results = []
    for n in range(args.runs):
        result = _wrk_run(
            wrk, data, args.clients, args.seconds, f"r{n}{time.time_ns()}", database_url
        )
        results.append(result)
        _print_wrk_run(f"run {n + 1}", result)
    return results


def _bench_python(args: argparse.Namespace, data: dict) -> list[dict]:
    print(f"warm-up (300 orders, {args.clients} clients) …", flush=True)
    _run(data["token"], 300, args.clients, data["products"], f"warm{time.time_ns()}")
    results = []
    for n in range(args.runs):
        result = _run(
            data["token"], args.orders, args.clients, data["products"], f"r{n}{time.time_ns()}"
        )
        result["problems"] = [f"{result['errors']} errors"] if result["errors"] else []
        results.append(result)
        print(
            f"run {n + 1}: {result['orders']} orders in {result['seconds']:.1f} s = "
            f"{result['orders_per_s']:.0f} orders/s (p50 {result['p50_ms']:.0f} ms, "
            f"p95 {result['p95_ms']:.0f} ms, errors {result['errors']} {result['error_sample']})",
            flush=True,
        )
    return results


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def _wait_workers(workers: int, timeout: float = 120) -> float:
    """Seconds until `workers` concurrent GET / all get an answer (a redirect to the login page,
    which touches neither the database nor the static files manifest), so the warm-up does not
    start while the web server's workers still import Django."""
    started = time.monotonic()
    answered: list[int] = []

    def probe() -> None:
        while time.monotonic() - started < timeout:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=timeout)
                conn.request("GET", "/")
                answered.append(conn.getresponse().status)
                conn.close()
                return
            except OSError:
                time.sleep(0.2)

    pool = [threading.Thread(target=probe) for _ in range(workers)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if len(answered) < workers:
        raise SystemExit(f"the server did not answer {workers} requests within {timeout:.0f} s")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk", help="load client")
    parser.add_argument("--seconds", type=int, default=20, help="seconds per measured run (wrk)")
    parser.add_argument(
        "--orders", type=int, default=3000, help="orders per measured run (python client)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="web server workers (2-4)")
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    wrk = None
    if args.client == "wrk":
        if args.clients < WRK_THREADS or args.clients % WRK_THREADS:
            parser.error(f"--clients must be a multiple of {WRK_THREADS} (wrk's threads)")
        if args.seconds < 1:
            parser.error("--seconds must be at least 1")
        wrk = _wrk_binary()

    state = ROOT / "var" / "bench-services.env"
    base = {
        **os.environ,
        "TEST_SERVICES_STATE": str(state),
        "TEST_PG_PORT": PG_PORT,
        "TEST_REDIS_PORT": REDIS_PORT,
    }
    python = sys.executable
    server = None
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
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(python).with_name("granian")),
                "--interface",
                "wsgi",
                "opsportal.wsgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(HTTP_PORT),
                "--workers",
                str(args.workers),
                "--blocking-threads",
                "1",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        _wait_port(HTTP_PORT)
        print(f"the server answers after {_wait_workers(args.workers):.1f} s", flush=True)
        if wrk is not None:
            results = _bench_wrk(args, wrk, data, services["DATABASE_URL"])
            shape = f"wrk, {args.runs} runs of {args.seconds} s"
        else:
            results = _bench_python(args, data)
            shape = f"python client, {args.runs} runs of {args.orders} orders"
        median = statistics.median(r["orders_per_s"] for r in results)
        queries = data["queries"]
        print(
            f"\nintake over HTTP: median {median:.0f} orders/s "
            f"(granian, {args.workers} workers, {args.clients} clients, {shape}); "
            f"queries per order (auth included): "
            f"{queries['1_line']} for 1 line, {queries['5_line']} for 5 lines"
        )
        if any(r["problems"] for r in results):
            print("FAILED: see the errors above", flush=True)
            return 1
        return 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        subprocess.run(["bash", str(SERVICES), "stop"], env=base, check=False)  # noqa: S603


if __name__ == "__main__":
    raise SystemExit(main())
