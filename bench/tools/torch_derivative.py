"""PyTorch: the same derivatives with ``torch.func``, eager, on float64 tensors.

``jacfwd`` / ``jacrev`` (``torch.func.jacfwd(f)(x, *args)``), ``grad`` (``torch.func.grad``)
and ``hvp`` (forward-over-reverse, ``torch.func.jvp(torch.func.grad(f), (x,), (v,))``). The
function is the problem's ``FUNCTION_torch``; see `bench.tools.derivative_args`.
"""

from __future__ import annotations

import numpy as np

from bench.tools.derivative_args import emit, function, parse


def main() -> None:
    args = parse(("jacfwd", "jacrev", "grad", "hvp"))
    import torch
    from torch import func

    _, f = function(args.function, "_torch")
    x = torch.from_numpy(np.load(args.x))
    extra = [torch.from_numpy(np.load(path)) for path in args.arg]
    with torch.no_grad():
        if args.kind in ("jacfwd", "jacrev"):
            transform = func.jacfwd if args.kind == "jacfwd" else func.jacrev
            result = transform(f)(x, *extra)
        elif args.kind == "grad":
            result = func.grad(f)(x)
        else:
            v = torch.from_numpy(np.load(args.v))
            result = func.jvp(func.grad(f), (x,), (v,))[1]
    emit(args, result.numpy())


if __name__ == "__main__":
    main()
