"""The command line, run in-process through the real entry point: exit codes, stdout, stderr."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest


def test_spec_example_json(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--format", "json")
    assert run.code == 0
    assert run.stderr == ""
    out = run.json()
    assert out["jaccli"] == "1"
    assert out["command"] == "jacobian"
    assert out["function"]["source"] == "samples/elementwise.py:f"
    assert out["function"]["inputs"][0]["name"] == "x"
    assert out["function"]["inputs"][0]["shape"] == [2]
    assert out["function"]["output_shape"] == [2]
    assert out["at"] == {"x": [2.0, 1.0]}
    assert out["value"] == [4.0, math.sin(1.0)]
    assert out["mode"] == "forward"
    assert out["mode_reason"].startswith("n=2, m=2")
    assert out["result"] == [[4.0, 0.0], [0.0, math.cos(1.0)]]
    assert (out["dtype"], out["device"], out["warnings"]) == ("float64", "cpu", [])


def test_default_format_is_json_when_piped(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1")
    assert run.json()["result"][0][0] == 4.0
    assert run.stdout.count("\n") == 1


def test_table_is_labelled_and_states_the_mode(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--format", "table")
    assert run.code == 0
    for text in ("x[0]", "x[1]", "f[0]", "f[1]", "mode: forward", "0.540302"):
        assert text in run.stdout


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        ("x**2 + sin(y)", "2,1", {"x": 4.0, "y": math.cos(1.0)}),
        ("x^2*3", "2", 12.0),
        ("[x0**2, sin(x1)]", "2,1", {"x0": [4.0, 0.0], "x1": [0.0, math.cos(1.0)]}),
        ("x[0]*x[1]", "2,3", [3.0, 2.0]),
        ("exp(a) * b", "a=0,b=2", {"a": 2.0, "b": 1.0}),
    ],
)
def test_expressions_against_hand_derivatives(cli, expr, at, expected):
    """Several scalar inputs are several arguments, so the result is keyed by name."""
    run = cli("jacobian", "-e", expr, "--at", at)
    assert run.code == 0, run.stderr
    result = run.json()["result"]
    if isinstance(expected, dict):
        assert result.keys() == expected.keys()
        for name, value in expected.items():
            np.testing.assert_allclose(result[name], value, rtol=1e-15)
    else:
        np.testing.assert_allclose(result, expected, rtol=1e-15)


def test_vars_fixes_the_input_order(cli):
    run = cli("jacobian", "-e", "x**2 + 10*y", "--vars", "y,x", "--at", "1,3")
    out = run.json()
    assert [inp["name"] for inp in out["function"]["inputs"]] == ["y", "x"]
    assert out["result"] == {"y": 10.0, "x": 6.0}


def test_natural_sort_of_inputs(cli):
    run = cli("jacobian", "-e", "x10 + 2*x2 + 3*x1", "--at", "1,1,1")
    out = run.json()
    assert [inp["name"] for inp in out["function"]["inputs"]] == ["x1", "x2", "x10"]
    assert out["result"] == {"x1": 3.0, "x2": 2.0, "x10": 1.0}


def test_modes_agree_and_are_reported(cli):
    fwd = cli("jacobian", "samples/affine.py", "--at", "1,2", "--mode", "fwd").json()
    rev = cli("jacobian", "samples/affine.py", "--at", "1,2", "--mode", "rev").json()
    auto = cli("jacobian", "samples/affine.py", "--at", "1,2").json()
    assert fwd["result"] == rev["result"] == auto["result"]
    assert (fwd["mode"], rev["mode"], auto["mode"]) == ("forward", "reverse", "forward")
    assert "requested" in fwd["mode_reason"]


def test_wrt_selects_arguments(cli):
    run = cli("jacobian", "samples/logistic.py", "--at", "w=[0.5,-0.25],b=0.1", "--wrt", "b")
    out = run.json()
    assert out["wrt"] == ["b"]
    full = cli("grad", "samples/logistic.py", "--at", "w=[0.5,-0.25],b=0.1").json()
    assert out["result"] == pytest.approx(full["result"]["b"], rel=1e-14)


def test_jvp_vjp_hvp_match_the_matrices(cli):
    J = np.array(cli("jacobian", "samples/affine.py", "--at", "1,2").json()["result"])
    jvp = cli("jvp", "samples/affine.py", "--at", "1,2", "--v", "0.5,-1").json()
    np.testing.assert_allclose(jvp["result"], J @ [0.5, -1.0])
    vjp = cli("vjp", "samples/affine.py", "--at", "1,2", "--v", "1,0,2").json()
    np.testing.assert_allclose(vjp["result"], np.array([1.0, 0.0, 2.0]) @ J)
    H = np.array(cli("hessian", "samples/rosenbrock.py", "--at", "0.3,0.7").json()["result"])
    hvp = cli("hvp", "samples/rosenbrock.py", "--at", "0.3,0.7", "--v", "1,2").json()
    np.testing.assert_allclose(hvp["result"], H @ [1.0, 2.0], rtol=1e-13)
    assert hvp["mode"] == "forward-over-reverse"


def test_jvp_with_named_vector_for_several_arguments(cli):
    run = cli("jvp", "-e", "x*y", "--at", "3,2", "--v", "x=1,y=10")
    assert run.json()["result"] == 2.0 + 10 * 3.0


def test_info_reports_sizes_and_mode_without_computing(cli):
    out = cli("info", "samples/matrix.py", "--at", "[[1,0,0,0],[0,1,0,0],[0,0,1,0]]").json()
    assert (out["n"], out["m"], out["mode"]) == (12, 3, "reverse")
    assert out["jacobian_shape"] == [3, 3, 4]
    assert out["jacobian_bytes"] == 12 * 3 * 8


def test_float32(cli):
    out = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--dtype", "float32").json()
    assert out["dtype"] == "float32"
    assert out["function"]["inputs"][0]["dtype"] == "float32"
    assert out["result"][1][1] == pytest.approx(math.cos(1.0), rel=1e-6)


def test_point_from_file(cli, tmp_path):
    np.save(tmp_path / "w.npy", np.eye(3, 4))
    run = cli("jacobian", "samples/matrix.py", "--at", f"@{tmp_path / 'w.npy'}")
    assert run.code == 0, run.stderr
    assert np.array(run.json()["result"]).shape == (3, 3, 4)


@pytest.mark.parametrize(
    ("suffix", "fmt"), [("npy", None), ("csv", None), ("json", None), ("txt", None)]
)
def test_output_file_is_written(cli, tmp_path, suffix, fmt):
    target = tmp_path / f"J.{suffix}"
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--output", str(target))
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert target.exists()
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    if suffix == "npy":
        np.testing.assert_allclose(np.load(target), [[4.0, 0.0], [0.0, math.cos(1.0)]])
    if suffix == "json":
        assert json.loads(target.read_text())["command"] == "jacobian"


def test_npz_for_several_arguments(cli, tmp_path):
    target = tmp_path / "g.npz"
    run = cli("grad", "samples/logistic.py", "--at", "w=[0.5,-0.25],b=0.1", "-o", str(target))
    assert run.code == 0, run.stderr
    with np.load(target) as data:
        assert sorted(data.files) == ["b", "w"]


def test_npy_to_a_pipe(capsysbinary, monkeypatch):
    from conftest import ROOT
    from jaccli._cli import main

    monkeypatch.chdir(ROOT)
    capsysbinary.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["jacobian", "samples/elementwise.py", "--at", "2,1", "--format", "npy"])
    assert info.value.code == 0
    out = capsysbinary.readouterr().out
    np.testing.assert_allclose(np.load(io.BytesIO(out)), [[4.0, 0.0], [0.0, math.cos(1.0)]])


# --- failures: exit code, empty stdout, one clear line on stderr, no traceback ------------------


def assert_clean_failure(run, code, *fragments):
    assert run.code == code, (run.code, run.stderr)
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("jaccli: error: ")
    assert len(lines) <= 2
    for fragment in fragments:
        assert fragment in run.stderr


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["jacobian", "samples/elementwise.py", "--at", "1,,2"], 2, "column 3"),
        (["jacobian", "samples/elementwise.py", "--at", "one"], 2, "--at"),
        (["jacobian", "samples/missing.py", "--at", "1"], 2, "not found"),
        (["jacobian", "samples/elementwise.py"], 2, "--at"),
        (["jacobian", "samples/elementwise.py", "--at", "2,1", "--bogus"], 2, "--bogus"),
        (["jacobian", "samples/elementwise.py", "--at", "2,1", "--dtype", "float16"], 2, "float16"),
        (
            ["jacobian", "samples/elementwise.py", "--at", "2,1", "--mode", "sideways"],
            2,
            "sideways",
        ),
        (["jacobian", "samples/elementwise.py", "--at", "2,1", "--format", "xml"], 2, "xml"),
        (["jacobian", "samples/elementwise.py", "--at", "2,1", "--device", "gpu"], 2, "GPU"),
        (["jacobian", "samples/logistic.py", "--at", "1,2,3"], 2, "w, b"),
        (["jacobian", "samples/logistic.py", "--at", "w=1,b=2", "--wrt", "c"], 2, "c"),
        (["jacobian", "-e", "x.__class__", "--at", "1"], 2, "attribute"),
        (["jacobian", "-e", "x", "samples/affine.py", "--at", "1"], 2, "not both"),
        (["jvp", "samples/elementwise.py", "--at", "2,1", "--v", "1,0,0"], 2, "(3,)"),
        (["vjp", "samples/elementwise.py", "--at", "2,1", "--v", "1"], 2, "(2,)"),
        (["grad", "samples/elementwise.py", "--at", "2,1"], 2, "scalar"),
        (["jacobian", "samples/elementwise.py", "--at", "2,1", "--max-bytes", "10"], 4, "32 bytes"),
    ],
)
def test_failures_are_one_clean_line(cli, args, code, fragment):
    assert_clean_failure(cli(*args), code, fragment)


def test_function_failures_exit_3(cli, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    raise ValueError('no good')\n")
    assert_clean_failure(cli("jacobian", str(bad), "--at", "1"), 3, "ValueError", "line 2")
    none = tmp_path / "none.py"
    none.write_text("def f(x):\n    return None\n")
    assert_clean_failure(cli("jacobian", str(none), "--at", "1"), 3, "None")
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def f(x):\n    return x +\n")
    assert_clean_failure(cli("jacobian", str(syntax), "--at", "1"), 3, "syntax.py:2")


def test_json_errors_with_format_json(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "1,,2", "--format", "json")
    assert run.code == 2
    assert run.stdout == ""
    payload = json.loads(run.stderr)
    assert payload["error"]["code"] == 2
    assert "column" in payload["error"]["message"]


def test_traceback_only_when_asked(cli, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x):\n    raise ValueError('no good')\n")
    assert "Traceback" not in cli("jacobian", str(bad), "--at", "1").stderr
    assert "Traceback" in cli("jacobian", str(bad), "--at", "1", "--traceback").stderr


def test_nonfinite_is_null_in_json_and_exit_1(cli):
    run = cli("jacobian", "-e", "log(x)", "--at", "0")
    assert run.code == 1
    out = run.json()
    assert out["result"] is None and out["value"] is None
    assert any("non-finite" in w for w in out["warnings"])
    allowed = cli("jacobian", "-e", "log(x)", "--at", "0", "--allow-nonfinite")
    assert allowed.code == 0


def test_user_prints_go_to_stderr(cli, tmp_path):
    noisy = tmp_path / "noisy.py"
    noisy.write_text("print('loading')\ndef f(x):\n    print('calling')\n    return x * 2.0\n")
    run = cli("jacobian", str(noisy), "--at", "1")
    assert run.code == 0
    assert run.json()["result"] == 2.0
    assert "loading" in run.stderr and "calling" in run.stderr


def test_control_flow_function_is_right_on_both_branches(cli, tmp_path):
    branchy = tmp_path / "branchy.py"
    branchy.write_text("def f(x):\n    if x[0] > 0:\n        return x ** 2\n    return -3.0 * x\n")
    positive = cli("jacobian", str(branchy), "--at", "2,1", "--quiet")
    assert positive.json()["result"] == [[4.0, 0.0], [0.0, 2.0]]
    negative = cli("jacobian", str(branchy), "--at", "-2,1")
    assert negative.json()["result"] == [[-3.0, 0.0], [0.0, -3.0]]
    assert "eagerly" in negative.stderr


def test_output_to_a_missing_directory_fails_without_leftovers(cli, tmp_path):
    target = tmp_path / "nope" / "J.npy"
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--output", str(target))
    assert run.code == 2
    assert not (tmp_path / "nope").exists()


def test_terminal_escapes_in_input_are_shown_escaped(cli):
    run = cli("jacobian", "-e", "x\x1b[31m", "--at", "1")
    assert run.code == 2
    assert "\x1b" not in run.stderr


def test_help_lists_every_command(cli):
    run = cli("--help")
    assert run.code == 0
    for name in ("jacobian", "jvp", "vjp", "grad", "hessian", "hvp", "info"):
        assert name in run.stdout


def test_symbolic_prints_the_jacobian_as_formulas_in_every_format(cli):
    import sympy

    run = cli("symbolic", "-e", "[x*y, sin(x)*exp(y)]", "--format", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["command"] == "symbolic" and out["syntax"] == "sympy"
    x, y = sympy.symbols("x y", real=True)
    got = {
        name: [sympy.sympify(e, locals={"x": x, "y": y}) for e in col]
        for name, col in out["result"].items()
    }
    assert sympy.simplify(got["x"][1] - sympy.cos(x) * sympy.exp(y)) == 0
    assert [sympy.simplify(e) for e in (got["x"][0] - y, got["y"][0] - x)] == [0, 0]
    table = cli("symbolic", "-e", "[x*y, sin(x)*exp(y)]", "--format", "text")
    assert table.code == 0 and "exp(y)*cos(x)" in table.stdout and "f[1]" in table.stdout
    latex = cli("symbolic", "-e", "x**3*y", "--order", "2", "--format", "latex")
    assert latex.code == 0 and latex.stdout.startswith("\\begin{bmatrix}")
    assert "6 x y" in latex.stdout


def test_symbolic_traces_a_file_at_a_point(cli):
    run = cli("symbolic", "samples/rosenbrock.py", "--at", "1,1", "--format", "json")
    assert run.code == 0, run.stderr
    import sympy

    x0, x1 = sympy.symbols("x0 x1", real=True)
    entries = [
        sympy.sympify(e.replace("x[0]", "x0").replace("x[1]", "x1"), locals={"x0": x0, "x1": x1})
        for e in run.json()["result"]
    ]
    # ∇ of (1 - x0)² + 100 (x1 - x0²)², by hand.
    expected = [-2 * (1 - x0) - 400 * x0 * (x1 - x0**2), 200 * (x1 - x0**2)]
    assert [sympy.expand(e - f) for e, f in zip(entries, expected, strict=True)] == [0, 0]
    run = cli("symbolic", "samples/rosenbrock.py")
    assert (run.code, run.stdout) == (2, "") and "--at" in run.stderr


def test_a_bug_in_jaccli_is_an_internal_error_not_the_functions(cli, monkeypatch):
    """SPEC §6: exit 70, type internal, one line that says whose fault it is; no traceback."""
    from jaccli import _operations

    def broken(*args, **kwargs):
        raise RuntimeError("a slip in jaccli")

    monkeypatch.setattr(_operations, "run", broken)
    run = cli("grad", "samples/rosenbrock.py", "--at", "-1.2,1", "--format", "json")
    assert run.code == 70 and run.stdout == ""
    error = json.loads(run.stderr)["error"]
    assert error["code"] == 70 and error["type"] == "internal"
    assert "a slip in jaccli" in error["message"] and "not in your function" in error["hint"]
    plain = cli("grad", "samples/rosenbrock.py", "--at", "-1.2,1")
    assert plain.code == 70 and "Traceback" not in plain.stderr
    assert plain.stderr.startswith("jaccli: error: internal error: unexpected RuntimeError")


def test_version(cli):
    from importlib.metadata import version

    run = cli("--version")
    assert (run.code, run.stdout, run.stderr) == (0, f"jaccli {version('jaccli')}\n", "")


def test_bare_jaccli_shows_the_help(cli):
    run = cli()
    assert run.code == 0 and run.stderr == ""
    assert run.stdout.startswith("Usage: jaccli") and "jacobian" in run.stdout
