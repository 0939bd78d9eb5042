"""Collapse of latent variables, per dimension and per epoch, from the run's test-set encodings.

A variable is inactive when the variance of its mean over the test set is below 0.01
(train/latents.py): the decoder cannot read it, and in a VAE its encoder variance sits near 1.
Writes a bar chart of the last epoch, a heat-map of the history, and collapse.json with the numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm

from atomic import Written, write_text_atomically
from render.figures import FONT_PT, check_still_path, new_figure, save_figure, style_axes
from render.sources import chosen_epoch, figure_path, run_folder, run_title
from render.style import CLASS_COLORS, Theme
from train.latents import INACTIVE_THRESHOLD, encoder_dead, latent_stats
from train.runfile import RunFile

ACTIVE_COLOR = CLASS_COLORS[0]


def collapse_numbers(run: RunFile) -> dict:
    """Per epoch and dimension: variance of the mean, mean encoder variance (None without sampling)."""
    history = run.encoding_history()
    mu = history.mu  # (E, n, d)
    stats = latent_stats(mu, history.logvar)
    variational = run.config.variational
    last_inactive = stats.inactive[-1]
    dead = run.dead_units()
    return {
        "run": str(run_folder(run)), "arch": run.config.arch, "mode": run.config.mode, **run.config.training_options,
        "matmul_precision": run.config.matmul_precision,  # bf16 products make another run (train/dense_step.py)
        "threshold": INACTIVE_THRESHOLD, "epochs": list(range(1, mu.shape[0] + 1)),
        "variance_of_mean": stats.variance_of_mu.tolist(),  # [epoch][dim]
        "mean_encoder_variance": stats.mean_variance.tolist() if variational else None,  # untrained without sampling
        "inactive": np.flatnonzero(last_inactive).tolist(), "inactive_count": int(last_inactive.sum()),
        "latent_size": int(mu.shape[-1]),
        "hidden_layers": list(run.config.layers[1:-1]),
        "dead_units": None if dead is None else dead.tolist(),  # [epoch][hidden layer]: units no test input activates (-1: not measured)
        "encoder_dead": encoder_dead(mu[-1]),
    }


def bar_figure(numbers: dict, theme: Theme, title: str):
    var_mu = np.array(numbers["variance_of_mean"][-1])
    inactive = var_mu < numbers["threshold"]
    dims = np.arange(1, len(var_mu) + 1)
    colors = [theme.muted if off else ACTIVE_COLOR for off in inactive]
    panels = 2 if numbers["mean_encoder_variance"] is not None else 1
    figure = new_figure(theme, max(10, 0.55 * len(dims) * panels + 3), 6.5)  # 10 in: the title's lines fit a net of 2 latents
    ax = figure.add_subplot(1, panels, 1)
    ax.bar(dims, np.maximum(var_mu, 1e-6), color=colors, hatch=["//" if off else "" for off in inactive], edgecolor=theme.background)
    ax.set_yscale("log")
    ax.axhline(numbers["threshold"], color=theme.foreground, linestyle="--", linewidth=1.2, label=f"inactive below {numbers['threshold']:g}")
    ax.set_ylim(top=max(var_mu.max(), numbers["threshold"]) * 10)  # a decade of room above the tallest bar, for the legend
    # A legend, not a text label: "best" keeps it off the bars, wherever they stand.
    ax.legend(loc="best", fontsize=FONT_PT * 0.8, facecolor=theme.background, edgecolor=theme.grid, labelcolor=theme.foreground)
    ax.set_title("variance of the mean\nover the test set", fontsize=FONT_PT)
    _dimension_axis(ax, dims, theme)
    if panels == 2:
        enc_var = np.array(numbers["mean_encoder_variance"][-1])
        right = figure.add_subplot(1, 2, 2)
        right.bar(dims, enc_var, color=colors, hatch=["//" if off else "" for off in inactive], edgecolor=theme.background)
        right.axhline(1.0, color=theme.foreground, linestyle="--", linewidth=1.2)
        right.set_ylim(0, max(1.15, enc_var.max() * 1.1))
        right.set_title("mean encoder variance\n(prior: 1)", fontsize=FONT_PT)
        _dimension_axis(right, dims, theme)
    n_off = int(inactive.sum())
    dead, hidden = numbers.get("dead_units"), numbers.get("hidden_layers") or []
    units = ("\nencoder units no test input activates: " + ", ".join(f"{count} of {size}" for count, size in zip(dead[-1], hidden))
             if dead and hidden and min(dead[-1]) >= 0 else "")
    figure.suptitle(f"{title}  ·  epoch {numbers['epochs'][-1]}\n{n_off} of {len(dims)} latent variables inactive (hatched){units}",
                    color=theme.foreground, fontsize=FONT_PT * 1.1)
    figure.tight_layout()
    return figure


def _dimension_axis(ax, dims: np.ndarray, theme: Theme) -> None:
    style_axes(ax, theme)
    ax.set_xticks(dims, [f"z{d}" for d in dims], rotation=90 if len(dims) > 12 else 0)
    ax.set_xlabel("latent variable")


def heatmap_figure(numbers: dict, theme: Theme, title: str):
    history = np.array(numbers["variance_of_mean"]).T  # (d, E)
    d, epochs = history.shape
    figure = new_figure(theme, max(7, 0.7 * epochs + 4), max(4, 0.38 * d + 2.2))
    ax = figure.add_subplot(1, 1, 1)
    image = ax.imshow(np.maximum(history, 1e-6), aspect="auto", cmap="viridis", interpolation="nearest",
                      norm=LogNorm(vmin=max(np.maximum(history, 1e-6).min(), 1e-4), vmax=max(history.max(), 1.0)),
                      extent=(0.5, epochs + 0.5, d + 0.5, 0.5))
    off = history < numbers["threshold"]
    for dim, epoch in zip(*np.nonzero(off)):
        ax.text(epoch + 1, dim + 1, "\u00d7", ha="center", va="center", color="white", fontsize=FONT_PT * 0.7)
    style_axes(ax, theme, grid=False)
    ax.set_xticks(np.arange(1, epochs + 1))
    ax.set_yticks(np.arange(1, d + 1), [f"z{i}" for i in range(1, d + 1)])
    ax.set_xlabel("epoch")
    ax.set_ylabel("latent variable")
    bar = figure.colorbar(image, ax=ax)
    bar.set_label("variance of the mean (\u00d7: below 0.01, inactive)", color=theme.foreground, fontsize=FONT_PT * 0.8)
    bar.ax.tick_params(colors=theme.muted, labelsize=FONT_PT * 0.7)
    ax.set_title(f"{title}: variance of each latent mean over training" + _dead_line(numbers), fontsize=FONT_PT)
    figure.tight_layout()
    return figure


def _dead_line(numbers: dict) -> str:
    """The encoder's dead units by epoch, under the heat-map's title (what the collapse follows from)."""
    dead, hidden = numbers.get("dead_units"), numbers.get("hidden_layers") or []
    if not dead or not hidden or min(min(row) for row in dead) < 0:
        return ""
    per_layer = ", ".join(f"{size}: " + " ".join(str(row[layer]) for row in dead) for layer, size in enumerate(hidden))
    return ("\nencoder dead: every input at one code" if numbers.get("encoder_dead") else "") + f"\ndead units per epoch, by hidden layer ({per_layer})"


def write_json(numbers: dict, path: Path) -> Written:
    return write_text_atomically(path, json.dumps(numbers, indent=1) + "\n")


def render_collapse(run: RunFile, theme: Theme, folder: Path | None = None) -> list[Written]:
    """collapse_bars.png, collapse_history.png and collapse.json in `folder` (default <run>/figures)."""
    chosen_epoch(run, None)  # refuses a run without a finished epoch
    folder = figure_path(run, folder, "")
    numbers = collapse_numbers(run)
    title = run_title(run)
    bars, history = folder / "collapse_bars.png", folder / "collapse_history.png"
    check_still_path(bars)
    return [save_figure(bar_figure(numbers, theme, title), bars), save_figure(heatmap_figure(numbers, theme, title), history),
            write_json(numbers, folder / "collapse.json")]
