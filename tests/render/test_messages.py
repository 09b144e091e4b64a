"""Tests for jaccli._render.messages: user text made safe, and error messages."""

from __future__ import annotations

import json

from jaccli._render import error_text, escape
from jaccli.errors import FunctionError, ShapeError, UsageError


def test_escape():
    assert escape("\x1b[31m") == "\\x1b[31m"
    assert escape("a\nb\tc") == "a\\nb\\tc"
    assert escape("x[0] · ∂f") == "x[0] · ∂f"


def test_error_text_plain():
    exc = ShapeError("--v has shape (3,)\x1b[0m", hint="pass 2 numbers")
    text = error_text(exc, json_mode=False)
    assert text == "jaccli: error: --v has shape (3,)\\x1b[0m\nhint: pass 2 numbers\n"
    assert error_text(FunctionError("boom"), json_mode=False) == "jaccli: error: boom\n"


def test_error_text_json():
    exc = FunctionError("f raised ValueError", hint="fix f")
    text = error_text(exc, json_mode=True)
    assert text.endswith("\n")
    assert text.count("\n") == 1
    payload = json.loads(text)
    assert payload == {
        "error": {"code": 3, "type": "function", "message": "f raised ValueError", "hint": "fix f"}
    }
    bare = json.loads(error_text(UsageError("bad"), json_mode=True))
    assert bare["error"]["hint"] is None
    assert bare["error"]["code"] == 2
