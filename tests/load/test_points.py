"""Tests for jaccli._load.points, .literal and .arrays: parsing --at/--v text and binding it to
parameters."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jaccli._load.arrays import MAX_DEPTH, describe_shape, parse_value, shape_of
from jaccli._load.points import ParsedPoint, bind_point, parse_point
from jaccli.errors import JaccliError, ParseError, ShapeError, UsageError


def _equal(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and list(a) == list(b)
            and all(_equal(a[k], b[k]) for k in a)
        )
    return a.shape == np.shape(b) and a.dtype == np.asarray(b).dtype and np.array_equal(a, b)


# --- accepted forms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "positional"),
    [
        ("2,1", [2.0, 1.0]),
        ("-1.2,1", [-1.2, 1.0]),
        (" 2 , 1 ", [2.0, 1.0]),
        (".5,-0.0,1e-3,1E+2", [0.5, -0.0, 1e-3, 100.0]),
        ("[[1,2],[3,4]]", [np.array([[1.0, 2.0], [3.0, 4.0]])]),
        ("[1, 2], 3", [np.array([1.0, 2.0]), 3.0]),
        ("(1, 2)", [np.array([1.0, 2.0])]),
        ("[]", [np.zeros(0)]),
    ],
)
def test_positional_real_forms(text, positional):
    point = parse_point(text)
    assert point.text == text
    assert point.named == {}
    assert len(point.positional) == len(positional)
    for got, want in zip(point.positional, positional, strict=True):
        assert got.dtype == np.float64
        assert _equal(got, np.asarray(want, dtype=np.float64))


def test_negative_zero_keeps_its_sign():
    (value,) = parse_point("-0.0").positional
    assert math.copysign(1.0, float(value)) == -1.0


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("3+4j", np.array(3 + 4j)),
        ("-1-2j", np.array(-1 - 2j)),
        ("2j", np.array(2j)),
        ("1e-3+2.5j", np.array(1e-3 + 2.5j)),
        ("[1+2j, 3]", np.array([1 + 2j, 3 + 0j])),
        ('[{"re": 1, "im": 2}, 3]', np.array([1 + 2j, 3])),
    ],
)
def test_complex_forms(text, want):
    (value,) = parse_point(text).positional
    assert value.dtype == np.complex128
    assert np.array_equal(value, want)


def test_named_forms():
    point = parse_point("x=2,y=1")
    assert point.positional == ()
    assert list(point.named) == ["x", "y"]
    assert float(point.named["x"]) == 2.0

    point = parse_point("W=[[1,2],[3,4]],b=0.5")
    assert point.named["W"].shape == (2, 2)
    assert point.named["b"].shape == ()
    assert not point.from_mapping


def test_named_pytree_value():
    point = parse_point('params={"W": [[1,2]], "b": 0.1}')
    params = point.named["params"]
    assert set(params) == {"W", "b"}
    assert params["W"].shape == (1, 2)
    assert describe_shape(params) == "{W: (1, 2), b: ()}"


def test_json_object_is_named_values():
    point = parse_point('{"x": 2, "y": 1}')
    assert point.positional == ()
    assert list(point.named) == ["x", "y"]
    assert point.from_mapping


def test_python_style_object_and_nested_pytree():
    point = parse_point("p={'a': {'b': [1, 2]}}")
    assert point.named["p"]["a"]["b"].shape == (2,)


def test_unicode_names_follow_python_identifier_rules():
    assert list(parse_point("α=1").named) == ["α"]
    # Python reads `def f(ｘ)` as a parameter named x (NFKC); so do we.
    assert list(parse_point("ｘ=1").named) == ["x"]


def test_positional_then_named():
    point = parse_point("2, y=[1, 2]")
    assert len(point.positional) == 1
    assert list(point.named) == ["y"]


def test_integers_become_float64():
    (value,) = parse_point("[1, 2, 3]").positional
    assert value.dtype == np.float64


def test_file_pieces(tmp_path):
    np.save(tmp_path / "w.npy", np.arange(6.0).reshape(2, 3))
    point = parse_point(f"W=@{tmp_path / 'w.npy'},b=0.5")
    assert point.named["W"].shape == (2, 3)

    np.savez(tmp_path / "p.npz", x=np.array(2.0), y=np.ones(3))
    point = parse_point(f"@{tmp_path / 'p.npz'}")
    assert point.from_mapping
    assert list(point.named) == ["x", "y"]

    (tmp_path / "x.json").write_text('{"x": [1, 2]}')
    point = parse_point(f"@{tmp_path / 'x.json'}")
    assert point.from_mapping
    assert point.named["x"].shape == (2,)

    (tmp_path / "v.json").write_text("[1, 2, 3]")
    (value,) = parse_point(f"@{tmp_path / 'v.json'}").positional
    assert value.shape == (3,)


def test_file_path_may_contain_brackets(tmp_path):
    path = tmp_path / "a[1.npy"
    np.save(path, np.ones(2))
    (value,) = parse_point(f"@{path}").positional
    assert value.shape == (2,)


def test_parsed_point_is_frozen():
    point = parse_point("1")
    with pytest.raises(AttributeError):
        point.text = "2"  # type: ignore[misc]


# --- errors ----------------------------------------------------------------------------------


def _parse_error(text, kind=ParseError, option="--at"):
    with pytest.raises(JaccliError) as info:
        parse_point(text, option)
    assert type(info.value) is kind
    assert info.value.exit_code == 2
    return info.value


@pytest.mark.parametrize(
    ("text", "words", "column"),
    [
        ("1,,2", "empty value", 3),
        ("1,2,", "empty value", 5),
        ("[1,2", "never closed", 1),
        ("1,[2,(3]", "unbalanced ']'", 8),
        ("1]", "unbalanced", 2),
        ("one", "'one' is not a number", 1),
        ("1,one", "'one' is not a number", 3),
        ("1e", "'1e' is not a number", 1),
        ("1,1e", "'1e' is not a number", 3),
        ("１,２", "non-ASCII character '１' (U+FF11)", 1),
        ("1,2,３", "non-ASCII", 5),
        ("'a'", "string", 1),
        ('"1"', "string", 1),
        ("None", "None is not a number", 1),
        ("null", "not a number", 1),
        ("true", "not a number", 1),
        ("True", "True is not a number", 1),
        ("[1, false]", "not a number", 1),
        ("", "empty", 1),
        ("   ", "empty", 1),
        ("x=1,2", "positional value after named", 5),
        ("x=1,x=2", "x is given twice", 5),
        ('{"x":1,"x":2}', "duplicate key", 1),
        ("{'x':1,'x':2}", "duplicate key", 8),
        ("x=", "empty value for x", 1),
        ("{1,2}", "only numbers", 1),
        ("1+2", "arithmetic is not allowed", 1),
        ("2**10", "arithmetic", 1),
        ("a.b", "only numbers", 1),
        ("__import__('os')", "only numbers", 1),
        ("[x for x in y]", "only numbers", 1),
        ("lambda: 1", "only numbers", 1),
        ("1 2", "cannot be read", 3),
        ("1or 2", "cannot be read", 1),
        ("[1 2]", "cannot be read", 2),
        ("{1: 2}", "keys must be quoted strings", 2),
        ("'unterminated", "unterminated string", 1),
        ("@", "needs a file name", 1),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"deeper than {MAX_DEPTH}", MAX_DEPTH + 1),
        ("-" * 100_000 + "1", "too deeply nested or too complex", 1),
        ("1" * 5000, "is not a number", 1),
    ],
)
def test_parse_errors(text, words, column):
    error = _parse_error(text)
    assert words in error.message
    assert error.column == column
    assert error.source == text
    assert error.hint
    assert "\n" not in error.message


def test_error_names_the_option():
    error = _parse_error("one", option="--v")
    assert "--v" in error.message
    assert "--v" in error.hint


def test_word_hint_suggests_a_name():
    assert "x=VALUE" in _parse_error("x").hint


def test_message_escapes_terminal_sequences():
    error = _parse_error("\x1b[31mred")
    assert "\x1b" not in error.message


def test_column_in_multiline_text():
    assert _parse_error("x=[1,\n2],y=one").column == 12


def test_no_syntax_warning_escapes():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _parse_error("[1or 2]")
    assert caught == []


def test_text_too_long():
    error = _parse_error("1," * 5_000_001)
    assert "limit" in error.message


def test_ragged_list_is_shape_error():
    error = _parse_error("[[1,2],[3]]", kind=ShapeError)
    assert "ragged" in error.message


@pytest.mark.parametrize(
    "text", ["1e999", "-1e999", "[1, 1e400]", "nan", "NaN", "inf", "-Infinity", "10" * 200 + "00"]
)
def test_non_finite_is_usage_error(text):
    if text.startswith("1010"):
        text = str(10**400)
    error = _parse_error(text, kind=UsageError)
    assert "non-finite value" in error.message
    assert "in --at" in error.message
    assert error.hint


def test_missing_file_is_usage_error():
    error = _parse_error("@/nonexistent/x.npy", kind=UsageError)
    assert "No such file" in error.message


# --- parse_value, shape helpers --------------------------------------------------------------


def test_parse_value_forms():
    assert parse_value(2, "x").dtype == np.float64
    assert parse_value(2 + 1j, "x").dtype == np.complex128
    assert parse_value({"re": 1, "im": -1}, "x") == 1 - 1j
    assert parse_value(np.arange(3, dtype=np.int32), "x").dtype == np.float64
    assert parse_value(np.ones(2, np.complex64), "x").dtype == np.complex128
    tree = parse_value({"a": [1, 2], "b": {"c": 3}}, "x")
    assert shape_of(tree) == {"a": (2,), "b": {"c": ()}}


@pytest.mark.parametrize(
    ("obj", "kind", "words"),
    [
        (True, ParseError, "true/false"),
        (None, ParseError, "null"),
        ("1", ParseError, "string"),
        ([1, "2"], ParseError, "string"),
        ([{"a": 1}], ParseError, "object inside an array"),
        ({1: 2}, ParseError, "not a string"),
        ([[1], [2, 3]], ShapeError, "ragged"),
        (float("nan"), UsageError, "non-finite value nan in line 3"),
        ([1.0, float("inf")], UsageError, "at index [1]"),
        (np.array(["a"]), UsageError, "dtype"),
        (np.array([True]), UsageError, "dtype"),
        (object(), ParseError, "not a number"),
    ],
)
def test_parse_value_errors(obj, kind, words):
    with pytest.raises(JaccliError) as info:
        parse_value(obj, "line 3")
    assert type(info.value) is kind
    assert words in info.value.message


def test_parse_value_depth_limit():
    deep: list = [1.0]
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ParseError, match="nested deeper"):
        parse_value(deep, "x")


def test_describe_shape():
    assert describe_shape(np.zeros((2, 3))) == "(2, 3)"
    assert describe_shape(np.zeros(2)) == "(2,)"
    assert describe_shape(np.zeros(())) == "()"
    assert shape_of(np.zeros((2, 3))) == (2, 3)


# --- binding ---------------------------------------------------------------------------------


def _bind(text, params, **kwargs):
    kwargs.setdefault("option", "--at")
    return bind_point(parse_point(text, "--at"), params, function="f", **kwargs)


def test_bind_named_in_parameter_order():
    bound = _bind("y=1,x=2", ["x", "y"])
    assert list(bound) == ["x", "y"]
    assert float(bound["x"]) == 2.0


def test_bind_one_parameter_one_value():
    bound = _bind("[[1,2],[3,4]]", ["x"])
    assert bound["x"].shape == (2, 2)


def test_bind_one_parameter_scalars_stack():
    bound = _bind("2,1", ["x"])
    assert np.array_equal(bound["x"], np.array([2.0, 1.0]))
    assert bound["x"].dtype == np.float64
    assert _bind("2,1j", ["x"])["x"].dtype == np.complex128


def test_bind_several_parameters_positional():
    bound = _bind("2,[1,2]", ["x", "y"])
    assert bound["x"].shape == ()
    assert bound["y"].shape == (2,)


def test_bind_flat_array_splits_into_scalars():
    bound = _bind("[2,1]", ["x", "y"])
    assert float(bound["x"]) == 2.0
    assert bound["y"].shape == ()


def test_bind_positional_then_named():
    bound = _bind("2,z=3,y=1", ["x", "y", "z"])
    assert list(bound) == ["x", "y", "z"]
    assert [float(v) for v in bound.values()] == [2.0, 1.0, 3.0]


def test_bind_json_object():
    bound = _bind('{"y": 1, "x": 2}', ["x", "y"])
    assert list(bound) == ["x", "y"]


def test_bind_mapping_to_sole_pytree_parameter():
    bound = _bind('{"W": [[1,2]], "b": 0.5}', ["params"])
    assert set(bound["params"]) == {"W", "b"}
    # ...but a mapping that names the sole parameter binds by name.
    assert _bind('{"params": 1}', ["params"])["params"].shape == ()


@pytest.mark.parametrize(
    ("text", "params", "kind", "words"),
    [
        ("2,1,3", ["x", "y"], ShapeError, "f takes 2 arguments (x, y); --at gave 3 values"),
        ("2", ["x", "y"], ShapeError, "gave 1 value (of shape ())"),
        ("[1,2,3]", ["x", "y"], ShapeError, "of shape (3,)"),
        ("[1,2],3", ["x"], ShapeError, "f takes 1 argument (x); --at gave 2 values"),
        ("x=1", ["x", "y"], UsageError, "is missing y"),
        ("x=1,y=2,z=3", ["x", "y"], UsageError, "names unknown 'z'"),
        ("z=3", ["x"], UsageError, "is missing x and names unknown 'z'"),
        ("1,x=2", ["x", "y"], UsageError, "gives x twice"),
        ("1,2,y=2", ["x", "y"], UsageError, "gives y twice"),
        ("1,2,3,z=1", ["x", "y"], ShapeError, "3 positional values"),
        ("1", [], UsageError, "f takes no arguments"),
        ('{"a": 1, "b": 2}', ["x", "y"], UsageError, "is missing x, y"),
    ],
)
def test_bind_errors(text, params, kind, words):
    with pytest.raises(JaccliError) as info:
        _bind(text, params)
    assert type(info.value) is kind
    assert info.value.exit_code == 2
    assert words in info.value.message
    assert info.value.hint


def test_bind_hint_lists_parameters():
    with pytest.raises(ShapeError) as info:
        bind_point(parse_point("1,2,3"), ["x", "y"], option="--v", function="g")
    assert "g takes 2 arguments" in info.value.message
    assert "--v x=...,y=..." in info.value.hint


def test_bind_accepts_hand_made_point():
    point = ParsedPoint("manual", (np.array(1.0),), {})
    assert list(bind_point(point, ["x"])) == ["x"]


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
@example("１,２")
@example("[" * 100)
@example("x=@")
@example("{'a': [1,}")
@example("1_000")
@example("0x10,1j,-(1+2j)")
def test_parse_point_never_escapes(text):
    _parses_or_fails_cleanly(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,-+eEj[]{}()=xy \"':@", max_size=40))
def test_parse_point_never_escapes_on_point_like_text(text):
    _parses_or_fails_cleanly(text)


def _parses_or_fails_cleanly(text):
    try:
        point = parse_point(text)
    except JaccliError:
        return
    assert isinstance(point, ParsedPoint)


_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
_arrays = (
    st.integers(min_value=0, max_value=3)
    .flatmap(lambda ndim: st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    .flatmap(
        lambda shape: st.lists(
            _floats, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))
        ).map(lambda flat: np.array(flat, dtype=np.float64).reshape(shape))
    )
)
_trees = st.recursive(
    _arrays,
    lambda children: st.dictionaries(
        st.text(min_size=1, max_size=5), children, min_size=1, max_size=3
    ),
    max_leaves=6,
)


def _to_json(tree):
    if isinstance(tree, dict):
        return {k: _to_json(v) for k, v in tree.items()}
    return tree.tolist()


@settings(max_examples=200, deadline=None)
@given(_trees, st.booleans())
def test_json_round_trip(tree, ascii_only):
    text = json.dumps(_to_json(tree), ensure_ascii=ascii_only)
    point = parse_point(text)
    if isinstance(tree, dict):
        assert point.from_mapping
        assert _equal(point.named, tree)
    else:
        (value,) = point.positional
        assert _equal(value, tree)


@settings(max_examples=200, deadline=None)
@given(st.lists(_floats, min_size=1, max_size=5))
def test_named_scalars_round_trip(values):
    names = [f"x{i}" for i in range(len(values))]
    text = ",".join(f"{n}={v!r}" for n, v in zip(names, values, strict=True))
    bound = bind_point(parse_point(text), names)
    assert [float(bound[n]) for n in names] == values
