"""Where in the user's file a failure happened, for messages that point at the line: the
deepest traceback frame in the file, its source text, and what it calls."""

from __future__ import annotations

import ast
import builtins
import contextlib
import linecache
import os
import traceback
import types
from dataclasses import dataclass

from .. import _runtime as runtime


def user_location(exc: BaseException, path: str | None) -> str:
    """Return ' (file.py, line N)' for the deepest traceback frame in the user's file, or ''."""
    if not path:
        return ""
    target = os.path.abspath(path)
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == target:
            found = f" ({runtime.shown_path(target)}, line {frame.lineno})"
    return found


@dataclass(frozen=True)
class UserFrame:
    """Where in the user's file a failure happened, as source text, for error messages.

    Attributes:
        file: the file, relative to the working directory when it is inside it.
        lineno: the line number.
        line: the source line, stripped.
        segment: the expression that was running when it failed (``np.random.normal(x)``, or
            ``x[0]`` for ``x[0] = 1.0``); the line when Python does not record it.
        statement: the whole statement at that line, on one line; for ``if``, ``for`` and other
            compound statements, the line.
        callee: what ``segment`` calls, when it is a call of a name: its import path through the
            file's imports (``numpy.random.normal``, ``scipy.special.gamma``), a builtin's name
            (``float``), or the name as written (``x.tolist``).
    """

    file: str
    lineno: int
    line: str
    segment: str
    statement: str
    callee: str | None = None

    @property
    def location(self) -> str:
        """``file.py, line N``."""
        return f"{self.file}, line {self.lineno}"


def user_frame(exc: BaseException, path: str | None) -> UserFrame | None:
    """The deepest traceback frame of ``exc`` in the user's file ``path``, as a `UserFrame`."""
    if not path:
        return None
    target = os.path.abspath(path)
    found = None
    tb = exc.__traceback__
    for (frame, _), summary in zip(traceback.walk_tb(tb), traceback.extract_tb(tb), strict=False):
        if os.path.abspath(summary.filename) == target:
            found = frame, summary
    if found is None or found[1].lineno is None:
        return None
    frame, summary = found
    lines = linecache.getlines(target)
    lineno = summary.lineno
    line = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    segment = _position_text(lines, summary) or line
    tree = None
    with contextlib.suppress(SyntaxError, ValueError):
        tree = ast.parse("".join(lines))
    statement = _statement_text(tree, "".join(lines), lineno, summary.colno) or line
    return UserFrame(
        file=runtime.shown_path(target),
        lineno=lineno,
        line=line,
        segment=segment,
        statement=statement,
        callee=_callee(segment, tree, frame),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _position_text(lines: list[str], summary: traceback.FrameSummary) -> str | None:
    """The source of the expression a frame was running, from its recorded positions."""
    first, last = summary.lineno, summary.end_lineno
    start, end = summary.colno, summary.end_colno
    if first is None or last is None or start is None or end is None or last > len(lines):
        return None
    # Positions count UTF-8 bytes, not characters.
    chunk = [line.encode() for line in lines[first - 1 : last]]
    chunk[-1] = chunk[-1][:end]
    chunk[0] = chunk[0][start:]
    return _one_line(b" ".join(chunk).decode("utf-8", "replace")) or None


def _statement_text(
    tree: ast.Module | None, source: str, lineno: int, colno: int | None
) -> str | None:
    """The innermost simple statement at ``lineno`` (and column ``colno``), on one line."""
    if tree is None:
        return None
    found = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or not node.lineno <= lineno <= (node.end_lineno or 0):
            continue
        start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset or 0)
        if colno is None or start <= (lineno, colno) <= end:
            # Statements nest, and ast.walk visits outer ones first: the last found is innermost.
            found = node
    if found is None or hasattr(found, "body"):
        return None
    text = ast.get_source_segment(source, found)
    return _one_line(text) if text else None


def _callee(segment: str, tree: ast.Module | None, frame: types.FrameType) -> str | None:
    """The import path of the function a call expression calls, as far as it can be told."""
    try:
        node = ast.parse(segment, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    parts = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    root, rest = func.id, parts[::-1]
    imported = _imports(tree).get(root)
    if imported is not None:
        return ".".join([imported, *rest])
    shadowed = root in frame.f_locals or root in frame.f_globals
    if not rest and not shadowed and hasattr(builtins, root):
        return root
    return ".".join([root, *rest])


def _imports(tree: ast.Module | None) -> dict[str, str]:
    """Names bound by the file's imports, to what they import: ``{"np": "numpy"}``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names
