"""Files the project wrote earlier and reads back, that someone else may have touched since.

The lecture keeps its sample scores, the record of what its media were drawn from and its
explorer data between runs, and the sample classifier is cached for every lecture. A pipe in
place of one of them would block its reader for ever, a link to /dev/zero would fill the memory,
an edit could leave JSON of another shape that fails far from where it was read. So each is read
by `read_kept`: through `atomic.read_small_bytes` (a regular file of a size it can have), then a
small typed parser that raises on the wrong shape. What fails either check counts as missing and
is made again, with one line saying so. A folder where one of them (or any output) is written
cannot be replaced by a file, and may be the user's: `refuse_folders_in_the_way` says so in one
line before any work starts.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from atomic import read_small_bytes
from errors import ProjectError, printable

T = TypeVar("T")
# What a parser raises for data of the wrong shape (json's errors are ValueErrors).
SHAPE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)


def read_kept(path: Path, limit: int, what: str, parse: Callable[[bytes], T], again: str, echo: Callable[[str], None]) -> T | None:
    """`parse` of the bytes kept at `path`; None when there is nothing there, or (saying so in one
    line that ends with `again`) when what is there is not a regular file of at most `limit` bytes,
    or not of the shape `parse` accepts."""
    if not os.path.lexists(path):
        return None
    try:
        return parse(read_small_bytes(path, limit, what))
    except ProjectError as exc:
        echo(f"{printable(str(exc))}; {again}")
    except SHAPE_ERRORS as exc:
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        echo(f"{printable(str(path))}: not the {what} this program keeps ({printable(reason)}); {again}")
    return None


def json_object(data: bytes) -> dict:
    """The JSON object `data` holds (UTF-8); ValueError for anything else."""
    value = json.loads(data.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value


def number(value, low: float = -math.inf, high: float = math.inf) -> float:
    """`value` when it is a finite number (not a bool) within [low, high]; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{value!r} is not a number in [{low}, {high}]")
    return float(value)


def whole(value, low: int = 0, high: int = 2**63 - 1) -> int:
    """`value` when it is a whole number (not a bool) within [low, high]; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{value!r} is not a whole number in [{low}, {high}]")
    return value


def texts(value) -> list[str]:
    """`value` when it is a list of strings; ValueError otherwise."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{value!r} is not a list of names")
    return value


def refuse_folders_in_the_way(files: Iterable[Path], folders: Iterable[Path], writer: str) -> None:
    """One line, before any work starts, when a file `writer` writes has a folder in its place (a
    file cannot replace it, and it may be the user's), when a folder it keeps files in is a file, or
    when a file's folder cannot be made or written."""
    for folder in folders:
        if os.path.lexists(folder) and not folder.is_dir():
            raise ProjectError(f"{folder} is not a folder, and {writer} keeps files in it; move it away or choose another --out")
    for path in files:
        if path.is_dir() and not path.is_symlink():  # a link is replaced, never followed
            raise ProjectError(f"{path} is a folder, where {writer} writes a file; move it away or choose another --out")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise ProjectError(f"{path} cannot be written by {writer}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ProjectError(f"{path} cannot be written by {writer}: {parent} is not writable")
