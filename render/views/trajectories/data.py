"""What a trajectories video shows of a run: the selected steps on two latent dimensions, and the
checks that let two or more runs share one video step for step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from errors import ProjectError
from render.sources import run_folder
from render.steps import check_epoch_range
from train.latents import variance_radius
from train.runfile import RunFile


@dataclass(frozen=True)
class Trajectory:
    """The selected steps of a run, projected on two latent dimensions.

    A run trained without sampling never trains its variance head, so its radii are zeros: its
    digits are drawn as dots of one size (the lecture: "the dimension of points in the latent space
    has no significance")."""

    mu: np.ndarray  # (steps, n, 2)
    radius: np.ndarray  # (steps, n): r, with r^2 the geometric mean of the two variances; zeros without sampling
    epoch: np.ndarray  # (steps,)
    batch: np.ndarray  # (steps,)
    loss: np.ndarray  # (steps, 2) [reconstruction, penalty] per image of each batch; NaN before training
    labels: np.ndarray  # (n,)
    batches_per_epoch: dict[int, int]
    title: str
    name: str = ""  # the run's folder name
    variational: bool = True
    images: np.ndarray | None = None  # (n, 28, 28) uint8: the tracked digits' MNIST images, for the digits legend


def load_trajectory(run: RunFile, first_epoch: int, last_epoch: int, dims: tuple[int, int], rows: np.ndarray | None = None) -> Trajectory:
    """The selected steps, projected on `dims`, of the tracked digits at `rows` (default: all)."""
    check_epoch_range(first_epoch, last_epoch, run.epochs_done)
    steps = run.trajectory(first_epoch, last_epoch)
    rows = np.arange(run.tracked_count) if rows is None else np.asarray(rows)
    mu, logvar = steps.mu[:, rows][:, :, list(dims)], steps.logvar[:, rows][:, :, list(dims)]
    config = run.config
    variational = config.variational
    dims_note = f"  ·  z{dims[0]}, z{dims[1]}" if run.latent_dim > 2 else ""
    mode_note = "" if variational else " (no sampling)"
    # r = (sigma_x^2 sigma_y^2)^(1/4) = exp((logvar_x + logvar_y) / 4)
    radius = variance_radius(logvar) if variational else np.zeros(logvar.shape[:2])
    tracked = run.tracked()
    return Trajectory(mu=mu.astype(np.float64), radius=radius, epoch=steps.epoch, batch=steps.batch, loss=steps.loss.astype(np.float64),
                      labels=tracked.label[rows], images=tracked.image[rows], batches_per_epoch=run.batches_per_epoch(), variational=variational,
                      title=f"{config.arch}  ·  {config.mode}{mode_note}{config.options_note('  ·  ')}{dims_note}", name=run_folder(run).name)


def short_title(run: RunFile) -> str:
    """A panel's title when runs share a video: what tells them apart."""
    config = run.config
    return f"{config.arch}  ·  {'variational' if config.variational else 'no sampling'}{config.options_note('  ·  ')}  ·  seed {config.seed}"


# What runs must share to be stepped together (a video, the report's explorer): name, value of a run.
STEP_FOR_STEP = (("latent sizes", lambda run: run.latent_dim),
                 ("tracked digits", lambda run: run.tracked().index.tolist()),
                 ("finished epochs", lambda run: run.epochs_done),
                 ("batches per epoch", lambda run: run.batches_per_epoch()))


def stepping_values(run: RunFile) -> dict[str, object]:
    """A run's values of `STEP_FOR_STEP`, by name (the explorer compares them in the browser)."""
    return {what: value(run) for what, value in STEP_FOR_STEP}


def check_step_for_step(runs: list[RunFile]) -> None:
    """Refuse, in one line, runs that cannot share a video step for step: other tracked digits,
    other batches per epoch, other finished epochs, other latent sizes."""
    first = runs[0]
    name = lambda run: run_folder(run).name  # noqa: E731
    for other in runs[1:]:
        for what, value in STEP_FOR_STEP:
            if value(first) != value(other):
                raise ProjectError(f"{name(first)} and {name(other)} have different {what}, so they cannot share a video "
                                   f"step for step")
