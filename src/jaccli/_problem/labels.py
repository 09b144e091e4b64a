"""How messages name the user's options: ``--max-bytes`` on the command line, ``max_bytes`` in
Python. The layers below the command line never spell a flag; they ask the labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labels:
    """Names for options in messages, in the caller's language.

    >>> PYTHON("max_bytes"), COMMAND_LINE("max_bytes")
    ('max_bytes', '--max-bytes')
    """

    command_line: bool = False

    def __call__(self, name: str) -> str:
        return "--" + name.replace("_", "-") if self.command_line else name


PYTHON = Labels()
COMMAND_LINE = Labels(command_line=True)
