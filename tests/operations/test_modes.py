"""The mode of grad, jacobian, hessian, hvp, local sensitivity and info: forward mode where
reverse mode cannot be taken (while loops, a custom rule without a transpose), said in the
reason; ``mode="rev"`` there is refused with the mode that works. Truth: closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import jaccli
from iterative_programs import (
    custom_root_sqrt,
    fixed_point,
    fixed_point_truth,
    kepler,
    kepler_truth,
    newton_sqrt,
    newton_sqrt_vector,
    sqrt_truth,
    taylor_exp,
)
from jaccli.errors import UsageError

CANNOT = "reverse mode cannot be taken here"
WHILE = "does not work for lax.while_loop"


def test_grad_of_a_newton_solve_falls_back_to_forward_mode():
    r = jaccli.grad(newton_sqrt, 2.0)
    assert r.mode == "forward" and CANNOT in r.mode_reason and WHILE in r.mode_reason
    assert r.mode_reason.endswith("so forward mode: 1 JVP (one per input)")
    np.testing.assert_allclose(r.result, sqrt_truth(2.0)[0], rtol=1e-12)
    np.testing.assert_allclose(r.value, np.sqrt(2.0), rtol=1e-14)


@pytest.mark.parametrize(("M", "e"), [(1.0, 0.1), (2.5, 0.6), (0.3, 0.9)])
def test_kepler_gradient_and_hessian_in_forward_mode(M, e):
    gradient, hessian = kepler_truth(M, e)
    g = jaccli.grad(kepler, M, e)
    np.testing.assert_allclose([g.result["M"], g.result["e"]], gradient, rtol=1e-10)
    h = jaccli.hessian(kepler, M, e)
    assert h.mode == "forward-over-forward" and CANNOT in h.mode_reason
    got = [[h.result[a][b] for b in ("M", "e")] for a in ("M", "e")]
    np.testing.assert_allclose(got, hessian, rtol=1e-8, atol=1e-12)
    hv = jaccli.hvp(kepler, M, e, v=(1.0, -2.0))
    assert hv.mode == "forward-over-forward" and "H is never formed" in hv.mode_reason
    np.testing.assert_allclose([hv.result["M"], hv.result["e"]], hessian @ [1.0, -2.0], rtol=1e-8)


def test_a_fori_loop_with_dynamic_bounds_jacobian_hessian_and_hvp():
    x = np.array([0.5, -1.0, 3.0])
    jac = jaccli.jacobian(taylor_exp, x)  # n = 3 > m = 1: auto would pick reverse mode
    assert jac.mode == "forward" and "fori_loop with dynamic start/stop" in jac.mode_reason
    assert "so forward mode: 3 JVPs (one per input)" in jac.mode_reason
    np.testing.assert_allclose(jac.result, np.exp(x), rtol=1e-12)
    h = jaccli.hessian(taylor_exp, x)
    np.testing.assert_allclose(h.result, np.diag(np.exp(x)), rtol=1e-12, atol=1e-14)
    v = np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(jaccli.hvp(taylor_exp, x, v=v).result, np.exp(x) * v, rtol=1e-12)


def test_vjp_of_a_fori_loop_with_dynamic_bounds_in_forward_mode():
    x = np.array([0.5, -1.0, 3.0])
    r = jaccli.vjp(taylor_exp, x, v=2.0)
    assert r.mode == "forward" and CANNOT in r.mode_reason
    assert "the gradient of v·f, 3 JVPs (one per input)" in r.mode_reason
    np.testing.assert_allclose(r.result, 2.0 * np.exp(x), rtol=1e-12)


def test_vjp_of_a_vector_of_newton_solves_in_forward_mode():
    a, v = np.array([2.0, 9.0, 0.25]), np.array([1.0, -2.0, 4.0])
    r = jaccli.vjp(newton_sqrt_vector, a, v=v)
    assert r.mode == "forward" and WHILE in r.mode_reason
    np.testing.assert_allclose(r.result, v * sqrt_truth(a)[0], rtol=1e-12)


def test_vjp_of_kepler_in_forward_mode_matches_the_implicit_gradient():
    r = jaccli.vjp(kepler, 2.5, 0.6, v=3.0)
    assert r.mode == "forward"
    np.testing.assert_allclose(
        [r.result["M"], r.result["e"]], 3.0 * kepler_truth(2.5, 0.6)[0], rtol=1e-10
    )


def test_a_custom_jvp_whose_rule_has_no_transpose():
    r = jaccli.grad(fixed_point, 0.5)
    assert r.mode == "forward" and WHILE in r.mode_reason
    np.testing.assert_allclose(r.result, fixed_point_truth(0.5), rtol=1e-10)


def test_local_sensitivity_falls_back_and_says_so():
    r = jaccli.sensitivity(kepler, 1.0, 0.1)
    assert r.fields["mode"] == "forward" and CANNOT in r.fields["mode_reason"]
    np.testing.assert_allclose(r.fields["result"]["e"], kepler_truth(1.0, 0.1)[0][1], rtol=1e-10)


def test_info_reports_the_mode_jacobian_takes():
    info = jaccli.info(taylor_exp, np.ones(3))
    assert info.mode == jaccli.jacobian(taylor_exp, np.ones(3)).mode == "forward"
    assert CANNOT in info.mode_reason


@pytest.mark.parametrize("command", ["grad", "jacobian", "hessian", "hvp"])
def test_reverse_mode_asked_for_where_it_cannot_be_taken_says_to_use_fwd(command):
    kwargs = {"v": 1.0} if command == "hvp" else {}
    with pytest.raises(UsageError) as info:
        getattr(jaccli, command)(newton_sqrt, 2.0, mode="rev", **kwargs)
    assert info.value.exit_code == 2
    assert "reverse mode cannot differentiate" in info.value.message and WHILE in info.value.message
    assert info.value.hint.startswith("use mode fwd (forward mode)")


@pytest.mark.parametrize("fn", [custom_root_sqrt, np.sqrt])
def test_reverse_mode_stays_where_it_can_be_taken(fn):
    # lax.custom_root has an implicit reverse rule around its while loop.
    import jax.numpy as jnp

    fn = jnp.sqrt if fn is np.sqrt else fn
    g = jaccli.grad(fn, 2.0)
    assert g.mode == "reverse" and CANNOT not in g.mode_reason
    np.testing.assert_allclose(g.result, sqrt_truth(2.0)[0], rtol=1e-12)
    assert jaccli.hessian(fn, 2.0).mode == "forward-over-reverse"
    assert jaccli.grad(fn, 2.0, mode="rev").mode == "reverse"


def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _rosenbrock_truth(x):
    """The gradient and Hessian of Rosenbrock's function, by hand."""
    a, b = x
    gradient = [-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)]
    hessian = [[2 - 400 * b + 1200 * a**2, -400 * a], [-400 * a, 200.0]]
    return np.array(gradient), np.array(hessian)


@pytest.mark.parametrize("command", ["grad", "hessian", "hvp", "sensitivity"])
def test_forward_mode_asked_for_gives_the_closed_form_and_the_reverse_answer(command):
    x, v = np.array([0.3, -0.7]), np.array([1.0, 2.0])
    gradient, hessian = _rosenbrock_truth(x)
    truth = {"hessian": hessian, "hvp": hessian @ v}.get(command, gradient)
    kwargs = {"v": v} if command == "hvp" else {}
    forward, reverse = (
        _fields(getattr(jaccli, command)(_rosenbrock, x, mode=mode, **kwargs))
        for mode in ("fwd", "rev")
    )
    assert "forward mode requested" in forward["mode_reason"]
    assert forward["mode"] in ("forward", "forward-over-forward")
    assert reverse["mode"] in ("reverse", "forward-over-reverse")
    np.testing.assert_allclose(forward["result"], truth, rtol=1e-13)
    np.testing.assert_allclose(reverse["result"], truth, rtol=1e-13)


def _fields(result):
    if hasattr(result, "fields"):  # a local sensitivity analysis
        return result.fields
    return {"mode": result.mode, "mode_reason": result.mode_reason, "result": result.result}


def test_a_bad_mode_is_refused_by_every_command():
    for command in ("grad", "hessian"):
        with pytest.raises(UsageError, match="mode must be auto, fwd or rev"):
            getattr(jaccli, command)(np.sin, 1.0, mode="sideways")


def test_a_sparse_jacobian_colours_forward_where_reverse_mode_cannot_be_taken():
    pytest.importorskip("scipy")
    x = np.array([0.5, -1.0, 3.0])
    r = jaccli.jacobian(taylor_exp, x, sparse=True)  # one row colour against three columns
    assert r.mode == "forward" and r.mode_reason.startswith(f"sparse: {CANNOT}")
    assert r.mode_reason.endswith(
        "so forward mode; 3 column colours (forward) vs 1 row colour (reverse): 3 JVPs"
    )
    np.testing.assert_allclose(r.result.to_scipy().toarray(), [np.exp(x)], rtol=1e-12)
    with pytest.raises(UsageError, match="reverse mode cannot differentiate"):
        jaccli.jacobian(taylor_exp, x, sparse=True, mode="rev")


def test_a_sparse_hessian_takes_forward_over_forward_products_where_reverse_cannot_be_taken():
    pytest.importorskip("scipy")
    x = np.array([0.5, -1.0, 3.0])
    h = jaccli.hessian(taylor_exp, x, sparse=True)
    assert h.mode == "forward-over-forward" and h.mode_reason.startswith(CANNOT)
    assert "forward-over-forward HVPs" in h.mode_reason
    np.testing.assert_allclose(h.result.to_scipy().toarray(), np.diag(np.exp(x)), rtol=1e-12)
    with pytest.raises(UsageError, match="reverse mode cannot differentiate"):
        jaccli.hessian(taylor_exp, x, sparse=True, mode="rev")


def test_a_sparse_hessian_in_forward_mode_asked_for_is_the_closed_form():
    pytest.importorskip("scipy")

    def chain(x):  # Σ x_i² x_{i+1}: H has x_{i+1} on the diagonal terms and x_i beside them
        return (x[:-1] ** 2 * x[1:]).sum()

    x = np.array([0.5, -1.0, 3.0, 2.0])
    truth = np.zeros((4, 4))
    for i in range(3):
        truth[i, i] += 2 * x[i + 1]
        truth[i, i + 1] = truth[i + 1, i] = 2 * x[i]
    forward = jaccli.hessian(chain, x, sparse=True, mode="fwd")
    assert (
        forward.mode == "forward-over-forward" and "forward mode requested" in forward.mode_reason
    )
    assert jaccli.hessian(chain, x, sparse=True).mode == "forward-over-reverse"
    np.testing.assert_allclose(forward.result.to_scipy().toarray(), truth, rtol=1e-14)
