"""The project's error types, each with the exit code of SPEC §6.

A message says what was required and what arrived; a hint says how to fix it.
`jaccli._cli.main` turns every `JaccliError` into one stderr line and its exit code.
"""

from __future__ import annotations


class JaccliError(Exception):
    """Base class: a failure with a message, an optional hint and an exit code."""

    exit_code: int = 2
    kind: str = "error"

    def __init_subclass__(cls, *, kind: str | None = None, exit_code: int | None = None) -> None:
        # A subclass declares its JSON ``type`` (and, for a new family, its exit code) in its
        # class line; what it leaves out it inherits from its family.
        super().__init_subclass__()
        if kind is not None:
            cls.kind = kind
        if exit_code is not None:
            cls.exit_code = exit_code

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(JaccliError, kind="usage", exit_code=2):
    """A bad option, unreadable file, parse error or shape mismatch (exit 2)."""


class ParseError(UsageError, kind="parse"):
    """Text that could not be parsed; keeps the source and the column of the bad part."""

    def __init__(
        self,
        message: str,
        source: str | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.source = source
        self.column = column


class UnsafeExpressionError(ParseError, kind="unsafe_expression"):
    """An expression that uses anything outside the whitelist (exit 2)."""


class ShapeError(UsageError, kind="shape"):
    """A point or vector whose shape does not fit the function (exit 2)."""


class MissingExtraError(UsageError, kind="missing_extra"):
    """An optional dependency is not installed (exit 2)."""


class FunctionError(JaccliError, kind="function", exit_code=3):
    """The user's function failed: raised, not traceable, or returned a non-numeric value (exit 3)."""


class ResourceError(JaccliError, kind="resource", exit_code=4):
    """A resource limit: the size guard, --timeout, out of memory (exit 4)."""


class NotCleanError(JaccliError, kind="not_clean", exit_code=1):
    """Computed, but not clean: a failed check or non-finite entries (exit 1)."""


class DistributedError(ResourceError, kind="distributed"):
    """A distributed run lost a process or could not bring its processes together (exit 4)."""


class InternalError(JaccliError, kind="internal", exit_code=70):
    """A bug in jaccli's own code (exit 70): never reported as the user's function failing."""


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, or a note where that fails: the text of a user's exception runs the user's
    code, which may fail too.

    >>> class Odd(Exception):
    ...     def __str__(self):
    ...         raise RuntimeError
    >>> exception_text(Odd())
    "(the Odd's message could not be shown: its __str__ failed)"
    """
    try:
        return str(exc)
    except Exception:
        return f"(the {type(exc).__name__}'s message could not be shown: its __str__ failed)"
