"""The project's error types, each with the exit code of SPEC §6.

A message says what was required and what arrived; a hint says how to fix it.
`jaccli._cli.main` turns every `JaccliError` into one stderr line and its exit code.
"""

from __future__ import annotations


class JaccliError(Exception):
    """Base class: a failure with a message, an optional hint and an exit code."""

    exit_code: int = 2
    kind: str = "error"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(JaccliError):
    """A bad option, unreadable file, parse error or shape mismatch (exit 2)."""

    exit_code = 2
    kind = "usage"


class ParseError(UsageError):
    """Text that could not be parsed; keeps the source and the column of the bad part."""

    kind = "parse"

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


class UnsafeExpressionError(ParseError):
    """An expression that uses anything outside the whitelist (exit 2)."""

    kind = "unsafe_expression"


class ShapeError(UsageError):
    """A point or vector whose shape does not fit the function (exit 2)."""

    kind = "shape"


class MissingExtraError(UsageError):
    """An optional dependency is not installed (exit 2)."""

    kind = "missing_extra"


class FunctionError(JaccliError):
    """The user's function failed: raised, not traceable, or returned a non-numeric value (exit 3)."""

    exit_code = 3
    kind = "function"


class ResourceError(JaccliError):
    """A resource limit: the size guard, --timeout, out of memory (exit 4)."""

    exit_code = 4
    kind = "resource"


class NotCleanError(JaccliError):
    """Computed, but not clean: a failed check or non-finite entries (exit 1)."""

    exit_code = 1
    kind = "not_clean"


class DistributedError(ResourceError):
    """A distributed run lost a process or could not bring its processes together (exit 4)."""

    kind = "distributed"


class InternalError(JaccliError):
    """A bug in jaccli's own code (exit 70): never reported as the user's function failing."""

    exit_code = 70
    kind = "internal"
