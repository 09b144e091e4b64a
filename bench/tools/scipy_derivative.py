"""SciPy's finite differences: ``scipy.optimize._numdiff.approx_derivative``.

It is what ``scipy.optimize`` itself uses for Jacobians (``least_squares``, ``minimize``);
``approx_fprime`` is its public face for forward differences only. ``dense``:
``approx_derivative(f, x, method=..., args=...)``, one evaluation of f per input and step
(``3-point``: central differences, ``cs``: complex step). ``sparse``: the same with
``sparsity=`` the problem's pattern, which SciPy groups into columns that share no row and
perturbs together; the result is CSR, saved with ``scipy.sparse.save_npz``. The function is
the problem's ``FUNCTION_numpy``; see `bench.tools.derivative_args`.
"""

from __future__ import annotations

import numpy as np

from bench.tools.derivative_args import emit, function, parse


def main() -> None:
    args = parse(("dense", "sparse"))
    from scipy.optimize._numdiff import approx_derivative

    problem, f = function(args.function, "_numpy")
    x = np.load(args.x)
    extra = tuple(np.load(path) for path in args.arg)
    if args.kind == "dense":
        emit(args, approx_derivative(f, x, method=args.method, args=extra))
        return
    from scipy import sparse

    rows, columns = problem.pattern(x.size)
    pattern = sparse.csr_matrix((np.ones(rows.size), (rows, columns)), shape=(x.size, x.size))
    found = approx_derivative(f, x, method=args.method, sparsity=pattern)
    sparse.save_npz(args.output, sparse.csr_matrix(found))


if __name__ == "__main__":
    main()
