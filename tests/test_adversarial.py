"""The adversarial catalogue of issue #7: hostile or broken input, end to end through the CLI.

Every failure must follow SPEC §6: the documented exit code, nothing on stdout, one
``jaccli: error:`` line (and at most one ``hint:`` line) on stderr with user text escaped, no
traceback, and no sign of the "this is a bug" branch. Injection cases also prove that nothing
ran: a canary file the payload would create never appears.

Most cases run in-process (the ``cli`` fixture). Those that need a real process — signals,
``--timeout``, closed or broken standard streams — run the installed console script. Unit-level
versions of many cases live in load/ (test_expr.py, test_points.py, test_values.py and
test_loader.py) and runtime/test_files.py; cli/test_cli.py and test_subprocess.py hold the CLI cases this file does not repeat (``--at 1,,2``,
``--at one``, ``x.__class__``, ``x\\x1b[31m``, a file returning None, a missing output
directory, the basic SIGINT/SIGTERM/timeout/``/dev/full`` runs). The second wave's process cases
(a signal at any moment, a parent killed outright, what the function writes to stdout, functions
that end or crash the process) are in runtime/test_parent.py.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import pty
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, writing_into

JACCLI = Path(sys.executable).with_name("jaccli")
ELEMENTWISE = "samples/elementwise.py"


def assert_clean_failure(run, code: int, says: str) -> None:
    """SPEC §6: the exit code, empty stdout, one error line and maybe a hint, all escaped."""
    assert run.code == code, run.stderr
    assert run.stdout == ""
    assert_one_error(run.stderr, says)


def assert_one_error(stderr: str, says: str) -> None:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("jaccli: error: "), stderr
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), stderr
    assert says in stderr
    assert "Traceback" not in stderr
    assert "this is a bug in jaccli" not in stderr
    assert not any(ch in stderr for ch in "\x1b\x07\x00\u202e"), repr(stderr)


# --- files the cases name as {tmp}/NAME ------------------------------------------------------

FUNCTION_FILES = {
    "double.py": "def f(x):\n    return x * 2.0\n",
    "syntax.py": "def f(x):\n    return (x +\n",
    "raises_on_import.py": "raise RuntimeError('boom')\n\n\ndef f(x):\n    return x\n",
    "exits_on_import.py": "import sys\n\nsys.exit(3)\n",
    "exits_0_on_import.py": "import sys\n\nsys.exit(0)\n",
    "only_g.py": "def g(x):\n    return x\n",
    "f_is_a_number.py": "f = 3\n\n\ndef g(x):\n    return x\n",
    "returns_str.py": "def f(x):\n    return 'a string'\n",
    "returns_dict.py": "def f(x):\n    return {'a': x}\n",
    "returns_ints.py": "import numpy as np\n\n\ndef f(x):\n    return np.array([1, 2])\n",
    "returns_bools.py": "def f(x):\n    return x > 0\n",
    "returns_generator.py": "def f(x):\n    yield x\n",
    "returns_mixed_list.py": "def f(x):\n    return [x, 'a']\n",
    "exits_when_called.py": "import sys\n\n\ndef f(x):\n    sys.exit(5)\n",
    "exits_0_when_called.py": "import sys\n\n\ndef f(x):\n    sys.exit(0)\n",
    "recurses.py": "def f(x):\n    return f(x)\n",
    "runs_out_of_memory.py": "def f(x):\n    raise MemoryError()\n",
    "raises_markup.py": "def f(x):\n    raise ValueError('[bold red]pwned\\x1b[2J\\x07')\n",
    "empty.py": "",
    "no_arguments.py": "def f():\n    return 1.0\n",
    "star_args.py": "def f(*xs):\n    return xs[0]\n",
}


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """A directory with every function, point and batch file the cases name."""
    for name, text in FUNCTION_FILES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\ndef f(x):\n    return x\n")
    (tmp_path / "package").mkdir()
    (tmp_path / "dir.npy").mkdir()
    os.mkfifo(tmp_path / "fifo.py")
    os.mkfifo(tmp_path / "fifo.json")
    np.save(tmp_path / "x1e5.npy", np.ones(100_000))
    np.save(tmp_path / "strings.npy", np.array(["a", "b"]))
    np.save(tmp_path / "nan_points.npy", np.array([[1.0, 2.0], [np.nan, 1.0]]))
    np.save(tmp_path / "points.npy", np.ones((5, 2)))
    np.save(tmp_path / "whole.npy", np.ones(100))
    (tmp_path / "truncated.npy").write_bytes((tmp_path / "whole.npy").read_bytes()[:200])
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000,), }"
    header = header.ljust(118) + "\n"
    (tmp_path / "huge_header.npy").write_bytes(
        b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    )
    (tmp_path / "nan.json").write_text('{"x": [1, NaN]}')
    (tmp_path / "ragged.csv").write_text("1,2\n3\n")
    (tmp_path / "ragged_points.json").write_text("[[1, 2], [3]]")
    return tmp_path


def _case(case_id: str, code: int, says: str, *args: str, marks=()):
    return pytest.param(args, code, says, id=case_id, marks=marks)


# NumPy warns (DeprecationWarning) when JAX looks at the string; a real process shows no such
# warning, but the suite turns every warning into an error.
_STRING_ALIAS_WARNING = pytest.mark.filterwarnings("ignore:Data type alias:DeprecationWarning")


# One row per case; kept one line each so the table reads as a table.
# fmt: off
CASES = [
    # --- malformed points and vectors ---------------------------------------------------------
    _case("v-empty-value", 2, "empty value at column 3 in --v", "jvp", ELEMENTWISE, "--at", "2,1", "--v", "1,,2"),
    _case("at-unclosed-bracket", 2, "'[' at column 1 is never closed", "grad", "-e", "x*y", "--at", "[1,2"),
    _case("at-named-word", 2, "'one' is not a number", "grad", "-e", "x*y", "--at", "x=1,y=one"),
    _case("at-dangling-exponent", 2, "'1e' is not a number", "jacobian", ELEMENTWISE, "--at", "1e"),
    _case("at-too-many-values", 2, "takes 2 arguments (x, y); --at gave 3 values", "grad", "-e", "x*y", "--at", "1,2,3"),
    _case("at-missing-argument", 2, "--at is missing y", "grad", "-e", "x*y", "--at", "x=1"),
    _case("at-unknown-argument", 2, "names unknown 'z'", "grad", "-e", "x*y", "--at", "x=1,y=2,z=3"),
    _case("at-ragged-array", 2, "ragged nested list in --at", "jacobian", ELEMENTWISE, "--at", "[[1,2],[3]]"),
    _case("v-ragged-array", 2, "ragged nested list in --v", "jvp", ELEMENTWISE, "--at", "2,1", "--v", "[[1,2],[3]]"),
    _case("v-wrong-length-for-hvp", 2, "--v gave 3 values", "hvp", "-e", "x*y", "--at", "1,2", "--v", "1,2,3"),
    _case("v-wrong-length-for-output", 2, "--v has shape (3,) but the output has shape (2,)", "vjp", "-e", "[x*y, x]", "--at", "1,2", "--v", "1,2,3"),
    _case("at-full-width-digits", 2, "non-ASCII character '１' (U+FF11)", "jacobian", ELEMENTWISE, "--at", "１,２"),
    _case("at-arabic-indic-digit", 2, "(U+0663)", "jacobian", ELEMENTWISE, "--at", "٣,1"),
    _case("at-duplicate-json-key", 2, "duplicate key", "grad", "-e", "x*y", "--at", '{"x": 1, "x": 2, "y": 3}'),
    _case("at-positional-after-named", 2, "positional value after named", "grad", "-e", "x*y", "--at", "x=1,2"),
    _case("at-nested-too-deep", 2, "nested deeper than 64 levels", "jacobian", ELEMENTWISE, "--at", "[" * 100_000),
    _case("at-file-missing", 2, "No such file or directory", "jacobian", ELEMENTWISE, "--at", "@{tmp}/nope.npy"),
    _case("at-file-is-a-directory", 2, "it is a directory", "jacobian", ELEMENTWISE, "--at", "@{tmp}/dir.npy"),
    _case("at-file-is-a-fifo", 2, "not a regular file", "jacobian", ELEMENTWISE, "--at", "@{tmp}/fifo.json"),
    _case("at-file-truncated-npy", 2, "cannot read --at file", "jacobian", ELEMENTWISE, "--at", "@{tmp}/truncated.npy"),
    _case("at-file-header-promises-8-PB", 2, "declares 8,000,000,000,000,000 bytes", "jacobian", ELEMENTWISE, "--at", "@{tmp}/huge_header.npy"),
    _case("at-file-of-strings", 2, "has dtype <U1", "jacobian", ELEMENTWISE, "--at", "@{tmp}/strings.npy"),
    _case("at-file-ragged-csv", 2, "line 2 has 1 values but the first row has 2", "jacobian", ELEMENTWISE, "--at", "@{tmp}/ragged.csv"),
    _case("at-file-unknown-suffix", 2, "unknown suffix '.pkl'", "jacobian", ELEMENTWISE, "--at", "@{tmp}/x.pkl"),
    _case("batch-ragged-json-list", 2, "point 1 (row 1)", "jacobian", ELEMENTWISE, "--batch", "{tmp}/ragged_points.json"),
    # --- non-finite points --------------------------------------------------------------------
    _case("at-nan", 2, "non-finite value nan in --at", "jacobian", ELEMENTWISE, "--at", "nan,1"),
    _case("at-minus-inf-named", 2, "non-finite value inf in --at", "grad", "-e", "x*y", "--at", "x=1,y=-inf"),
    _case("at-overflowing-float", 2, "non-finite value inf", "jacobian", ELEMENTWISE, "--at", "1e999,1"),
    _case("at-overflowing-integer", 2, "an integer too large for float64", "jacobian", ELEMENTWISE, "--at", "1" + "0" * 400),
    _case("at-json-infinity", 2, "non-finite value Infinity", "grad", "-e", "x*y", "--at", '{"x": 1, "y": Infinity}'),
    _case("at-file-json-nan", 2, "non-finite value NaN in --at file", "grad", "-e", "x[0]*x[1]", "--at", "@{tmp}/nan.json"),
    _case("v-nan", 2, "non-finite value nan in --v", "jvp", ELEMENTWISE, "--at", "2,1", "--v", "nan,0"),
    _case("batch-nan-row", 2, "non-finite value nan at index [1, 0]", "jacobian", ELEMENTWISE, "--batch", "{tmp}/nan_points.npy"),
    _case("sigma-nan", 2, "non-finite value nan in --sigma", "sensitivity", "-e", "x*y", "--at", "1,2", "--sigma", "nan,1"),
    # --- expressions that would cost hours or gigabytes ---------------------------------------
    _case("expr-power-tower-9-9-9", 2, "constant exponent too large", "jacobian", "-e", "9**9**9", "--at", "1"),
    _case("expr-power-tower-above-input", 2, "constant exponent too large", "jacobian", "-e", "x**9**9**9", "--at", "1"),
    _case("expr-tower-that-simplifies-late", 2, "constant exponent too large once simplified", "symbolic", "-e", "9**9**(x*0 + 9)"),
    _case("expr-100k-deep-brackets", 2, "expression is too long", "jacobian", "-e", "(" * 100_000 + "x" + ")" * 100_000, "--at", "1"),
    _case("expr-50k-deep-brackets", 2, "brackets nested deeper than 100", "jacobian", "-e", "(" * 49_999 + "x" + ")" * 49_999, "--at", "1"),
    _case("expr-megabyte-long", 2, "expression is too long: 1000001 characters", "jacobian", "-e", "x+" * 500_000 + "x", "--at", "1"),
    _case("expr-10k-terms", 2, "expression too large", "jacobian", "-e", "+".join(["x"] * 10_001), "--at", "1"),
    _case("expr-401-digit-literal", 2, "number literal with 401 digits", "jacobian", "-e", "x + " + "9" * 401, "--at", "1"),
    _case("expr-input-of-1e10-entries", 2, "would have", "jacobian", "-e", "x[99999, 99999]", "--at", "1"),
    # --- control characters, terminal escapes, markup and look-alikes -------------------------
    _case("expr-osc-title-escape", 2, "control character '\\x1b'", "jacobian", "-e", "x\x1b]0;pwned\x07", "--at", "1"),
    _case("expr-nul-byte", 2, "control character '\\x00'", "jacobian", "-e", "x\x00", "--at", "1"),
    _case("expr-bidi-override", 2, "RIGHT-TO-LEFT OVERRIDE", "jacobian", "-e", "x\u202e + 1", "--at", "1"),
    _case("expr-rich-markup", 2, "'[bold]x'", "jacobian", "-e", "[bold]x", "--at", "1"),
    _case("expr-cyrillic-x", 2, "CYRILLIC SMALL LETTER HA", "jacobian", "-e", "х + 1", "--at", "1"),
    _case("expr-cyrillic-sin", 2, "CYRILLIC SMALL LETTER DZE", "jacobian", "-e", "ѕin(x)", "--at", "1"),
    _case("expr-full-width-digit", 2, "FULLWIDTH DIGIT ONE", "jacobian", "-e", "１+x", "--at", "1"),
    _case("file-name-with-escapes-and-markup", 2, "[bold red]gone\\x1b[2J.py", "jacobian", "{tmp}/[bold red]gone\x1b[2J.py", "--at", "1"),
    _case("output-name-with-escape", 2, "\\x1b[31m.xyz", "jacobian", ELEMENTWISE, "--at", "2,1", "--output", "{tmp}/\x1b[31m.xyz"),
    _case("wrt-with-escape", 2, "--wrt names \\x1b[31m", "jacobian", "{tmp}/double.py", "--at", "1", "--wrt", "\x1b[31m"),
    _case("vars-with-markup", 2, "--vars entry '[bold]' is not a name", "jacobian", "-e", "x", "--vars", "[bold]", "--at", "1"),
    _case("function-message-with-markup-and-escapes", 3, "[bold red]pwned\\x1b[2J\\x07", "jacobian", "{tmp}/raises_markup.py", "--at", "1"),
    # --- function files -----------------------------------------------------------------------
    _case("file-is-a-directory", 2, "is a directory", "jacobian", "{tmp}/package", "--at", "1"),
    _case("file-is-a-fifo", 2, "is not a regular file", "jacobian", "{tmp}/fifo.py", "--at", "1"),
    _case("file-is-binary", 2, "is binary, not Python source", "jacobian", "{tmp}/binary.py", "--at", "1"),
    _case("file-is-latin-1", 2, "is not UTF-8 text (byte 5)", "jacobian", "{tmp}/latin1.py", "--at", "1"),
    _case("file-syntax-error-line-col", 3, "syntax.py:2:12: '(' was never closed", "jacobian", "{tmp}/syntax.py", "--at", "1"),
    _case("file-raises-on-import", 3, "raised RuntimeError on import: boom", "jacobian", "{tmp}/raises_on_import.py", "--at", "1"),
    _case("file-sys-exit-on-import", 3, "called sys.exit(3) while being imported", "jacobian", "{tmp}/exits_on_import.py", "--at", "1"),
    _case("file-sys-exit-0-on-import", 3, "called sys.exit(0) while being imported", "jacobian", "{tmp}/exits_0_on_import.py", "--at", "1"),
    _case("file-no-such-function", 2, "has no function named 'h'", "jacobian", "{tmp}/only_g.py:h", "--at", "1"),
    _case("file-name-not-callable", 2, "is a int, not a function", "jacobian", "{tmp}/f_is_a_number.py:f", "--at", "1"),
    _case("file-empty", 2, "defines no public function", "jacobian", "{tmp}/empty.py", "--at", "1"),
    _case("file-no-arguments", 2, "takes no arguments", "jacobian", "{tmp}/no_arguments.py", "--at", "1"),
    _case("file-star-args", 2, "takes *xs; jaccli needs named parameters", "jacobian", "{tmp}/star_args.py", "--at", "1"),
    _case("returns-a-string", 3, "returned a string, not a number or array", "jacobian", "{tmp}/returns_str.py", "--at", "1"),
    _case("returns-a-dict", 3, "returned a dict", "jacobian", "{tmp}/returns_dict.py", "--at", "1"),
    _case("returns-integers", 3, "returned int64 values; derivatives need floating point", "jacobian", "{tmp}/returns_ints.py", "--at", "1"),
    _case("returns-booleans", 3, "returned bool values", "jacobian", "{tmp}/returns_bools.py", "--at", "1"),
    _case("returns-a-generator", 3, "returned a generator", "jacobian", "{tmp}/returns_generator.py", "--at", "1"),
    _case("returns-a-list-with-a-string", 3, "returned a list that is not a rectangular array", "jacobian", "{tmp}/returns_mixed_list.py", "--at", "1", marks=_STRING_ALIAS_WARNING),
    _case("sys-exit-when-called", 3, "called sys.exit(5)", "jacobian", "{tmp}/exits_when_called.py", "--at", "1"),
    _case("sys-exit-0-when-called", 3, "called sys.exit(0)", "grad", "{tmp}/exits_0_when_called.py", "--at", "1"),
    _case("sys-exit-in-a-batch", 3, "called sys.exit(5)", "jacobian", "{tmp}/exits_when_called.py", "--batch", "{tmp}/points.npy"),
    _case("infinite-recursion", 3, "raised RecursionError", "jacobian", "{tmp}/recurses.py", "--at", "1"),
    _case("memory-error", 4, "out of memory", "jacobian", "{tmp}/runs_out_of_memory.py", "--at", "1"),
    # --- the size guard -----------------------------------------------------------------------
    _case("jacobian-of-1e10-entries", 4, "80,000,000,000 bytes (10,000,000,000 entries)", "jacobian", "{tmp}/double.py", "--at", "@{tmp}/x1e5.npy"),
    _case("hessian-of-1e10-entries", 4, "the Hessian would take 80,000,000,000 bytes", "hessian", "-e", "x[99999]*x[0]", "--at", "@{tmp}/x1e5.npy"),
    _case("batch-per-point-guard", 4, "over the --max-bytes limit of 8", "jacobian", ELEMENTWISE, "--batch", "{tmp}/points.npy", "--max-bytes", "8"),
    # --- output files -------------------------------------------------------------------------
    _case("output-under-a-regular-file", 2, "Not a directory", "jacobian", ELEMENTWISE, "--at", "2,1", "--output", "{tmp}/double.py/J.json"),
    _case("output-to-dev-full", 2, "No space left on device", "jacobian", ELEMENTWISE, "--at", "2,1", "--output", "/dev/full", "--format", "csv"),
]
# fmt: on


@pytest.mark.parametrize(("args", "code", "says"), CASES)
def test_catalogue(cli, tmp, args, code, says):
    start = time.monotonic()
    run = cli(*(arg.replace("{tmp}", str(tmp)) for arg in args))
    assert_clean_failure(run, code, says)
    # Every refusal here happens before any real work: parsing, loading or a shape check.
    assert time.monotonic() - start < 10


def test_rich_markup_is_shown_literally(cli):
    run = cli("jacobian", "-e", "[bold]x[/bold]", "--at", "1")
    assert_clean_failure(run, 2, "in '[bold]x[/bold]'")


def test_full_width_names_in_points_bind_as_python_would(cli):
    # Python normalises identifiers with NFKC (def f(ｘ) defines x), so --at names do too.
    run = cli("grad", "-e", "x*y", "--at", "ｘ=2,y=3")
    assert run.code == 0, run.stderr
    assert run.json()["result"] == {"x": 3.0, "y": 2.0}


def test_an_output_file_in_a_read_only_directory(cli, tmp_path):
    if os.geteuid() != 0:
        directory = tmp_path / "read-only"
        directory.mkdir()
        directory.chmod(0o555)
    else:
        # Root writes anywhere on a normal file system; sysfs refuses new files even to root.
        directory = Path("/sys")
        try:
            fd, probe = tempfile.mkstemp(dir=directory)
        except OSError:
            pass
        else:
            os.close(fd)
            os.unlink(probe)
            pytest.skip("no directory here refuses new files")
    run = cli("jacobian", ELEMENTWISE, "--at", "2,1", "--output", str(directory / "J.json"))
    assert_clean_failure(run, 2, "cannot write")
    assert not any(p.name.startswith((".jaccli-", "J.json")) for p in directory.iterdir())


def test_a_failed_run_leaves_an_existing_output_file_alone(cli, tmp):
    target = tmp / "J.json"
    target.write_text("the previous result\n")
    run = cli("jacobian", str(tmp / "returns_str.py"), "--at", "1", "--output", str(target))
    assert_clean_failure(run, 3, "returned a string")
    assert target.read_text() == "the previous result\n"
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".jaccli-")) == []


# --- injection: nothing the text says is ever run ------------------------------------------

# Each payload creates {canary} when Python runs it (see test_every_payload_is_live), and each
# is refused for the reason given.
# fmt: off
PAYLOADS = {
    "import-os-system": ("__import__('os').system('touch {canary}')", "attribute access"),
    "open-builtin": ("open('{canary}', 'w')", "unknown function 'open'"),
    "eval": ("eval(\"open('{canary}', 'w')\")", "unknown function 'eval'"),
    "exec": ("exec(\"open('{canary}', 'w')\")", "unknown function 'exec'"),
    "lambda": ("(lambda: open('{canary}', 'w'))()", "unsupported syntax: lambda"),
    "comprehension": ("[open('{canary}', 'w') for _ in [0]]", "unsupported syntax: comprehension"),
    "f-string": ("f\"{open('{canary}', 'w')}\"", "unsupported syntax: f-string"),
    "walrus": ("(c := open('{canary}', 'w'))", "assignment expression ':='"),
    "subclasses-walk": ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__['system']('touch {canary}')", "unsupported syntax"),
    "getattr": ("getattr(__import__('os'), 'system')('touch {canary}')", "calling a non-function"),
    "statement-after-semicolon": ("x; import os; os.system('touch {canary}')", "keyword 'import'"),
    "conditional": ("x if open('{canary}', 'w') else x", "conditional expression"),
    "boolean-operator": ("0 or open('{canary}', 'w')", "boolean operator 'or'"),
    "set-display": ("{open('{canary}', 'w')}", "unsupported syntax: set"),
    "dict-display": ("{1: open('{canary}', 'w')}", "unsupported syntax: dict"),
    "call-as-index": ("x[open('{canary}', 'w')]", "an index must be a non-negative integer literal"),
    "call-as-argument": ("sin(open('{canary}', 'w'))", "unknown function 'open' at column 5"),
}
# fmt: on


def _payload(name: str, canary: Path) -> str:
    return PAYLOADS[name][0].replace("{canary}", str(canary))


@pytest.mark.parametrize("name", PAYLOADS)
def test_every_payload_is_live(name, tmp_path):
    """The catalogue below could fail: run as Python, each payload does create the canary."""
    canary = tmp_path / "CANARY"
    namespace = {"x": 1, "sin": math.sin}
    with warnings.catch_warnings():
        # The payloads leave the files they open for the garbage collector to close.
        warnings.simplefilter("ignore", ResourceWarning)
        with contextlib.suppress(Exception):
            exec(_payload(name, canary), namespace)
        namespace.clear()
        gc.collect()
    assert canary.exists()


@pytest.mark.parametrize("name", PAYLOADS)
def test_injected_expressions_never_run(cli, tmp_path, name):
    canary = tmp_path / "CANARY"
    run = cli("jacobian", "-e", _payload(name, canary), "--at", "1")
    assert_clean_failure(run, 2, PAYLOADS[name][1])
    assert not canary.exists()


@pytest.mark.parametrize(
    ("option", "name"),
    [("--at", "import-os-system"), ("--v", "exec"), ("--bounds", "open-builtin")],
)
def test_injected_points_never_run(cli, tmp_path, option, name):
    canary = tmp_path / "CANARY"
    payload = _payload(name, canary)
    if option == "--v":
        args = ["jvp", ELEMENTWISE, "--at", "2,1", "--v", payload]
    elif option == "--bounds":
        args = ["sensitivity", "-e", "x*y", "--bounds", f"x=0:1,y={payload}:1"]
    else:
        args = ["jacobian", ELEMENTWISE, "--at", payload]
    assert_clean_failure(cli(*args), 2, option)
    assert not canary.exists()


# --- a real process: signals, --timeout, standard streams -----------------------------------


def _jaccli_after(prelude: str, *args: str) -> list[str]:
    """A command line that runs ``prelude`` and then becomes ``jaccli ARGS``.

    preexec_fn would do the same in the child, but it makes subprocess fork, and a forked
    copy of a process running JAX's threads is what JAX warns about (an error in this suite).
    """
    become = "os.execv(sys.argv[1], sys.argv[1:])"
    return [
        sys.executable,
        "-c",
        f"import os, signal, sys; {prelude}; {become}",
        str(JACCLI),
        *args,
    ]


def jaccli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    return subprocess.run(
        [str(JACCLI), *args], cwd=ROOT, text=True, timeout=120, check=False, **kwargs
    )


# Point by point (Python control flow on a value), slowly, so that a signal lands while the
# stacked --output file is half written.
SLOW_BATCH = """\
import time


def f(x):
    if x[0] > 0:
        time.sleep(0.05)
    return x * 2.0
"""


def _interrupt_a_half_written_output(tmp_path: Path, sig: signal.Signals):
    (tmp_path / "slow.py").write_text(SLOW_BATCH)
    np.save(tmp_path / "points.npy", np.ones((400, 2)))
    out = tmp_path / "out"
    out.mkdir()
    args = ["jacobian", "slow.py", "--batch", "points.npy", "--output", "out/J.npy"]
    proc = subprocess.Popen(
        # A shell without job control starts background jobs with SIGINT ignored, and Python
        # then never installs its KeyboardInterrupt handler; give jaccli the default back.
        _jaccli_after(
            "signal.signal(signal.SIGINT, signal.SIG_DFL)", *args, "--max-bytes", "64", "--quiet"
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not writing_into(out, proc.pid):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the output file was never started"
        time.sleep(0.01)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr, sorted(p.name for p in out.iterdir())


@pytest.mark.subprocess
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_write_leaves_no_file_behind(tmp_path, sig, code):
    returncode, stdout, stderr, left = _interrupt_a_half_written_output(tmp_path, sig)
    assert returncode == code
    assert stdout == ""
    assert left == []
    assert "Traceback" not in stderr
    if sig == signal.SIGTERM:
        assert stderr == "jaccli: terminated\n"


@pytest.mark.subprocess
def test_sigint_says_interrupted(tmp_path):
    _, _, stderr, _ = _interrupt_a_half_written_output(tmp_path, signal.SIGINT)
    assert stderr == "jaccli: interrupted\n"


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("source", "timeout"),
    [
        pytest.param("while True:\n    pass\n", "1", id="loops-forever-on-import"),
        pytest.param(
            "import jax.numpy as jnp\n\n\ndef f(x):\n"
            "    for _ in range(10**7):\n        x = jnp.sin(x) * 1.0001\n    return x\n",
            "2",
            id="program-too-big-to-trace-and-compile",
        ),
        pytest.param(
            "import time\n\n\ndef f(x):\n    time.sleep(600)\n    return x\n",
            "1",
            id="blocks-in-a-c-call",
        ),
        pytest.param(
            # CPython computes the power in C without ever releasing the GIL, so no thread
            # of jaccli's own can run: the supervising parent ends it from outside.
            "def f(x):\n    return x * (10 ** 10**9 % 7)\n",
            "1",
            id="holds-the-gil-in-a-c-call",
        ),
    ],
)
def test_timeout_bounds_the_whole_run(tmp_path, source, timeout):
    (tmp_path / "stuck.py").write_text(source)
    start = time.monotonic()
    run = jaccli("jacobian", str(tmp_path / "stuck.py"), "--at", "1", "--timeout", timeout)
    assert run.returncode == 4
    assert run.stdout == ""
    assert_one_error(run.stderr, f"gave up after the --timeout of {timeout} s")
    assert time.monotonic() - start < 30


# Point by point (Python control flow on a value); the sixth point holds the GIL for minutes,
# after the first chunks of the stacked --output file are written.
GIL_BOUND_BATCH = """\
CALLS = []


def f(x):
    if x[0] > 0:
        CALLS.append(1)
        if len(CALLS) > 5:
            return x * (10 ** 10**9 % 7)
    return x * 2.0
"""


LIMITS = ("--max-bytes", "64", "--quiet", "--timeout", "2")


@pytest.mark.subprocess
def test_timeout_removes_the_half_written_file_of_a_process_it_had_to_kill(tmp_path):
    (tmp_path / "stuck.py").write_text(GIL_BOUND_BATCH)
    np.save(tmp_path / "points.npy", np.ones((40, 2)))
    out = tmp_path / "out"
    out.mkdir()
    start = time.monotonic()
    run = subprocess.run(
        [str(JACCLI), "jacobian", "stuck.py", "--batch", "points.npy", "-o", "out/J.npy", *LIMITS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 4
    assert run.stdout == ""
    assert_one_error(run.stderr, "gave up after the --timeout of 2 s")
    assert list(out.iterdir()) == []
    assert time.monotonic() - start < 30


@pytest.mark.subprocess
def test_timeout_passes_the_exit_code_and_output_through(tmp_path):
    (tmp_path / "nan.py").write_text(
        "import jax.numpy as jnp\n\n\ndef f(x):\n    return jnp.log(x)\n"
    )
    run = jaccli("jacobian", str(tmp_path / "nan.py"), "--at", "-1", "--timeout", "60")
    assert run.returncode == 1  # computed, but not clean: NaN entries
    assert json.loads(run.stdout)["value"] is None  # log(-1); the derivative 1/x is finite
    ok = jaccli("jacobian", ELEMENTWISE, "--at", "2,1", "--timeout", "60")
    assert ok.returncode == 0 and json.loads(ok.stdout)["result"][0] == [4.0, 0.0]


@pytest.mark.subprocess
def test_sigterm_reaches_a_run_under_timeout(tmp_path):
    (tmp_path / "slow.py").write_text(
        "import sys, time\n\n\ndef f(x):\n    sys.stderr.write('ready\\n')\n"
        "    sys.stderr.flush()\n    time.sleep(60)\n    return x\n"
    )
    proc = subprocess.Popen(
        [str(JACCLI), "jacobian", "slow.py", "--at", "1", "--timeout", "100"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)  # to the supervising parent, as `kill PID` would
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert stdout == ""
    assert stderr == "jaccli: terminated\n"


@pytest.mark.subprocess
@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
def test_a_reader_that_leaves_early_ends_the_run_quietly(tmp_path, unbuffered):
    # A 300×300 Jacobian as CSV is ~360 kB, far more than a pipe holds: `head -1` leaves
    # while jaccli is still writing. Under PYTHONUNBUFFERED=1 a text write used to drop the
    # rest silently and exit 0.
    (tmp_path / "double.py").write_text(FUNCTION_FILES["double.py"])
    np.save(tmp_path / "x.npy", np.arange(300.0))
    env = {**os.environ, "PYTHONUNBUFFERED": unbuffered}
    run = subprocess.run(
        f"'{JACCLI}' jacobian double.py --at @x.npy --format csv 2>err.txt | head -1; "
        'echo "status ${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    first, status = run.stdout.splitlines()
    assert first.startswith("output,x[0],x[1]")
    assert status == "status 141"
    assert (tmp_path / "err.txt").read_text() == ""


@pytest.mark.subprocess
def test_streamed_batch_results_to_a_full_disk(tmp_path):
    np.save(tmp_path / "points.npy", np.ones((3, 2)))
    with open("/dev/full", "w") as full:
        run = jaccli(
            "jacobian",
            ELEMENTWISE,
            "--batch",
            str(tmp_path / "points.npy"),
            stdout=full,
            stderr=subprocess.PIPE,
            capture_output=False,
        )
    assert run.returncode == 2
    assert_one_error(run.stderr, "cannot write the result to stdout: No space left on device")


@pytest.mark.subprocess
def test_stdout_closed():
    run = subprocess.run(
        _jaccli_after("os.close(1)", "jacobian", ELEMENTWISE, "--at", "2,1"),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert_one_error(run.stderr, "cannot write the result to stdout: stdout is closed")


@pytest.mark.subprocess
def test_batch_from_a_closed_stdin():
    run = subprocess.run(
        _jaccli_after("os.close(0)", "jacobian", ELEMENTWISE, "--batch", "-"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert_one_error(run.stderr, "stdin is closed")
    assert "NoneType" not in run.stderr


@pytest.mark.subprocess
def test_batch_from_stdin_that_is_a_terminal(tmp_path):
    # The refusal comes before the function's module runs (and imports JAX): it marks its import.
    (tmp_path / "f.py").write_text(
        "import pathlib\npathlib.Path('imported').touch()\ndef f(x):\n    return x\n"
    )
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [str(JACCLI), "jacobian", "f.py", "--batch", "-"],
            cwd=tmp_path,
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail("jaccli waited for input typed on the terminal")
    finally:
        os.close(secondary)
        os.close(primary)
    assert proc.returncode == 2 and stdout == ""
    assert_one_error(stderr, "terminal")
    assert not (tmp_path / "imported").exists()


def test_a_malformed_line_in_a_jsonl_file_leaves_stdout_empty(cli, tmp_path):
    (tmp_path / "points.jsonl").write_text("[2, 1]\n[3, 4\n")
    run = cli("jacobian", ELEMENTWISE, "--batch", str(tmp_path / "points.jsonl"))
    assert_clean_failure(run, 2, "line 2 of --batch file")
