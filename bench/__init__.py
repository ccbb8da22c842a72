"""Benchmarks: `python -m bench` (or `make bench`) runs every bench/<name>.py module's main()."""
