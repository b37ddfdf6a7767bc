"""Benchmark scripts: each writes its own section of docs/benchmarks.md (see training/README.md)."""
