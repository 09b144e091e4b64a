"""Jacobians, gradients and Hessians of several arguments are computed on the arguments as one
flat vector (XLA compiles a derivative of many arguments as many programs: the Hessian of 100
scalar arguments took minutes to compile) and split back into the same blocks, point and batch
alike."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaccli
from jaccli._problem import on_one_vector, one_vector, unravel_axis


def _g(x, y):
    return x**2 * y**3


def _hand(x: float, y: float) -> dict:
    """g = x² y³: the gradient and the Hessian by hand."""
    return {
        "grad": {"x": 2 * x * y**3, "y": 3 * x**2 * y**2},
        "hessian": {
            "x": {"x": 2 * y**3, "y": 6 * x * y**2},
            "y": {"x": 6 * x * y**2, "y": 6 * x**2 * y},
        },
    }


def test_scalar_arguments_against_the_hand_derived_derivatives():
    truth = _hand(1.5, -2.0)
    grad = jaccli.grad(_g, 1.5, -2.0).result
    hessian = jaccli.hessian(_g, 1.5, -2.0).result
    jacobian = jaccli.jacobian(_g, 1.5, -2.0).result
    for a in "xy":
        assert np.shape(grad[a]) == np.shape(jacobian[a]) == ()
        np.testing.assert_allclose(grad[a], truth["grad"][a], rtol=1e-14)
        np.testing.assert_allclose(jacobian[a], truth["grad"][a], rtol=1e-14)
        for b in "xy":
            assert np.shape(hessian[a][b]) == ()
            np.testing.assert_allclose(hessian[a][b], truth["hessian"][a][b], rtol=1e-14)


def _tree(p, y, z):
    return jnp.stack([jnp.sum(p["a"] * y) * z**2, jnp.sin(p["b"][0, 1]) * z, jnp.prod(y)])


_TREE_ARGS = (
    {"a": np.array([1.0, 2.0]), "b": np.array([[1.0, 2.0], [3.0, 4.0]])},
    np.array([0.5, 1.5]),
    np.asarray(2.0),
)


def test_pytree_arguments_keep_their_blocks():
    names = ("p", "y", "z")
    jacobian = jaccli.jacobian(_tree, *_TREE_ARGS).result
    per_argnum = jax.jit(jax.jacfwd(_tree, argnums=(0, 1, 2)))(*_TREE_ARGS)
    for name, expected in zip(names, per_argnum, strict=True):
        jax.tree_util.tree_map(np.testing.assert_allclose, jacobian[name], expected)
    # One block by hand: d f[0] / d p.a = y * z².
    np.testing.assert_allclose(jacobian["p"]["a"][0], _TREE_ARGS[1] * 4.0)

    def scalar(p, y, z):
        return jnp.sum(_tree(p, y, z) ** 2)

    hessian = jaccli.hessian(scalar, *_TREE_ARGS).result
    nested = jax.jit(jax.hessian(scalar, argnums=(0, 1, 2)))(*_TREE_ARGS)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            expected = jax.tree_util.tree_map(
                lambda leaf, j=j: leaf[j], nested[i], is_leaf=lambda t: isinstance(t, tuple)
            )
            jax.tree_util.tree_map(np.testing.assert_allclose, hessian[a][b], expected)
    assert np.shape(hessian["p"]["y"]["b"]) == (2, 2, 2)
    assert np.shape(hessian["y"]["p"]["a"]) == (2, 2)


def test_only_several_arrays_of_one_dtype_go_on_one_vector():
    assert one_vector((np.ones(2), np.float64(1.0)))
    assert not one_vector((np.ones(2),))
    assert not one_vector((np.ones(2), np.ones(2, np.float32)))
    assert not one_vector((np.ones(2), np.ones(2, np.complex128)))


def test_the_transform_sees_one_vector_and_its_axis_splits_back():
    seen = []

    def transform(fn, primals):
        seen.append(tuple(np.shape(p) for p in primals))
        return jax.jit(jax.jacfwd(fn))(*primals)

    primals = (np.ones((2, 3)), {"u": np.ones(4), "v": np.float64(2.0)})
    jacobian = on_one_vector(transform)(lambda a, b: jnp.sum(a) * b["v"] + b["u"], primals)
    assert seen == [((11,),)]
    assert np.shape(jacobian) == (4, 11)
    blocks = unravel_axis(jacobian, primals, -1)
    assert np.shape(blocks[0]) == (4, 2, 3)
    assert jax.tree_util.tree_map(np.shape, blocks[1]) == {"u": (4, 4), "v": (4,)}
    np.testing.assert_allclose(blocks[1]["u"], np.eye(4))
    np.testing.assert_allclose(blocks[0], np.full((4, 2, 3), 2.0))
    rows = unravel_axis(np.arange(2 * 11 * 11).reshape(2, 11, 11), primals, -2)
    assert np.shape(rows[0]) == (2, 2, 3, 11)


@pytest.mark.parametrize("command", ["hessian", "grad", "jacobian"])
def test_a_batch_of_several_arguments_matches_its_points(cli, tmp_path, command):
    (tmp_path / "g.py").write_text("def f(x, y):\n    return x**2 * y**3\n")
    points = [(1.5, -2.0), (0.5, 3.0), (-1.0, 1.0)]
    (tmp_path / "points.jsonl").write_text(
        "".join(json.dumps({"x": x, "y": y}) + "\n" for x, y in points)
    )
    run = cli(command, str(tmp_path / "g.py"), "--batch", str(tmp_path / "points.jsonl"))
    assert run.code == 0, run.stderr
    results = [json.loads(line)["result"] for line in run.stdout.splitlines()]
    key = "grad" if command != "hessian" else "hessian"
    for result, point in zip(results, points, strict=True):
        truth = _hand(*point)[key]
        flat = lambda t: np.array(jax.tree_util.tree_leaves(t), dtype=float)  # noqa: E731
        np.testing.assert_allclose(flat(result), flat(truth), rtol=1e-14)


def test_a_hessian_flattens_back_to_the_flat_views():
    from jaccli._load import from_callable
    from jaccli._problem import flat_hessian, flatten, prepare

    def scalar(p, y, z):
        return jnp.sum(_tree(p, y, z) ** 2)

    function = from_callable(scalar)
    problem = prepare(function, dict(zip(function.params, _TREE_ARGS, strict=True)))
    flat = flatten(problem)
    expected = jax.jit(jax.hessian(flat.fn))(flat.x)
    got = flat_hessian(problem, jaccli.hessian(scalar, *_TREE_ARGS).result)
    assert got.shape == (1, 9, 9)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    one = jaccli.hessian(lambda x: jnp.sum(x**3), np.array([1.0, 2.0])).result
    single = prepare(from_callable(lambda x: jnp.sum(x**3)), {"x": np.array([1.0, 2.0])})
    np.testing.assert_allclose(flat_hessian(single, one)[0], np.diag([6.0, 12.0]))
