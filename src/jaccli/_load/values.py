"""Read point files (`@x.npy` and friends) into values.

Files are opened without blocking and checked to be regular files before anything is read,
so a FIFO or a device named by mistake gives an error instead of a hang.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JaccliError, ParseError, ResourceError, UsageError
from .arrays import MAX_DEPTH, Value, parse_value, unique_pairs

MAX_FILE_BYTES = 2 * 1024**3
SUPPORTED_SUFFIXES = (".npy", ".npz", ".json", ".csv", ".txt")

_REAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_UREAL = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_REAL_CELL = re.compile(_REAL, re.ASCII)
_COMPLEX_CELL = re.compile(rf"(?P<re>{_REAL})?(?P<im>[+-]?{_UREAL})[jJ]", re.ASCII)
NON_FINITE_CELL = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_BRACKET = re.compile(r"[\[\]{}]")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
# An .npz member names an argument or a dotted path into one (params.w): never a path with
# directories (../../evil.npy), an empty or hidden name, or control characters.
_MEMBER = re.compile(r"[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*")


def _problem(path: str, reason: str, option: str, hint: str | None = None) -> UsageError:
    return UsageError(f"cannot read {option} file {path!r}: {reason}", hint=hint)


def open_regular(path: str, option: str) -> tuple[io.BufferedReader, int]:
    """Open a regular file for reading without blocking; return it and its size."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; we refuse it just below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _problem(path, exc.strerror or str(exc), option) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _problem(path, "it is a directory", option)
        if not stat.S_ISREG(info.st_mode):
            raise _problem(path, "it is not a regular file (a FIFO, socket or device)", option)
        if info.st_size > MAX_FILE_BYTES:
            raise ResourceError(
                f"{option} file {path!r} is {info.st_size:,} bytes; the limit is "
                f"{MAX_FILE_BYTES:,}",
                hint="a point this large will not fit a Jacobian; use jvp/vjp on a smaller input",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str, option: str) -> str:
    """A regular file's text, decoded as UTF-8 (a leading BOM dropped); binary files refused."""
    handle, _ = open_regular(path, option)
    with handle:
        try:
            raw = handle.read()
        except OSError as exc:
            raise _problem(path, exc.strerror or str(exc), option) from None
    if b"\x00" in raw:
        raise _problem(path, "it is a binary file, not text", option)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(path, f"it is not UTF-8 text (byte {exc.start})", option) from None


@dataclass(frozen=True)
class SizeLimit:
    """The most bytes a point file may hold once read (as float64 or complex128), and the
    option that sets it (``--max-bytes`` on the command line)."""

    bytes: int = MAX_FILE_BYTES
    label: str | None = None

    def check(self, size: int, path: str, option: str) -> None:
        """Refuse a file whose arrays would take ``size`` bytes once read."""
        if size > self.bytes:
            raise ResourceError(
                f"{option} file {path!r} would take {size:,} bytes once read; the limit"
                + (f" ({self.label})" if self.label else "")
                + f" is {self.bytes:,}",
                hint="a smaller point" + (f", or raise {self.label}" if self.label else ""),
            )


DEFAULT_LIMIT = SizeLimit()


def _read_size(stream: io.RawIOBase | io.BufferedIOBase) -> tuple[int, int] | None:
    """The data size an .npy header declares (shape × item size), and the size of the array
    once read (as float64 or complex128), both from the header alone.

    None when the dtype holds Python objects (``np.load`` refuses those anyway). Leaves the
    stream just after the header.
    """
    fmt = np.lib.format
    version = fmt.read_magic(stream)
    # Version 3 has version 2's layout with a UTF-8 header; a numeric header is ASCII, which
    # reads the same as the Latin-1 version 2 expects.
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = read_header(stream)
    if dtype.hasobject:
        return None
    entries = math.prod(shape)
    return entries * dtype.itemsize, entries * (16 if dtype.kind == "c" else 8)


def _check_declared_size(stream: Any, available: int, path: str, option: str) -> int:
    """Refuse an .npy header that promises more data than the file holds, before NumPy
    allocates room for it: a 100-byte file can declare a shape of 10¹⁵ entries. Returns the
    bytes the array will take once read."""
    start = stream.tell()
    sizes = _read_size(stream)
    if sizes is None:
        return 0
    declared, read = sizes
    if declared > available - (stream.tell() - start):
        raise _problem(
            path,
            f"its header declares {declared:,} bytes of data but the file holds "
            f"{max(0, available - (stream.tell() - start)):,}",
            option,
        )
    return read


def load_numpy(path: str, option: str, expect_npz: bool, limit: SizeLimit = DEFAULT_LIMIT) -> Value:
    """An .npy array, or an .npz archive as named values; never unpickles, and checks from the
    headers, before reading the data, that the arrays fit the file and ``limit``."""
    handle, size = open_regular(path, option)
    where = f"{option} file {path!r}"
    with handle:
        magic = handle.read(6)
        handle.seek(0)
        if magic != b"\x93NUMPY" and not magic.startswith(b"PK"):
            kind = ".npy file" if not expect_npz else ".npz archive"
            raise _problem(path, f"it is not a NumPy {kind}", option)
        try:
            with warnings.catch_warnings():
                # A Python 2 header (`(2L,)`) reads fine; NumPy's advice to save the file again
                # would print two lines of source on stderr.
                warnings.filterwarnings("ignore", "Reading `.npy`", UserWarning)
                if magic == b"\x93NUMPY":
                    limit.check(_check_declared_size(handle, size, path, option), path, option)
                    handle.seek(0)
                loaded = np.load(handle, allow_pickle=False)
                if isinstance(loaded, np.lib.npyio.NpzFile):
                    with loaded:
                        if not expect_npz:
                            raise _problem(path, "it is an .npz archive; name it .npz", option)
                        arrays = _npz_arrays(loaded, path, option, limit)
                    return {name: parse_value(a, f"{where} ({name})") for name, a in arrays.items()}
        except JaccliError:
            raise
        except MemoryError:
            raise ResourceError(f"{where} does not fit in memory") from None
        except Exception as exc:
            # The file is untrusted data decoded by NumPy and zipfile, which report malformed
            # input with a zoo of types (ValueError, EOFError, BadZipFile, zlib.error,
            # tokenize.TokenError, SyntaxError, ...); each means the file is not a valid array.
            reason = str(exc).split("\n")[0] or type(exc).__name__
            if "pickle" in reason:
                reason = "it holds pickled Python objects, which are never loaded"
            raise _problem(path, reason, option) from None
        if expect_npz:
            raise _problem(path, "it is not an .npz archive", option)
        return parse_value(loaded, where)


def _npz_arrays(loaded: Any, path: str, option: str, limit: SizeLimit) -> dict[str, np.ndarray]:
    """The arrays of an open .npz archive: member names checked to be plain names, and the
    sizes from each member's header checked against its real size and, together, ``limit``."""
    members = loaded.zip.infolist()
    for info in members:
        name = info.filename.removesuffix(".npy")
        if not _MEMBER.fullmatch(name) or ".." in name:
            raise _problem(
                path,
                f"it holds a member named {info.filename!r}, which is a path, not a name; "
                "members are named after arguments (x.npy, W.npy)",
                option,
            )
    total = sum(info.file_size for info in members)
    if total > MAX_FILE_BYTES:
        raise ResourceError(
            f"{option} file {path!r} unpacks to {total:,} bytes; the limit is {MAX_FILE_BYTES:,}"
        )
    read = 0
    for info in members:
        if info.filename.endswith(".npy"):
            with loaded.zip.open(info) as member:
                read += _check_declared_size(member, info.file_size, path, option)
    limit.check(read, path, option)
    return {name: loaded[name] for name in loaded.files}


def _load_json(path: str, option: str) -> Value:
    text = read_text(path, option)
    where = f"{option} file {path!r}"

    def non_finite(word: str) -> None:
        raise UsageError(
            f"non-finite value {word} in {where}",
            hint="points must be finite numbers; replace NaN/Infinity entries",
        )

    depth = deepest = 0
    # Strings may hold brackets; over-counting only makes the guard stricter than needed.
    for bracket in _BRACKET.finditer(text):
        if bracket[0] in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    if deepest > MAX_DEPTH:
        raise _problem(path, f"it is nested deeper than {MAX_DEPTH} levels", option)
    try:
        decoded = json.loads(text, parse_constant=non_finite, object_pairs_hook=unique_pairs)
    except json.JSONDecodeError as exc:
        raise _problem(
            path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", option
        ) from None
    except (ValueError, RecursionError) as exc:
        raise _problem(path, f"invalid JSON: {exc}", option) from None
    except ParseError as exc:
        raise _problem(path, exc.message, option) from None
    return parse_value(decoded, where)


def parse_cell(text: str, where: str) -> float | complex:
    """One cell of a CSV or text table: a finite real or complex number.

    >>> parse_cell(" 3+4j ", "pts.csv")
    (3+4j)
    """
    cell = text.strip()
    if not cell:
        raise ParseError(f"empty cell in {where}")
    if _REAL_CELL.fullmatch(cell):
        number: float | complex = float(cell)
    elif match := _COMPLEX_CELL.fullmatch(cell):
        number = complex(float(match["re"] or 0.0), float(match["im"]))
    elif NON_FINITE_CELL.fullmatch(cell):
        number = float("nan")
    else:
        raise ParseError(f"{cell[:40]!r} is not a number in {where}")
    if not np.isfinite(number):
        raise UsageError(
            f"non-finite value {cell[:40]} in {where}",
            hint="points must be finite numbers; replace nan/inf entries",
        )
    return number


def _load_table(path: str, option: str, delimiter: str | None) -> Value:
    text = read_text(path, option)
    where = f"{option} file {path!r}"
    if delimiter is None:
        rows = [line.split() for line in text.splitlines()]
    else:
        try:
            # newline="" is how the csv module wants its input: it handles \r and \r\n itself.
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:  # e.g. a cell beyond the csv module's 128 KiB field limit
            raise _problem(path, f"it is not valid CSV: {exc}", option) from None
    numbered = [
        (i, row)
        for i, row in enumerate(rows, start=1)
        if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not numbered:
        raise _problem(path, "it holds no numbers", option)
    header = None
    first = [c.strip() for c in numbered[0][1]]
    if all(_IDENTIFIER.fullmatch(c) and not NON_FINITE_CELL.fullmatch(c) for c in first):
        header = first
        numbered = numbered[1:]
        if len(set(header)) != len(header):
            raise _problem(path, "its header row repeats a name", option)
    table = []
    for line, row in numbered:
        table.append(
            [parse_cell(c, f"{where}, line {line}, column {j}") for j, c in enumerate(row, 1)]
        )
        if len(table[-1]) != len(table[0]):
            raise UsageError(
                f"{where}: line {line} has {len(table[-1])} values but the first row has "
                f"{len(table[0])}",
                hint="every row must have the same number of values",
            )
    if header is not None:
        if len(table) != 1 or len(table[0]) != len(header):
            found = f"{len(table)} rows" if len(table) != 1 else f"{len(table[0])} values"
            raise _problem(
                path,
                f"a header row of names needs exactly one data row of {len(header)} values; "
                f"found {found}",
                option,
                hint="one point per file: a header line 'x,y' and a data line '2,1'",
            )
        return {name: parse_value(v, where) for name, v in zip(header, table[0], strict=True)}
    return parse_value(table[0] if len(table) == 1 else table, where)


def read_value_file(path: str, option: str = "at", limit: SizeLimit = DEFAULT_LIMIT) -> Value:
    """Read one value from a file named by `@path`.

    Args:
        path: the file; its suffix picks the format (`.npy .npz .json .csv .txt`).
        option: the option's name, for messages (``--at`` on the command line, ``at`` in Python).
        limit: the most bytes an `.npy`/`.npz` file may take once read, checked from its
            headers before the data is read.

    Returns:
        An ndarray (float64 or complex128), or a dict of values for named data: an `.npz`
        archive, a JSON object, or a CSV/TXT file with a header row of names and one data row.
        Raises UsageError for a missing, unreadable or malformed file, ResourceError above 2 GiB.

    >>> read_value_file("missing.npy", "--at")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot read --at file 'missing.npy': No such file or directory
    """
    path = os.path.expanduser(os.fspath(path))
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UsageError(
            f"{option} file {path!r} has an unknown suffix {suffix or '(none)'!r}",
            hint=f"supported files: {', '.join(SUPPORTED_SUFFIXES)}",
        )
    if suffix in (".npy", ".npz"):
        return load_numpy(path, option, expect_npz=suffix == ".npz", limit=limit)
    if suffix == ".json":
        return _load_json(path, option)
    try:
        return _load_table(path, option, "," if suffix == ".csv" else None)
    except ParseError as exc:
        raise _problem(path, exc.message, option) from None
