"""Benchmarks for issue 8: ack latency against a bare Bolt app, slow Amazon, the sweep at 100k rows.

Run everything with ``python -m bench`` (or ``./dev bench``); see BENCHMARKS.md.
"""
