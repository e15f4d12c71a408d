"""Benchmark suite: siting and its peers, side by side, in one run (``python -m benchmarks``).

Every case runs in a fresh subprocess (its own peak memory, a wall-clock cap
for peers that may not finish); see ``benchmarks/README.md`` for the table.
"""
