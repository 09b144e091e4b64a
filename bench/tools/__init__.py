"""One script per tool: ``python -m bench.tools.NAME``, run by the harness in a fresh process.

Every script follows `protocol`: read the points from ``.npy``, compute the per-point
Jacobians, write them stacked as ``(N, m, n)`` ``.npy``, and report its phase timings.
"""
