"""`_symbolic.preload`: SymPy, and what SymPy imports on its first use, in before the work."""

import subprocess
import sys


def test_preload_brings_in_what_the_sympy_reference_imports():
    # A fresh interpreter: this test run has long imported SymPy's modules.
    code = (
        "import sys\n"
        "from jaccli import _problem, _symbolic\n"
        "from jaccli._load import loader, points\n"
        "_symbolic.preload()\n"
        "function = loader.load('samples/elementwise.py')\n"
        "at = points.bind_point(points.parse_point('2,1', 'at'), function.params, 'at', 'f')\n"
        "problem = _problem.prepare(function, at)\n"
        "before = set(sys.modules)\n"
        "sym = _symbolic.to_sympy(problem)\n"
        "print(_symbolic.evaluate(_symbolic.jacobian(sym).matrix, sym.point).tolist())\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('sympy')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    jacobian, imported = run.stdout.splitlines()
    assert jacobian == "[[4.0, 0.0], [0.0, 0.5403023058681398]]"
    assert imported == "[]"
