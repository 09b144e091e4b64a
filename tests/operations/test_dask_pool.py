"""A black box evaluated on a Dask cluster started here on 127.0.0.1: the numbers of one
process, the function file shipped to the workers, and a lost worker or an unreachable
scheduler ending with exit 4 and one line, not a hang."""

from __future__ import annotations

import socket

import pytest

distributed = pytest.importorskip("distributed")

# Dask's own sockets may be collected unclosed when a cluster stops; that is Dask's business.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

MODEL = """\
import numpy as np


def f(x, y):
    if float(x) > {limit}:  # Python control flow on a value: JAX cannot trace this
        {failure}
    return np.sin(x) * y**2
"""


@pytest.fixture(scope="module")
def cluster():
    import dask

    # A worker that dies fails its task at once, instead of after three restarts.
    # On a busy machine workers take a while to start; give them time to connect.
    settings = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.comm.timeouts.connect": "120s",
    }
    with (
        dask.config.set(settings),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
        ) as local,
    ):
        yield local.scheduler_address


def sobol(cli, path, *extra):
    return cli(
        "sensitivity",
        str(path),
        "--bounds",
        "x=-2:2,y=0:1",
        "--method",
        "sobol",
        "--samples",
        "8",
        "--format",
        "json",
        *extra,
    )


def test_a_black_box_on_a_dask_cluster_gives_the_numbers_of_one_process(cli, tmp_path, cluster):
    path = tmp_path / "model.py"
    path.write_text(MODEL.format(limit=10, failure="return 0.0"))
    one = sobol(cli, path)
    dask = sobol(cli, path, "--dask", cluster)
    assert one.code == dask.code == 0, dask.stderr
    a, b = one.json(), dask.json()
    assert "Dask cluster" in " ".join(b.pop("warnings")) and a.pop("warnings")
    assert a == b


def test_a_lost_worker_ends_with_exit_4(cli, tmp_path, cluster):
    path = tmp_path / "dies.py"
    path.write_text(MODEL.format(limit=1.5, failure="import os; os._exit(9)"))
    run = sobol(cli, path, "--dask", cluster, "--dask-timeout", "20")
    assert run.code == 4 and run.stdout == ""
    assert "lost points" in run.stderr and "Traceback" not in run.stderr


def test_an_unreachable_scheduler_ends_with_exit_4(cli, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "model.py"
    path.write_text(MODEL.format(limit=10, failure="return 0.0"))
    run = sobol(cli, path, "--dask", f"tcp://127.0.0.1:{port}", "--dask-timeout", "2")
    assert run.code == 4 and run.stdout == ""
    assert "cannot reach the Dask scheduler" in run.stderr


def test_dask_options_are_checked(cli):
    run = cli("sensitivity", "-e", "x", "--bounds=0:1", "--method", "sobol", "--dask-timeout", "5")
    assert run.code == 2 and "--dask-timeout applies with --dask" in run.stderr
    run = cli("sensitivity", "-e", "x", "--bounds=0:1", "--workers", "2", "--dask", "tcp://h:1")
    assert run.code == 2 and "not both" in run.stderr
