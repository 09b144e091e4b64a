"""jaccli's benchmarks, run on demand: ``python -m bench NAME`` (see BENCHMARKS.md).

Each benchmark runs the same problem through jaccli and through the tools it is measured
against, each tool in fresh processes of its own, and prints a table of medians and ratios.
Nothing here is part of the test suite.

The parts:

* ``problems/``: the functions, in every framework's form, with their exact Jacobians.
* ``tools/``: one script per tool; each reads points from ``.npy``, writes Jacobians to ``.npy``
  and reports its phase timings (`bench.tools.protocol`).
* `bench.harness`: runs the tools, times them, checks their answers; `bench.report` prints and
  saves the results; `bench.machine` describes the machine.
* `bench.cases`: the same for benchmarks made of single problems (a table per problem, a row
  per command, rows that say why a tool is skipped): startup, modes, scale, sparse, check.
* one module per benchmark (`bench.batch_jacobian`, `bench.modes`, …), registered in
  ``__main__.BENCHMARKS``; ``python -m bench`` runs the suite (``__main__.SUITE``).

To add a benchmark: put its function in ``problems/``, write a module with ``tools()``,
``add_arguments(parser)`` and ``suite(args, workdir, tools)`` like `bench.batch_jacobian` (or
``main(args, tools, results, log)`` building `bench.cases.Case` rows, like `bench.scale`), and
register it by name in ``__main__.BENCHMARKS``.
"""
