"""Model weights per epoch (for the renderers) and the latest resume state (for --resume).

Everything is saved atomically and loaded with `torch.load(weights_only=True)`: a checkpoint is
plain tensors and numbers, never arbitrary pickled objects.
"""

from __future__ import annotations

from pathlib import Path

import torch

from atomic import atomic_path, ensure_free_space, open_regular
from errors import ProjectError
from train.model import VAE
from train.runfolder import CHECKPOINT_NAMES, RunFolder


def _tensor_bytes(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(_tensor_bytes(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_tensor_bytes(item) for item in value)
    return 0


def _save(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_free_space(path.parent, _tensor_bytes(payload) + (64 << 10), path.name)  # torch's own error would not say why
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _load(path: Path) -> dict:
    """The checkpoint's contents, read from a regular file only (a pipe in its place would block for
    ever, /dev/zero never ends) and as a dictionary."""
    with open_regular(path, "checkpoint") as handle:
        try:
            payload = torch.load(handle, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a damaged file
            raise ProjectError(f"{path}: unreadable checkpoint ({type(exc).__name__})") from exc
    if not isinstance(payload, dict):
        raise ProjectError(f"{path}: unreadable checkpoint (a {type(payload).__name__}, not a dictionary)")
    return payload


def save_model(run_dir: Path, epoch: int, model: VAE, layers: tuple[int, ...]) -> None:
    """The weights and what rebuilds the net around them: its layer sizes and activation."""
    _save({"layers": list(layers), "activation": model.activation, "epoch": epoch, "state_dict": model.state_dict()},
          RunFolder(run_dir).checkpoint(epoch))


def _misfit(path: Path, exc: Exception) -> ProjectError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ProjectError(f"{path}: the checkpoint does not fit this run ({reason[:200]}); retrain the run, or resume it from its own checkpoints")


def _restore(path: Path, restore):
    """Run `restore` (load_state_dict calls) and return what it returns, turning a checkpoint that
    loads but does not fit (another architecture, a missing key, a value of the wrong type) into one line."""
    try:
        return restore()
    except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _misfit(path, exc) from None


def load_model(run_dir: Path, epoch: int | None = None, layers: tuple[int, ...] | None = None) -> tuple[VAE, int]:
    """The trained net of `epoch` (default: the latest saved), on the CPU, in eval mode; with
    `layers`, a checkpoint of another architecture is refused."""
    folder = RunFolder(run_dir)
    saved = folder.saved_epochs()
    if not saved:
        raise ProjectError(f"{run_dir}: no model checkpoints ({CHECKPOINT_NAMES}); was the run trained to the end of an epoch?")
    epoch = epoch if epoch is not None else saved[-1]
    path = folder.checkpoint(epoch)
    if not path.exists():
        raise ProjectError(f"{run_dir}: no checkpoint for epoch {epoch} (have {saved[0]:03d}..{saved[-1]:03d})")
    payload = _load(path)
    try:
        found = tuple(int(size) for size in payload["layers"])
        model = VAE(found, activation=payload.get("activation", "relu"))  # checkpoints from before --activation: ReLU
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise _misfit(path, exc) from None
    if layers is not None and found != tuple(layers):
        raise ProjectError(f"{path}: the checkpoint is of a {'-'.join(map(str, found))} net, the run is {'-'.join(map(str, layers))}")
    _restore(path, lambda: model.load_state_dict(payload["state_dict"]))
    return model.eval(), epoch


def save_resume(run_dir: Path, epoch: int, model: VAE, optimizer: torch.optim.Optimizer) -> None:
    _save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, RunFolder(run_dir).resume_state)


def load_resume(run_dir: Path, model: VAE, optimizer: torch.optim.Optimizer) -> int | None:
    """Restore model and optimizer from the resume state; returns the epoch it ends, or None if there is none."""
    path = RunFolder(run_dir).resume_state
    if not path.exists():
        return None
    payload = _load(path)

    def restore():
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        return int(payload["epoch"])

    return _restore(path, restore)
