"""numdifftools: ``numdifftools.Jacobian(f)(x)``, central differences at several steps with
Richardson extrapolation (its defaults). The function is the problem's ``FUNCTION_numpy``;
further arguments are bound with a closure. See `bench.tools.derivative_args`.
"""

from __future__ import annotations

import numpy as np

from bench.tools.derivative_args import emit, function, parse


def main() -> None:
    args = parse(("jacobian",))
    import numdifftools

    _, f = function(args.function, "_numpy")
    x = np.load(args.x)
    extra = [np.load(path) for path in args.arg]

    def bound(point):
        return f(point, *extra)

    emit(args, np.asarray(numdifftools.Jacobian(bound)(x)).reshape(-1, x.size))


if __name__ == "__main__":
    main()
