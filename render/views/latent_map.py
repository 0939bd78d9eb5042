"""The test set in a 2-D latent plane: variance circles for a VAE, plain markers without sampling.

Shared by `render latent` (one large panel) and `render compare` (one panel per row), so the two
always draw a run the same way. The dashed reference circles are the contours of the prior
N(0, I) at 1 and 2 standard deviations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import EllipseCollection
from matplotlib.colors import to_rgba_array
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from atomic import Written
from render.figures import FONT_PT, check_still_path, new_figure, save_figure, style_axes
from render.sources import chosen_epoch, figure_path, parse_dims, require_latent_size, run_title
from render.style import CLASS_COLORS, Theme
from train.latents import variance_radius
from train.runfile import RunFile

CIRCLE_ALPHA = 0.06  # 10,000 overlapping discs: each faint, dense regions dark
EDGE_ALPHA = 0.18
PRIOR_SIGMAS = (1, 2)


def fitted_limits(mu: np.ndarray, radius: np.ndarray | None) -> tuple[float, float, float, float]:
    """Square limits around the 0.5..99.5 percentiles of the points (and circles), and the prior's 2-sigma circle."""
    reach = radius[:, None] if radius is not None else 0.0
    low = np.minimum(np.percentile(mu - reach, 0.2, axis=0), -max(PRIOR_SIGMAS))
    high = np.maximum(np.percentile(mu + reach, 99.8, axis=0), max(PRIOR_SIGMAS))
    centre, half = (low + high) / 2, (high - low).max() / 2 * 1.06
    return centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half


def plane(mu: np.ndarray, logvar: np.ndarray, variational: bool, dims: tuple[int, int]) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, 2) positions and, for a VAE, radii r = (var_x var_y)^(1/4) in the chosen plane."""
    xy = mu[:, list(dims)].astype(np.float64)
    radius = variance_radius(logvar[:, list(dims)]) if variational else None
    return xy, radius


def draw_latent(ax, mu: np.ndarray, logvar: np.ndarray, labels: np.ndarray, variational: bool, theme: Theme,
                dims: tuple[int, int] = (0, 1), limits: tuple[float, float, float, float] | None = None) -> None:
    """Points (n, d) on `ax`, coloured by class, on equal axes fitted to the data and the prior
    (or to `limits`, so rows of a comparison share their scale)."""
    xy, radius = plane(mu, logvar, variational, dims)
    colors = to_rgba_array([CLASS_COLORS[label] for label in labels])
    if variational:
        face, edge = colors.copy(), colors.copy()
        face[:, 3], edge[:, 3] = CIRCLE_ALPHA, EDGE_ALPHA
        order = np.random.default_rng(0).permutation(len(xy))  # no class painted over all the others
        ax.add_collection(EllipseCollection(2 * radius[order], 2 * radius[order], np.zeros(len(xy)), units="xy", offsets=xy[order],
                                            offset_transform=ax.transData, facecolors=face[order], edgecolors=edge[order],
                                            linewidths=0.4))
        ax.scatter(xy[order, 0], xy[order, 1], s=1.5, c=colors[order], linewidths=0)
    else:
        order = np.random.default_rng(0).permutation(len(xy))
        ax.scatter(xy[order, 0], xy[order, 1], c=colors[order])  # matplotlib's default marker size
    for sigma in PRIOR_SIGMAS:
        ax.add_patch(Circle((0, 0), sigma, fill=False, linestyle=(0, (5, 4)), linewidth=1.2, edgecolor=theme.foreground, alpha=0.7))
        ax.annotate(f"{sigma}\u03c3", (sigma * 0.7071, sigma * 0.7071), xytext=(4, 4), textcoords="offset points",
                    color=theme.foreground, fontsize=FONT_PT * 0.7, alpha=0.8)
    x0, x1, y0, y1 = limits or fitted_limits(xy, radius)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    style_axes(ax, theme)
    ax.set_xlabel(f"z{dims[0] + 1}")
    ax.set_ylabel(f"z{dims[1] + 1}")


def class_legend(figure_or_ax, theme: Theme, **where) -> None:
    handles = [Line2D([], [], linestyle="", marker="o", markersize=FONT_PT * 0.7, markerfacecolor=c, markeredgecolor=c) for c in CLASS_COLORS]
    legend = figure_or_ax.legend(handles, [str(d) for d in range(10)], frameon=False, fontsize=FONT_PT * 0.9,
                                 labelcolor=theme.foreground, title="digit", title_fontsize=FONT_PT * 0.9, handletextpad=0.2, **where)
    legend.get_title().set_color(theme.muted)


def latent_figure(mu: np.ndarray, logvar: np.ndarray, labels: np.ndarray, variational: bool, theme: Theme, title: str,
                  dims: tuple[int, int] = (0, 1)):
    figure = new_figure(theme, 10, 9)
    ax = figure.add_axes((0.1, 0.08, 0.74, 0.82))
    draw_latent(ax, mu, logvar, labels, variational, theme, dims)
    what = "each test digit as its variance circle" if variational else "each test digit at its code (no sampling)"
    ax.set_title(f"{title}\n{what}; dashed: N(0, I) at 1\u03c3 and 2\u03c3", fontsize=FONT_PT, pad=10)
    class_legend(figure, theme, loc="center left", bbox_to_anchor=(0.86, 0.5))
    return figure


def render_latent(run: RunFile, theme: Theme, out: Path | None = None, epoch: int | None = None, dims: str = "0,1") -> Written:
    """The still of the test set at `epoch` (default: the last), by default <run>/figures/latent_e<epoch>.png."""
    require_latent_size(run, 2, "latent")
    epoch = chosen_epoch(run, epoch)
    axes = parse_dims(dims, run.latent_dim, 2)
    out = figure_path(run, out, f"latent_e{epoch}.png")
    check_still_path(out)
    encoded = run.encodings(epoch)
    figure = latent_figure(encoded.mu, encoded.logvar, encoded.label, run.config.variational, theme,
                           f"{run_title(run)}  ·  epoch {epoch}", axes)
    return save_figure(figure, out)
