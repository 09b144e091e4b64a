"""The size limits on an expression, checked before anything expensive happens.

Python's parser can exhaust the C stack on very deep input and SymPy can spend hours on
``9**9**9``, so text length, bracket depth, unary runs, literal sizes, node count, nesting depth,
constant exponents and the size of exact integers are all bounded.
"""

from __future__ import annotations

MAX_LENGTH = 100_000
MAX_DEPTH = 100
MAX_NODES = 10_000
MAX_DIGITS = 400
MAX_EXPONENT = 1024
MAX_INDEX = 100_000
MAX_INPUT_SIZE = 100_000
# Exact integers beyond this (about 3600 decimal digits) are slow to combine and cannot even be
# printed under Python's default int-to-str limit.
MAX_EXACT_BITS = 12_000

EXPONENT_HINT = f"exponents that do not depend on the inputs must stay within ±{MAX_EXPONENT}"
EXACT_HINT = "use a float literal such as 2.0 instead of an integer to keep it inexact"
