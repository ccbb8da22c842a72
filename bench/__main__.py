# ruff: noqa: T201, S603, S607 - a command-line tool: it prints and runs fixed commands
"""`make bench` = `python -m bench [intake|labels] [options]`: every benchmark, or the one named.

    intake   orders/s over the HTTP API with 16 clients (bench/intake.py; options pass through)
    labels   seconds for a 100-label PDF batch on a 2-process worker (bench/labels.py)

Each starts its own throwaway PostgreSQL and Redis and stops them however it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench import intake
from bench.intake import SERVICES, _env_from_services

ROOT = Path(__file__).resolve().parent.parent
LABELS_PG_PORT, LABELS_REDIS_PORT = "54361", "63861"


def run_labels() -> int:
    base = {
        **os.environ,
        "TEST_SERVICES_STATE": str(ROOT / "var" / "bench-labels-services.env"),
        "TEST_PG_PORT": LABELS_PG_PORT,
        "TEST_REDIS_PORT": LABELS_REDIS_PORT,
    }
    subprocess.run(["bash", str(SERVICES), "start"], env=base, check=True)
    try:
        env = {**base, **_env_from_services(base)}
        return subprocess.run([sys.executable, "-m", "bench.labels"], env=env, cwd=ROOT).returncode
    finally:
        subprocess.run(["bash", str(SERVICES), "stop"], env=base, check=False)


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "all"
    if which != "all":
        del sys.argv[1]
    if which not in ("all", "intake", "labels"):
        print(f"unknown benchmark {which!r}: intake, labels or nothing for both", file=sys.stderr)
        return 2
    status = 0
    if which in ("all", "intake"):
        print("== intake", flush=True)
        status |= intake.main()
    if which in ("all", "labels"):
        print("== labels", flush=True)
        status |= run_labels()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
