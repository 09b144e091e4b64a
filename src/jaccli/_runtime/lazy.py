"""Names of a package that resolve on first use: importing the package stays cheap, and the
module that defines a name is imported only when someone asks for it (PEP 562).

A package lists its names as ordinary re-exports under ``if TYPE_CHECKING:`` (what type checkers,
editors and import-linter read) and hands its own file to `lazy_package`, which reads that
block once, without running it. The idea is scientific-python's ``lazy_loader.attach_stub``,
which reads a ``.pyi`` stub the same way; a core dependency for these twenty lines is not worth
it.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, where: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose name ``n`` is defined in the module
    ``where[n]`` (relative to the package). A name must not also be a submodule's: importing the
    submodule would replace the attribute.
    """

    def getattr_(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{where[name]}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return getattr_, dir_


def lazy_package(
    package: str, file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``, whose ``__init__`` (``file``)
    re-exports its names under ``if TYPE_CHECKING:`` as ``from .module import name as name``."""
    with open(file, encoding="utf-8") as source:
        tree = ast.parse(source.read(), file)
    where = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        for alias in node.names
    }
    return (*lazy_names(package, where), sorted(where))
