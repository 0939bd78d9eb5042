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


def _open_own_lock(path: Path, run_dir: Path) -> int:
    """The lock file opened for writing, when it is our own: a regular file with one name. The lock
    is emptied and rewritten with our pid, so a link planted in its place (`.run.lock -> thesis.txt`,
    or a hard link to it) would empty the user's file: the open does not follow a link (O_NOFOLLOW),
    and what was opened is checked before anything is written."""
    import stat

    def not_ours() -> ProjectError:
        return ProjectError(f"{path}: not a lock file (a link, folder, pipe or device, or a file with other names); "
                            "remove it and try again")

    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | \
        getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if os.path.islink(path):
            raise not_ours()
        try:
            descriptor = os.open(path, flags, 0o644)
        except FileNotFoundError:  # the first run in a new folder
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, flags, 0o644)
    except ProjectError:
        raise
    except OSError as exc:
        if os.path.islink(path) or os.path.isdir(path):  # ELOOP from O_NOFOLLOW, EISDIR
            raise not_ours() from None
        raise ProjectError(f"cannot create the run directory {run_dir}: {exc.strerror}") from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
        os.close(descriptor)
        raise not_ours()
    return descriptor


@contextmanager
def training_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock, or fail at once with one line naming the process that has it."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, and no lock
        yield
        return
    path = lock_path(run_dir)
    descriptor = _open_own_lock(path, run_dir)
    handle = os.fdopen(descriptor, "r+")
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
