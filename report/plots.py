"""A sweep's numbers over seeds as SVG plots, drawn by the project (no plotting library at view time)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import MaxNLocator

from render.figures import FONT_PT, new_figure, style_axes
from render.style import CLASS_COLORS, theme

if TYPE_CHECKING:
    from sweep.summary import SummaryRow


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", facecolor=figure.get_facecolor())
    return buffer.getvalue()


def loss_curves_svg(curves: dict[str, list[list[float]]]) -> tuple[str, list[dict]]:
    """Test loss per epoch, per configuration: the mean over seeds as points joined by a line and a
    min-max band (a bar where there is one epoch, which a band or line could not show); and the numbers.
    The epoch axis has whole epochs only."""
    look = theme("light")
    figure = new_figure(look, 9, 5)
    ax = figure.add_subplot(1, 1, 1)
    table, longest = [], 1
    for index, (label, runs) in enumerate(curves.items()):
        epochs = min(len(run) for run in runs)
        values = np.array([run[:epochs] for run in runs])  # (seeds, epochs)
        x = np.arange(1, epochs + 1)
        longest = max(longest, epochs)
        color = CLASS_COLORS[index % len(CLASS_COLORS)]
        if epochs > 1:
            ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.18, linewidth=0)
        else:
            ax.vlines(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.5, linewidth=6)
        ax.plot(x, values.mean(axis=0), color=color, linewidth=2, marker="o", markersize=6 if epochs <= 30 else 0,
                label=f"{label} ({len(runs)} seed{'s' * (len(runs) > 1)})")
        table += [{"configuration": label, "epoch": int(e), "mean": float(m), "min": float(lo), "max": float(hi)}
                  for e, m, lo, hi in zip(x, values.mean(axis=0), values.min(axis=0), values.max(axis=0))]
    style_axes(ax, look)
    ax.set_xlim(0.5, longest + 0.5)
    ax.set_xticks(np.arange(1, longest + 1, max(1, int(np.ceil(longest / 12)))))
    ax.set_xlabel("epoch")
    ax.set_ylabel("test loss per image")
    ax.legend(fontsize=FONT_PT * 0.7, frameon=False)
    figure.tight_layout()
    return _svg(figure), table


def inactive_svg(rows: list[SummaryRow]) -> tuple[str, list[dict]]:
    """Inactive latent variables per configuration: mean over seeds with min-max bars."""
    look = theme("light")
    done = [row for row in rows if row.finished]
    figure = new_figure(look, 9, max(3, 0.5 * len(done) + 1.5))
    ax = figure.add_subplot(1, 1, 1)
    labels = [row.label for row in done]
    means = np.array([row.inactive.mean for row in done])
    low = means - np.array([row.inactive.min for row in done])
    high = np.array([row.inactive.max for row in done]) - means
    ax.barh(np.arange(len(done)), means, xerr=[low, high], color=CLASS_COLORS[0], alpha=0.8, capsize=4)
    ax.set_yticks(np.arange(len(done)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1.0, float((means + high).max()) * 1.1 if len(done) else 1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style_axes(ax, look)
    ax.set_xlabel("inactive latent variables (mean, min-max over seeds)")
    figure.tight_layout()
    return _svg(figure), [{"configuration": row.label, "mean": row.inactive.mean, "min": row.inactive.min, "max": row.inactive.max} for row in done]
