"""The HDF5 run file: the contract between the training and rendering stages.

This module is the single source of truth for dataset names, dtypes and shapes; no other module
spells an HDF5 path. Layout (schema_version 1):

    attrs  schema_version (int), config (JSON: every option, library versions, start time)
    tracked/index   (n,) int64      tracked/label (n,) uint8      tracked/image (n, 28, 28) uint8
    trajectory/mu, trajectory/logvar   (steps, n, d) float32   step 0 = before training
    trajectory/epoch (steps,) int32 (0 for step 0, then 1-based)   trajectory/batch (steps,) int32 (0-based)
    trajectory/loss  (steps, 2) float32   [reconstruction, penalty] per image of that batch (NaN at step 0)
    epochs/train_loss, epochs/test_loss (E, 2) float32   same columns, per image
    epochs/seconds   (E,) float32   wall-clock training time of each epoch (added, not in the brief)
    encodings/mu, encodings/logvar (E, n_test, d) float32   test set at the end of each epoch
    encodings/label  (n_test,) uint8

Crash safety: `run.h5` is never modified in place. Each flush appends to another file, fsyncs it
and renames it over `run.h5`, so `run.h5` is always a complete, closed HDF5 file holding whole
epochs, whatever moment the process is killed at (SIGKILL included). See `EpochAppender` for how
that other file avoids a copy of the whole run per epoch.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np

from errors import ProjectError

SCHEMA_VERSION = 1
RUN_FILE_NAME = "run.h5"

# name -> (dtype, shape after the growing axis, or None for fixed datasets given in full)
TRAJECTORY = {
    "trajectory/mu": np.float32,
    "trajectory/logvar": np.float32,
    "trajectory/epoch": np.int32,
    "trajectory/batch": np.int32,
    "trajectory/loss": np.float32,
}
EPOCHS = {
    "epochs/train_loss": np.float32,
    "epochs/test_loss": np.float32,
    "epochs/seconds": np.float32,
    "encodings/mu": np.float32,
    "encodings/logvar": np.float32,
}


@dataclass
class Steps:
    """Per-step tracking rows, in order: mu/logvar (s, n, d), epoch/batch (s,), loss (s, 2)."""

    mu: np.ndarray
    logvar: np.ndarray
    epoch: np.ndarray
    batch: np.ndarray
    loss: np.ndarray

    def as_datasets(self) -> dict[str, np.ndarray]:
        return {f"trajectory/{name}": value for name, value in self.__dict__.items()}


@dataclass
class EpochResult:
    """What one finished epoch adds: its steps plus epoch-level metrics and test encodings."""

    steps: Steps
    train_loss: np.ndarray  # (2,)
    test_loss: np.ndarray  # (2,)
    seconds: float
    test_mu: np.ndarray  # (n_test, d)
    test_logvar: np.ndarray  # (n_test, d)

    def as_rows(self) -> dict[str, np.ndarray]:
        return {
            **self.steps.as_datasets(),
            "epochs/train_loss": self.train_loss[None],
            "epochs/test_loss": self.test_loss[None],
            "epochs/seconds": np.asarray([self.seconds]),
            "encodings/mu": self.test_mu[None],
            "encodings/logvar": self.test_logvar[None],
        }


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _fsync_replace(tmp: Path, final: Path) -> None:
    _fsync(tmp)
    os.replace(tmp, final)
    _fsync_directory(final.parent)


@contextmanager
def _rewrite(path: Path) -> Iterator[h5py.File]:
    """Open a copy of `path` for writing; on success it atomically replaces `path`."""
    tmp = path.with_name(path.name + ".partial")
    shutil.copyfile(path, tmp)
    try:
        with h5py.File(tmp, "a") as handle:
            yield handle
        _fsync_replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def create(path: Path, config_json: str, tracked_index: np.ndarray, tracked_label: np.ndarray,
           tracked_image: np.ndarray, test_label: np.ndarray, step0_mu: np.ndarray, step0_logvar: np.ndarray) -> None:
    """A new run file holding the tracked digits and step 0 (the untrained encoder)."""
    n, d = step0_mu.shape
    tmp = path.with_name(path.name + ".partial")
    with h5py.File(tmp, "w") as handle:
        handle.attrs["schema_version"] = SCHEMA_VERSION
        handle.attrs["config"] = config_json
        handle["tracked/index"] = tracked_index.astype(np.int64)
        handle["tracked/label"] = tracked_label.astype(np.uint8)
        handle["tracked/image"] = tracked_image.astype(np.uint8)
        handle["encodings/label"] = test_label.astype(np.uint8)
        tail_shapes = {
            "trajectory/mu": (n, d), "trajectory/logvar": (n, d), "trajectory/epoch": (), "trajectory/batch": (),
            "trajectory/loss": (2,), "epochs/train_loss": (2,), "epochs/test_loss": (2,), "epochs/seconds": (),
            "encodings/mu": (len(test_label), d), "encodings/logvar": (len(test_label), d),
        }
        for name, dtype in {**TRAJECTORY, **EPOCHS}.items():
            tail = tail_shapes[name]
            # Chunks of ~1 epoch of steps for trajectories; one epoch per chunk for encodings.
            rows_per_chunk = 1 if name.startswith("encodings/") else max(1, min(1024, (1 << 18) // max(1, int(np.prod(tail)) * 4)))
            handle.create_dataset(name, shape=(0, *tail), maxshape=(None, *tail), dtype=dtype, chunks=(rows_per_chunk, *tail))
        _append(handle, Steps(mu=step0_mu[None], logvar=step0_logvar[None], epoch=np.zeros(1, np.int32),
                              batch=np.zeros(1, np.int32), loss=np.full((1, 2), np.nan, np.float32)).as_datasets())
    _fsync_replace(tmp, path)


def _append(handle: h5py.File, rows: dict[str, np.ndarray]) -> None:
    for name, values in rows.items():
        dataset = handle[name]
        start = dataset.shape[0]
        dataset.resize(start + len(values), axis=0)
        dataset[start:] = np.asarray(values, dtype=dataset.dtype)


def _reader_locks_enforced(path: Path) -> bool:
    """Whether an HDF5 reader of `path` holds a lock that a writer would run into.

    HDF5 takes `flock` locks unless HDF5_USE_FILE_LOCKING says not to, and some file systems
    (and Windows) do not enforce them; a shared lock tried against an exclusive one tells.
    """
    if os.environ.get("HDF5_USE_FILE_LOCKING", "").strip().upper() in ("FALSE", "0"):
        return False
    try:
        import fcntl
    except ImportError:
        return False
    with open(path, "rb") as reader, open(path, "rb") as writer:
        try:
            fcntl.flock(reader, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(writer, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
    return False


class EpochAppender:
    """Adds finished epochs to a run file atomically, at the cost of the epoch rather than of the run.

    `run.h5` itself is never written to, so each epoch is appended to a second file that is then
    renamed over it. Making that file by copying the whole run made every flush cost as much as the
    run so far, a total quadratic in the epochs: by epoch 100 of a 16-d run, 0.37 s a flush to copy
    590 MB. So the file a flush replaces is kept, by a hard link, as the *spare*: it is one epoch
    behind, and the next flush appends two epochs to it and swaps again. A spare whose state is
    unknown (left by a killed process, or damaged) or that a reader still has open (HDF5 locks the
    file, and a reader must never see it change) is replaced by a fresh copy. Where readers' locks
    cannot be seen (HDF5_USE_FILE_LOCKING=FALSE, file systems that ignore them) or there are no hard
    links, no spare is kept and every flush copies, as before. Use it as a context manager: leaving
    it deletes the spare.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.spare = self.path.with_name(self.path.name + ".spare")
        self.retiring = self.path.with_name(self.path.name + ".retiring")
        self.spare_lacks: list[dict[str, np.ndarray]] | None = None  # rows the spare misses; None: no spare
        self._discard_spares()  # a killed process may have left them, in any state
        self.keep_spares = _reader_locks_enforced(self.path)

    def __enter__(self) -> "EpochAppender":
        return self

    def __exit__(self, *_) -> None:
        self._discard_spares()

    def _discard_spares(self) -> None:
        self.spare_lacks = None
        for leftover in (self.spare, self.retiring):
            leftover.unlink(missing_ok=True)

    def _append_to_spare(self, rows: list[dict[str, np.ndarray]]) -> None:
        with h5py.File(self.spare, "r+") as handle:
            for epoch_rows in rows:
                _append(handle, epoch_rows)

    def _spare_caught_up(self, rows: dict[str, np.ndarray]) -> bool:
        """Bring the kept spare up to date with `rows`; False if there is none, or it cannot be
        opened (a reader holds it, it is damaged or gone)."""
        if self.spare_lacks is None:
            return False
        try:
            self._append_to_spare([*self.spare_lacks, rows])
        except OSError:
            return False
        return True

    def append(self, result: EpochResult) -> None:
        rows = result.as_rows()
        try:
            if not self._spare_caught_up(rows):
                self._discard_spares()
                shutil.copyfile(self.path, self.spare)
                self._append_to_spare([rows])
            _fsync(self.spare)
        except BaseException:
            self._discard_spares()
            raise
        kept = self.keep_spares
        if kept:
            try:
                os.link(self.path, self.retiring)  # the file about to be replaced lives on as the next spare
            except OSError:
                kept = False
        os.replace(self.spare, self.path)
        if kept:
            os.replace(self.retiring, self.spare)
        _fsync_directory(self.path.parent)
        self.spare_lacks = [rows] if kept else None


def append_epoch(path: Path, result: EpochResult) -> None:
    """Add one finished epoch, atomically (a one-off: it copies the file; training keeps an `EpochAppender`)."""
    with EpochAppender(path) as appender:
        appender.append(result)


def truncate_to_epochs(path: Path, epochs: int) -> None:
    """Drop everything recorded after epoch `epochs` (used by --resume to redo a partial epoch)."""
    with _rewrite(path) as handle:
        keep_steps = int(np.count_nonzero(handle["trajectory/epoch"][:] <= epochs))
        for name in TRAJECTORY:
            handle[name].resize(keep_steps, axis=0)
        for name in EPOCHS:
            handle[name].resize(min(epochs, handle[name].shape[0]), axis=0)


def resolve(path: Path | str) -> Path:
    """A run directory or a run file -> the run file path."""
    path = Path(path)
    return path / RUN_FILE_NAME if path.is_dir() else path


class RunFile:
    """Read access to a finished or in-progress run file, as one snapshot.

    The file is opened once and held: a training run replaces `run.h5` after every epoch, and a
    render that opened it afresh for each array read `trajectory/epoch` of one epoch and
    `trajectory/batch` of the next. A held file stays as it was (see `EpochAppender`); it closes
    with `close()`, at the end of a `with` block, or when the object is dropped.
    """

    def __init__(self, path: Path | str):
        self.path = resolve(path)
        if not self.path.exists():
            raise ProjectError(f"{self.path}: no such run file")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise ProjectError(f"{self.path}: not an HDF5 run file ({exc})") from exc
        self._names: set[str] = set()
        self._file.visit(self._names.add)
        attrs = dict(self._file.attrs)
        if "schema_version" not in attrs or "config" not in attrs:
            self.close()
            raise ProjectError(f"{self.path}: not a vae-trajectories run file (no schema_version/config attributes)")
        self.schema_version = int(attrs["schema_version"])
        if self.schema_version > SCHEMA_VERSION:
            self.close()
            raise ProjectError(f"{self.path}: schema_version {self.schema_version} is newer than this program ({SCHEMA_VERSION}); update it")
        self.config = json.loads(attrs["config"])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str, selection=slice(None)) -> np.ndarray:
        if not self.has(name):
            raise ProjectError(f"{self.path}: run file has no '{name}' dataset")
        return self._file[name][selection]

    def length(self, name: str) -> int:
        return self._file[name].shape[0] if self.has(name) else 0

    @property
    def epochs_done(self) -> int:
        return self.length("epochs/test_loss")

    @property
    def latent_dim(self) -> int:
        for name in ("trajectory/mu", "encodings/mu"):
            if self.has(name):
                return self._file[name].shape[-1]
        raise ProjectError(f"{self.path}: the run file holds no trajectories or encodings")
