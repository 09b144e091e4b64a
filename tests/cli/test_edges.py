"""The second adversarial catalogue (issue #16), through the command line: output files,
hostile environments, numbers at the edges of options, input size, --quiet and long symbolic
work. Each case holds SPEC §6: the documented exit code, stdout empty or valid, one escaped
``jaccli: error:`` line, no traceback, and no file where none belongs.

Most cases run in-process (the ``cli`` fixture); those that need a process of their own (an
environment that must be set before Python starts, an address-space limit) run the console
script with short, bounded runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from test_adversarial import assert_clean_failure, assert_one_error

# --- output files ----------------------------------------------------------------------------


def _run_from(cli, directory, *args):
    """``cli(*args)`` started in ``directory`` (the function under test moves elsewhere)."""
    cwd = os.getcwd()
    try:
        os.chdir(directory)
        return cli(*args)
    finally:
        os.chdir(cwd)


def test_a_function_that_chdirs_at_import_does_not_move_the_output(cli, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    function = tmp_path / "moves.py"
    function.write_text(f"import os\nos.chdir({str(elsewhere)!r})\n\ndef f(x):\n    return x**2\n")
    run = _run_from(cli, tmp_path, "grad", str(function), "--at", "3", "--output", "J.json")
    assert run.code == 0, run.stderr
    assert json.loads((tmp_path / "J.json").read_text())["result"] == 6.0
    assert list(elsewhere.iterdir()) == []
    assert "wrote grad to J.json" in run.stderr


def test_a_function_that_chdirs_when_called_does_not_move_the_output(cli, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    function = tmp_path / "moves_late.py"
    function.write_text(
        f"import os\n\ndef f(x):\n    os.chdir({str(elsewhere)!r})\n    return x * 2.0\n"
    )
    (tmp_path / "sub").mkdir()
    args = ("jacobian", str(function), "--at", "1,2", "--output", "sub/J.csv")
    run = _run_from(cli, tmp_path, *args)
    assert run.code == 0, run.stderr
    assert (tmp_path / "sub" / "J.csv").read_text().startswith("output,x[0],x[1]")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("suffix", ["json", "csv", "npy"])
def test_a_read_only_output_file_is_left_alone(cli, tmp_path, suffix):
    out = tmp_path / f"J.{suffix}"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    run = cli("jacobian", "-e", "x*2", "--at", "[1,2]", "--output", str(out))
    assert_clean_failure(run, 2, "the file is read-only")
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_read_only_batch_output_is_left_alone(cli, tmp_path):
    np.save(tmp_path / "points.npy", np.ones((3, 2)))
    out = tmp_path / "J.npy"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    run = cli("jacobian", "-e", "x*2", "--batch", str(tmp_path / "points.npy"), "-o", str(out))
    assert_clean_failure(run, 2, "read-only")
    assert out.read_bytes() == b"precious"


def test_a_planted_symlink_in_a_sticky_directory_is_refused(cli, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("planting another user's symlink takes root")
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.json"
    victim.write_text("keep")
    (shared / "J.json").symlink_to(victim)
    os.lchown(shared / "J.json", 54321, 54321)
    run = cli("grad", "-e", "x**2", "--at", "3", "--output", str(shared / "J.json"))
    assert_clean_failure(run, 2, "symlink that another user owns")
    assert victim.read_text() == "keep"


# --- control characters in names, in every format ---------------------------------------------

_NASTY = "a\x1b[31mb\x07"
_POINT = "p=" + json.dumps({_NASTY: [1.0, 2.0], "c": [3.0]})


def _no_controls(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x07\x00"), repr(text)


@pytest.mark.parametrize("fmt", ["csv", "table", "json", "mtx", "latex"])
def test_control_characters_in_names_are_escaped(cli, tmp_path, fmt):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] ** 2 + p['c']\n")
    run = cli("jacobian", str(tmp_path / "tree.py"), "--at", _POINT, "--format", fmt)
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    if fmt in ("csv", "table"):
        assert "a\\x1b[31mb\\x07" in run.stdout
    if fmt == "json":  # JSON escapes them itself, and the key reads back as it was given
        assert _NASTY in run.json()["result"]


def test_control_characters_in_npz_member_names_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] ** 2 + p['c']\n")
    run = cli("jacobian", str(tmp_path / "tree.py"), "--at", _POINT, "-o", str(tmp_path / "J.npz"))
    assert run.code == 0, run.stderr
    with np.load(tmp_path / "J.npz") as saved:
        names = list(saved)
    assert sorted(names) == ["a\\x1b[31mb\\x07", "c"]


def test_control_characters_in_a_batch_csv_header_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] * 2.0\n")
    points = tmp_path / "points.jsonl"
    points.write_text(
        "\n".join(json.dumps({"p": {_NASTY: [float(i), 1.0]}}) for i in range(3)) + "\n"
    )
    run = cli("jacobian", str(tmp_path / "tree.py"), "--batch", str(points), "--format", "csv")
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    assert run.stdout.splitlines()[0].startswith('index,"a\\x1b[31mb\\x07[0,0]"')


def test_control_characters_in_a_sensitivity_csv_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}].sum() ** 2\n")
    run = cli("sensitivity", str(tmp_path / "tree.py"), "--at", _POINT, "--format", "csv")
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    assert "a\\x1b[31mb\\x07" in run.stdout


# --- numbers at the edges of options ---------------------------------------------------------


def _case(case_id: str, code: int, says: str, *args: str):
    return pytest.param(args, code, says, id=case_id)


_BATCH = ("--batch", "{tmp}/points.jsonl", "--distributed")
_RANK0 = ("--num-processes", "1", "--process-id", "0")

# fmt: off
EDGES = [
    _case("timeout-nan", 2, "from 0 up to 1e+07, got nan", "grad", "-e", "x", "--at", "1", "--timeout", "nan"),
    _case("timeout-inf", 2, "from 0 up to 1e+07, got inf", "grad", "-e", "x", "--at", "1", "--timeout", "inf"),
    _case("timeout-1e10", 2, "from 0 up to 1e+07, got 1e+10", "grad", "-e", "x", "--at", "1", "--timeout=1e10"),
    _case("timeout-negative", 2, "got -1", "grad", "-e", "x", "--at", "1", "--timeout", "-1"),
    _case("timeout-minus-inf", 2, "got -inf", "grad", "-e", "x", "--at", "1", "--timeout", "-inf"),
    _case("distributed-timeout-nan", 2, "above 0 up to 1e+07, got nan", "jacobian", "-e", "x", *_BATCH, "--distributed-timeout", "nan"),
    _case("distributed-timeout-inf", 2, "got inf", "jacobian", "-e", "x", *_BATCH, "--distributed-timeout", "inf"),
    _case("distributed-timeout-1e30", 2, "got 1e+30", "jacobian", "-e", "x", *_BATCH, "--distributed-timeout", "1e30"),
    _case("distributed-timeout-zero", 2, "above 0", "jacobian", "-e", "x", *_BATCH, "--distributed-timeout", "0"),
    _case("distributed-timeout-with-at", 2, "got nan", "grad", "-e", "x", "--at", "1", "--distributed-timeout", "nan"),
    _case("seed-negative", 2, "--seed must be a non-negative integer, got -1", "sensitivity", "-e", "x*y", "--bounds", "0:1", "--seed", "-1"),
    _case("coordinator-port-99999", 2, "port must be between 1 and 65535, got 99999", "jacobian", "-e", "x", *_BATCH, "--coordinator", "localhost:99999", *_RANK0),
    _case("coordinator-port-0", 2, "got 0", "jacobian", "-e", "x", *_BATCH, "--coordinator", "127.0.0.1:0", *_RANK0),
    _case("normal-std-1e308", 2, "must lie within ±1e+150, got 0 and 1e+308", "sensitivity", "-e", "x*y", "--bounds", "x=normal(0,1e308),y=0:1"),
    _case("uniform-1e200", 2, "within ±1e+150", "sensitivity", "-e", "x*y", "--bounds", "-1e200:1"),
    _case("normal-mean-1e300", 2, "within ±1e+150", "sensitivity", "-e", "x", "--bounds", "normal(1e300, 1)"),
    _case("empty-point", 2, "nothing to differentiate: the point has no entries (x: shape (0,))", "jacobian", "{tmp}/vec.py:g", "--at", "[]"),
    _case("empty-nested-point", 2, "(x: shape (1, 0))", "grad", "{tmp}/vec.py:f", "--at", "[[]]"),
    _case("empty-point-by-name", 2, "no entries", "hessian", "{tmp}/vec.py:f", "--at", "x=[]"),
    _case("empty-point-in-a-batch", 2, "no entries", "jacobian", "{tmp}/vec.py:g", "--batch", "{tmp}/empty.jsonl"),
    _case("npz-inflating-past-max-bytes", 4, "would take 800,000 bytes once read; the limit (--max-bytes) is 100,000", "grad", "{tmp}/vec.py:f", "--at", "@{tmp}/bomb.npz", "--max-bytes", "100000"),
    _case("npz-by-name-past-max-bytes", 4, "the limit (--max-bytes)", "grad", "{tmp}/vec.py:f", "--at", "x=@{tmp}/bomb.npz", "--max-bytes", "100000"),
    _case("npz-member-climbing-out", 2, "member named '../../evil.npy', which is a path", "grad", "{tmp}/vec.py:f", "--at", "@{tmp}/evil.npz"),
    _case("npz-member-climbing-out-in-a-batch", 2, "which is a path", "jacobian", "{tmp}/vec.py:g", "--batch", "{tmp}/evil.npz"),
    _case("empty-output", 3, "returned an empty array (shape (0,))", "jacobian", "{tmp}/vec.py:h", "--at", "[1,2]"),
]
# fmt: on


@pytest.fixture
def edges(tmp_path):
    (tmp_path / "vec.py").write_text(
        "import jax.numpy as jnp\n\n\ndef f(x):\n    return jnp.sum(x**2)\n\n\n"
        "def g(x):\n    return x * 2.0\n\n\ndef h(x):\n    return x[:0]\n"
    )
    (tmp_path / "points.jsonl").write_text('{"x": 1}\n')
    (tmp_path / "empty.jsonl").write_text('{"x": []}\n')
    np.savez_compressed(tmp_path / "bomb.npz", x=np.zeros(100_000))
    import io
    import zipfile

    member = io.BytesIO()
    np.save(member, np.ones(3))
    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as archive:
        archive.writestr("../../evil.npy", member.getvalue())
    return tmp_path


@pytest.mark.parametrize(("args", "code", "says"), EDGES)
def test_numbers_at_the_edges(cli, edges, args, code, says):
    run = cli(*(arg.replace("{tmp}", str(edges)) for arg in args))
    assert_clean_failure(run, code, says)


def test_the_widest_accepted_numbers_still_run(cli):
    run = cli("grad", "-e", "x**2", "--at", "3", "--timeout", "1e7")
    assert run.code == 0, run.stderr
    run = cli("sensitivity", "-e", "x + y", "--bounds", "x=-1e150:1e150,y=normal(0,1e150)")
    assert run.code == 0, run.stderr
    assert run.json()["ranking"][0][0] in ("x", "y")


def test_a_busy_coordinator_port_is_named(cli, edges):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        args = ("jacobian", "-e", "x", "--batch", str(edges / "points.jsonl"), "--distributed")
        run = cli(*args, "--coordinator", f"localhost:{port}", *_RANK0)
    assert_clean_failure(run, 2, f"the coordinator's port {port} is busy")


# --- --quiet means quiet ---------------------------------------------------------------------

NOISY = """\
import warnings

import numpy as np

warnings.warn("at import \\x1b[31m")


def f(x):
    for _ in range(3):
        warnings.warn("inside f")
        np.float64(1e308) * 10
    np.log(np.float64(-1.0))
    warnings.warn("old", DeprecationWarning)
    return x**2
"""

# The suite turns warnings into errors; a run shows them as a user's shell would.
_AS_A_USER = pytest.mark.filterwarnings("default")


@_AS_A_USER
def test_warnings_are_one_line_each(cli, tmp_path):
    (tmp_path / "noisy.py").write_text(NOISY)
    run = cli("grad", str(tmp_path / "noisy.py"), "--at", "2")
    assert run.code == 0, run.stderr
    assert run.json()["result"] == 4.0
    assert run.stderr.splitlines() == [
        "jaccli: warning: at import \\x1b[31m (UserWarning)",
        "jaccli: warning: inside f (UserWarning)",
        "jaccli: warning: overflow encountered in scalar multiply (RuntimeWarning)",
        "jaccli: warning: invalid value encountered in log (RuntimeWarning)",
    ]


@_AS_A_USER
@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_silences_every_warning(cli, tmp_path, flag):
    (tmp_path / "noisy.py").write_text(NOISY)
    run = cli("grad", str(tmp_path / "noisy.py"), "--at", "2", flag)
    assert run.code == 0, run.stderr
    assert run.stderr == ""


@_AS_A_USER
def test_quiet_silences_numpy_in_jaccli_own_work(cli):
    # The sample's outputs overflow float64; the analysis says so in its result, not in
    # NumPy's words on stderr.
    args = ("sensitivity", "-e", "x**3", "--bounds", "x=-1e150:1e150", "--samples", "64")
    run = cli(*args, "--quiet", "--allow-nonfinite")
    assert run.stderr == ""
    loud = cli(*args, "--allow-nonfinite")
    assert all(line.startswith("jaccli: ") for line in loud.stderr.splitlines()), loud.stderr


@_AS_A_USER
def test_quiet_keeps_errors(cli, tmp_path):
    (tmp_path / "noisy.py").write_text(NOISY)
    run = cli("grad", str(tmp_path / "noisy.py"), "--at", "[]", "--quiet")
    assert_clean_failure(run, 2, "nothing to differentiate")


# --- hostile or unusual environments ---------------------------------------------------------

JACCLI = Path(sys.executable).with_name("jaccli")


def _jaccli(*args: str, env: dict[str, str] | None = None, **kwargs):
    return subprocess.run(
        [str(JACCLI), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("JAX_PLATFORMS", "junk", "JAX_PLATFORMS='junk' names 'junk', which is not a JAX platform"),
        ("JAX_PLATFORMS", "cpu,nope", "names 'nope'"),
        ("XLA_FLAGS", "--junk", "XLA_FLAGS='--junk' holds '--junk', which is not an XLA flag"),
        ("XLA_FLAGS", "--xla_cpu_enable_fast_math=false junk", "holds 'junk'"),
        ("XLA_FLAGS", "-xla_dump_to=/tmp", "holds '-xla_dump_to=/tmp'"),
        ("XLA_FLAGS", "--xla_no_such_flag=1", "holds '--xla_no_such_flag=1', which this XLA"),
    ],
)
def test_an_environment_jax_would_fail_on_is_a_usage_error(cli, monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    run = cli("grad", "-e", "x**2", "--at", "3")
    assert_clean_failure(run, 2, says)


@pytest.mark.parametrize(
    "flags",
    [
        "",
        "--xla_force_host_platform_device_count=2",
        '--xla_cpu_use_thunk_runtime=true --xla_dump_to="a b"',
    ],
)
def test_xla_flags_that_xla_knows_pass(cli, monkeypatch, flags):
    monkeypatch.setenv("XLA_FLAGS", flags)
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    run = cli("grad", "-e", "x**2", "--at", "3")
    assert run.code == 0, run.stderr


def test_a_platform_jax_cannot_start_is_a_usage_error(monkeypatch):
    from jaccli._runtime import platform_failure

    monkeypatch.setenv("JAX_PLATFORMS", "gpu")
    failure = platform_failure(
        RuntimeError(
            "Unable to initialize backend 'cuda': no CUDA devices. (set JAX_PLATFORMS='' to "
            "automatically choose an available backend)"
        )
    )
    assert failure is not None and failure.exit_code == 2
    assert "JAX_PLATFORMS='gpu'" in failure.message
    assert "no CUDA devices" in failure.message
    assert platform_failure(RuntimeError("something else")) is None
    assert platform_failure(ValueError("Unable to initialize backend")) is None


@pytest.mark.subprocess
def test_an_xla_flag_xla_does_not_know_is_named_instead_of_an_abort(tmp_path):
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=1 --xla_made_up=3"}
    run = _jaccli("grad", "-e", "x**2", "--at", "3", env={**env, "JACCLI_CACHE_DIR": str(tmp_path)})
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert_one_error(run.stderr, "holds '--xla_made_up=3', which this XLA does not know")
    known = {"XLA_FLAGS": "--xla_force_host_platform_device_count=1"}
    run = _jaccli(
        "grad", "-e", "x**2", "--at", "3", env={**known, "JACCLI_CACHE_DIR": str(tmp_path)}
    )
    assert run.returncode == 0, run.stderr
    assert list((tmp_path / "xla-flags").iterdir())  # the verdict is kept


@pytest.mark.subprocess
def test_jax_platforms_gpu_on_a_machine_without_one():
    import jax

    if any(d.platform != "cpu" for d in jax.devices()):
        pytest.skip("this machine has an accelerator")
    run = _jaccli("grad", "-e", "x**2", "--at", "3", env={"JAX_PLATFORMS": "gpu"})
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert_one_error(run.stderr, "JAX cannot start the platform that JAX_PLATFORMS='gpu'")


@pytest.mark.subprocess
def test_an_ascii_stdout_gets_ascii_tables_and_escaped_json(tmp_path):
    (tmp_path / "uni.py").write_text("def f(p):\n    return p['é'] ** 2 + p['c']\n")
    point = 'p={"é": [1], "c": [2]}'
    env = {"PYTHONIOENCODING": "ascii", "LC_ALL": "C", "LANG": "C"}
    table = _jaccli("jacobian", str(tmp_path / "uni.py"), "--at", point, "-f", "table", env=env)
    assert table.returncode == 0, table.stderr
    assert "mode: reverse - n=2" in table.stdout
    assert "p.\\xe9[0]" in table.stdout
    as_json = _jaccli("jacobian", str(tmp_path / "uni.py"), "--at", point, "-f", "json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stdout.isascii()
    assert json.loads(as_json.stdout)["result"] == {"c": [[1.0]], "é": [[2.0]]}
    streamed = _jaccli(
        "jacobian",
        str(tmp_path / "uni.py"),
        "--batch",
        "-",
        input=json.dumps({"p": {"é": [1], "c": [2]}}),
        env=env,
    )
    assert streamed.returncode == 0, streamed.stderr
    assert json.loads(streamed.stdout)["at"] == {"p": {"c": [2.0], "é": [1.0]}}


@pytest.mark.subprocess
def test_out_of_memory_under_an_address_space_limit_is_exit_4(tmp_path):
    # 30,000 × 30,000 float64 is 7.2 GB; the process may map 3 GB, room enough for JAX and
    # XLA's compiler (--no-cache: it compiles every time). XLA's failed allocation must come
    # back as an error, not abort the process.
    (tmp_path / "double.py").write_text("def f(x):\n    return x * 2.0\n")
    np.save(tmp_path / "x.npy", np.ones(30_000))
    limit = "resource.setrlimit(resource.RLIMIT_AS, (3_000_000_000, 3_000_000_000))"
    command = [
        sys.executable,
        "-c",
        f"import os, resource, sys; {limit}; os.execv(sys.argv[1], sys.argv[1:])",
        str(JACCLI),
        "jacobian",
        str(tmp_path / "double.py"),
        "--at",
        f"@{tmp_path / 'x.npy'}",
        "--max-bytes",
        "10000000000",
        "--no-cache",
    ]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 4, run.stderr[-2000:]
    assert run.stdout == ""
    assert_one_error(run.stderr, "out of memory")


def test_out_of_memory_is_named_wherever_it_happens():
    from jaccli._problem import out_of_memory

    assert out_of_memory(MemoryError()).exit_code == 4
    xla = RuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating 3200000000 bytes.")
    assert "out of memory" in out_of_memory(xla).message
    assert out_of_memory(RuntimeError("INVALID_ARGUMENT: shapes")) is None


# --- long compiled work ----------------------------------------------------------------------


def test_the_hessian_of_many_scalar_arguments_compiles_as_one_vector(cli):
    # Differentiated argument by argument, XLA took minutes over this; as one vector, seconds.
    # The timeout is far above the second and far below the minutes.
    n = 60
    expression = " + ".join(f"x{i}**2 * x{(i + 1) % n}" for i in range(n))
    point = ",".join(f"x{i}={1 + i / 10}" for i in range(n))
    run = cli("hessian", "-e", expression, "--at", point, "--timeout", "60", "-f", "json")
    assert run.code == 0, run.stderr
    hessian = run.json()["result"]
    x = [1 + i / 10 for i in range(n)]
    # f = Σ x_i² x_{i+1}: ∂²f/∂x_i² = 2 x_{i+1}, ∂²f/∂x_i∂x_{i+1} = 2 x_i, zero elsewhere.
    for i in (0, 17, n - 1):
        nxt = (i + 1) % n
        assert hessian[f"x{i}"][f"x{i}"] == pytest.approx(2 * x[nxt], rel=1e-14)
        assert hessian[f"x{i}"][f"x{nxt}"] == pytest.approx(2 * x[i], rel=1e-14)
        assert hessian[f"x{nxt}"][f"x{i}"] == pytest.approx(2 * x[i], rel=1e-14)
    assert hessian["x0"]["x5"] == 0.0
