"""Function files written with plain NumPy: differentiated through jax.numpy, or a precise error.

Expected Jacobians are derived by hand and written out with `math`; nothing here asks JAX for
the truth.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jaccli
from jaccli._load.numpy_dispatch import NumpyProxy, Twin, map_numpy
from jaccli.errors import FunctionError


def _write(tmp_path, text, name="model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def _jacobian(cli, path, *args):
    run = cli("jacobian", str(path), *args, "--format", "json")
    assert run.code == 0, run.stderr
    return run.json()


# --- differentiated with the same meaning ------------------------------------------------------


def test_sin_exp_and_an_output_built_with_np_array(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            return np.array([np.sin(x[0]) * x[1], np.exp(x[0] * x[1])])
        """,
    )
    out = _jacobian(cli, path, "--at", "0.5,2")
    x0, x1 = 0.5, 2.0
    e = math.exp(x0 * x1)
    np.testing.assert_allclose(out["value"], [math.sin(x0) * x1, e], rtol=1e-15)
    expected = [[x1 * math.cos(x0), math.sin(x0)], [x1 * e, x0 * e]]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-14)
    assert out["warnings"] == []


def test_sum_dot_and_matmul_with_numpy_constants(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        a = np.array([1.0, -2.0, 0.5])
        A = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])

        def energy(x):
            return np.sum(x**2) + np.dot(a, x)

        def layer(x):
            return A @ np.tanh(x)
        """,
    )
    x = [0.3, -0.7, 1.1]
    out = cli("grad", f"{path}:energy", "--at", "0.3,-0.7,1.1", "--format", "json").json()
    np.testing.assert_allclose(out["result"], [2 * 0.3 + 1.0, 2 * -0.7 - 2.0, 2 * 1.1 + 0.5])
    out = _jacobian(cli, f"{path}:layer", "--at", "0.3,-0.7,1.1")
    sech2 = [1.0 - math.tanh(v) ** 2 for v in x]
    A = [[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]
    expected = [[A[i][j] * sech2[j] for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-14)


def test_where_norm_and_functions_imported_by_name(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np
        from numpy import array, sin
        from numpy.linalg import norm as length

        def ramp(x):
            return np.where(x > 0, x**2, -x)

        def size(x):
            return np.linalg.norm(x)

        def named(x):
            return array([sin(x[0]), x[0] * x[1], length(x)])
        """,
    )
    out = _jacobian(cli, f"{path}:ramp", "--at", "1.5,-2")
    np.testing.assert_allclose(out["result"], [[3.0, 0.0], [0.0, -1.0]])
    out = cli("grad", f"{path}:size", "--at", "3,4", "--format", "json").json()
    np.testing.assert_allclose(out["result"], [0.6, 0.8], rtol=1e-15)
    out = _jacobian(cli, f"{path}:named", "--at", "3,4")
    expected = [[math.cos(3.0), 0.0], [4.0, 3.0], [0.6, 0.8]]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-14)


def test_lists_where_numpy_takes_array_likes(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            total = np.sum([x[0] ** 2, 3 * x[1]])
            return np.concatenate([x * total, [np.max([x[0], x[1]])]])
        """,
    )
    out = _jacobian(cli, path, "--at", "2,1")
    # total = x0² + 3·x1 = 7; d total = [2·x0, 3] = [4, 3]; max is x0.
    expected = [[7.0 + 2.0 * 4.0, 2.0 * 3.0], [1.0 * 4.0, 7.0 + 1.0 * 3.0], [1.0, 0.0]]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-15)


def test_constants_keep_numpy_meaning_and_compile(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            n = int(np.prod(x.shape))
            scale = np.ones(n)
            scale[0] = 3.0
            return x * scale
        """,
    )
    out = _jacobian(cli, path, "--at", "1,2")
    np.testing.assert_allclose(out["result"], [[3.0, 0.0], [0.0, 1.0]])
    assert out["warnings"] == []


def test_several_arguments_and_hessian(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def polar(r, theta):
            return np.array([r * np.cos(theta), r * np.sin(theta)])

        def bowl(x):
            return np.sum(np.exp(x))
        """,
    )
    r, t = 2.0, math.pi / 6
    out = _jacobian(cli, f"{path}:polar", "--at", f"r={r},theta={t!r}")
    np.testing.assert_allclose(out["result"]["r"], [math.cos(t), math.sin(t)], rtol=1e-15)
    np.testing.assert_allclose(
        out["result"]["theta"], [-r * math.sin(t), r * math.cos(t)], rtol=1e-15
    )
    out = cli("hessian", f"{path}:bowl", "--at", "0,1", "--format", "json").json()
    np.testing.assert_allclose(out["result"], [[1.0, 0.0], [0.0, math.e]], rtol=1e-15)


def test_control_flow_still_falls_back_to_eager(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            if x[0] > 0:
                return np.array([x[0] ** 2, np.sin(x[1])])
            return -x
        """,
    )
    out = _jacobian(cli, path, "--at", "0.5,2")
    np.testing.assert_allclose(out["result"], [[1.0, 0.0], [0.0, math.cos(2.0)]], rtol=1e-15)
    assert any("computed eagerly" in w for w in out["warnings"])


def test_batch_of_a_numpy_file_is_vectorised(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            return np.array([np.sin(x[0]) * x[1], np.sum(x**2)])
        """,
    )
    points = tmp_path / "points.jsonl"
    points.write_text("[0.5, 2]\n[1, -1]\n[0, 3]\n")
    run = cli("jacobian", str(path), "--batch", str(points), "--format", "json")
    assert run.code == 0, run.stderr
    assert "point by point" not in run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [row["index"] for row in rows] == [0, 1, 2]
    for row, (x0, x1) in zip(rows, [(0.5, 2.0), (1.0, -1.0), (0.0, 3.0)], strict=True):
        expected = [[x1 * math.cos(x0), math.sin(x0)], [2 * x0, 2 * x1]]
        np.testing.assert_allclose(row["result"], expected, rtol=1e-14, atol=1e-15)


def test_python_api_with_a_loaded_numpy_file(tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            return np.array([x[0] * x[1], np.log(x[1])])
        """,
    )
    function = jaccli.load(str(path))
    assert function.numpy_names == ("np",)
    r = jaccli.jacobian(function, [3.0, 2.0])
    np.testing.assert_allclose(r.result, [[2.0, 3.0], [0.0, 0.5]], rtol=1e-15)
    r = jaccli.vjp(function, [3.0, 2.0], v=[1.0, 2.0])
    np.testing.assert_allclose(r.result, [2.0, 3.0 + 1.0], rtol=1e-15)


def test_sample_matches_its_docstring(cli):
    out = _jacobian(cli, "samples/numpy_model.py", "--at", "0.5,2")
    x0, x1 = 0.5, 2.0
    e = math.exp(x0 - 0.5 * x1)
    expected = [[x1 * math.cos(x0), math.sin(x0)], [e, -0.5 * e], [2 * x0, 2 * x1]]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-14)


# --- what cannot be traced: file, line, operation and what to write ------------------------------

SCIPY_GAMMA = """
    import numpy as np
    import scipy.special

    def f(x):
        return np.exp(scipy.special.gamma(x))
    """


@pytest.mark.parametrize(
    ("source", "line", "fragments", "hint"),
    [
        (
            """
            import numpy as np

            def f(x):
                x[0] = np.sin(x[1])
                return x
            """,
            4,
            ["assigns into an array in place", "`x[0] = np.sin(x[1])`"],
            "write x = x.at[0].set(np.sin(x[1]))",
        ),
        (
            """
            import numpy as np

            def f(x):
                y = np.sin(x)
                y[1:] += 2 * x[0]
                return y
            """,
            5,
            ["assigns into an array in place", "`y[1:] += 2 * x[0]`"],
            "write y = y.at[1:].add(2 * x[0])",
        ),
        (
            """
            import numpy as np

            def f(x):
                y = np.zeros(2)
                y[0] = x[0] ** 2
                y[1] = x[1]
                return y
            """,
            5,
            ["stores a traced value in a NumPy array", "`y[0] = x[0] ** 2`"],
            "y = np.array([...])",
        ),
        (
            """
            import numpy as np

            def f(x):
                noise = np.random.normal(x)
                return x + noise
            """,
            4,
            ["converts a traced value to a NumPy array", "`np.random.normal(x)`"],
            "jax.random",
        ),
        (
            SCIPY_GAMMA,
            5,
            ["converts a traced value to a NumPy array", "`scipy.special.gamma(x)`"],
            "use jax.scipy.special.gamma",
        ),
        (
            """
            import numpy as np

            def f(x):
                a = float(x[0])
                return np.array([a * x[1], x[0]])
            """,
            4,
            ["needs a concrete value", "`float(x[0])` turns a traced value into a Python number"],
            "remove float()",
        ),
        (
            """
            import math
            import numpy as np

            def f(x):
                return np.array([math.sin(x[0]), x[1]])
            """,
            5,
            ["needs a concrete value", "`math.sin(x[0])`"],
            "use np.sin",
        ),
        (
            """
            import numpy as np

            def f(x):
                return np.float64(x[0]) * x
            """,
            4,
            ["converts a traced value to a NumPy array", "`np.float64(x[0])`"],
            "x[0].astype(np.float64)",
        ),
    ],
    ids=["in-place", "in-place-add", "numpy-scratch", "random", "scipy", "float", "math", "dtype"],
)
def test_untraceable_operation_is_one_clean_line(cli, tmp_path, source, line, fragments, hint):
    if "scipy" in source:
        pytest.importorskip("scipy.special")
    path = _write(tmp_path, source)
    # jvp has no finite-difference fallback (jacobian and grad do: see below).
    run = cli("jvp", str(path), "--at", "0.5,2", "--v", "1,0")
    assert run.code == 3
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    error, hint_line = run.stderr.splitlines()
    assert error.startswith("jaccli: error: ")
    assert f"model.py, line {line})" in error
    for fragment in fragments:
        assert fragment in error
    assert hint_line.startswith("hint: ")
    assert hint in hint_line


def test_untraceable_operation_as_a_json_error(cli, tmp_path):
    pytest.importorskip("scipy.special")
    path = _write(tmp_path, SCIPY_GAMMA)
    run = cli("hvp", str(path), "--at", "1.5", "--v", "1", "--format", "json")
    assert run.code == 3
    assert run.stdout == ""
    error = json.loads(run.stderr)["error"]
    assert error["code"] == 3
    assert "scipy.special.gamma(x)" in error["message"]
    assert "model.py, line 5" in error["message"]
    assert "jax.scipy.special.gamma" in error["hint"]


def test_helper_module_is_named_as_not_mapped(cli, tmp_path):
    _write(tmp_path, "import numpy as np\n\ndef g(x):\n    return np.sin(x)\n", "np_helper_b7.py")
    path = _write(tmp_path, "import np_helper_b7\n\ndef f(x):\n    return np_helper_b7.g(x)\n")
    run = cli("jvp", str(path), "--at", "1,2", "--v", "1,0")
    assert run.code == 3
    assert "`np_helper_b7.g(x)` (" in run.stderr
    assert "model.py, line 4" in run.stderr
    assert "in the function file only" in run.stderr


def test_long_statement_is_shortened_to_one_line(tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            x[0] = (
                np.sin(x[1]) + np.cos(x[1]) + np.tan(x[1]) + np.exp(x[1]) + np.log(x[1]) + 1.0
            )
            return x
        """,
    )
    with pytest.raises(FunctionError) as info:
        jaccli.jacobian(jaccli.load(str(path)), [0.5, 2.0])
    message = info.value.message
    assert "\n" not in message and "\n" not in info.value.hint
    assert "`x[0] = ( np.sin(x[1]) + np.cos(x[1])" in message
    assert "…`" in message
    assert "model.py, line 4" in message


# --- the mapping itself ------------------------------------------------------------------------


def test_mapping_rebinds_only_numpy_names():
    import math as math_module

    namespace = {
        "np": np,
        "la": np.linalg,
        "rng": np.random,
        "sin": np.sin,
        "msin": math_module.sin,
        "float64": np.float64,
        "W": np.eye(2),
    }
    assert map_numpy(namespace) == ("np", "la", "sin")
    assert isinstance(namespace["np"], NumpyProxy) and isinstance(namespace["la"], NumpyProxy)
    assert isinstance(namespace["sin"], Twin)
    assert namespace["rng"] is np.random
    assert namespace["msin"] is math_module.sin
    assert namespace["float64"] is np.float64
    assert namespace["W"] is not None and type(namespace["W"]) is np.ndarray
    assert map_numpy(namespace) == ()


def test_proxy_is_numpy_without_jax_values():
    proxy = NumpyProxy(np)
    assert proxy.random is np.random
    assert proxy.float64 is np.float64
    assert proxy.pi == np.pi
    assert proxy.sin is proxy.sin
    assert isinstance(proxy.linalg, NumpyProxy)
    out = proxy.array([1.0, 2.0])
    assert type(out) is np.ndarray
    out[0] = 5.0
    assert out.tolist() == [5.0, 2.0]
    assert proxy.add.reduce([1.0, 2.0, 3.0]) == 6.0


def test_proxy_is_jax_numpy_with_jax_values():
    import jax
    import jax.numpy as jnp

    proxy = NumpyProxy(np)
    x = jnp.array([0.5, 2.0])
    assert isinstance(proxy.sin(x), jax.Array)
    assert isinstance(proxy.array([x[0], 1.0]), jax.Array)
    assert float(proxy.add.reduce(x)) == 2.5
    assert float(proxy.linalg.norm(jnp.array([3.0, 4.0]))) == 5.0


def test_jax_only_file_maps_nothing(tmp_path):
    path = _write(tmp_path, "import jax.numpy as jnp\n\ndef f(x):\n    return jnp.sin(x)\n")
    assert jaccli.load(str(path)).numpy_names == ()


def test_loading_a_numpy_file_imports_no_jax(tmp_path):
    path = _write(tmp_path, "import numpy as np\n\ndef f(x):\n    return np.sin(x)\n")
    probe = (
        "import sys\n"
        "from jaccli._load.loader import load\n"
        f"function = load({str(path)!r})\n"
        "assert function.numpy_names == ('np',)\n"
        "assert float(function.fn(0.0)) == 0.0\n"
        "sys.stdout.write(repr([m for m in ('jax', 'jaccli._derivatives.compute') if m in sys.modules]))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "[]"


def test_jacobian_of_untraceable_code_falls_back_to_labelled_finite_differences(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            y = np.zeros(2)
            y[0] = x[0] ** 2
            y[1] = x[0] * x[1]
            return y
        """,
    )
    run = cli("jacobian", str(path), "--at", "0.5,2", "--format", "json")
    assert run.code == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["method"] == "finite_differences"
    # Hand-derived: [[2 x0, 0], [x1, x0]] at (0.5, 2).
    np.testing.assert_allclose(out["result"], [[1.0, 0.0], [2.0, 0.5]], atol=1e-9)
    assert "stores a traced value in a NumPy array" in run.stderr
    assert "model.py, line 5" in run.stderr


def test_random_functions_get_no_finite_difference_stand_in(cli, tmp_path):
    path = _write(
        tmp_path,
        """
        import numpy as np

        def f(x):
            return x + np.random.normal(x)
        """,
    )
    run = cli("jacobian", str(path), "--at", "0.5,2")
    assert (run.code, run.stdout) == (3, "")
    assert "`np.random.normal(x)`" in run.stderr and "different values" in run.stderr
