"""Scale-out: batches spread over several devices (a mesh) and over several processes
(`jax.distributed`), giving the same output as one device, and failing cleanly when a process
is lost.

Several CPU devices need JAX_NUM_CPU_DEVICES before JAX starts, and several processes need
several processes, so those cases run the installed console script (or Python) in subprocesses;
the single-device reference is computed in-process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from jaccli import _operations
from jaccli._cli import scale_options
from jaccli._operations.scaleout import ScaleOut
from jaccli._problem import COMMAND_LINE, PYTHON
from jaccli._runtime.distributed import cause
from jaccli.errors import UsageError

JACCLI = Path(sys.executable).with_name("jaccli")
FOUR_DEVICES = {**os.environ, "JAX_NUM_CPU_DEVICES": "4"}
# sin, exp and cos: the arithmetic whose last bits an XLA CPU loop can change with its length.
R2R3 = """
import jax.numpy as jnp


def f(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[0]) + x[1] ** 2, jnp.exp(-x[0]) * jnp.cos(x[1])])
"""
ISHIGAMI = ("sensitivity", "samples/ishigami.py", "--bounds=-pi:pi")


@pytest.fixture
def r2r3(tmp_path: Path) -> tuple[Path, Path]:
    """A function file and 1,001 points (an odd count: the last chunk is padded)."""
    source = tmp_path / "r2r3.py"
    source.write_text(R2R3)
    points = tmp_path / "points.npy"
    np.save(points, np.random.default_rng(7).uniform(-2, 2, size=(1001, 2)))
    return source, points


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _jaccli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(JACCLI), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


def _distributed(
    count: int, *args: str, timeout: float = 20, ranks: list[int] | None = None
) -> list[tuple[int, str, str]]:
    """Run ``jaccli ARGS --distributed`` as ``count`` processes on localhost; each one's
    (exit code, stdout, stderr), in rank order."""
    port = _free_port()
    procs = [
        subprocess.Popen(
            [
                str(JACCLI),
                *args,
                "--distributed",
                "--coordinator",
                f"127.0.0.1:{port}",
                "--num-processes",
                str(count),
                "--process-id",
                str(rank),
                "--distributed-timeout",
                f"{timeout:g}",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (range(count) if ranks is None else ranks)
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append((proc.returncode, out, err))
    return done


# --- options and chunking (in-process) ---------------------------------------------------------


def test_devices_option_is_all_or_a_positive_number():
    assert scale_options.parse_devices(None) is None
    assert scale_options.parse_devices("ALL") is None
    assert scale_options.parse_devices("3") == 3
    for bad in ("0", "-2", "two"):
        with pytest.raises(UsageError, match="--devices must be all or a positive number"):
            scale_options.parse_devices(bad)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"coordinator": "10.0.0.1:1234"}, "--coordinator applies with --distributed"),
        ({"distributed": True, "coordinator": "10.0.0.1"}, "must be HOST:PORT"),
        ({"distributed": True, "num_processes": 0}, "--num-processes must be at least 1"),
        ({"distributed": True, "num_processes": 2, "process_id": 2}, "--process-id must be"),
        ({"distributed": True, "timeout": 0.0}, "--distributed-timeout must be positive"),
    ],
)
def test_scale_out_options_are_checked_against_each_other(options, message):
    given = {"devices": None, "distributed": False, **options}
    with pytest.raises(UsageError, match=message):
        scale_options.from_options(**given)


@pytest.mark.parametrize("count", [1, 7, 64, 100, 1001])
@pytest.mark.parametrize("slots", [1, 2, 3, 4])
def test_each_device_evaluates_the_chunks_one_device_would(count, slots):
    chunk = 16
    alone = [(start, size, rows) for start, size, rows in _operations.chunks(count, chunk)]
    spread = []
    for start, size, rows in _operations.chunks(count, chunk, slots):
        per_device = rows // slots
        for first in range(start, start + size, per_device):
            spread.append((first, min(per_device, start + size - first), per_device))
    assert spread == alone
    assert sum(size for _, size, _ in alone) == count


def test_scale_out_options_apply_to_many_points_only(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "--devices", "2")
    assert run.code == 2
    assert "applies to --batch and to a global sensitivity analysis" in run.stderr
    assert run.stdout == ""


def test_more_devices_than_visible_is_a_usage_error(cli, r2r3):
    source, points = r2r3
    run = cli("jacobian", str(source), "--batch", str(points), "--devices", "3")
    assert run.code == 2
    assert "--devices 3: this process has 1 cpu device" in run.stderr
    assert "JAX_NUM_CPU_DEVICES=3" in run.stderr


# --- several devices in one process -------------------------------------------------------------

SHARDING_PROBE = """
import json
import numpy as np
import jax
from jaccli import _operations, _problem
from jaccli._load import loader
from jaccli._operations import scaleout

problem = _problem.prepare(loader.load({source!r}), {{"x": np.zeros(2)}})
plan = _operations.plan(problem, "jacobian", "auto", 1 << 30, batch=True)
spread = scaleout.spread(problem.device, scaleout.ScaleOut())
points = np.random.default_rng(0).uniform(-2, 2, size=(64, 2))
sharded = _operations.Evaluator(problem, plan, lambda: None, spread=spread)
compiled, outputs = sharded._batched, []
sharded._batched = lambda *args: outputs.append(compiled(*args)) or outputs[-1]
got = [sharded({{"x": points[s:s + n]}}, n, rows, s) for s, n, rows in _operations.chunks(64, 16, 4)]
alone = _operations.Evaluator(problem, plan, lambda: None)
want = [alone({{"x": points[s:s + n]}}, n, rows, s) for s, n, rows in _operations.chunks(64, 16)]
jacobians = outputs[0][1][0]
print(json.dumps({{
    "calls": len(outputs),
    "spec": list(jacobians.sharding.spec),
    "devices": sorted(d.id for d in jacobians.sharding.device_set),
    "shards": [[s.device.id, s.index[0].start, s.index[0].stop] for s in jacobians.addressable_shards],
    "same": [
        np.array_equal(np.concatenate([g[0] for g in got]), np.concatenate([w[0] for w in want])),
        np.array_equal(
            np.concatenate([g[1][0] for g in got]), np.concatenate([w[1][0] for w in want])
        ),
    ],
}}))
"""


def test_a_chunk_is_sharded_over_the_devices_and_each_computes_its_rows(r2r3):
    source, _ = r2r3
    probe = SHARDING_PROBE.format(source=str(source))
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(probe)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=FOUR_DEVICES,
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert found["calls"] == 1  # 64 points: one compiled call on four devices, not four calls
    assert found["spec"] == ["batch"]
    assert found["devices"] == [0, 1, 2, 3]
    assert sorted(found["shards"]) == [[0, 0, 16], [1, 16, 32], [2, 32, 48], [3, 48, 64]]
    assert found["same"] == [True, True]  # values and Jacobians, bit for bit


def test_a_batch_on_three_devices_writes_the_same_bytes_as_one(cli, r2r3):
    source, points = r2r3
    one = cli("jacobian", str(source), "--batch", str(points))
    assert one.code == 0, one.stderr
    three = _jaccli(
        "jacobian", str(source), "--batch", str(points), "--devices", "3", env=FOUR_DEVICES
    )
    assert three.returncode == 0, three.stderr
    assert three.stdout == one.stdout
    assert len(three.stdout.splitlines()) == 1001


@pytest.mark.parametrize("method", ["dgsm", "active-subspace"])
def test_global_sensitivity_on_all_devices_writes_the_same_bytes_as_one(cli, method):
    args = (*ISHIGAMI, "--method", method, "--samples", "1000", "--format", "json")
    one = cli(*args)
    assert one.code == 0, one.stderr
    four = _jaccli(*args, env=FOUR_DEVICES)
    assert four.returncode == 0, four.stderr
    assert four.stdout == one.stdout


# --- several processes --------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 4])
def test_a_distributed_batch_matches_one_process(cli, r2r3, tmp_path, count):
    source, points = r2r3
    one = cli("jacobian", str(source), "--batch", str(points))
    assert one.code == 0, one.stderr
    if count == 2:
        runs = _distributed(count, "jacobian", str(source), "--batch", str(points))
        assert [code for code, _, _ in runs] == [0] * count, [err for _, _, err in runs]
        assert runs[0][1] == one.stdout
    else:
        # --output: process 0 writes the file; .npy holds the Jacobians alone.
        output = tmp_path / "J.npy"
        args = ("jacobian", str(source), "--batch", str(points), "--output", str(output))
        runs = _distributed(count, *args, "--quiet")
        assert [code for code, _, _ in runs] == [0] * count, [err for _, _, err in runs]
        want = np.array([json.loads(line)["result"] for line in one.stdout.splitlines()])
        assert np.array_equal(np.load(output), want)
        assert runs[0][1] == ""
    assert all(out == "" for _, out, _ in runs[1:])
    assert all(err == "" for _, _, err in runs)


@pytest.mark.parametrize(("count", "method"), [(2, "dgsm"), (4, "dgsm"), (2, "active-subspace")])
def test_a_distributed_global_sensitivity_matches_one_process(cli, count, method):
    args = (*ISHIGAMI, "--method", method, "--samples", "1000", "--seed", "3", "--format", "json")
    one = cli(*args)
    assert one.code == 0, one.stderr
    runs = _distributed(count, *args)
    assert [code for code, _, _ in runs] == [0] * count, [err for _, _, err in runs]
    assert runs[0][1] == one.stdout
    assert all(out == "" for _, out, _ in runs[1:])


def test_distributed_needs_a_batch_every_process_can_read(r2r3):
    source, _ = r2r3
    (run,) = _distributed(1, "jacobian", str(source), "--batch", "-")
    assert run[0] == 2
    assert "stdin is one process's" in run[2]


KILLED = """
import os
import signal

import jax
import jax.numpy as jnp


def f(x):
    if jax.process_index() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return jnp.sin(x)
"""


def test_a_lost_process_fails_the_run_cleanly(r2r3, tmp_path):
    _, points = r2r3
    source = tmp_path / "killed.py"
    source.write_text(KILLED)
    killed = tmp_path / "killed.out"
    # Two runs at once, to keep the waiting short: in one, process 1 is killed while it
    # computes; in the other, process 1 never starts and process 0 waits for it in vain.
    with ThreadPoolExecutor(2) as pool:
        lost = pool.submit(
            _distributed, 2, "jacobian", str(source), "--batch", str(points), timeout=2
        )
        missing = pool.submit(
            _distributed,
            2,
            "jacobian",
            str(source),
            "--batch",
            str(points),
            "-f",
            "json",
            "--output",
            str(killed),
            timeout=1,
            ranks=[0],
        )
        (code0, out0, err0), (code1, out1, err1) = lost.result()
        ((code, out, err),) = missing.result()
    assert (code0, code1) == (4, 4)
    assert out0 == out1 == ""
    assert err0.splitlines()[0] == (
        "jaccli: error: the distributed run lost process 1: it stopped responding for 2 s "
        "(process 0 of 2 gave up)"
    )
    assert err1.splitlines()[0] == (
        "jaccli: error: the distributed run failed: process 1 of 2 was ended by SIGKILL"
    )
    assert all(len(e.splitlines()) == 2 for e in (err0, err1))  # the error and its hint
    assert (code, out) == (4, "")
    assert not killed.exists()
    error = json.loads(err)["error"]
    assert (error["code"], error["type"]) == (4, "distributed")
    assert error["message"].startswith("not every process joined the distributed run")


@pytest.mark.parametrize(
    ("labels", "traceback", "timeout"),
    [
        (COMMAND_LINE, "rerun with --traceback", "raise --distributed-timeout"),
        (PYTHON, "rerun with traceback", "raise distributed_timeout"),
    ],
)
def test_a_lost_worker_is_explained_in_the_callers_words(labels, traceback, timeout):
    scale = ScaleOut(distributed=True, labels=labels)
    _, hint = cause(b"", 6, scale)
    assert traceback in hint
    _, hint = cause(b"absl::Status: DEADLINE_EXCEEDED: no answer\n", 6, scale)
    assert timeout in hint
