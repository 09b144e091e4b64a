"""Property: random smooth functions at random scales from 1e-10 to 1e10 never make `check`
fail a correct derivative. Each input lives on its own scale (``x = s·u``, the function reads
``u = x/s``), or a power or logarithm is taken of the input itself; SymPy, the complex step and
the differences must all pass or say why not (a precision note, unreliable differences)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from jaccli import _check, _operations, _problem
from jaccli._load import loader

PROPERTY = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

scales = st.integers(-10, 10).map(lambda k: 10.0**k)
sizes = st.floats(0.1, 3.0).map(lambda u: round(u, 3))
signs = st.sampled_from([1.0, -1.0])


def smooth(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Expressions of the leaves, smooth everywhere they are evaluated."""

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.tuples(
            st.sampled_from(["sin", "cos", "tanh", "sigmoid", "exp", "softplus"]), inner
        ).map(lambda t: f"{t[0]}({t[1]})" if t[0] != "exp" else f"exp(tanh({t[1]}))")
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        return unary | binary

    return st.recursive(leaves, extend, max_leaves=5)


# Functions of the input itself, smooth on the positive reals at any scale.
OWN_SCALE = ["log(x)", "sqrt(x)", "x^2", "x^3", "1/x", "x^1.5", "log(x) * x", "x / (1 + x)"]


def check_passes(expression: str, point: dict[str, float]) -> None:
    function = loader.from_expression(expression, list(point))
    problem = _problem.prepare(function, {k: np.float64(v) for k, v in point.items()})
    result = _operations.run(problem, "jacobian")
    ad = np.asarray(result.result if len(point) == 1 else list(result.result.values()))
    assume(np.all(np.isfinite(ad)) and np.all(np.isfinite(np.asarray(result.value))))
    report = _check.run_check(problem, result.result)
    verdicts = {r.name: r.passed for r in report.references}
    assert report.passed, (expression, point, report.to_dict())
    assert verdicts["sympy"] is True, report.to_dict()
    assert all(passed is not False for passed in verdicts.values())
    assert {d.kind for d in report.diagnoses} <= {"precision"}


@PROPERTY
@given(
    body=smooth(st.sampled_from(["U", "V", "0.5", "1.5", "2"])),
    sx=scales,
    sy=scales,
    u=sizes,
    v=sizes,
    sign=signs,
)
@example(body="sin(U)", sx=1e-8, sy=1.0, u=1.0, v=1.0, sign=1.0)  # sin(1e8 x) at 1e-8
@example(body="(U * V)", sx=1e10, sy=1e-10, u=1.0, v=1.0, sign=-1.0)
@example(body="exp(tanh((U - V)))", sx=1e-10, sy=1e10, u=2.5, v=0.1, sign=1.0)
def test_smooth_functions_of_scaled_inputs_pass(body, sx, sy, u, v, sign):
    expression = body.replace("U", f"(x / {sx!r})").replace("V", f"(y / {sy!r})")
    check_passes(
        f"[{expression} + x*y/({sx!r}*{sy!r}), {expression}]",
        {
            "x": sign * u * sx,
            "y": v * sy,
        },
    )


@PROPERTY
@given(
    own=st.sampled_from(OWN_SCALE),
    outer=smooth(st.sampled_from(["W", "0.5", "2"])),
    scale=scales,
    u=sizes,
)
@example(own="log(x)", outer="W", scale=1e-8, u=1.0)
@example(own="log(x)", outer="W", scale=1e-12, u=1.0)
@example(own="sqrt(x)", outer="W", scale=1e-10, u=1.0)
@example(own="x^2", outer="sin(W)", scale=1e10, u=1.0)
def test_powers_and_logarithms_of_the_input_at_any_scale_pass(own, outer, scale, u):
    check_passes(outer.replace("W", f"({own})"), {"x": u * scale})
