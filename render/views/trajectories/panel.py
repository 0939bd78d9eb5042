"""The live panel beside the plane: what the speaker talks about while the digits move.

Three small plots share the steps of the video on their x axis: the training loss of each batch
(reconstruction, then the penalty; smoothed) and the tracked digits' mean radius. They grow as
the video plays, with a cursor and a dot at the current step.

Growing costs nothing per frame: the finished curves are drawn once into a second image, and each
frame copies the pixel columns the cursor passed since the frame before from that image into the
background. Only the cursor and dots are drawn per frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from render.style import Theme
from render.views.trajectories.data import Trajectory
from render.views.trajectories.layout import Box, panel_width

DPI = 100
RUN_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#c44e52", "#937860")
SMOOTH_SHARE = 1 / 50  # the losses' exponential average spans this share of the steps shown (at least one batch)
AA_PAD_PX = 3


def smoothed(values: np.ndarray, span: float) -> np.ndarray:
    """An exponential moving average that steps over NaN (the untrained step has no loss)."""
    alpha = 2.0 / (span + 1.0)
    out = np.full(len(values), np.nan)
    level = np.nan
    for i, value in enumerate(values):
        if np.isfinite(value):
            level = value if np.isnan(level) else level + alpha * (value - level)
        out[i] = level
    return out


def mean_radius(traj: Trajectory) -> np.ndarray:
    return traj.radius.mean(axis=1) if traj.variational else np.full(len(traj.epoch), np.nan)


class LivePanel:
    def __init__(self, figure: Figure, trajs: list[Trajectory], names: list[str], shown: np.ndarray, box: Box,
                 frame_size: tuple[int, int], theme: Theme, text_px: float):
        self.shown = shown
        width, height = frame_size
        self.height = height
        steps = len(trajs[0].epoch)
        span = max(1.0, SMOOTH_SHARE * steps)
        series = {
            "reconstruction": [smoothed(t.loss[:, 0], span) for t in trajs],
            "penalty": [smoothed(t.loss[:, 1], span) for t in trajs],
            "mean radius r": [mean_radius(t) for t in trajs],
        }
        self.series = list(series.values())
        label_pt = 0.8 * text_px * 72 / DPI
        left = box.x + round(2.8 * text_px)
        gap = round(1.6 * text_px)
        plot_h = (box.h - 2 * gap - round(1.2 * text_px)) / 3
        self.axes = []
        self.lines: list[list[Line2D]] = []
        self.cursors, self.dots = [], []
        epoch_starts = np.flatnonzero(np.diff(trajs[0].epoch)) + 1  # (a selection begins with the step before its first epoch)
        for row, (title, values) in enumerate(series.items()):
            top = box.y + round(1.2 * text_px) + row * (plot_h + gap)
            plot = Box(left, round(top), box.right - left, round(plot_h))
            ax = figure.add_axes(plot.fractions(width, height), facecolor="none")
            ax.set_title(title + ("  (smoothed)" if row < 2 else ""), loc="left", fontsize=label_pt, color=theme.muted, pad=label_pt * 0.5)
            ax.set_xlim(0, max(steps - 1, 1))
            finite = np.concatenate([v[np.isfinite(v)] for v in values])
            if len(finite):
                # The first batches' losses are many times the rest: let them leave the top.
                low, high = float(finite.min()), float(np.percentile(finite, 99))
                pad = max(high - low, abs(high) * 0.02, 1e-6) * 0.08
                ax.set_ylim(low - pad, high + pad)
            else:
                ax.set_yticks([])
                ax.text(0.5, 0.5, "no variance: trained without sampling", transform=ax.transAxes, ha="center", va="center",
                        fontsize=label_pt, color=theme.muted)
            ax.set_xticks(epoch_starts)
            ax.set_xticklabels([str(e) for e in trajs[0].epoch[epoch_starts]] if row == 2 else [])
            if row == 2:
                ax.set_xlabel("epoch", fontsize=label_pt, color=theme.muted, labelpad=label_pt * 0.3)
            ax.tick_params(colors=theme.muted, labelsize=label_pt, length=0, pad=label_pt * 0.4)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
            ax.grid(True, color=theme.grid, linewidth=max(1.0, height / 1080))
            ax.set_axisbelow(True)
            for spine in ax.spines.values():
                spine.set_visible(False)
            line_w = max(1.0, 2.0 * height / 1080)
            self.lines.append([ax.plot(np.arange(steps), v, color=RUN_COLORS[i % len(RUN_COLORS)], linewidth=line_w, animated=True)[0]
                               for i, v in enumerate(values)])
            self.cursors.append(ax.axvline(0, color=theme.muted, linewidth=line_w * 0.6, animated=True))
            self.dots.append([ax.plot([0], [0], "o", color=RUN_COLORS[i % len(RUN_COLORS)], markersize=line_w * 3.2, animated=True)[0]
                              for i in range(len(values))])
            self.axes.append(ax)
        if len(trajs) > 1:
            handles = [Line2D([], [], color=RUN_COLORS[i % len(RUN_COLORS)], linewidth=2) for i in range(len(trajs))]
            # Above the plots, in the title band: the curves stay clear.
            figure.legend(handles, names, loc="lower left", bbox_to_anchor=(box.x / width, 1 - box.y / height), fontsize=label_pt * 0.9,
                          frameon=False, labelcolor=theme.foreground, borderaxespad=0, handlelength=1.5)
        self._dot_pad = line_w * 3.2 * DPI / 72 / 2 + AA_PAD_PX
        self._cursor_x = -1

    def finish(self, pixels: np.ndarray, static: np.ndarray) -> None:
        """After the figure's first draw: draw the finished curves once, keep them, restore `pixels`."""
        for ax, lines in zip(self.axes, self.lines):
            for line in lines:
                ax.draw_artist(line)
        self.revealed = pixels.copy()
        pixels[...] = static
        boxes = [ax.bbox.extents for ax in self.axes]  # display coordinates, y up
        self.x0 = int(np.floor(min(b[0] for b in boxes))) - AA_PAD_PX
        self.x1 = int(np.ceil(max(b[2] for b in boxes))) + AA_PAD_PX
        self.y0 = self.height - int(np.ceil(max(b[3] for b in boxes))) - AA_PAD_PX
        self.y1 = self.height - int(np.floor(min(b[1] for b in boxes))) + AA_PAD_PX

    def _cursor_column(self, index: int) -> int:
        """The first pixel column right of the curve at frame `index`'s step."""
        x = self.axes[0].transData.transform((self.shown[index], 0))[0]
        return min(max(int(np.ceil(x)) + 1, self.x0), self.x1)

    def paint(self, background: np.ndarray, static: np.ndarray, index: int) -> None:
        """Frame `index`'s curves, grown up to its step, into `background`, whole."""
        column = self._cursor_column(index)
        rows = slice(self.y0, self.y1)
        background[rows, self.x0:self.x1] = static[rows, self.x0:self.x1]
        background[rows, self.x0:column] = self.revealed[rows, self.x0:column]
        self._cursor_x = column

    def advance(self, background: np.ndarray, index: int) -> np.ndarray:
        """Grow the curves from the last frame's step to frame `index`'s; returns the changed pixel box."""
        column = self._cursor_column(index)
        start = self._cursor_x
        rows = slice(self.y0, self.y1)
        background[rows, start:column] = self.revealed[rows, start:column]
        self._cursor_x = column
        return np.array([[start, self.y0, column, self.y1]], np.float64)

    def draw_moving(self, index: int) -> np.ndarray:
        """The cursor and the dots at frame `index`'s step; returns the pixel boxes drawn."""
        step = int(self.shown[index])
        boxes = []
        for ax, cursor, dots, values in zip(self.axes, self.cursors, self.dots, self.series):
            cursor.set_xdata([step, step])
            ax.draw_artist(cursor)
            for dot, value in zip(dots, values):
                if np.isfinite(value[step]):
                    dot.set_data([step], [value[step]])
                    ax.draw_artist(dot)
            x0, y0, x1, y1 = ax.bbox.extents
            column = ax.transData.transform((step, 0))[0]
            boxes.append([column - self._dot_pad, self.height - y1 - self._dot_pad, column + self._dot_pad, self.height - y0 + self._dot_pad])
        return np.array(boxes, np.float64)


@dataclass
class LivePanelView:
    """The live panel as a side view of the trajectories scene (`--panel`)."""

    names: list[str]  # the runs, for the legend when there are two or more
    theme: Theme
    plane_aspect: float | None = None  # the planes keep the data's aspect
    legend: bool = True

    def width_px(self, width: int, height: int) -> int:
        return panel_width(width)

    def build(self, figure: Figure, box: Box, scene) -> LivePanel:
        return LivePanel(figure, scene.trajs, self.names, scene.shown, box, scene.size, self.theme, scene.layout.text_px)
