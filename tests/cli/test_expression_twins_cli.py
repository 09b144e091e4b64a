"""An expression on the command line is typed as its file twin: ``abs(z)^2`` of a complex z is
real-valued with gradient 6+8j at 3+4j (by hand, ∂/∂x + i·∂/∂y of x² + y²), as ``jnp.abs(z)**2``
in a file; ``abs(z)*z`` is complex and treated as holomorphic in both."""

from __future__ import annotations

import numpy as np
import pytest

R = 5.0  # |3+4j|


@pytest.mark.parametrize(
    ("text", "body", "gradient"),
    [
        ("abs(z)^2", "jnp.abs(z) ** 2", 6 + 8j),
        ("sqrt(abs(z))", "jnp.sqrt(jnp.abs(z))", (3 + 4j) / (2 * R**1.5)),  # r^½: x/(2r^{3/2})
        ("abs(z)*z", "jnp.abs(z) * z", None),
    ],
)
def test_grad_of_an_expression_is_the_grad_of_its_file_twin(cli, tmp_path, text, body, gradient):
    path = tmp_path / "twin.py"
    path.write_text(f"import jax.numpy as jnp\n\n\ndef f(z):\n    return {body}\n")
    expression, written = (
        cli("grad", *source, "--at", "z=3+4j", "--format", "json").json()
        for source in (("-e", text), (str(path),))
    )
    for out in (expression, written):
        del out["function"]["source"], out["function"]["kind"]
    assert expression == written
    assert expression["holomorphic"] is (gradient is None)
    if gradient is not None:
        assert expression["function"]["output_dtype"] == "float64"
        result = expression["result"]
        np.testing.assert_allclose(result["re"] + 1j * result["im"], gradient, rtol=1e-14)
