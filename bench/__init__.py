"""jaccli's benchmarks, run on demand: ``python -m bench NAME`` (see BENCHMARKS.md).

Each benchmark runs the same problem through jaccli and through the tools it is measured
against, each tool in fresh processes of its own, and prints a table of medians and ratios.
Nothing here is part of the test suite.

The parts:

* ``problems/``: the functions, in every framework's form, with their exact Jacobians.
* ``tools/``: one script per tool; each reads points from ``.npy``, writes Jacobians to ``.npy``
  and reports its phase timings (`bench.tools.protocol`, `bench.tools.timing`).
* `bench.process`: starts every run in a fresh process and times it from outside
  (`bench/tools/spawn.py`), in rounds of rotated order.
* `bench.report`: the cell formats and tables, the report, and the results record and file
  (`report.Benchmark`); `bench.machine` describes the machine and the commit.
* `bench.harness`: measures tools that follow `bench.tools.protocol` (end to end, then warm)
  and checks their answers against each other; `bench.batch_jacobian` and `bench.dgsm`.
* `bench.cases`: the same for benchmarks made of single problems (a table per problem, a row
  per command, rows that say why a tool is skipped): startup, modes, scale, sparse, check.
* one module per benchmark (`bench.batch_jacobian`, `bench.modes`, …), registered in
  ``__main__.BENCHMARKS``; ``python -m bench`` runs the suite (``__main__.SUITE``).

To add a benchmark: put its function in ``problems/``, write a module with ``tools()``,
``add_arguments(parser)`` and ``main(args, tools, results, log)``, and register it by name in
``__main__.BENCHMARKS``. ``main`` builds `bench.cases.Case` rows and calls
`bench.cases.run_benchmark`, like `bench.scale`, or measures `bench.harness` tools inside a
`bench.report.Benchmark`, like `bench.batch_jacobian`.
"""
