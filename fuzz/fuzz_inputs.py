"""Coverage-guided fuzzing of everything jaccli reads from untrusted text or files.

Targets, chosen by the first byte of each input:

- the expression parser (``-e/--expr``), and the SymPy form of whatever it accepts, since the
  limits that keep ``9**9**9`` from running for hours are checked there;
- the point parser (``--at``, ``--v``);
- the value-file readers behind ``@file`` (``.npy .npz .json .csv .txt``), from raw bytes.

Each may succeed or raise `jaccli.errors.JaccliError`; any other exception is a crash, and
libFuzzer's own ``-timeout`` and ``-rss_limit_mb`` catch hangs and memory blow-ups.

Run on demand (not part of the test suite); see fuzz/README.md::

    pip install atheris            # or: pip install -e '.[fuzz]'
    python fuzz/fuzz_inputs.py /tmp/jaccli-corpus -max_total_time=600
"""

from __future__ import annotations

import io
import os
import sys
import tempfile

import atheris

# Third-party libraries are imported before instrumentation: coverage of NumPy's Python code
# would only slow the search down without steering it toward jaccli's branches.
import numpy as np

with atheris.instrument_imports(include=["jaccli"]):
    from jaccli._load.expr import parse_expr
    from jaccli._load.points import parse_point
    from jaccli._load.values import SUPPORTED_SUFFIXES, read_value_file
    from jaccli.errors import JaccliError

TARGETS = ("expr", "expr+sympy", "point", *SUPPORTED_SUFFIXES)
FILES = tempfile.mkdtemp(prefix="jaccli-fuzz-")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# One valid input per target, so the search starts from inputs that get past the first check.
SEEDS = {
    "expr": [b"x**2 + sin(y)", b"[x[0]*x[1], where(x[2] > 0, x[2], 0)]", b"9**9**9"],
    "expr+sympy": [b"exp(x)/(1 + x^2) + atan2(y, x)", b"(x*3**600)**100"],
    "point": [b"2,1", b"x=2,W=[[1,2],[3,4]]", b'{"x": [1, 2], "c": {"re": 1, "im": 2}}', b"3+4j"],
    ".npy": [_npy(np.arange(6.0).reshape(2, 3)), _npy(np.array([1 + 2j]))],
    ".npz": [_npz(W=np.eye(2), b=np.zeros(2))],
    ".json": [b"[[1, 2], [3, 4]]", b'{"x": 1, "y": [2, 3]}'],
    ".csv": [b"x,y\n2,1\n", b"1,2\n3,4\n", b"1+2j,3\n"],
    ".txt": [b"1 2 3\n4 5 6\n", b"# comment\n1.5e3\n"],
}


def fuzz_one(data: bytes) -> None:
    """Feed one input to one target; let anything other than a JaccliError escape."""
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    body = data[1:]
    try:
        if target in ("expr", "expr+sympy", "point"):
            # How Python turns command-line bytes into argv text: undecodable bytes become
            # lone surrogates, which the parsers must handle too.
            text = body.decode("utf-8", "surrogateescape")
            if target == "point":
                parse_point(text, "--at")
                return
            expression = parse_expr(text)
            if target == "expr+sympy":
                expression.sympy  # noqa: B018  (built on first access)
            return
        path = os.path.join(FILES, "value" + target)
        with open(path, "wb") as handle:
            handle.write(body)
        read_value_file(path, "--at")
    except JaccliError:
        return


def _seed(corpus: str) -> None:
    """Fill an empty corpus directory with the seeds above."""
    if os.listdir(corpus):
        return
    for target, seeds in SEEDS.items():
        for i, seed in enumerate(seeds):
            name = f"seed-{target.strip('.').replace('+', '-')}-{i}"
            with open(os.path.join(corpus, name), "wb") as handle:
                handle.write(bytes([TARGETS.index(target)]) + seed)


def main() -> None:
    for arg in sys.argv[1:]:
        if not arg.startswith("-") and os.path.isdir(arg):
            _seed(arg)
    atheris.Setup(sys.argv, fuzz_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
