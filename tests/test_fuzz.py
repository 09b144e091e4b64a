"""Property tests (issue #7): whatever text or bytes arrive, the parsers and readers either
succeed or raise jaccli's own error type, and the JSON writer always writes strict JSON.

These complement the hypothesis tests in load/test_expr.py and load/test_points.py (arbitrary
text and mutations of valid input) with token soups built from the pieces an attacker would
reach for. Each runs a fixed, derandomised sample in a few seconds; fuzz/fuzz_inputs.py is the
open-ended, coverage-guided version, run on demand. Failures it found are pinned here with @example.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jaccli._load.expr import parse_expr
from jaccli._load.points import ParsedPoint, parse_point
from jaccli._load.values import read_value_file
from jaccli._render import to_json_text
from jaccli.errors import JaccliError
from jaccli.results import DerivativeResult, FunctionInfo, InputInfo, to_json

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _soup(pieces: st.SearchStrategy[str], max_size: int = 24) -> st.SearchStrategy[str]:
    """Text made of random pieces, sometimes with blanks between them."""
    separators = st.sampled_from(["", "", "", " ", "\t", "\n"])
    return st.lists(st.tuples(pieces, separators), max_size=max_size).map(
        lambda parts: "".join(piece + sep for piece, sep in parts)
    )


# --- the expression parser ------------------------------------------------------------------

_EXPR_PIECES = st.one_of(
    st.sampled_from(
        [
            "+",
            "-",
            "*",
            "/",
            "**",
            "^",
            "(",
            ")",
            "[",
            "]",
            ",",
            ".",
            ":",
            "=",
            ":=",
            "<",
            ">=",
            "==",
            "!=",
            "@",
            "%",
            "//",
            "~",
            "&",
            "|",
            "<<",
            "'",
            '"',
            "#",
            ";",
            "\\",
            "{",
            "}",
        ]
    ),
    st.sampled_from(
        [
            "x",
            "y",
            "z",
            "x0",
            "x10",
            "W",
            "pi",
            "e",
            "sin",
            "exp",
            "log",
            "where",
            "max",
            "min",
            "atan2",
            "relu",
            "sqrt",
            "abs",
            "lambda",
            "for",
            "in",
            "if",
            "else",
            "not",
            "and",
            "import",
            "True",
            "None",
            "__import__",
            "__class__",
            "__subclasses__",
            "eval",
            "open",
            "getattr",
            "_",
            "f",
            "j",
            "nan",
            "inf",
        ]
    ),
    st.sampled_from(
        [
            "0",
            "1",
            "2",
            "9",
            "0.5",
            "1e3",
            "1e308",
            "1e999",
            "1e-320",
            "1_0",
            "0x1f",
            "0o7",
            "1j",
            "2.5J",
            "007",
            "10" * 30,
            "9" * 401,
            "." * 3,
        ]
    ),
    st.integers(0, 10**6).map(str),
    # Look-alikes, invisible and control characters, and a lone surrogate (undecodable argv).
    st.sampled_from(["х", "ѕin", "１", "٣", "ｘ", "\u202e", "\u200b", "\x00", "\x1b[31m"])
    | st.sampled_from(["\x07", "\x7f", "\udcff", "é", "∑"]),
    st.text(max_size=3),
)
_VARS = st.none() | st.lists(
    st.sampled_from(["x", "y", "z", "x0", "pi", "e", "sin", "__x", "if", "1x", "х", ""]),
    max_size=4,
)


@FUZZ
@given(_soup(_EXPR_PIECES), _VARS)
@example("ddd---------9**9----9**9**9**99**9**9**(x**6*00)**10", None)  # atheris: SymPy hung
@example("9**9**(x*0 + 9)", None)  # the exponent only becomes constant in SymPy
@example("(x + 3**600)**(x - x + 100)", None)
@example("x[0]^2 + sin(y)", ["x", "y"])
def test_expression_parser_succeeds_or_raises_jaccli_errors(text, variables):
    try:
        expression = parse_expr(text, variables)
        # The SymPy form is built on demand; its own limits are part of the contract too.
        expression.sympy  # noqa: B018
    except JaccliError:
        return
    assert expression.text == text


# --- the point parser -----------------------------------------------------------------------

_POINT_PIECES = st.one_of(
    st.sampled_from(
        [
            ",",
            "[",
            "]",
            "{",
            "}",
            "(",
            ")",
            "=",
            ":",
            '"',
            "'",
            "@",
            "+",
            "-",
            ".",
            "e",
            "E",
            "j",
            "x=",
            "y =",
            "W=",
            "x==",
            '"x":',
            "'a': ",
            "\\",
            "#",
            "*",
            "**",
            "/",
        ]
    ),
    st.sampled_from(
        [
            "nan",
            "NaN",
            "inf",
            "-Infinity",
            "null",
            "None",
            "true",
            "False",
            "one",
            "1e",
            "0x10",
            "1_000",
            "1e999",
            "-1e-400",
            "3+4j",
            "1-2J",
            '{"re": 1, "im": 2}',
            "[[1,2],[3]]",
            "[1,[2]]",
            "@x.npy",
            "@/etc/hostname.txt",
            "@",
            "lambda: 1",
            "__import__('os')",
            "9" * 400,
            "[" * 70,
            "]" * 70,
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(["１", "٣", "ｘ", "\x00", "\x1b[31m", "\udcff", "\u202e", "é"]),
    st.text(max_size=3),
)


def _never_escapes(text):
    try:
        point = parse_point(text, "--at")
    except JaccliError:
        return
    assert isinstance(point, ParsedPoint)
    for value in [*point.positional, *point.named.values()]:
        _assert_finite_leaves(value)


def _assert_finite_leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            _assert_finite_leaves(item)
        return
    assert value.dtype in (np.float64, np.complex128)
    assert np.isfinite(value).all()


@FUZZ
@given(_soup(_POINT_PIECES))
@example("1,,2")
@example("[1,2")
@example("'\udcff'")  # a lone surrogate inside quotes reaches Python's parser
@example("x=[1e999]")
def test_point_parser_succeeds_or_raises_jaccli_errors(text):
    _never_escapes(text)


# --- the value-file readers (@file) ---------------------------------------------------------


def _header(shape: str, descr: str = "<f8") -> str:
    """The dict of an .npy header, as NumPy writes it, with any shape text."""
    return "{" + f"'descr': {descr!r}, 'fortran_order': False, 'shape': {shape}, " + "}"


def _npy_with_header(header: str, data: bytes = b"") -> bytes:
    padded = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(padded)) + padded.encode() + data


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# A header whose length field (41) cuts the dict short, as the fuzzer wrote it.
_FULL = _npy_with_header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", b"\0" * 16)
_CUT_SHORT = _FULL[:8] + struct.pack("<H", 41) + _FULL[10:]

_NPY_HEADERS = st.sampled_from(
    [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (10**12,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000,), }",
        "{'descr': '<c16', 'fortran_order': True, 'shape': (1, 1), }",
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': 'xyz', 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }",
        "[1, 2]",
    ]
)
_FILE_BYTES = st.one_of(
    st.binary(max_size=200),
    st.builds(_npy_with_header, _NPY_HEADERS, st.binary(max_size=40)),
    st.builds(
        lambda data, cut: data[:cut],
        st.sampled_from([_npy(np.arange(6.0)), _npy(np.array([1 + 2j])), _npy(np.zeros((2, 3)))]),
        st.integers(0, 200),
    ),
    _soup(_POINT_PIECES, max_size=12).map(lambda text: text.encode("utf-8", "surrogateescape")),
    _soup(
        st.sampled_from(["1", "2.5", "-3e2", "1+2j", "nan", ",", " ", "\n", "\r", '"', "x,y"])
    ).map(str.encode),
)


@FUZZ
@given(st.sampled_from([".npy", ".npz", ".json", ".csv", ".txt"]), _FILE_BYTES)
@example(".npy", _CUT_SHORT)  # atheris: tokenize.TokenError escaped from np.load
@example(".npy", _npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, }"))
@example(".npy", _npy_with_header(_header(f"({10**15},)")))
@example(".csv", b"1,2\n\r,4\n")  # atheris: csv.Error escaped
@example(".csv", b'1,"' + b"2" * 200_000 + b'"\n')  # beyond the csv module's field limit
def test_value_file_readers_succeed_or_raise_jaccli_errors(tmp_path_factory, suffix, data):
    path = tmp_path_factory.mktemp("value") / f"point{suffix}"
    path.write_bytes(data)
    try:
        value = read_value_file(str(path), "--at")
    except JaccliError:
        return
    _assert_finite_leaves(value)


def test_a_header_that_declares_more_data_than_the_file_holds_is_refused_before_allocating(
    tmp_path,
):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_with_header(_header(f"({10**15},)")))
    with pytest.raises(JaccliError, match="declares 8,000,000,000,000,000 bytes"):
        read_value_file(str(path))
    archive = tmp_path / "huge.npz"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "W.npy",
            _npy_with_header(_header(f"({10**9},)")),
        )
    with pytest.raises(JaccliError, match="declares 8,000,000,000 bytes"):
        read_value_file(str(archive))


# --- the JSON writer ------------------------------------------------------------------------

_ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
_DTYPES = st.sampled_from(
    [np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int64, np.bool_]
)


@st.composite
def _arrays(draw):
    dtype = draw(_DTYPES)
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    count = math.prod(shape)
    if np.issubdtype(dtype, np.complexfloating):
        flat = [
            complex(a, b)
            for a, b in draw(
                st.lists(st.tuples(_ANY_FLOAT, _ANY_FLOAT), min_size=count, max_size=count)
            )
        ]
    elif dtype is np.int64:
        flat = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=count, max_size=count))
    elif dtype is np.bool_:
        flat = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    else:
        flat = draw(st.lists(_ANY_FLOAT, min_size=count, max_size=count))
    with np.errstate(over="ignore", invalid="ignore"):
        # float16/float32 overflow to inf and underflow to 0 on the way in: more cases to write.
        return np.array(flat, dtype=dtype).reshape(shape)


_TREES = st.recursive(
    _arrays() | _ANY_FLOAT | st.integers(-(2**63), 2**63),
    lambda children: (
        st.dictionaries(st.text(max_size=4), children, max_size=3) | st.lists(children, max_size=3)
    ),
    max_leaves=6,
)


def _strict_loads(text: str):
    def refuse(word):
        raise AssertionError(f"non-strict JSON constant {word}")

    return json.loads(text, parse_constant=refuse)


def _assert_round_trip(tree, data):
    """Finite numbers come back exactly; NaN and inf come back as null."""
    if isinstance(tree, dict):
        assert set(data) == {str(key) for key in tree}
        for key, item in tree.items():
            _assert_round_trip(item, data[str(key)])
        return
    if isinstance(tree, list):
        assert len(data) == len(tree)
        for item, back in zip(tree, data, strict=True):
            _assert_round_trip(item, back)
        return
    array = np.asarray(tree)
    flat = array.reshape(-1)
    back = np.asarray(data, dtype=object).reshape(-1) if array.ndim else [data]
    assert len(back) == flat.size
    for entry, written in zip(flat, back, strict=True):
        if array.dtype.kind == "c":
            z = complex(entry)
            if math.isfinite(z.real) and math.isfinite(z.imag):
                assert written == {"re": z.real, "im": z.imag}
            else:
                assert written is None
        elif array.dtype.kind == "f":
            x = float(entry)
            assert written == x if math.isfinite(x) else written is None
        else:
            assert written == entry.item()


@FUZZ
@given(_TREES)
@example(np.array([np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, -0.0]))
@example(np.array([complex(1, np.nan), complex(np.inf, 0), complex(5e-324, -0.0)]))
@example(np.array([65504, -np.inf, 6e-8], dtype=np.float16))  # float16's extremes
def test_json_writer_always_writes_strict_json(tree):
    data = to_json(tree)
    _assert_round_trip(tree, _strict_loads(json.dumps(data, allow_nan=False)))


@FUZZ
@given(_arrays(), _arrays(), st.text(max_size=20))
def test_a_whole_result_is_strict_json(value, result, source):
    record = DerivativeResult(
        command="jacobian",
        function=FunctionInfo(
            source=source,
            kind="expr",
            inputs=(InputInfo("x", (2,), "float64"),),
            output_shape=value.shape,
            output_dtype=str(value.dtype),
        ),
        at={"x": np.array([1.0, np.nan])},
        value=value,
        mode="forward",
        mode_reason="n <= m",
        result=result,
        wrt=("x",),
        dtype="float64",
        device="cpu",
    )
    data = _strict_loads(to_json_text(record))
    assert data["function"]["source"] == source
    assert data["at"] == {"x": [1.0, None]}
    _assert_round_trip(value, data["value"])
    _assert_round_trip(result, data["result"])
