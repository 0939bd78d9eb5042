"""The one error type users see.

Anything the user can fix (a bad option, a missing file, a corrupt download) is raised as
`ProjectError`; `cli.py` prints its message as a single line and exits non-zero. Every other
exception is a bug and keeps its traceback.
"""


from pathlib import Path


class ProjectError(Exception):
    """A problem with the user's input or environment, explained in one line."""


def make_folder(path: Path, what: str, hint: str = "") -> None:
    """`mkdir -p path`; a path that cannot become a folder (under a file, read-only, in /proc) is the
    user's to fix, so it is a `ProjectError` naming `what` the folder was for."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create the {what} {path}: {exc.strerror}{hint}") from None
