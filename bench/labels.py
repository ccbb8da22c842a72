"""Label batches: seconds from asking for 100 labels to the finished PDF, on a real worker.

    python -m bench labels      (throwaway PostgreSQL + Redis, like the intake benchmark)
    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m bench.labels   (a database you give)

Migrates the database it is given, makes 100 packed shipments once (warehouse BENCH-LBL), starts
a Celery worker (`-Q documents -c 2`, prefork) on the same database and Redis, warms it with a
small batch, then times RUNS batches of 100 labels per part count: from the commit that queues
the DocumentJob to the job reading done (polled every 20 ms). Prints every run and the median.
The worker must be the only one consuming `documents` on that Redis while it runs.

On a shared machine the wall time depends on what else runs, so each run also reports the CPU
seconds the worker's processes spent (from /proc): the busiest process's CPU time is the wall
time the batch needs on two idle cores, give or take the polling and the merge.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

BATCH = 100
RUNS = 5
PART_COUNTS = (1, 2, 4)
TIMEOUT = 120.0


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _shipments() -> list[int]:
    """100 packed, labelled-ready shipments in the bench warehouse (made once, then reused)."""
    from django.db import transaction
    from django.utils import timezone

    from inventory.models import Product, Warehouse
    from orders.models import Order, OrderLine, Shipment, ShipmentLine
    from vendors.models import Carrier, CarrierService, Vendor

    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH-LBL",
        defaults={
            "name": "Bench Label DC",
            "address": "1 Benchmark Way",
            "city": "Atlanta",
            "postal_code": "30303",
            "country": "US",
            "is_active": False,
        },
    )
    existing = list(
        Shipment.objects.filter(warehouse=warehouse).order_by("pk").values_list("pk", flat=True)
    )
    if len(existing) >= BATCH:
        return existing[:BATCH]
    with transaction.atomic():
        vendor, _ = Vendor.objects.get_or_create(
            name="Bench Carrier", defaults={"kind": Vendor.Kind.CARRIER}
        )
        carrier, _ = Carrier.objects.get_or_create(code="BNCH", defaults={"vendor": vendor})
        service, _ = CarrierService.objects.get_or_create(
            carrier=carrier, code="GND", defaults={"name": "Bench Ground"}
        )
        product, _ = Product.objects.get_or_create(
            sku="BENCH-LBL-1", defaults={"name": "Bench label product"}
        )
        for number in range(len(existing), BATCH):
            order = Order.objects.create(
                number=f"BL{number:08d}",
                channel=Order.Channel.PORTAL,
                external_ref=f"bench-labels-{number}",
                customer_name=f"Bench Customer {number}",
                customer_email=f"bench{number}@example.com",
                ship_to_name=f"Zoë Bench {number}",
                ship_to_line1=f"{number} Long Street Name Avenue",
                ship_to_line2="Suite 200",
                ship_to_city="Springfield",
                ship_to_region="IL",
                ship_to_postal_code="62701",
                ship_to_country="US",
                placed_at=timezone.now(),
            )
            line = OrderLine.objects.create(
                order=order, product=product, quantity=1, unit_price=10, allocated=1
            )
            shipment = Shipment.objects.create(
                order=order,
                warehouse=warehouse,
                carrier_service=service,
                status=Shipment.Status.PACKED,
                weight_grams=900 + number,
                tracking_number=f"BNCH{number:011d}0",
            )
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=1)
    return _shipments()


def _start_worker() -> subprocess.Popen:
    log = Path(os.environ.get("BENCH_LOG_DIR", "var")) / "bench-labels-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "opsportal",
        "worker",
        "-Q",
        "documents",
        "-c",
        "2",
        "--pool",
        "prefork",
        "--loglevel",
        "WARNING",
        "--hostname",
        f"bench-labels-{os.getpid()}@%h",
        "--without-mingle",
        "--without-gossip",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed arguments
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _cpu_seconds(worker: subprocess.Popen) -> dict[int, float]:
    """CPU seconds (user + system) of each pool process of the worker, by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == worker.pid:
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def _time_batch(ids: list[int], parts: int) -> float:
    from django.db import transaction

    from opsportal import jobs
    from opsportal.models import DocumentJob

    started = time.perf_counter()
    with transaction.atomic():
        job = jobs.enqueue(
            DocumentJob.Kind.LABELS,
            params={"shipments": ids, "format": "pdf", "parts": parts},
            total=len(ids),
        )
    deadline = started + TIMEOUT
    while time.perf_counter() < deadline:
        status, error = DocumentJob.objects.filter(pk=job.pk).values_list("status", "error").get()
        if status == DocumentJob.Status.DONE:
            return time.perf_counter() - started
        if status == DocumentJob.Status.FAILED:
            raise RuntimeError(f"label job {job.pk} failed: {error}")
        time.sleep(0.02)
    raise RuntimeError(f"label job {job.pk} not done within {TIMEOUT:g} s")


def _in_process(ids: list[int]) -> float:
    """One process, one document, no worker: the baseline the split is measured against."""
    from orders.labels import labels_for, render_pdf

    started = time.perf_counter()
    render_pdf(labels_for(ids))
    return time.perf_counter() - started


def main() -> None:
    _setup()
    ids = _shipments()
    print(f"{len(ids)} shipments; {os.cpu_count()} cores; {RUNS} runs each")  # noqa: T201
    _in_process(ids[:2])  # imports and fonts
    baseline = [_in_process(ids) for _ in range(2)]
    print(  # noqa: T201
        f"in-process, one document: {' '.join(f'{t:.2f}' for t in baseline)} s "
        f"(median {statistics.median(baseline):.2f} s)"
    )
    cpu = time.process_time()
    _in_process(ids)
    print(f"in-process CPU: {time.process_time() - cpu:.2f} s")  # noqa: T201
    worker = _start_worker()
    try:
        _time_batch(ids[:10], 1)  # the worker is up and its processes have WeasyPrint loaded
        _time_batch(ids[:20], 2)
        for parts in PART_COUNTS:
            times, busiest = [], []
            for _ in range(RUNS):
                before = _cpu_seconds(worker)
                times.append(_time_batch(ids, parts))
                after = _cpu_seconds(worker)
                busiest.append(max(after[pid] - before.get(pid, 0.0) for pid in after))
            print(  # noqa: T201
                f"worker -c 2, {parts} part(s): wall {' '.join(f'{t:.2f}' for t in times)} s "
                f"(median {statistics.median(times):.2f} s for {len(ids)} labels); "
                f"busiest process CPU median {statistics.median(busiest):.2f} s"
            )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


if __name__ == "__main__":
    main()
