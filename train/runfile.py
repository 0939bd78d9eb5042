"""The HDF5 run file: the contract between the training and rendering stages.

`DATASETS` below is the schema: every dataset's name, dtype and shape, and whether it grows by one
row per training step, per epoch, or not at all. It drives creation, appends, truncation on resume
and the checks made when a file is opened, and no other module spells an HDF5 path: other code
reads a run through `RunFile`'s typed readers and writes one through `create` and `EpochAppender`.
Layout (schema_version 5), n tracked digits, d latent size, h hidden layers of the encoder, E finished epochs:

    attrs  schema_version (int), config (JSON: every option, library versions, start time; since version 4 with
                     the training options beta, kl_warmup, free_bits, activation, init: a file of an older
                     version has none of them and was trained with their defaults, as it reads; since version 5
                     with matmul_precision, fp32 or bf16: an older file's products were all fp32)
           snapshots (str, since version 2): where the decoder snapshots of `train --snapshot-every K` lie,
                     relative to the run folder, with {epoch} for the epoch ("snapshots/decoder-e{epoch:03d}.h5");
                     empty when the run has none. Their own layout is in train/snapshots.py.
    tracked/index   (n,) int64      tracked/label (n,) uint8      tracked/image (n, 28, 28) uint8
    trajectory/mu, trajectory/logvar   (steps, n, d) float32   step 0 = before training
    trajectory/epoch (steps,) int32 (0 for step 0, then 1-based)   trajectory/batch (steps,) int32 (0-based)
    trajectory/loss  (steps, 2) float32   [reconstruction, penalty] per image of that batch (NaN at step 0)
    epochs/train_loss, epochs/test_loss (E, 2) float32   same columns, per image
    epochs/seconds   (E,) float32   wall-clock training time of each epoch
    encodings/mu, encodings/logvar (E, n_test, d) float32   test set at the end of each epoch
    encodings/label  (n_test,) uint8
    epochs/dead_units (E, h) int32  (since version 3) per hidden layer of the encoder, how many of its units no test
                     input activates at the end of each epoch (a ReLU that died; all of a layer dead: the encoder is dead);
                     -1 where not measured (and for --activation leaky-relu or elu, whose units cannot die)

A later schema adds datasets (with the version that added them in `Dataset.since`) and never
renames or drops one, so files of every older version stay readable.

Crash safety: `run.h5` is never modified in place. Each flush appends to another file, fsyncs it
and renames it over `run.h5`, so `run.h5` is always a complete, closed HDF5 file holding whole
epochs, whatever moment the process is killed at (SIGKILL included). See `EpochAppender` for how
that other file avoids a copy of the whole run per epoch.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from atomic import atomic_path, disk_full, disk_full_error, ensure_free_space, fsync_directory, fsync_file
from errors import ProjectError, printable
from train.config import RunConfig
from train.hdf5_checks import foreign_contents
from train.runfolder import RUN_FILE_NAME, SNAPSHOT_PATTERN, RunFolder  # noqa: F401  (RUN_FILE_NAME stays importable from here)

# 2 added the `snapshots` attribute, 3 epochs/dead_units, 4 the training options to the config (an older program
# would read a run trained with --beta 0.5 as one of beta 1: it refuses the file instead), 5 the matmul precision to the
# config (an older program would resume a bf16 run with fp32 products)
SCHEMA_VERSION = 5
STEPS, EPOCHS = "steps", "epochs"  # the two growing axes
# What a run of this program can hold (data/mnist.py refuses larger data sets): a file beyond it is
# refused before an array is read, so that a crafted one cannot fill the memory.
MOST_TRAIN, MOST_TEST = 60_000, 10_000  # MNIST's training and test images
# Values training can write: the loss takes exp(logvar) in float32 (finite up to 88.7), and the
# means' squares summed over the test set in float32 stay finite up to here.
MOST_MEAN, MOST_LOGVAR = 1e9, 88.0


@dataclass(frozen=True)
class Dataset:
    """One dataset of the schema. `shape` names each axis: a growing axis first ("steps" or
    "epochs"), then "n" (tracked digits), "n_test" (test images), "d" (latent size) or a fixed size."""

    name: str
    dtype: type
    shape: tuple[str | int, ...]
    since: int = 1  # the schema_version that added it

    @property
    def grows(self) -> str | None:
        return self.shape[0] if self.shape[0] in (STEPS, EPOCHS) else None

    @property
    def group(self) -> str:
        return self.name.split("/")[0]

    def chunk_rows(self, tail: tuple[int, ...]) -> int:
        """Test-set encodings: one epoch a chunk (a view reads one epoch); others: ~256 KiB chunks."""
        if "n_test" in self.shape:
            return 1
        return max(1, min(1024, (1 << 18) // max(1, int(np.prod(tail)) * 4)))


DATASETS = (
    Dataset("trajectory/mu", np.float32, (STEPS, "n", "d")),
    Dataset("trajectory/logvar", np.float32, (STEPS, "n", "d")),
    Dataset("trajectory/epoch", np.int32, (STEPS,)),
    Dataset("trajectory/batch", np.int32, (STEPS,)),
    Dataset("trajectory/loss", np.float32, (STEPS, 2)),
    Dataset("epochs/train_loss", np.float32, (EPOCHS, 2)),
    Dataset("epochs/test_loss", np.float32, (EPOCHS, 2)),
    Dataset("epochs/seconds", np.float32, (EPOCHS,)),
    Dataset("epochs/dead_units", np.int32, (EPOCHS, "h"), since=3),
    Dataset("encodings/mu", np.float32, (EPOCHS, "n_test", "d")),
    Dataset("encodings/logvar", np.float32, (EPOCHS, "n_test", "d")),
    Dataset("encodings/label", np.uint8, ("n_test",)),
    Dataset("tracked/index", np.int64, ("n",)),
    Dataset("tracked/label", np.uint8, ("n",)),
    Dataset("tracked/image", np.uint8, ("n", 28, 28)),
)
SCHEMA = {dataset.name: dataset for dataset in DATASETS}
GROWING = {dataset.name: dataset for dataset in DATASETS if dataset.grows}
AXIS_WORDS = {STEPS: "steps", EPOCHS: "epochs", "n": "tracked digits", "n_test": "test images", "d": "latent variables",
              "h": "hidden layers"}
GROUP_CONTENTS = {"trajectory": "trajectories", "epochs": "per-epoch losses", "encodings": "test-set encodings",
                  "tracked": "tracked digits"}


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
    dead_units: np.ndarray | None = None  # (h,) per hidden layer of the encoder; None: not measured (-1 in the file)

    def as_rows(self) -> dict[str, np.ndarray | None]:
        return {
            **self.steps.as_datasets(),
            "epochs/train_loss": self.train_loss[None],
            "epochs/test_loss": self.test_loss[None],
            "epochs/seconds": np.asarray([self.seconds]),
            "encodings/mu": self.test_mu[None],
            "encodings/logvar": self.test_logvar[None],
            "epochs/dead_units": None if self.dead_units is None else np.asarray(self.dead_units)[None],
        }


@dataclass(frozen=True)
class Tracked:
    """The digits followed through training: training-set indices, classes, pixels."""

    index: np.ndarray  # (n,) int64
    label: np.ndarray  # (n,) uint8
    image: np.ndarray  # (n, 28, 28) uint8


@dataclass(frozen=True)
class Losses:
    """Per-epoch losses per image, columns [reconstruction, penalty], and training seconds."""

    train: np.ndarray  # (E, 2)
    test: np.ndarray  # (E, 2)
    seconds: np.ndarray  # (E,)


@dataclass(frozen=True)
class Encodings:
    """Test-set encodings: (n_test, d) for one epoch, or (epochs, n_test, d) for several."""

    mu: np.ndarray
    logvar: np.ndarray
    label: np.ndarray  # (n_test,)


def _check_rows(rows: dict[str, np.ndarray]) -> None:
    if rows.keys() != GROWING.keys():
        raise ValueError(f"an epoch's rows must fill exactly {sorted(GROWING)}, not {sorted(rows)}")


def _append(handle: h5py.File, rows: dict[str, np.ndarray | None]) -> None:
    """One epoch's (or the steps') rows. A file of an older version (a resumed run) gets only the
    datasets it has, and stays that version; a row not measured (None) is stored as -1."""
    for name, values in rows.items():
        if name not in handle:
            continue
        dataset = handle[name]
        start = dataset.shape[0]
        if values is None:
            values = np.full((1, *dataset.shape[1:]), -1)
        dataset.resize(start + len(values), axis=0)
        dataset[start:] = np.asarray(values, dtype=dataset.dtype)


def create(path: Path, config_json: str, tracked_index: np.ndarray, tracked_label: np.ndarray,
           tracked_image: np.ndarray, test_label: np.ndarray, step0_mu: np.ndarray, step0_logvar: np.ndarray,
           snapshots: str = "") -> None:
    """A new run file holding the tracked digits and step 0 (the untrained encoder)."""
    n, d = step0_mu.shape
    hidden = len(RunConfig.from_saved(json.loads(config_json)).layers) - 2
    sizes = {"n": n, "d": d, "n_test": len(test_label), "h": hidden}
    fixed = {"tracked/index": tracked_index, "tracked/label": tracked_label, "tracked/image": tracked_image,
             "encodings/label": test_label}
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as handle:
            handle.attrs["schema_version"] = SCHEMA_VERSION
            handle.attrs["config"] = config_json
            handle.attrs["snapshots"] = snapshots
            for dataset in DATASETS:
                if not dataset.grows:
                    handle[dataset.name] = np.asarray(fixed[dataset.name]).astype(dataset.dtype)
                    continue
                tail = tuple(sizes.get(axis, axis) for axis in dataset.shape[1:])
                # HDF5 chunks have no empty axis: a net without hidden layers keeps (E, 0) in chunks one wide
                handle.create_dataset(dataset.name, shape=(0, *tail), maxshape=(None, *(size or None for size in tail)), dtype=dataset.dtype,
                                      chunks=(dataset.chunk_rows(tail), *(size or 1 for size in tail)))
            _append(handle, Steps(mu=step0_mu[None], logvar=step0_logvar[None], epoch=np.zeros(1, np.int32),
                                  batch=np.zeros(1, np.int32), loss=np.full((1, 2), np.nan, np.float32)).as_datasets())


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

    def _ensure_room(self, rows: dict[str, np.ndarray]) -> None:
        """Refuse a flush the disk cannot take before HDF5 starts it: HDF5 fails badly (it once
        crashed the process) inside a file it cannot finish writing."""
        epoch_bytes = sum(np.asarray(values).nbytes for values in rows.values())
        if self.spare_lacks is not None:
            needed = epoch_bytes * (len(self.spare_lacks) + 1)
        else:  # a fresh spare: a copy of the run first
            needed = self.path.stat().st_size + epoch_bytes
        ensure_free_space(self.path.parent, needed + (256 << 10), f"an epoch of {self.path.name}")  # + HDF5's own metadata

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
        _check_rows(rows)
        self._ensure_room(rows)
        try:
            if not self._spare_caught_up(rows):
                self._discard_spares()
                shutil.copyfile(self.path, self.spare)
                self._append_to_spare([rows])
            fsync_file(self.spare)
        except BaseException as exc:
            full = isinstance(exc, Exception) and disk_full(exc, self.path.parent)
            self._discard_spares()
            if full:
                raise disk_full_error(self.path.parent, f"an epoch of {self.path.name}") from exc
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
        fsync_directory(self.path.parent)
        self.spare_lacks = [rows] if kept else None


def append_epoch(path: Path, result: EpochResult) -> None:
    """Add one finished epoch, atomically (a one-off: it copies the file; training keeps an `EpochAppender`)."""
    with EpochAppender(path) as appender:
        appender.append(result)


def truncate_to_epochs(path: Path, epochs: int) -> None:
    """Drop everything recorded after epoch `epochs` (used by --resume to redo a partial epoch).
    A file that holds no more is left as it is, unwritten."""
    with RunFile(path) as run:
        if run.epochs_done <= epochs:
            return
    ensure_free_space(path.parent, path.stat().st_size, f"a shortened copy of {path.name}")
    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "a") as handle:
            kept = {STEPS: int(np.count_nonzero(handle["trajectory/epoch"][:] <= epochs)), EPOCHS: epochs}
            for name, dataset in GROWING.items():
                if name not in handle:  # a dataset newer than this file's version
                    continue
                handle[name].resize(min(kept[dataset.grows], handle[name].shape[0]), axis=0)


def resolve(path: Path | str) -> Path:
    """A run directory or a run file -> the run file path."""
    path = Path(path)
    return RunFolder(path).run_file if path.is_dir() else path


def epoch_window(step_epochs: np.ndarray, first: int, last: int) -> slice:
    """The steps from the start of epoch `first` (the step just before it) to the end of `last`;
    epoch 0 is the untrained step."""
    inside = np.flatnonzero((step_epochs >= max(first, 0)) & (step_epochs <= last))
    start = int(inside[0]) - (1 if first >= 1 else 0)  # the state at the start of epoch `first` ends the epoch before
    return slice(start, int(inside[-1]) + 1)


class RunFile:
    """Read access to a finished or in-progress run file, as one snapshot.

    The file is opened once and held: a training run replaces `run.h5` after every epoch, and a
    render that opened it afresh for each array read `trajectory/epoch` of one epoch and
    `trajectory/batch` of the next. A held file stays as it was (see `EpochAppender`); it closes
    with `close()`, at the end of a `with` block, or when the object is dropped.

    Its structure (attributes, which datasets, their ranks, dtypes and agreeing lengths) is checked
    when it is opened: no links to other files (train/hdf5_checks.py), every dataset storing what
    its shape declares, sizes within what the config allows; then the small arrays are read and
    checked (the steps' epoch and batch, classes 0-9, indices, dead units within their layers). The
    large ones (means, log-variances) are checked where read. A damaged, foreign or impossible file
    is one line naming the file, and nothing read from it is larger than what it stores.
    """

    def __init__(self, path: Path | str):
        self.path = resolve(path)
        self._steps: tuple[np.ndarray, np.ndarray] | None = None  # trajectory/epoch and /batch, once checked
        if not self.path.exists():
            raise ProjectError(f"{self.path}: no such run file")
        if not self.path.is_file():  # a pipe would block the open for ever; a folder or device is no run file either
            raise ProjectError(f"{self.path}: not a run file (a folder, pipe or device, not a file)")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise ProjectError(f"{self.path}: not an HDF5 run file ({' '.join(str(exc).split())})") from exc
        try:
            problem = foreign_contents(self._file)  # before any name is looked up: a lookup follows links
            if problem:
                raise self._problem(problem)
            self.schema_version, self.config = self._read_attributes()
            self.sizes = self._check_structure()
            self._check_small_contents()
        except ProjectError:
            self.close()
            raise
        except (OSError, RuntimeError, KeyError, ValueError) as exc:  # HDF5's answers for damaged internals
            self.close()
            raise ProjectError(f"{self.path}: damaged run file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from exc

    def _problem(self, text: str) -> ProjectError:
        return ProjectError(f"{self.path}: {text}")

    def _read_attributes(self) -> tuple[int, RunConfig]:
        attrs = self._file.attrs
        if "schema_version" not in attrs or "config" not in attrs:
            raise self._problem("not a vae-trajectories run file (no schema_version/config attributes)")
        version = attrs["schema_version"]
        if isinstance(version, np.ndarray) and version.shape == ():
            version = version[()]
        if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)):
            raise self._problem(f"schema_version {version!r} is not a whole number")
        version = int(version)
        if version > SCHEMA_VERSION:
            raise self._problem(f"schema_version {version} is newer than this program ({SCHEMA_VERSION}); update it")
        if version < 1:
            raise self._problem(f"schema_version {version} is not a version this program wrote")
        text = attrs["config"]
        try:
            saved = json.loads(text.decode() if isinstance(text, bytes) else text)
        except (TypeError, ValueError, UnicodeDecodeError):
            raise self._problem("its config attribute is not JSON") from None
        if not isinstance(saved, dict):
            raise self._problem(f"its config attribute is not a JSON object (found {type(saved).__name__})")
        try:
            return version, RunConfig.from_saved(saved)
        except ProjectError as exc:
            raise self._problem(f"its config is not valid: {exc}") from None

    def _check_structure(self) -> dict[str, int]:
        """The sizes behind the schema's axis names, after checking every dataset of this file's
        version is there with its rank and dtype, and that the sizes agree."""
        expected = [dataset for dataset in DATASETS if dataset.since <= self.schema_version]
        missing = [d.name for d in expected if not isinstance(self._file.get(d.name), h5py.Dataset)]
        if missing:
            contents = GROUP_CONTENTS[SCHEMA[missing[0]].group]
            raise self._problem(f"the run file holds no {contents} ({', '.join(missing)} missing)")
        sizes: dict[str, tuple[int, str]] = {}  # axis name -> (size, the dataset it was first seen in)
        for dataset in expected:
            found = self._file[dataset.name]
            if found.ndim != len(dataset.shape):
                raise self._problem(f"{dataset.name} has {found.ndim} axes, expected {len(dataset.shape)}")
            if found.dtype != np.dtype(dataset.dtype):
                raise self._problem(f"{dataset.name} is {found.dtype}, expected {np.dtype(dataset.dtype)}")
            for axis, size in zip(dataset.shape, found.shape):
                if isinstance(axis, int):
                    if size != axis:
                        raise self._problem(f"{dataset.name} has shape {found.shape}, expected {axis} along one axis")
                    continue
                seen = sizes.setdefault(axis, (size, dataset.name))
                if seen[0] != size:
                    raise self._problem(f"datasets disagree in length: {dataset.name} has {size} {AXIS_WORDS[axis]}, {seen[1]} has {seen[0]}")
        counts = {axis: size for axis, (size, _) in sizes.items()}
        self._check_bounds(counts)
        last_epoch = int(self._file["trajectory/epoch"][counts[STEPS] - 1])
        if last_epoch != counts[EPOCHS]:
            raise self._problem(f"datasets disagree in length: the steps reach epoch {last_epoch}, epochs/ holds {counts[EPOCHS]}")
        if "h" in counts and counts["h"] != len(self.config.layers) - 2:
            raise self._problem(f"its config has {len(self.config.layers) - 2} hidden layers (--arch {self.config.arch}), "
                                f"epochs/dead_units counts {counts['h']}")
        if self.config.latent_dim != counts["d"]:
            raise self._problem(f"its config says latent size {self.config.latent_dim} (--arch {self.config.arch}), "
                                f"its datasets hold {counts['d']}")
        return counts

    def _check_bounds(self, counts: dict[str, int]) -> None:
        """The sizes against what the config allows, before any array is read."""
        config = self.config
        if counts[STEPS] < 1:
            raise self._problem("the run file holds no trajectories (not even step 0)")
        for axis, most in (("n", MOST_TRAIN), ("n_test", MOST_TEST)):
            if not 1 <= counts[axis] <= most:
                raise self._problem(f"it holds {counts[axis]:,} {AXIS_WORDS[axis]}; a run holds 1 to {most:,}")
        if counts[EPOCHS] > config.epochs:
            raise self._problem(f"it holds {counts[EPOCHS]:,} epochs, its config trains {config.epochs}")
        most_steps = counts[EPOCHS] * self.most_batches + 1
        if counts[STEPS] > most_steps:
            raise self._problem(f"it holds {counts[STEPS]:,} steps; {counts[EPOCHS]} epochs at batch size {config.batch_size} "
                                f"make at most {most_steps:,}")

    @property
    def most_batches(self) -> int:
        """The most batches an epoch of this run's config can train."""
        return -(-MOST_TRAIN // self.config.batch_size)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _read(self, name: str, selection=slice(None)) -> np.ndarray:
        try:
            return self._file[name][selection]
        except (OSError, RuntimeError, ValueError) as exc:  # a damaged chunk shows only when it is read
            raise self._problem(f"{name} cannot be read (damaged: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None

    def _finite(self, name: str, values: np.ndarray, where: str, most: float | None = None) -> np.ndarray:
        """`values`, refused if any is NaN or infinite, or (with `most`) beyond +-`most`: checked where
        read, never by scanning the file."""
        if not np.isfinite(values).all():
            raise self._problem(f"{name} holds values that are not finite numbers ({where})")
        if most is not None and values.size and np.abs(values).max() > most:
            raise self._problem(f"{name} holds values beyond +-{most:g}, more than training can write ({where})")
        return values

    def _counted(self, name: str, values: np.ndarray, most: int, what: str) -> np.ndarray:
        """Whole numbers read from the file, refused outside 0..`most` (`what` names the range)."""
        if values.size and (values.min() < 0 or values.max() > most):
            raise self._problem(f"{name} holds {int(values.min() if values.min() < 0 else values.max())}, outside {what}")
        return values

    def _step_index(self) -> tuple[np.ndarray, np.ndarray]:
        """trajectory/epoch and trajectory/batch, checked once: step 0 at epoch 0, then every epoch in
        turn, each counting its batches from 0 and no further than the config allows."""
        if self._steps is None:
            epochs, batches = self._read("trajectory/epoch"), self._read("trajectory/batch")
            new_epoch = np.diff(epochs) == 1
            expected = np.concatenate([[0], np.where(new_epoch, 0, batches[:-1] + 1)])
            if epochs[0] != 0 or not np.isin(np.diff(epochs), (0, 1)).all() or (len(epochs) > 1 and epochs[1] != 1):
                raise self._problem("trajectory/epoch does not count the epochs in turn from 0 (step 0) on")
            if not np.array_equal(batches, expected) or batches.max() >= self.most_batches:
                raise self._problem(f"trajectory/batch does not count each epoch's batches from 0 "
                                    f"(at most {self.most_batches:,} at batch size {self.config.batch_size})")
            self._steps = epochs, batches
        return self._steps

    def _check_small_contents(self) -> None:
        """The arrays of a few kB (bounded by `_check_bounds`) and the snapshots attribute, read once
        when the file is opened."""
        self._step_index()
        self._tracked_index()
        self._labels("tracked/label")
        self._labels("encodings/label")
        self.dead_units()
        self.snapshots  # noqa: B018  (its attribute, checked)

    # -- sizes ----------------------------------------------------------------------------
    @property
    def snapshots(self) -> str | None:
        """Where the run's decoder snapshots lie (a pattern with {epoch}, relative to the run folder), or None."""
        if self.schema_version < 2:
            return None
        value = self._file.attrs.get("snapshots", "")
        value = value.decode() if isinstance(value, bytes) else str(value)
        if not value:
            return None
        if value != SNAPSHOT_PATTERN:  # the one pattern this program writes: any other could name any file, or a huge one
            raise self._problem(f"its snapshots attribute {printable(value[:80])!r} is not the pattern this program writes ({SNAPSHOT_PATTERN})")
        return value

    @property
    def epochs_done(self) -> int:
        return self.sizes[EPOCHS]

    @property
    def steps_recorded(self) -> int:
        """Step 0 plus one per batch trained."""
        return self.sizes[STEPS]

    @property
    def latent_dim(self) -> int:
        return self.sizes["d"]

    @property
    def tracked_count(self) -> int:
        return self.sizes["n"]

    # -- typed readers ----------------------------------------------------------------------
    def tracked(self) -> Tracked:
        return Tracked(index=self._tracked_index(), label=self._labels("tracked/label"), image=self._read("tracked/image"))

    def _tracked_index(self) -> np.ndarray:
        return self._counted("tracked/index", self._read("tracked/index"), MOST_TRAIN - 1, "the training set's indices")

    def _labels(self, name: str) -> np.ndarray:
        return self._counted(name, self._read(name), 9, "the classes 0-9")

    def trajectory(self, first_epoch: int = 0, last_epoch: int | None = None) -> Steps:
        """The recorded steps from the start of `first_epoch` to the end of `last_epoch` (default:
        the last finished); epoch 0 is the untrained step alone."""
        last_epoch = self.epochs_done if last_epoch is None else last_epoch
        if not 0 <= first_epoch <= last_epoch <= self.epochs_done:
            raise ValueError(f"epochs {first_epoch}-{last_epoch} outside the run's 0-{self.epochs_done}")
        window = epoch_window(self._step_index()[0], first_epoch, last_epoch)
        steps = Steps(**{name.split("/")[1]: self._read(name, window) for name in GROWING if SCHEMA[name].grows == STEPS})
        where = f"epochs {first_epoch}-{last_epoch}" if first_epoch != last_epoch else f"epoch {first_epoch}"
        for name, most in (("mu", MOST_MEAN), ("logvar", MOST_LOGVAR)):  # the loss is NaN at step 0 by design
            self._finite(f"trajectory/{name}", getattr(steps, name), where, most)
        return steps

    def batches_per_epoch(self) -> dict[int, int]:
        """Epoch -> how many batches it trained."""
        epochs, batches = self._step_index()
        return {int(e): int(batches[epochs == e].max()) + 1 for e in np.unique(epochs) if e > 0}

    def losses(self) -> Losses:
        every = f"epochs 1-{self.epochs_done}"
        return Losses(train=self._finite("epochs/train_loss", self._read("epochs/train_loss"), every),
                      test=self._finite("epochs/test_loss", self._read("epochs/test_loss"), every), seconds=self._read("epochs/seconds"))

    def dead_units(self) -> np.ndarray | None:
        """(E, h): per epoch and hidden layer of the encoder, the units no test input activates
        (-1 where not measured); None for files older than schema version 3."""
        if self.schema_version < 3:
            return None
        dead = self._read("epochs/dead_units")
        for layer, units in enumerate(self.config.layers[1:-1]):
            column = dead[:, layer]
            if column.size and (column.min() < -1 or column.max() > units):
                raise self._problem(f"epochs/dead_units counts {int(column.min() if column.min() < -1 else column.max())} dead units "
                                    f"in hidden layer {layer + 1}, which has {units}")
        return dead

    def _check_epoch(self, epoch: int) -> None:
        if not 1 <= epoch <= self.epochs_done:
            raise ValueError(f"epoch {epoch} outside the run's 1-{self.epochs_done}")

    def encodings(self, epoch: int) -> Encodings:
        """The test set encoded at the end of `epoch` (1-based): (n_test, d) arrays."""
        self._check_epoch(epoch)
        return Encodings(mu=self._finite("encodings/mu", self._read("encodings/mu", epoch - 1), f"epoch {epoch}", MOST_MEAN),
                         logvar=self._finite("encodings/logvar", self._read("encodings/logvar", epoch - 1), f"epoch {epoch}", MOST_LOGVAR),
                         label=self._labels("encodings/label"))

    def encoding_history(self, first_epoch: int = 1, last_epoch: int | None = None) -> Encodings:
        """The test set at the end of each of the epochs `first_epoch`..`last_epoch`: (epochs, n_test, d)."""
        last_epoch = self.epochs_done if last_epoch is None else last_epoch
        self._check_epoch(first_epoch)
        self._check_epoch(last_epoch)
        window, where = slice(first_epoch - 1, last_epoch), f"epochs {first_epoch}-{last_epoch}"
        return Encodings(mu=self._finite("encodings/mu", self._read("encodings/mu", window), where, MOST_MEAN),
                         logvar=self._finite("encodings/logvar", self._read("encodings/logvar", window), where, MOST_LOGVAR),
                         label=self._labels("encodings/label"))
