"""Run every benchmark module in this package (`python -m bench [name ...]`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )
    wanted = argv or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"No such benchmark: {', '.join(unknown)} (have: {', '.join(names)})")  # noqa: T201
        return 2
    for name in wanted:
        print(f"== bench.{name}")  # noqa: T201
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
