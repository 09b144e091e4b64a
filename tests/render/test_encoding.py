"""Output for a stdout that takes only ASCII: JSON with \\u escapes, tables in look-alikes."""

from __future__ import annotations

import json

import pytest

from jaccli._render.encoding import for_encoding


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf_8", None])
def test_text_that_fits_is_unchanged(encoding):
    text = "mode: reverse — n=2 · ±0.1 é █"
    assert for_encoding(text, encoding, is_json=False) is text


def test_json_becomes_ascii_and_means_the_same():
    data = {"é": "a — b", "emoji \U0001f600": [1.0], "plain": "x"}
    text = json.dumps(data, ensure_ascii=False)
    ascii_text = for_encoding(text, "ascii", is_json=True)
    assert ascii_text.isascii()
    assert json.loads(ascii_text) == data
    assert ascii_text == json.dumps(data)  # exactly what ensure_ascii writes


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("mode: reverse — n=2", "mode: reverse - n=2"),
        ("0.256 ± 0.011", "0.256 +/- 0.011"),
        ("vᵀ·J", "v^T.J"),
        ("█░", "#."),
        ("┌─┬─┐│", "+-+-+|"),
        ("x ≤ 1 → y", "x <= 1 -> y"),
        ("café", "caf\\xe9"),  # no look-alike: escaped, never dropped
    ],
)
def test_tables_degrade_to_ascii(text, plain):
    assert for_encoding(text, "ascii", is_json=False) == plain


def test_latin1_keeps_what_it_can():
    assert for_encoding("café — █", "latin-1", is_json=False) == "café - #"


def test_an_unknown_encoding_counts_as_ascii():
    assert for_encoding("a — b", "no-such-codec", is_json=False) == "a - b"
