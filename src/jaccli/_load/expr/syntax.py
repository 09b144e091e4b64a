"""What the expression language allows, and the words a refusal uses for what it does not."""

from __future__ import annotations

import ast

from .functions import FUNCTIONS

HINT = (
    "allowed: numbers, names, + - * / ** ^, unary minus, lists [a, b] as the output, indexing "
    "x[0] or x[i, j], the constants pi and e, comparisons only inside where(cond, a, b), and "
    "the functions " + ", ".join(sorted(FUNCTIONS))
)

# Operators, constructs and keywords outside the whitelist, named for messages.
OPERATOR_NAMES: dict[type, str] = {
    ast.MatMult: "matrix multiplication '@'",
    ast.Mod: "modulo '%'",
    ast.FloorDiv: "floor division '//'",
    ast.BitAnd: "bitwise and '&'",
    ast.BitOr: "bitwise or '|'",
    ast.BitXor: "bitwise xor",
    ast.LShift: "shift '<<'",
    ast.RShift: "shift '>>'",
}

CONSTRUCT_NAMES: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.NamedExpr: "assignment expression ':='",
    ast.Starred: "starred expression",
    ast.Slice: "slice",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression 'if ... else'",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

KEYWORD_NAMES: dict[str, str] = {
    "lambda": "lambda",
    "and": "boolean operator 'and'",
    "or": "boolean operator 'or'",
    "not": "boolean operator 'not'",
    "if": "conditional expression 'if ... else'",
    "else": "conditional expression 'if ... else'",
    "for": "comprehension",
    "in": "membership test 'in'",
    "is": "identity test 'is'",
    "True": "boolean literal",
    "False": "boolean literal",
    "None": "None",
}
