"""The one error type users see, and the rules for what text from files may reach them.

Anything the user can fix (a bad option, a missing file, a corrupt download) is raised as
`ProjectError`; `cli.py` prints its message as a single line and exits non-zero. Every other
exception is a bug and keeps its traceback.
"""

import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 255  # a single path component on every file system we know
MAX_PATH_BYTES = 4095  # a whole path, as Linux takes it (PATH_MAX less its terminating zero)


class ProjectError(Exception):
    """A problem with the user's input or environment, explained in one line."""


def make_folder(path: Path, what: str, hint: str = "") -> None:
    """`mkdir -p path`; a path that cannot become a folder (under a file, read-only, in /proc) is the
    user's to fix, so it is a `ProjectError` naming `what` the folder was for."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create the {what} {path}: {exc.strerror}{hint}") from None


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# C0 and C1 controls but newline, DEL, and the format characters that reorder or hide text (bidi
# overrides and isolates, zero-width ones): a crafted run file or folder name could otherwise clear
# the screen, write the clipboard (OSC 52), or make one name look like another.
_UNPRINTABLE = re.compile("[^\n\x20-\x7e\u00a0-\U0010ffff]|[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def printable(text: str) -> str:
    """`text` with every control or text-reordering character written as an escape (`\\x1b`), so
    that strings read from files reach a terminal as the characters they are."""
    text = str(text)
    escaped = _UNPRINTABLE.sub(_escape, text)
    # Other format characters (category Cf) and unassigned code points are shown as escapes too.
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) > 0x7f and unicodedata.category(ch) in ("Cf", "Cn", "Cs", "Co") else ch
                   for ch in escaped)


def one_line(text: str) -> str:
    """`printable(text)` with its newlines escaped too: what the terminal shows as one line (an error,
    a line naming a file) stays one, whatever names it holds."""
    return printable(text).replace("\n", "\\n")


def check_path(path: Path, option: str, made: bool = False) -> Path:
    """`path`, given to `option`, refused in one line where no file system would take it (a name over
    `MAX_NAME_BYTES` bytes, a path over `MAX_PATH_BYTES`), and, where this program makes it (`made`),
    where a name holds control characters: every path a command is given passes here first."""
    encoded = os.fsencode(path)
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > MAX_NAME_BYTES:
            raise ProjectError(f"{option} {one_line(str(path))[:60]}...: a name of {size} bytes; file systems take at most "
                               f"{MAX_NAME_BYTES} bytes a name")
        if made and ("\n" in part or _UNPRINTABLE.search(part)):
            raise ProjectError(f"{option} {one_line(str(path))}: '{one_line(part)}' holds control characters; choose a name without")
    if len(encoded) > MAX_PATH_BYTES:
        raise ProjectError(f"{option} {one_line(str(path))[:60]}...: a path of {len(encoded):,} bytes; at most {MAX_PATH_BYTES:,}")
    return path


def check_name(name, what: str) -> str:
    """`name` when it is one plain path component (no folder separators, not `.` or `..`, no control
    characters, not empty, not too long): names read from plans, TOML files and options become
    folders, and must not point anywhere else."""
    if not isinstance(name, str):
        raise ProjectError(f"{what} {name!r}: a name is text")
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or one_line(name) != name
            or len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES or name != name.strip()):
        raise ProjectError(f"{what} '{one_line(name)}': a name is one folder name (no '/', not '.' or '..', no control "
                           f"characters, at most {MAX_NAME_BYTES} bytes)")
    return name
