"""Whole files appear under their name complete, or not at all.

Every writer of a whole file (a new run file, checkpoints, IDX files, figures, videos and their
posters, JSON) goes through `atomic_paths`: it writes under a temporary name in the final folder
(so the rename is atomic) that no other process or call shares (two renders to one `--out` once
wrote the same temporary file and published a broken video), flushes it to disk, and renames it.
Any exception removes the temporary files instead: Ctrl-C, and SIGTERM too once `sigterm_raises`
has made it an exception; a full disk becomes one line saying so. A process killed outright (SIGKILL, power loss) leaves its temporary
files behind; the next write into that folder removes those of processes that no longer exist.
The run file's per-epoch appends have a crash-safe scheme of their own (`train.runfile.EpochAppender`).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from errors import ProjectError

LOW_SPACE = 1 << 20  # bytes: a write that failed with less free than this most likely filled the disk
# .<stem>.<pid>-<token>.partial<suffix>: the suffix stays last, since ffmpeg and Pillow choose the
# format by it; the pid tells whether the writer still exists.
_TEMPORARY = re.compile(r"\..*\.(\d+)-[0-9a-f]{8}\.partial(\..*)?")


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that cleanup runs as it does for Ctrl-C."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def sigterm_raises() -> None:
    """Make SIGTERM raise `Terminated` (the CLI calls this once at start-up)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


@contextmanager
def signals_at_safe_points() -> Iterator[Callable[[], None]]:
    """Hold Ctrl-C (and SIGTERM, where `sigterm_raises` made it an exception) until the caller is
    at a point where stopping is clean, and yield the check that raises it there.

    An exception raised at an arbitrary instruction can land in a callback that swallows it (a
    garbage-collection callback inside matplotlib, say), leaving a half-updated object behind and
    turning Ctrl-C into an unrelated error. A second Ctrl-C is not held. Outside the main thread
    signals cannot be caught, and nothing changes.
    """
    pending: list[int] = []
    watched = [signal.SIGINT] + ([signal.SIGTERM] if signal.getsignal(signal.SIGTERM) is _raise_terminated else [])

    def hold(signum, frame) -> None:
        if signum == signal.SIGINT and signal.SIGINT in pending:
            raise KeyboardInterrupt
        pending.append(signum)

    def check() -> None:
        if pending:
            raise KeyboardInterrupt if pending[0] == signal.SIGINT else Terminated()

    try:
        previous = {signum: signal.signal(signum, hold) for signum in watched}
    except ValueError:  # not the main thread
        yield lambda: None
        return
    try:
        yield check
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        check()  # one that came after the last check


MAX_NAME_BYTES = 255


def fitting(stem: str, extra_bytes: int) -> str:
    """`stem` cut so that a name made of it and `extra_bytes` more stays within a file name's 255 bytes
    (a valid long name must not fail because of what a temporary or lock name adds to it)."""
    room = MAX_NAME_BYTES - extra_bytes
    encoded = stem.encode("utf-8", "surrogateescape")
    return stem if len(encoded) <= room else encoded[:max(room, 1)].decode("utf-8", "ignore")


def temporary_name(final: Path) -> Path:
    """A name beside `final` that is this process's and this call's alone."""
    tail = f".{os.getpid()}-{secrets.token_hex(4)}.partial{final.suffix}"
    return final.with_name(f".{fitting(final.stem, 1 + len(tail.encode('utf-8', 'surrogateescape')))}{tail}")


@contextmanager
def open_regular(path: Path, what: str) -> Iterator[BinaryIO]:
    """`path` opened for reading when it is a regular file (links followed), else one line naming
    `what`: a pipe in its place would block the open and every read for ever, a device (/dev/zero)
    never ends, a folder is no file. The file is opened without waiting and checked as opened, so a
    pipe swapped in after the first look cannot block either."""
    import stat

    def not_a_file() -> ProjectError:
        return ProjectError(f"{path}: not a {what} (a folder, pipe or device, not a file)")

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: opening some devices does something
            raise not_a_file()
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    handle = os.fdopen(descriptor, "rb")
    with handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise not_a_file()
        yield handle


def read_small_bytes(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path` when it is a regular file of at most `limit` bytes (`open_regular`), read
    without filling the memory: a file larger than it says is cut at `limit` + 1 bytes and refused."""
    with open_regular(path, what) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise ProjectError(f"{path}: {size:,} bytes, more than a {what} holds ({limit:,} at most)")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise ProjectError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    if len(data) > limit:  # it grew while read
        raise ProjectError(f"{path}: more than a {what} holds ({limit:,} bytes at most)")
    return data


def read_small_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of `path` when it is a regular file of at most `limit` bytes (`read_small_bytes`)."""
    try:
        return read_small_bytes(path, limit, what).decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not a {what} (not UTF-8 text)") from None


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_directory(path: Path) -> None:
    """Make a rename in `path` durable (a no-op where directories cannot be opened)."""
    try:
        directory = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def is_temporary(name: str) -> bool:
    """Whether `name` is one of `temporary_name`'s."""
    return _TEMPORARY.fullmatch(name) is not None


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but is another user's
        return True
    return True


def remove_stale_temporaries(folder: Path) -> None:
    """Delete temporary files in `folder` whose writing process no longer exists."""
    try:
        candidates = list(folder.glob(".*.partial*"))
    except OSError:
        return
    for path in candidates:
        match = _TEMPORARY.fullmatch(path.name)
        if match and int(match.group(1)) != os.getpid() and not process_exists(int(match.group(1))):
            path.unlink(missing_ok=True)


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


def disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether `exc` came from a full disk (or quota). torch and HDF5 do not always say so in
    their errors, so a folder left with almost no free space after the failure counts too."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc):
        return True
    try:
        return shutil.disk_usage(folder).free < LOW_SPACE
    except OSError:
        return False


def disk_full_error(folder: Path, what: str) -> ProjectError:
    return ProjectError(f"the disk holding {folder} is full: {what} could not be written, and nothing half-written was kept; "
                        "free some space and run the command again")


def ensure_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse a write of about `needed` bytes before it starts, where the disk cannot take it:
    cheaper than failing half-way, and some writers (HDF5) do not fail cleanly."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed:
        raise ProjectError(f"the disk holding {folder} is full: {what} needs about {_mib(needed)}, {_mib(free)} are free; "
                           "free some space and run the command again")


@dataclass(frozen=True)
class Written:
    """A file just published, and whether it replaced one of the same name (users re-render on
    purpose, but should hear that an earlier file is gone)."""

    path: Path
    replaced: bool


@contextmanager
def atomic_paths(*finals: Path | str) -> Iterator[list[Path]]:
    """Temporary paths to write `finals` under; on success all are synced and renamed together.

    The writer must create every temporary file. On any exception none of them is published
    and all are removed.
    """
    finals_ = [Path(final) for final in finals]
    temporaries = [temporary_name(final) for final in finals_]
    for folder in {final.parent for final in finals_}:
        remove_stale_temporaries(folder)
    try:
        yield temporaries
        for temporary in temporaries:
            fsync_file(temporary)
        for temporary, final in zip(temporaries, finals_):
            os.replace(temporary, final)
        for folder in {final.parent for final in finals_}:
            fsync_directory(folder)
    except Exception as exc:
        full = not isinstance(exc, ProjectError) and disk_full(exc, finals_[0].parent)  # before the temporaries free their space
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        if full:
            raise disk_full_error(finals_[0].parent, finals_[0].name) from exc
        raise
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)  # gone already after a rename


@contextmanager
def atomic_path(final: Path | str) -> Iterator[Path]:
    """`atomic_paths` for one file."""
    with atomic_paths(final) as (temporary,):
        yield temporary


def write_text_atomically(path: Path | str, text: str) -> Written:
    """`text` as the whole of `path` (UTF-8), through `atomic_path`; whether it replaced a file."""
    path = Path(path)
    replaced = path.exists()
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Written(path, replaced)


@contextmanager
def atomic_folder(final: Path | str) -> Iterator[Path]:
    """A folder to fill under a temporary name beside `final`; on success it replaces `final` whole
    (the old one renamed aside, then removed), on any exception it is removed and `final` stays."""
    final = Path(final)
    _remove_stale_folders(final)
    short = fitting(final.name, 40)  # room for the pid, token and suffix
    staging = final.with_name(f".{short}.{os.getpid()}-{secrets.token_hex(4)}.building")
    staging.mkdir(parents=True)
    try:
        yield staging
        retired = final.with_name(f".{short}.{os.getpid()}-{secrets.token_hex(4)}.retired")
        with updating(final.parent):  # two swaps into one folder at once: each whole, one after the other
            if final.exists():
                os.rename(final, retired)
            os.rename(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
        fsync_directory(final.parent)
    except Exception as exc:
        full = not isinstance(exc, ProjectError) and disk_full(exc, final.parent)
        shutil.rmtree(staging, ignore_errors=True)  # before the message: the space it held is free again
        if full:
            raise disk_full_error(final.parent, final.name) from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_stale_folders(final: Path) -> None:
    """Staging and retired folders beside `final` left by a process that was killed (SIGKILL, power
    loss) while it built or swapped them."""
    short = fitting(final.name, 40)
    pattern = re.compile(rf"\.{re.escape(short)}\.(\d+)-[0-9a-f]{{8}}\.(building|retired)")
    try:
        candidates = list(final.parent.glob(f".{glob_escape(short)}.*"))
    except OSError:
        return
    for path in candidates:
        match = pattern.fullmatch(path.name)
        if match and int(match.group(1)) != os.getpid() and not process_exists(int(match.group(1))):
            if match.group(2) == "retired" and not final.exists() and not final.is_symlink():
                os.rename(path, final)  # killed between its two renames: the earlier folder comes back
            elif path.is_symlink():
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)


def glob_escape(name: str) -> str:
    """`name` with glob's special characters taken literally."""
    import glob

    return glob.escape(name)


@contextmanager
def updating(folder: Path | str, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `folder` itself (waiting for it) while a shared file in it is read,
    changed and written back: two processes that each read, add their part and write would
    otherwise keep only the last one's part. Locking the folder leaves no lock file behind; the lock
    goes with the process, however it ends. `waiting` is called once, before waiting, when another
    process holds the lock (a long wait should not look like a hang)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise ProjectError(f"cannot lock {folder}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (fcntl.LOCK_NB if waiting else 0))
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock
