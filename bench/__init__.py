"""Benchmarks: `make bench` (python -m bench) runs each; see bench/__main__.py."""
