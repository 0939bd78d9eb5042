"""Runs side by side, one row each (e.g. the VAE above the same net trained without sampling).

Each row: the test set in the latent plane, digits generated from the same N(0, I) draws (so the
rows differ only by their decoders), and the tracked digits over their reconstructions; the row
title carries the final test losses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from atomic import Written
from errors import ProjectError
from render.digits import decode, enlarge, ink_to_rgb, mosaic, reconstruct
from render.figures import FONT_PT, check_still_path, new_figure, save_figure, style_axes
from render.outputs import shared_figure
from render.sources import decoder_at, parse_dims, require_latent_size, run_folder, run_title
from render.style import Theme
from render.views.latent_map import class_legend, draw_latent, fitted_limits, plane
from train.runfile import RunFile

SAMPLES = 8  # an 8x8 mosaic of generated digits
SAMPLE_SEED = 0


def check_comparable(runs) -> None:
    if len(runs) < 2:
        raise ProjectError("compare needs at least two runs: --run A --run B")
    sizes = {str(run.path.parent): run.latent_dim for run in runs}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name} has {size}" for name, size in sizes.items())
        raise ProjectError(f"compare: the runs' latent sizes differ ({listed}); the latent and sample panels need one size")
    for run in runs:
        if run.epochs_done == 0:
            raise ProjectError(f"compare: {run.path} has no finished epoch")


def loss_line(run: RunFile) -> str:
    reconstruction, penalty = (float(v) for v in run.losses().test[run.epochs_done - 1])
    name = "KL" if run.config.variational else "\u00bd|\u03bc|\u00b2"
    return f"test loss {reconstruction + penalty:.1f} = reconstruction {reconstruction:.1f} + {name} {penalty:.1f}"


def one_per_class(labels: np.ndarray) -> np.ndarray:
    """Indices of the first tracked digit of each class present, in class order."""
    return np.array([int(np.flatnonzero(labels == c)[0]) for c in np.unique(labels)])


def compare_figure(runs, theme: Theme, dims: tuple[int, int] = (0, 1)):
    check_comparable(runs)
    latent_dim = runs[0].latent_dim
    prior = np.random.default_rng(SAMPLE_SEED).standard_normal((SAMPLES * SAMPLES, latent_dim))
    figure = new_figure(theme, 18, 5.4 * len(runs) + 0.6)
    finals = [run.encodings(run.epochs_done) for run in runs]
    boxes = np.array([fitted_limits(*plane(final.mu, final.logvar, run.config.variational, dims)) for run, final in zip(runs, finals)])
    half = max(boxes[:, 1].max() - boxes[:, 0].min(), boxes[:, 3].max() - boxes[:, 2].min()) / 2
    cx, cy = (boxes[:, 0].min() + boxes[:, 1].max()) / 2, (boxes[:, 2].min() + boxes[:, 3].max()) / 2
    shared = (cx - half, cx + half, cy - half, cy + half)  # one scale for every row
    row_h = 1 / len(runs)
    for row, (run, final) in enumerate(zip(runs, finals)):
        model = decoder_at(run)
        bottom = 1 - (row + 1) * row_h
        latent_ax = figure.add_axes((0.045, bottom + row_h * 0.1, 0.24, row_h * 0.72))
        epoch = run.epochs_done
        draw_latent(latent_ax, final.mu, final.logvar, final.label, run.config.variational, theme, dims, shared)
        latent_ax.set_title("test set in the latent plane", fontsize=FONT_PT * 0.9)

        samples_ax = figure.add_axes((0.34, bottom + row_h * 0.1, 0.24, row_h * 0.72))
        samples = decode(model, prior).reshape(SAMPLES, SAMPLES, 28, 28)
        _digits(samples_ax, mosaic(samples, gap=2), theme, "samples from N(0, I)")

        recon_ax = figure.add_axes((0.62, bottom + row_h * 0.22, 0.37, row_h * 0.48))
        tracked = run.tracked()
        chosen = tracked.image[one_per_class(tracked.label)]
        pairs = np.stack([chosen, reconstruct(model, chosen)])  # (2, classes, 28, 28)
        _digits(recon_ax, mosaic(pairs, gap=2), theme, "tracked digits (top) and their reconstructions")

        figure.text(0.5, 1 - row * row_h - 0.012 / len(runs) * 2, f"{run_title(run)}  ·  epoch {epoch}  ·  {loss_line(run)}",
                    ha="center", va="top", color=theme.foreground, fontsize=FONT_PT * 1.15)
    class_legend(figure, theme, loc="lower right", bbox_to_anchor=(0.995, 0.0), ncols=10, columnspacing=0.8)
    return figure


def _digits(ax, ink: np.ndarray, theme: Theme, title: str) -> None:
    ax.imshow(enlarge(ink_to_rgb(ink, theme), 4), interpolation="nearest")
    style_axes(ax, theme, grid=False)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=FONT_PT * 0.9)


def render_compare(run_dirs: list[Path], theme: Theme, out: Path | None = None, dims: str = "0,1") -> Written:
    """The comparison still, by default outputs/figures/compare_<run>_vs_<run>.png."""
    runs = [RunFile(path) for path in run_dirs]
    check_comparable(runs)
    require_latent_size(runs[0], 2, "compare")
    axes = parse_dims(dims, runs[0].latent_dim, 2)
    out = out or shared_figure(f"compare_{'_vs_'.join(run_folder(run).name for run in runs)}.png")
    check_still_path(out)
    return save_figure(compare_figure(runs, theme, axes), out)
