"""Benchmarks that print each figure with its ratio to a reference measured in the same
run on the same machine (``uv run python -m benchmarks``)."""
