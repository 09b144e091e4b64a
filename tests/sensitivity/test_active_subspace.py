"""Active subspaces against exact truths: ridge functions (every gradient parallel to a, so C
has rank one), a rank-two function against C summed by hand from hand-derived gradients, the
bootstrap's reproducibility, the JSON through the command line, the table and the plot."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import jaccli
from jaccli import parse_expr
from jaccli._sensitivity.sobol_sequence import sobol_points

A = np.array([0.3, -1.2, 0.5, 2.0])
LOW = np.array([0.0, -1.0, -2.0, 1.0])
HIGH = np.array([2.0, 3.0, -1.0, 1.5])
RANGES = ",".join(f"x{j}={lo:g}:{hi:g}" for j, (lo, hi) in enumerate(zip(LOW, HIGH, strict=True)))
LINEAR = " + ".join(f"({a:g})*x{j}" for j, a in enumerate(A))


def _sign_rule(vector: np.ndarray) -> np.ndarray:
    """The documented sign: the largest component (in magnitude) positive."""
    return vector * np.sign(vector[np.argmax(np.abs(vector))])


def _analyse(expr: str, bounds: str, samples: int = 512, **options) -> dict:
    return jaccli.sensitivity(
        parse_expr(expr), bounds=bounds, method="active-subspace", samples=samples, **options
    ).to_dict()


def _assert_rank_one(indices: dict, direction: np.ndarray) -> None:
    values = np.array(indices["eigenvalues"])
    vectors = np.array(indices["eigenvectors"])
    np.testing.assert_allclose(
        vectors[0], _sign_rule(direction / np.linalg.norm(direction)), atol=1e-12
    )
    # The other eigenvalues are rounding, not sampling error: C has rank one exactly.
    assert np.all(np.abs(values[1:]) <= 1e-13 * values[0])
    assert indices["dimension"] == 1
    assert indices["subspace_error"][0] <= 1e-12 and indices["subspace_error"][-1] == 0
    np.testing.assert_allclose(indices["activity_scores"], values[0] * vectors[0] ** 2, rtol=1e-12)


def test_a_linear_function_on_ranges_has_c_equal_to_its_scaled_gradient_squared():
    # On [-1, 1]⁴ the gradient of a·x is a ⊙ (high − low)/2 at every point: C = ggᵀ exactly.
    indices = _analyse(LINEAR, RANGES, samples=64)["indices"]
    scaled = A * (HIGH - LOW) / 2
    _assert_rank_one(indices, scaled)
    assert indices["eigenvalues"][0] == pytest.approx(scaled @ scaled, rel=1e-13)
    # Every bootstrap resample sees the same gradient: the interval is the point.
    assert indices["eigenvalues_conf"][0] == pytest.approx([scaled @ scaled] * 2, rel=1e-13)


def test_a_ridge_function_on_ranges_matches_its_closed_form():
    t = " + ".join(f"({a:g})*x{j}" for j, a in enumerate(A))
    d = _analyse(f"sin({t})", RANGES, samples=1024)
    indices = d["indices"]
    scaled = A * (HIGH - LOW) / 2
    _assert_rank_one(indices, scaled)
    # λ₁ = E[cos²(aᵀx)]·|s ⊙ a|², with E[cos²] = (1 + Re Π E[exp(2i aⱼxⱼ)])/2 on the ranges.
    factors = (np.exp(2j * A * HIGH) - np.exp(2j * A * LOW)) / (2j * A * (HIGH - LOW))
    mean_square = (1 + np.prod(factors).real) / 2
    assert indices["eigenvalues"][0] == pytest.approx(mean_square * (scaled @ scaled), rel=1e-3)
    assert d["ranking"] == [f"x{j}" for j in np.argsort(-np.abs(scaled))]


def test_a_ridge_function_of_normal_inputs_matches_its_closed_form():
    mean, std = np.array([1.0, 0.0, -0.5]), np.array([0.2, 0.1, 0.3])
    a = np.array([0.5, 1.0, -0.4])
    bounds = ",".join(
        f"x{j}=normal({m:g},{s:g})" for j, (m, s) in enumerate(zip(mean, std, strict=True))
    )
    t = " + ".join(f"({c:g})*x{j}" for j, c in enumerate(a))
    indices = _analyse(f"exp({t})", bounds, samples=2048)["indices"]
    scaled = a * std  # a standardised input: x = μ + σz
    _assert_rank_one(indices, scaled)
    # λ₁ = E[exp(2aᵀx)]·|σ ⊙ a|², and aᵀx is normal: E[exp(2aᵀx)] = exp(2aᵀμ + 2|σ ⊙ a|²).
    truth = math.exp(2 * a @ mean + 2 * scaled @ scaled) * (scaled @ scaled)
    assert indices["eigenvalues"][0] == pytest.approx(truth, rel=2e-3)
    low, high = indices["eigenvalues_conf"][0]
    assert low < truth < high


def test_a_rank_two_function_matches_c_summed_from_hand_derived_gradients():
    a, b = np.array([1.0, 0.5, 0.0, -0.3]), np.array([0.0, 0.4, 1.0, 0.6])
    ta = " + ".join(f"({c:g})*x{j}" for j, c in enumerate(a))
    tb = " + ".join(f"({c:g})*x{j}" for j, c in enumerate(b))
    samples, seed = 256, 3
    d = _analyse(f"sin({ta}) + ({tb})**2", "-1:1", samples=samples, seed=seed)
    indices = d["indices"]
    # The same points jaccli draws, and ∇f = cos(aᵀx)·a + 2(bᵀx)·b by hand (here z = x).
    x = -1 + 2 * sobol_points(samples, 4, seed)
    gradients = np.cos(x @ a)[:, None] * a + 2 * (x @ b)[:, None] * b
    truth = np.sort(np.linalg.eigvalsh(gradients.T @ gradients / samples))[::-1]
    values, vectors = np.array(indices["eigenvalues"]), np.array(indices["eigenvectors"])
    np.testing.assert_allclose(values[:2], truth[:2], rtol=1e-12)
    assert np.all(np.abs(values[2:]) <= 1e-13 * values[0])
    assert indices["dimension"] == 2
    # span{w₁, w₂} = span{a, b}: both lie in it, to rounding.
    projector = vectors[:2].T @ vectors[:2]
    for direction in (a, b):
        np.testing.assert_allclose(projector @ direction, direction, atol=1e-12)
    np.testing.assert_allclose(vectors @ vectors.T, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(
        indices["activity_scores"], values[:2] @ vectors[:2] ** 2, rtol=1e-12
    )


def test_dimension_fixes_k_and_the_activity_scores_follow():
    d = _analyse("x0*x1 + 0.1*x2", "-1:1", samples=128, dimension=3)
    indices = d["indices"]
    values, vectors = np.array(indices["eigenvalues"]), np.array(indices["eigenvectors"])
    assert indices["dimension"] == 3
    np.testing.assert_allclose(indices["activity_scores"], values @ vectors**2, rtol=1e-12)


def test_subspace_error_is_the_sine_of_the_largest_principal_angle():
    from scipy.linalg import subspace_angles

    from jaccli._sensitivity.subspaces import subspace_distances

    rng = np.random.default_rng(0)
    vectors = np.linalg.qr(rng.standard_normal((5, 5)))[0].T
    replicates = np.stack([np.linalg.qr(rng.standard_normal((5, 5)))[0].T for _ in range(3)])
    found = subspace_distances(vectors, replicates)
    for k in range(1, 5):
        sines = [np.sin(subspace_angles(vectors[:k].T, r[:k].T)).max() for r in replicates]
        assert found[k - 1] == pytest.approx(np.mean(sines), rel=1e-10)
    assert found[-1] == 0


def test_the_same_seed_gives_the_same_numbers_intervals_included(cli):
    args = ["sensitivity", "-e", "exp(0.7*x + 0.3*y) + 0.1*z**2", "--bounds=-1:1"]
    args += ["--method", "active-subspace", "--samples", "128", "-f", "json"]
    first, again = cli(*args, "--seed", "5"), cli(*args, "--seed", "5")
    other = cli(*args, "--seed", "6")
    assert first.code == again.code == other.code == 0
    assert first.stdout == again.stdout
    assert (
        first.json()["indices"]["eigenvalues_conf"] != other.json()["indices"]["eigenvalues_conf"]
    )


def test_json_through_the_command_line_has_the_pinned_fields(cli):
    run = cli(
        "sensitivity",
        "-e",
        "[sin(x + 2*y - z), x*y*z]",
        "--bounds",
        "x=-1:1,y=0:1,z=normal(0,2)",
        "--method",
        "active-subspace",
        "--samples",
        "128",
        "-f",
        "json",
    )
    assert run.code == 0, run.stderr
    d = json.loads(run.stdout)
    assert d["method"] == "active_subspace" and d["ranking_by"] == "activity_scores"
    assert d["samples"] == d["evaluations"] == 128 and d["seed"] == 0
    assert len(d["mean"]) == len(d["variance"]) == 2 and d["warnings"] == []
    assert len(d["indices"]) == len(d["ranking"]) == 2  # one analysis per output
    for indices, ranking in zip(d["indices"], d["ranking"], strict=True):
        assert list(indices) == [
            "eigenvalues",
            "eigenvectors",
            "eigenvalues_conf",
            "subspace_error",
            "dimension",
            "activity_scores",
        ]
        values, vectors = np.array(indices["eigenvalues"]), np.array(indices["eigenvectors"])
        conf = np.array(indices["eigenvalues_conf"])
        assert values.shape == (3,) and vectors.shape == (3, 3) and conf.shape == (3, 2)
        assert np.all(np.diff(values) <= 0) and np.all(values >= 0)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-12)
        for vector in vectors:
            assert vector[np.argmax(np.abs(vector))] > 0
        assert np.all(conf[:, 0] <= conf[:, 1])
        assert len(indices["subspace_error"]) == 3 and indices["subspace_error"][-1] == 0
        assert isinstance(indices["dimension"], int) and 1 <= indices["dimension"] <= 3
        order = np.argsort(-np.array(indices["activity_scores"]), kind="stable")
        assert ranking == [d["inputs"][j] for j in order]
    # x·y·z moves along three directions; sin(x + 2y − z) along one.
    assert d["indices"][0]["dimension"] == 1


def test_an_output_without_gradient_has_null_eigenvectors_and_says_so():
    d = _analyse("[x*y, 1 + 0*x]", "-1:1", samples=64)
    constant = d["indices"][1]
    assert constant["eigenvalues"] == [0.0, 0.0] and constant["dimension"] is None
    assert constant["eigenvectors"] == [[None, None], [None, None]]
    assert any("f[1]" in note and "active subspace" in note for note in d["warnings"])


def test_an_output_with_a_non_finite_gradient_is_null_and_the_others_are_analysed(cli):
    args = ["sensitivity", "-e", "[sqrt(x)*y, x*y]", "--bounds=-1:1"]
    args += ["--method", "active-subspace", "--samples", "64", "--allow-nonfinite"]
    run = cli(*args, "-f", "json")
    assert run.code == 0, run.stderr
    broken, fine = json.loads(run.stdout)["indices"]
    assert broken["eigenvalues"] == [None, None] and broken["dimension"] is None
    assert broken["eigenvectors"] == [[None, None], [None, None]]
    # x·y on [-1, 1]²: C = diag(1/3, 1/3), estimated from the same sample.
    np.testing.assert_allclose(sum(fine["eigenvalues"]), 2 / 3, rtol=0.05)
    assert "gradient of f[0] is NaN or infinite" in run.stderr
    table = cli(*args, "-f", "table")
    assert table.code == 0 and "[nan, nan]" in table.stdout and "null" not in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "active-subspace", "--dimension", "3"], "--dimension must be between 1"),
        (["--method", "active-subspace", "--dimension", "0"], "--dimension must be between 1"),
        (["--method", "dgsm", "--dimension", "1"], "--dimension applies to --method"),
    ],
)
def test_bad_dimensions_are_usage_errors(cli, args, message):
    run = cli("sensitivity", "-e", "x*y", "--bounds=-1:1", *args)
    assert run.code == 2 and run.stdout == ""
    assert message in run.stderr


def test_dimension_is_refused_for_a_local_analysis(cli):
    run = cli("sensitivity", "-e", "x*y", "--at", "1,2", "--dimension", "1")
    assert run.code == 2 and "--dimension" in run.stderr


def test_the_table_shows_eigenvalues_intervals_and_activity(cli):
    run = cli(
        "sensitivity",
        "-e",
        "sin(x + 2*y) + 0*z",
        "--bounds=-1:1",
        "--method",
        "active-subspace",
        "--samples",
        "128",
        "-f",
        "table",
    )
    assert run.code == 0, run.stderr
    out = run.stdout
    for shown in ("f: eigenvalues", "95% interval", "log scale", "subspace error", "K = 1"):
        assert shown in out
    assert "activity score" in out and "w1" in out and "w2" not in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    ranked = [row[1] for row in rows if len(row) > 1 and row[1] in ("x", "y", "z")]
    assert ranked == ["y", "x", "z"]
    assert "█" in out
    csv = cli(
        "sensitivity",
        "-e",
        "sin(x + 2*y) + 0*z",
        "--bounds=-1:1",
        "--method",
        "active-subspace",
        "--samples",
        "128",
        "-f",
        "csv",
    )
    assert csv.stdout.splitlines()[0] == "output,input,rank,activity_scores,w1"
    assert [line.split(",")[1] for line in csv.stdout.splitlines()[1:]] == ["y", "x", "z"]


def test_the_plot_draws_the_decay_and_the_summary(cli, tmp_path):
    path = tmp_path / "subspace.svg"
    run = cli(
        "sensitivity",
        "-e",
        "[exp(0.7*x + 0.3*y), x*y + 0*z]",
        "--bounds=-1:1",
        "--method",
        "active-subspace",
        "--samples",
        "64",
        "--plot",
        str(path),
        "-f",
        "json",
    )
    assert run.code == 0, run.stderr
    text = path.read_text()
    assert "eigenvalues of C" in text and "sufficient summary plot of f[0]" in text
    # x·y moves along two of the three directions (z is idle): K = 2 adds the plane of the first
    # two active variables.
    assert "f[1] over the first two active variables" in text
    assert "f[0] over the first two" not in text
    png = tmp_path / "subspace.png"
    run = cli(
        "sensitivity",
        "-e",
        "sin(x - y)",
        "--bounds=-1:1",
        "--method",
        "active-subspace",
        "--samples",
        "64",
        "--plot",
        str(png),
        "-f",
        "json",
    )
    assert run.code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000


def test_a_gap_inside_the_bootstrap_intervals_is_called_uncertain():
    # x² + y² + z² on [-1, 1]³: C = (4/3)·I, every direction alike; the "largest gap" is noise.
    d = _analyse("x**2 + y**2 + z**2", "-1:1", samples=256)
    values = np.array(d["indices"]["eigenvalues"])
    assert values == pytest.approx([4 / 3] * 3, rel=1e-4)
    assert any("no clear active subspace" in note for note in d["warnings"])
    # Fixing the dimension is an answer to it: no note then.
    fixed = _analyse("x**2 + y**2 + z**2", "-1:1", samples=256, dimension=3)
    assert not any("no clear active subspace" in note for note in fixed["warnings"])
    # A gap far outside the intervals (a ridge along x + 2y bent a little by y²) is clear.
    clear = _analyse("sin(x + 2*y) + 0.05*y**2", "-1:1", samples=256)
    conf = np.array(clear["indices"]["eigenvalues_conf"])
    assert clear["indices"]["dimension"] == 1 and conf[0, 0] > conf[1, 1]
    assert not any("no clear active subspace" in note for note in clear["warnings"])
