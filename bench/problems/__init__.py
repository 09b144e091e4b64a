"""Functions the benchmarks differentiate, each with its analytic Jacobian for checking."""
