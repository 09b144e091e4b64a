"""Tests for jaccli._load.loader: loading the user's function from a file or a callable."""

from __future__ import annotations

import os
import textwrap

import pytest

from jaccli._load.loader import Function, from_callable, load
from jaccli.errors import FunctionError, UsageError


def _write(tmp_path, text, name="fn.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


# --- picking the function ---------------------------------------------------------------------


def test_picks_f_among_several(tmp_path):
    path = _write(
        tmp_path,
        """
        def g(x):
            return x

        def f(x, y):
            return x + y
        """,
    )
    function = load(path)
    assert isinstance(function, Function)
    assert function.params == ("x", "y")
    assert function.source == f"{path}:f"
    assert function.kind == "file"
    assert function.path == os.path.abspath(path)
    assert function(2.0, 3.0) == 5.0


def test_picks_the_only_public_function(tmp_path):
    path = _write(
        tmp_path,
        """
        from math import sin
        from os.path import join

        def _helper(x):
            return 2 * x

        def energy(q):
            return _helper(q) + sin(0.0)
        """,
    )
    function = load(path)
    assert function.source.endswith(":energy")
    assert function.params == ("q",)
    assert function(1.5) == 3.0


def test_several_candidates_without_f(tmp_path):
    path = _write(
        tmp_path,
        """
        def alpha(x):
            return x

        def beta(x):
            return x
        """,
    )
    with pytest.raises(UsageError) as info:
        load(path)
    assert "alpha" in info.value.message
    assert "beta" in info.value.message
    assert f"{path}:alpha" in info.value.hint


def test_no_public_function(tmp_path):
    path = _write(tmp_path, "X = 1\n")
    with pytest.raises(UsageError, match="no public function"):
        load(path)


def test_file_colon_name(tmp_path):
    path = _write(
        tmp_path,
        """
        def f(x):
            return x

        def other(a, b):
            return a * b
        """,
    )
    function = load(f"{path}:other")
    assert function.params == ("a", "b")
    assert function(3.0, 4.0) == 12.0


def test_no_such_name_suggests_close_match(tmp_path):
    path = _write(tmp_path, "def energy(x):\n    return x\n")
    with pytest.raises(UsageError) as info:
        load(f"{path}:enrgy")
    assert info.value.exit_code == 2
    assert "'enrgy'" in info.value.message
    assert info.value.hint == f"did you mean {path}:energy?"


def test_name_not_callable(tmp_path):
    path = _write(tmp_path, "SCALE = 3.0\n\ndef f(x):\n    return x * SCALE\n")
    with pytest.raises(UsageError, match="float, not a function") as info:
        load(f"{path}:SCALE")
    assert f"{path}:f" in info.value.hint


# --- files that cannot be loaded ---------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="not found") as info:
        load(str(tmp_path / "nope.py"))
    assert info.value.exit_code == 2


def test_missing_file_without_py_hints_expression(tmp_path):
    with pytest.raises(UsageError) as info:
        load("x**2", expression="-e/--expr")
    assert "--expr" in info.value.hint


def test_directory(tmp_path):
    with pytest.raises(UsageError, match="directory") as info:
        load(str(tmp_path))
    assert info.value.exit_code == 2


def test_binary_file(tmp_path):
    path = tmp_path / "blob.py"
    path.write_bytes(b"def f(x):\x00\x01\x02")
    with pytest.raises(UsageError, match="binary"):
        load(str(path))


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes("# caf\u00e9\ndef f(x):\n    return x\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8") as info:
        load(str(path))
    assert info.value.hint == "save the file as UTF-8"


def test_utf8_bom_is_fine(tmp_path):
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfdef f(x):\n    return x\n")
    assert load(str(path)).params == ("x",)


def test_syntax_error_points_at_line_and_column(tmp_path):
    path = _write(tmp_path, "def f(x):\n    return x +\n")
    with pytest.raises(FunctionError) as info:
        load(path)
    assert info.value.exit_code == 3
    assert f"{path}:2:" in info.value.message
    assert "syntax error" in info.value.message


def test_raising_on_import_names_exception_and_line(tmp_path):
    path = _write(tmp_path, "import math\n\nVALUE = math.sqrt(-1.0)\n\ndef f(x):\n    return x\n")
    with pytest.raises(FunctionError) as info:
        load(path)
    message = info.value.message
    assert info.value.exit_code == 3
    assert "ValueError on import" in message
    assert "math domain error" in message
    assert "line 3" in message


def test_sys_exit_on_import(tmp_path):
    path = _write(tmp_path, "import sys\nsys.exit(5)\n")
    with pytest.raises(FunctionError, match=r"sys\.exit\(5\)") as info:
        load(path)
    assert info.value.exit_code == 3


def test_print_on_import_goes_to_stderr(tmp_path, capsys):
    path = _write(tmp_path, "print('loading model')\n\ndef f(x):\n    return x\n")
    load(path)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "loading model" in captured.err


def test_helper_module_beside_the_file(tmp_path):
    (tmp_path / "jaccli_test_helper_mod.py").write_text("SCALE = 7.0\n", encoding="utf-8")
    path = _write(
        tmp_path,
        """
        from jaccli_test_helper_mod import SCALE

        def f(x):
            return SCALE * x
        """,
        name="uses_helper.py",
    )
    assert load(path)(2.0) == 14.0


# --- parameters --------------------------------------------------------------------------------


def test_from_callable_params_and_defaults():
    def model(x, y, scale=2.0, *, flag=False):
        return (x + y) * scale

    function = from_callable(model)
    assert function.params == ("x", "y")
    assert function.kind == "python"
    assert function.source.endswith("model")
    assert function.path == os.path.abspath(__file__)


def test_from_callable_lambda_and_source_name():
    function = from_callable(lambda a, b: a * b, source="product")
    assert function.params == ("a", "b")
    assert function.source == "product"
    assert from_callable(function) is function


def test_from_callable_not_callable():
    with pytest.raises(UsageError, match="callable"):
        from_callable(3.0)


def test_star_args_is_usage_error(tmp_path):
    path = _write(tmp_path, "def f(*xs):\n    return sum(xs)\n")
    with pytest.raises(UsageError, match=r"\*xs") as info:
        load(path)
    assert info.value.exit_code == 2


def test_no_arguments_is_usage_error():
    with pytest.raises(UsageError, match="takes no arguments"):
        from_callable(lambda: 1.0)


def test_only_defaults_is_usage_error():
    with pytest.raises(UsageError, match="takes no arguments"):
        from_callable(lambda x=1.0: x)


def test_required_keyword_only_is_usage_error():
    def fn(x, *, y):
        return x * y

    with pytest.raises(UsageError, match="keyword-only parameter 'y'"):
        from_callable(fn)


def test_arrays_a_file_builds_on_import_are_float64(cli, tmp_path):
    (tmp_path / "scaled.py").write_text(
        "import jax.numpy as jnp\nC = jnp.array([0.1, 0.3])\ndef f(x):\n    return jnp.sum(C * x)\n"
    )
    run = cli("grad", str(tmp_path / "scaled.py"), "--at", "1,1", "--format", "json")
    assert run.code == 0, run.stderr
    # 0.1 and 0.3 as float32 would come back as 0.10000000149011612 and 0.30000001192092896.
    assert run.json()["result"] == [0.1, 0.3]


# --- exceptions that are not Exceptions, and messages that cannot be shown -------------------

ODD_EXCEPTIONS = {
    "GeneratorExit": "raise GeneratorExit('bye')",
    "BaseException": "raise BaseException('bye')",
    "Odd": "class Odd(BaseException):\n    pass\n\n\nraise Odd('bye')",
}


@pytest.mark.parametrize("name", sorted(ODD_EXCEPTIONS))
def test_an_exception_that_is_not_an_exception_from_the_function(tmp_path, name):
    body = ODD_EXCEPTIONS[name].replace("\n", "\n    ")
    path = _write(tmp_path, f"def f(x):\n    {body}\n")
    with pytest.raises(FunctionError, match=rf"fn\.py:f raised {name} \(.*line \d+\): bye"):
        load(path)(1.0)


@pytest.mark.parametrize("name", sorted(ODD_EXCEPTIONS))
def test_an_exception_that_is_not_an_exception_on_import(tmp_path, name):
    path = _write(tmp_path, ODD_EXCEPTIONS[name] + "\n")
    with pytest.raises(FunctionError, match=rf"raised {name} on import: bye"):
        load(path)


UNPRINTABLE = """\
class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no words")
"""


def test_an_exception_whose_str_fails_on_import(tmp_path):
    path = _write(tmp_path, UNPRINTABLE + "\nraise Unprintable()\n")
    with pytest.raises(FunctionError, match="Unprintable's message could not be shown"):
        load(path)


def test_a_file_that_turns_float64_off_on_import_is_refused(tmp_path):
    import jax

    path = _write(
        tmp_path,
        "import jax\njax.config.update('jax_enable_x64', False)\n\n\ndef f(x):\n    return x\n",
    )
    try:
        with pytest.raises(FunctionError, match=r"turns float64 off \(jax_enable_x64\)"):
            load(path)
    finally:
        jax.config.update("jax_enable_x64", True)
