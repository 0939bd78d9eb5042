"""Decoder snapshots: the decoder's weights every K training batches (`train --snapshot-every K`).

They let `render manifold` show the decoder learning step by step, where the per-epoch checkpoints
show it ten times a run. They are big (a 784-256-2 decoder is 202,256 floats, 0.8 MB, so K = 10 is
~48 MB an epoch) and only ever read a few at a time, so they live beside the run file, not in it:
one HDF5 file an epoch, `snapshots/decoder-e001.h5`, ..., named in the run file's `snapshots`
attribute (schema_version 2; see runfile.py). Each is written whole under a temporary name and
renamed before the epoch's run-file flush, so a finished epoch always has its snapshots and a
killed run leaves no half file; files of epochs the run file does not hold (a run killed after
writing one) are ignored and replaced when that epoch is trained again.

Layout of one file: `step` (S,) int64, the run's step each row follows (0 = before training, only in
epoch 1's file), `decoder` (S, P) float32, the decoder's parameters flattened in `state_dict` order.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import h5py
import numpy as np
import torch

from atomic import atomic_path, disk_full, disk_full_error, ensure_free_space
from errors import ProjectError
from train.hdf5_checks import foreign_contents
from train.runfolder import RunFolder


def decoder_vector(model) -> torch.Tensor:
    """The decoder's parameters as one flat vector (state_dict order)."""
    return torch.cat([value.detach().reshape(-1) for value in model.decoder.state_dict().values()])


def load_decoder(model, vector: np.ndarray) -> None:
    """Put a flat vector from `decoder_vector` back into `model`'s decoder."""
    state = model.decoder.state_dict()
    sizes = [value.numel() for value in state.values()]
    if len(vector) != sum(sizes):
        raise ProjectError(f"a decoder snapshot holds {len(vector)} numbers, this net's decoder {sum(sizes)}")
    parts = torch.split(torch.as_tensor(np.asarray(vector, np.float32)), sizes)
    model.decoder.load_state_dict({name: part.reshape(value.shape) for (name, value), part in zip(state.items(), parts)})


class SnapshotRecorder:
    """Collects one epoch's snapshots on the training device; `rows()` hands them over at its end."""

    def __init__(self, model, every: int, epoch: int, steps_per_epoch: int):
        self.model, self.every = model, every
        self.first_step = (epoch - 1) * steps_per_epoch + 1  # the run's step after this epoch's first batch
        count = steps_per_epoch // every + (1 if epoch == 1 else 0)
        size = decoder_vector(model).numel()
        self.weights = torch.empty(count, size, device=next(model.parameters()).device)
        self.steps: list[int] = []
        if epoch == 1:
            self._take(0)  # the untrained decoder, before step 1

    def _take(self, step: int) -> None:
        self.weights[len(self.steps)] = decoder_vector(self.model)
        self.steps.append(step)

    def after_batch(self, batch: int) -> None:
        """Called after the optimizer step of `batch` (0-based within the epoch)."""
        if (batch + 1) % self.every == 0:
            self._take(self.first_step + batch)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.steps, np.int64), self.weights[:len(self.steps)].cpu().numpy()


def write_snapshots(run_dir: Path, epoch: int, steps: np.ndarray, weights: np.ndarray, every: int) -> None:
    path = RunFolder(run_dir).snapshot(epoch)
    path.parent.mkdir(parents=True, exist_ok=True)
    what = f"the decoder snapshots of epoch {epoch}"
    ensure_free_space(path.parent, weights.nbytes + (256 << 10), what)
    try:
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w") as handle:
                handle.attrs["every"] = every
                handle["step"] = steps
                handle.create_dataset("decoder", data=weights, chunks=(1, weights.shape[1]))
    except OSError as exc:  # HDF5 does not always say "no space"
        if disk_full(exc, path.parent):
            raise disk_full_error(path.parent, what) from None
        raise


@dataclass(frozen=True)
class SnapshotIndex:
    """Where each snapshot of a run lies: its step, and (epoch file, row)."""

    steps: np.ndarray  # (S,) increasing
    files: list[Path]  # per snapshot
    rows: np.ndarray  # (S,)
    every: int

    def load_into(self, model, i: int) -> None:
        """Snapshot i into `model`'s decoder; a snapshot of another net is one line naming its file."""
        try:
            load_decoder(model, self.weights(i))
        except ProjectError as exc:
            raise ProjectError(f"{self.files[i]}: {exc}") from None

    def weights(self, i: int) -> np.ndarray:
        try:
            with _opened(self.files[i]) as handle:
                return handle["decoder"][int(self.rows[i])]
        except (OSError, KeyError, ValueError) as exc:
            raise ProjectError(f"{self.files[i]}: cannot read decoder snapshot ({exc})") from None


@contextmanager
def _opened(path: Path) -> Iterator[h5py.File]:
    """A snapshot file open for reading, refused (one line naming it) if it holds links or data it
    does not store: the same rule as the run file's (train/hdf5_checks.py)."""
    with h5py.File(path, "r") as handle:
        problem = foreign_contents(handle)
        if problem:
            raise ProjectError(f"{path}: {problem}")
        yield handle


def snapshot_index(run_dir: Path, epochs_done: int, pattern: str | None) -> SnapshotIndex | None:
    """The snapshots of epochs 1..`epochs_done`, or None when the run has none (or misses some)."""
    if not pattern or epochs_done < 1:
        return None
    steps, files, rows, every = [], [], [], 0
    for epoch in range(1, epochs_done + 1):
        path = RunFolder(run_dir).snapshot(epoch, pattern)
        if not path.exists():
            return None
        if not path.is_file():  # HDF5 would wait for ever on a pipe
            raise ProjectError(f"{path}: not a decoder snapshot file (a folder, pipe or device, not a file)")
        try:
            with _opened(path) as handle:
                step, decoder = handle["step"], handle["decoder"]
                if step.ndim != 1 or step.dtype.kind not in "iu" or decoder.ndim != 2 or len(step) > len(decoder):
                    raise ProjectError(f"{path}: not a decoder snapshot file (step {step.shape} {step.dtype}, decoder {decoder.shape})")
                found = step[:]
                every = int(handle.attrs.get("every", 0))
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"{path}: cannot read decoder snapshots ({exc})") from None
        steps.extend(found.tolist())
        files.extend([path] * len(found))
        rows.extend(range(len(found)))
    return SnapshotIndex(steps=np.asarray(steps, np.int64), files=files, rows=np.asarray(rows), every=every)
