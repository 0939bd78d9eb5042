"""One training process per run folder.

A `train --resume` or `--overwrite` of a run that another process is still training would delete
that run under it, or interleave two processes' epochs in one run's files. So training holds an
exclusive lock for its whole length, on a file beside the run folder (inside, `--overwrite` would
delete it with the folder). The lock goes with the process, however it ends: a killed run can be
resumed at once.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from errors import ProjectError


def lock_path(run_dir: Path) -> Path:
    """Beside the folder itself, links resolved: a run reached through a symlink has the same lock."""
    from atomic import fitting

    real = Path(run_dir).resolve()
    name = real.name if len(real.name.encode("utf-8", "surrogateescape")) <= 200 else \
        f"{fitting(real.name, 70)}-{hashlib.sha1(real.name.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"
    return real.with_name(f".{name}.lock")  # a folder name of 250 bytes is valid; its lock's name must be too


def training_pid(run_dir: Path) -> str | None:
    """The pid of the process training `run_dir` now ("?" if unreadable), or None: no process, or no locks here."""
    from atomic import open_regular

    try:
        import fcntl
    except ImportError:
        return None
    try:
        with open_regular(lock_path(run_dir), "lock file") as handle:  # a pipe in its place would block for ever
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)  # held for an instant: only a trainer starting then would be refused
            except BlockingIOError:
                return handle.read(64).decode("ascii", "replace").strip() or "?"
            return None
    except ProjectError:
        return None


@contextmanager
def training_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock, or fail at once with one line naming the process that has it."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, and no lock
        yield
        return
    path = lock_path(run_dir)
    if os.path.lexists(path) and not path.is_file():  # a pipe would not open as a file, a folder would not lock
        raise ProjectError(f"{path}: not a lock file (a folder, pipe or device, not a file); remove it and try again")
    try:
        try:
            handle = open(path, "a+")
        except FileNotFoundError:  # the first run in a new folder
            path.parent.mkdir(parents=True)
            handle = open(path, "a+")
    except OSError as exc:
        raise ProjectError(f"cannot create the run directory {run_dir}: {exc.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise ProjectError(f"{run_dir} is being trained by another process (pid {handle.read().strip() or '?'}); "
                               "let it finish or stop it first") from None
        try:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        except OSError as exc:
            from atomic import disk_full, disk_full_error

            if disk_full(exc, path.parent):
                raise disk_full_error(path.parent, path.name) from exc
            raise
        finally:
            path.unlink(missing_ok=True)  # still holding the lock, so no other process is inside
