"""Math expressions from the command line (``--expr``), parsed into a small validated form and
never evaluated as Python.

The parts: `limits` (the size limits), `prescan` (checks on the raw text), `source` (the text as
Python's parser sees it), `syntax` (what the language allows), `parser` (the whitelist walk that
builds `nodes`), `functions` (the known functions), `lowering` (to ``jax.numpy``, SymPy and
folded constants), `expression` (the parsed result) and `inputs` (its inputs).
"""

from .expression import Expression as Expression
from .expression import ExprInput as ExprInput
from .parser import parse_expr as parse_expr
from .parser import parse_number as parse_number

__all__ = ["ExprInput", "Expression", "parse_expr"]
