"""Tests for `jaccli._load.expr`: values and derivatives against hand-derived truth, safety limits,
and property tests (JAX agrees with SymPy; any text fails only with a `JaccliError`)."""

from __future__ import annotations

import contextlib
import doctest
import math
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import jaccli._load.expr.parser as expr_module
from jaccli._load.expr import ExprInput, parse_expr, parse_number
from jaccli.errors import JaccliError, ParseError, ShapeError, UnsafeExpressionError


def shapes(expression):
    return [(i.name, i.shape) for i in expression.inputs]


# --- values, derivatives and structure ---------------------------------------------------------


def test_scalar_value_and_jacobian_match_hand_derivation():
    f = parse_expr("x**2 + sin(y)")
    assert shapes(f) == [("x", ()), ("y", ())]
    assert f.output_shape == ()
    np.testing.assert_allclose(f(1.5, 0.3), 1.5**2 + np.sin(0.3), rtol=1e-14)
    dx, dy = jax.jacfwd(f, argnums=(0, 1))(1.5, 0.3)
    np.testing.assert_allclose([dx, dy], [3.0, np.cos(0.3)], rtol=1e-14)


def test_vector_output_jacobian():
    f = parse_expr("[x0**2, sin(x1), x0*x1]")
    assert f.output_shape == (3,)
    jac = jnp.stack(jax.jacrev(f, argnums=(0, 1))(2.0, 0.5), axis=1)
    expected = [[4.0, 0.0], [0.0, np.cos(0.5)], [0.5, 2.0]]
    np.testing.assert_allclose(jac, expected, rtol=1e-14)


def test_indexed_input_shape_and_longer_arrays():
    f = parse_expr("x[0]*x[2]")
    assert f.inputs == (ExprInput("x", (3,)),)
    x = jnp.array([2.0, 7.0, 3.0, 100.0])  # longer than needed: the extra entry is unused
    assert float(f(x)) == 6.0
    np.testing.assert_allclose(jax.grad(f)(x), [3.0, 0.0, 2.0, 0.0])


def test_matrix_indexing_both_spellings():
    f = parse_expr("W[1, 2] - W[0][1]")
    assert f.inputs == (ExprInput("W", (2, 3)),)
    w = jnp.arange(6.0).reshape(2, 3)
    assert float(f(w)) == 5.0 - 1.0


def test_short_array_and_wrong_arity_are_shape_errors():
    f = parse_expr("x[3] + y")
    with pytest.raises(ShapeError, match=r"'x'.*\(4,\).*\(2,\)"):
        f(jnp.ones(2), 1.0)
    with pytest.raises(ShapeError, match="2 input"):
        f(jnp.ones(4))
    with pytest.raises(ShapeError, match="'y'"):
        f(jnp.ones(4), jnp.ones(3))


def test_caret_is_power_with_math_precedence():
    f = parse_expr("x^2*3")
    assert float(f(2.0)) == 12.0
    g = parse_expr("x*2^3^2")  # right-associative, like **
    assert float(g(1.0)) == 512.0


def test_nested_list_output_shape():
    f = parse_expr("[[x, y], [x*y, 1]]")
    assert f.output_shape == (2, 2)
    out = f(2.0, 3.0)
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[2.0, 3.0], [6.0, 1.0]])
    assert f.sympy.shape == (2, 2)


def test_where_min_max_relu():
    leaky = parse_expr("where(x > 0, x, 0.1*x)")
    assert float(leaky(2.0)) == 2.0
    np.testing.assert_allclose(leaky(-2.0), -0.2)
    np.testing.assert_allclose(jax.grad(leaky)(-2.0), 0.1)
    f = parse_expr("[min(x, y, 0), max(x, y), relu(x)]")
    np.testing.assert_allclose(f(-1.0, 3.0), [-1.0, 3.0, 0.0])
    np.testing.assert_allclose(f(4.0, 3.0), [0.0, 4.0, 4.0])
    assert isinstance(leaky.sympy, sympy.Piecewise)


def test_constants_pi_and_e_unless_named_in_vars():
    f = parse_expr("pi*x + e")
    assert shapes(f) == [("x", ())]
    np.testing.assert_allclose(f(2.0), 2 * np.pi + np.e)
    assert f.sympy == sympy.pi * f.symbols["x"] + sympy.E
    g = parse_expr("pi*x + e", vars=["x", "e", "pi"])
    assert shapes(g) == [("x", ()), ("e", ()), ("pi", ())]
    assert float(g(2.0, 1.0, 3.0)) == 7.0


def test_natural_sort_of_inputs():
    f = parse_expr("x10 + x2 + b + x1 + a")
    assert [i.name for i in f.inputs] == ["a", "b", "x1", "x2", "x10"]


def test_vars_fix_order_and_add_unused_scalars():
    f = parse_expr("x + 2*y", vars=["y", "z", "x"])
    assert shapes(f) == [("y", ()), ("z", ()), ("x", ())]
    assert float(f(1.0, 5.0, 3.0)) == 5.0
    assert shapes(parse_expr("x + y", vars="y, x")) == [("y", ()), ("x", ())]


@pytest.mark.parametrize(
    ("variables", "match"),
    [
        (["x"], "not in --vars: y"),
        (["x", "y", "x"], "twice"),
        (["x", "sin"], "cannot be a variable"),
        (["x", "2y"], "not a name"),
        (["x", "lambda"], "cannot be a variable"),
    ],
)
def test_bad_vars(variables, match):
    with pytest.raises(ParseError, match=match):
        parse_expr("x + y", vars=variables, label="--vars")


def test_constant_expression_is_a_differentiable_float():
    f = parse_expr("2", vars=["x"])
    assert f(jnp.float64(1.0)).dtype == jnp.float64
    assert float(f(1.0)) == 2.0
    assert float(jax.grad(f)(1.0)) == 0.0
    with pytest.raises(ParseError, match="no inputs"):
        parse_expr("2")


def test_dtypes_follow_inputs():
    f = parse_expr("x*2 + 1")
    assert f(jnp.float32(1.0)).dtype == jnp.float32
    assert f(3).dtype == jnp.float64  # integers are promoted so the result is differentiable
    assert f(jnp.float64(1.0)).dtype == jnp.float64
    np.testing.assert_allclose(parse_expr("x + 2j")(1.0), 1 + 2j)


def test_traceable_by_jit_and_vmap():
    f = parse_expr("[x[0]*sin(y), x[1]^2]")
    xs = jnp.array([[1.0, 2.0], [3.0, 4.0]])
    ys = jnp.array([0.5, 1.5])
    out = jax.vmap(f)(xs, ys)
    np.testing.assert_allclose(out, [[np.sin(0.5), 4.0], [3 * np.sin(1.5), 16.0]])
    np.testing.assert_allclose(jax.jit(f)(xs[0], ys[0]), out[0])


def test_functions_against_numpy():
    x, y = 0.3, 1.7
    cases = {
        "sin(x)+cos(y)+tan(x)": np.sin(x) + np.cos(y) + np.tan(x),
        "exp(x)*log(y)": np.exp(x) * np.log(y),
        "log10(y)+log2(y)+log1p(x)+expm1(x)": np.log10(y) + np.log2(y) + np.log1p(x) + np.expm1(x),
        "sqrt(y)+cbrt(-y)+square(x)": np.sqrt(y) + np.cbrt(-y) + x**2,
        "tanh(x)+sinh(x)+cosh(x)": np.tanh(x) + np.sinh(x) + np.cosh(x),
        "asin(x)+arccos(x)+atan(y)+arctan2(x, y)+atan2(y, x)": (
            np.arcsin(x) + np.arccos(x) + np.arctan(y) + np.arctan2(x, y) + np.arctan2(y, x)
        ),
        "asinh(x)+arccosh(y)+atanh(x)": np.arcsinh(x) + np.arccosh(y) + np.arctanh(x),
        "abs(-y)+sign(-x)+erf(x)": y - 1 + math.erf(x),
        "sigmoid(x)+softplus(y)": 1 / (1 + np.exp(-x)) + np.log1p(np.exp(y)),
        "pow(y, x)+hypot(x, y)": y**x + np.hypot(x, y),
    }
    for text, expected in cases.items():
        f = parse_expr(text, vars=["x", "y"])
        np.testing.assert_allclose(f(x, y), expected, rtol=1e-13, err_msg=text)
        value = complex(f.sympy.subs(f.symbols).evalf(subs={f.symbols["x"]: x, f.symbols["y"]: y}))
        np.testing.assert_allclose(value, expected, rtol=1e-13, err_msg=text)


def test_sympy_form_and_derivatives_match_hand_derivation():
    f = parse_expr("x**2*y + exp(x*y)")
    x, y = f.symbols["x"], f.symbols["y"]
    assert x.is_real
    expected_dx = 2 * x * y + y * sympy.exp(x * y)
    expected_dy = x**2 + x * sympy.exp(x * y)
    assert sympy.simplify(sympy.diff(f.sympy, x) - expected_dx) == 0
    assert sympy.simplify(sympy.diff(f.sympy, y) - expected_dy) == 0


def test_sympy_symbols_for_indexed_inputs():
    f = parse_expr("[x[0]*x[1], W[1, 0]]")
    xs = f.symbols["x"]
    assert xs.shape == (2,)
    assert str(xs[1]) == "x[1]"
    assert str(f.symbols["W"][1, 0]) == "W[1, 0]"
    assert f.sympy.shape == (2,)
    assert f.sympy[0] == xs[0] * xs[1]
    assert sympy.diff(f.sympy[0], xs[0]) == xs[1]


def test_sympy_literals_are_exact():
    f = parse_expr("0.1*x + 2j")
    x = f.symbols["x"]
    assert f.sympy.coeff(x) == sympy.Float("0.1", 30)  # decimal 0.1, not the nearest double
    assert float(sympy.im(f.sympy.subs(x, 0))) == 2.0
    assert parse_expr("x/3").sympy == x / 3  # integer division stays an exact Rational


def test_parsing_imports_neither_jax_nor_sympy():
    code = (
        "import sys, jaccli\n"
        "before = set(sys.modules)\n"
        "from jaccli._load.expr import parse_expr\n"
        "parse_expr('[x[0]^2 + sin(y), where(y > 0, y, 0)]')\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(new & {'jax', 'jaxlib', 'sympy', 'numpy'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_doctest():
    result = doctest.testmod(expr_module)
    assert result.attempted >= 1
    assert result.failed == 0


# --- rejected constructs -----------------------------------------------------------------------

REJECTED = [
    ("x.__class__", UnsafeExpressionError, "attribute access at column 2"),
    ("x + __import__", UnsafeExpressionError, "dunder"),
    ("lambda: x", UnsafeExpressionError, "lambda"),
    ("[x for x in y]", UnsafeExpressionError, "comprehension"),
    ("(x for x in y)", UnsafeExpressionError, "comprehension"),
    ("f'{x}'", UnsafeExpressionError, "f-string"),
    ("'x'", UnsafeExpressionError, "string literal"),
    ("b'x'", UnsafeExpressionError, "bytes literal"),
    ("(y := 2)", UnsafeExpressionError, "assignment expression"),
    ("sin(*x)", UnsafeExpressionError, "starred"),
    ("x[1:2]", UnsafeExpressionError, "slice"),
    ("sin(x=1)", UnsafeExpressionError, "keyword argument"),
    ("sinn(x)", UnsafeExpressionError, "unknown function 'sinn'"),
    ("x and y", UnsafeExpressionError, "boolean operator"),
    ("not x", UnsafeExpressionError, "boolean operator"),
    ("x if y else z", UnsafeExpressionError, "conditional expression"),
    ("x @ y", UnsafeExpressionError, "'@' at column 3"),
    ("x % 2", UnsafeExpressionError, "modulo"),
    ("x // 2", UnsafeExpressionError, "floor division"),
    ("x & y", UnsafeExpressionError, "bitwise"),
    ("~x", UnsafeExpressionError, "bitwise not"),
    ("x << 1", UnsafeExpressionError, "shift"),
    ("{x}", UnsafeExpressionError, "set"),
    ("{x: 1}", UnsafeExpressionError, "dict"),
    ("True + x", UnsafeExpressionError, "boolean literal"),
    ("None", UnsafeExpressionError, "None"),
    ("x + ...", UnsafeExpressionError, "ellipsis"),
    ("1 < x < 2", UnsafeExpressionError, "chained comparison"),
    ("x in y", UnsafeExpressionError, "membership"),
    ("sin + x", UnsafeExpressionError, "function name 'sin' used as a variable"),
    ("x(2)", UnsafeExpressionError, "unknown function 'x'"),
    ("sin(x)(y)", UnsafeExpressionError, "calling a non-function"),
    ("x # comment", UnsafeExpressionError, "comment"),
    ("sin(x, y)", ParseError, r"sin\(\) takes 1 argument, got 2"),
    ("min(x)", ParseError, "at least 2 arguments"),
    ("where(x, 1, 2)", ParseError, "must be a comparison"),
    ("x > 0", ParseError, "only allowed as the condition of where"),
    ("[[x, y], [x]]", ParseError, "ragged"),
    ("[x, [y, x]]", ParseError, "ragged"),
    ("[]", ParseError, "empty list"),
    ("sin([x, y])", ParseError, "list inside an expression"),
    ("x + x[0]", ParseError, "used plain at column 1 and with 1 index at column 5"),
    ("x[0] + x[0, 1]", ParseError, "with 2 indices"),
    ("x[-1]", ParseError, "negative index"),
    ("x[y]", ParseError, "non-negative integer literal"),
    ("e[0]", ParseError, "constant 'e'"),
    ("x +* y", ParseError, "invalid syntax at column 4"),
    ("", ParseError, "empty"),
    ("   ", ParseError, "empty"),
    ("1if x else 2", UnsafeExpressionError, "conditional"),
]


@pytest.mark.parametrize(("text", "error", "match"), REJECTED)
def test_rejected_constructs(text, error, match):
    with pytest.raises(error, match=match) as info:
        parse_expr(text)
    assert info.value.source == text or not text.strip()


def test_unknown_function_suggests_closest_name():
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expr("sqr(x) + 1")
    assert "did you mean 'sqrt'" in info.value.hint


def test_columns_point_into_the_original_text():
    # '^' becomes '**' before parsing; columns must still count characters of what was typed
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expr("x^2 + y.z")
    assert info.value.column == 8
    assert "allowed:" in info.value.hint
    with pytest.raises(ParseError) as info:
        parse_expr("  x^2 + y)")
    assert info.value.column == 10


@pytest.mark.parametrize(
    "payload",
    [
        "__import__('os').system('touch {canary}')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "sin.__globals__['__builtins__']['exec']('open(\"{canary}\", \"w\")')",
        'eval(\'open("{canary}", "w")\')',
        'exec(\'open("{canary}", "w")\')',
        "open('{canary}', 'w')",
    ],
)
def test_code_never_runs(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    with pytest.raises(UnsafeExpressionError):
        parse_expr(payload.format(canary=canary))
    assert not canary.exists()


# --- limits ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("9**9**9", "exponent too large"),
        ("x**9**9**9", "exponent too large"),
        ("x^(2^11)", "exponent too large"),
        ("10**400 + x", "number too large"),
        ("1e999*x", "number too large"),
        ("exp(1000) + x", "number too large"),
        ("((2**1000 + 1)/2**1000)**1000 * x", "exact arithmetic too large"),
        ("(x*3**600)**100", "exact arithmetic too large"),
        ("x + " + "9" * 401, "401 digits"),
        ("x * 1e" + "0" * 500 + "1", "501 digits"),
        ("-" * 100_000 + "x", "too long"),
        ("-" * 99_999 + "x", "signs in a row"),
        ("(" * 100_000 + "x" + ")" * 100_000, "too long"),
        ("(" * 49_999 + "x" + ")" * 49_999, "brackets nested deeper"),
        ("sin(" * 101 + "x" + ")" * 101, "brackets nested deeper"),
        ("x" * 1_000_000, "too long"),
        ("+".join(["x"] * 10_001), "too large"),
        ("x**" * 3000 + "x", "nested too deeply"),
        ("x" + "[0]" * 5000, "nested too deeply"),
        ("x[100000]", "index 100000 too large"),
        ("x[9999, 9999]", "entries"),
        ("x\x1b[31m", r"control character '\\x1b'"),
        ("x + \x00", "control character"),
        ("１+x", r"non-ASCII character '\\uff11' \(FULLWIDTH DIGIT ONE\)"),
        ("х + 1", "CYRILLIC SMALL LETTER HA"),
        ("ѕin(x)", "CYRILLIC SMALL LETTER DZE"),
        ("ｓｉｎ(x)", "FULLWIDTH"),
    ],
)
def test_limits_fail_fast_and_cleanly(text, match):
    start = time.perf_counter()
    with pytest.raises(UnsafeExpressionError, match=match):
        parse_expr(text)
    assert time.perf_counter() - start < 2.0


def test_nesting_depth_limit_counts_operators_not_just_brackets():
    deep = "x"
    for _ in range(60):
        deep = f"sin({deep}) + 1"  # 120 levels of call and sum; brackets only 60 deep
    with pytest.raises(UnsafeExpressionError, match="nested deeper than 100"):
        parse_expr(deep)


def test_long_flat_sums_are_fine():
    f = parse_expr(" + ".join(f"x[{i}]" for i in range(500)))
    assert f.inputs == (ExprInput("x", (500,)),)
    assert float(f(jnp.ones(500))) == 500.0


def test_non_ascii_in_messages_is_escaped():
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expr("x + \x1b]0;pwned\x07")
    assert "\x1b" not in info.value.message
    assert "\x07" not in info.value.message


def test_large_but_allowed_constants():
    f = parse_expr("x * 2**1000 / 2**999 + x**1024")
    np.testing.assert_allclose(f(1.0), 3.0)
    assert f.sympy == 2 * f.symbols["x"] + f.symbols["x"] ** 1024


# --- properties --------------------------------------------------------------------------------

_SMOOTH = [
    "sin",
    "cos",
    "exp",
    "tanh",
    "arctan",
    "sigmoid",
    "softplus",
    "sinh",
    "log",
    "sqrt",
    "log1p",
    "erf",
]
_LEAVES = st.sampled_from(["x", "y", "pi", "e", "2", "3", "0.5", "1.25", "1e-1"])


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(_SMOOTH), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(children, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]})^{t[1]}"),
        children.map(lambda c: f"-{c}"),
    )


EXPRESSIONS = st.recursive(_LEAVES, _extend, max_leaves=8)
# Points on a coarse grid without 0, so that rounding in JAX and exact arithmetic in SymPy agree.
POINTS = st.integers(-24, 24).filter(bool).map(lambda k: k / 8)


def _sympy_number(value):
    try:
        number = complex(value)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(number.real) and abs(number.imag) < 1e-12 * (1 + abs(number.real))):
        return None
    return number.real


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(EXPRESSIONS, POINTS, POINTS)
@example("log(x)^-1 * sqrt(y)", 1.5, 0.25)
@example("exp(exp((pi)^2)) + x", 0.125, 0.125)  # a constant beyond float64 is refused
def test_jax_value_and_gradient_agree_with_sympy(text, x, y):
    try:
        f = parse_expr(text, vars=["x", "y"])
    except UnsafeExpressionError as exc:
        assert "number too large" in exc.message
        assume(False)
    value = float(f(x, y))
    grad = float(jax.grad(f)(x, y))
    assume(math.isfinite(value) and abs(value) < 1e8)
    assume(math.isfinite(grad) and abs(grad) < 1e8)
    sx, sy = f.symbols["x"], f.symbols["y"]
    point = {sx: sympy.Float(x, 30), sy: sympy.Float(y, 30)}
    exact = _sympy_number(f.sympy.xreplace(point).evalf(30))
    exact_grad = _sympy_number(sympy.diff(f.sympy, sx).xreplace(point).evalf(30))
    assume(exact is not None and exact_grad is not None)
    assert value == pytest.approx(exact, rel=1e-7, abs=1e-9)
    assert grad == pytest.approx(exact_grad, rel=1e-6, abs=1e-8)


_NOISE = st.sampled_from(list("()[]{}.,:;'\"^*+-/@%&|~<>=!#_ \\0123456789xyzejJ\x00\x1b\u0445"))
_MUTATIONS = st.lists(st.tuples(st.integers(0, 200), st.sampled_from("ird"), _NOISE), max_size=4)


def _mutate(text, mutations):
    chars = list(text)
    for position, kind, ch in mutations:
        i = position % (len(chars) + 1)
        if kind == "i":
            chars.insert(i, ch)
        elif chars and kind == "r":
            chars[min(i, len(chars) - 1)] = ch
        elif chars:
            del chars[min(i, len(chars) - 1)]
    return "".join(chars)


def _parse_or_clean_error(text):
    try:
        f = parse_expr(text)
    except JaccliError:
        return
    # A successful parse must give something that evaluates and has a SymPy form.
    args = [jnp.ones(inp.shape) for inp in f.inputs]
    assert jnp.shape(f(*args)) == f.output_shape
    with contextlib.suppress(ParseError):  # e.g. SymPy refuses to order complex numbers
        f.sympy  # noqa: B018


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
@example("x[0] + y^2")
@example("9**9**9**9")
def test_arbitrary_text_fails_only_with_jaccli_errors(text):
    _parse_or_clean_error(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, _MUTATIONS)
def test_mutated_expressions_fail_only_with_jaccli_errors(text, mutations):
    _parse_or_clean_error(_mutate(text, mutations))


@pytest.mark.parametrize("text", ["-pi", "2*pi/3", "1e-3", "e**2", "sqrt(2)", "-log(10)/4"])
def test_a_constant_is_folded_to_the_value_jax_gives(text):
    # A bound is folded while parsing, without JAX; it must be the number JAX computes.
    expected = float(parse_expr(text, vars=["_"])(np.zeros(())))
    assert parse_number(text, vars=["_"]) == pytest.approx(expected, rel=1e-15, abs=0)
