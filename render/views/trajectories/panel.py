"""The live panel beside the plane: what the speaker talks about while the digits move.

Three small plots share the steps of the video on their x axis: the training loss of each batch
(reconstruction, then the penalty; smoothed) and the tracked digits' mean radius. They grow as
the video plays, with a cursor and a dot at the current step. Beside the planes they stand one
above the other; under wide planes (`row`), side by side, the runs' legend at the row's end.

Growing costs nothing per frame: the finished curves are drawn once into a second image, and each
frame copies the pixel columns the cursor passed since the frame before from that image into the
background. Only the cursor and dots are drawn per frame, stamped with numpy rather than drawn by
matplotlib, so the panel can stand in the default frame at almost no cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from render.figures import style_axes
from render.style import AA_PAD_PX, RUN_COLORS, Theme, pixels, points, px_scale, run_color
from render.views.trajectories.data import Trajectory
from render.views.trajectories.layout import Box, panel_width

LOSSES_TOP = 99  # percentile of a plot's values at its top: the first batches' losses, many times the rest, leave it
LOSSES_PAD = 0.08  # of the span shown, above and below
LOSSES_LEAST_SPAN = 0.02  # of the top value: the span shown is at least this
SMOOTH_SHARE = 1 / 50  # the losses' exponential average spans this share of the steps shown (at least one batch)


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


def _plot_boxes(box: Box, text_px: float, row: bool, runs_w: int) -> list[Box]:
    """The three plots' boxes: one above the other, or side by side (`row`) before a legend cell `runs_w` wide."""
    title_h, labels_w = round(1.2 * text_px), round(2.8 * text_px)
    if not row:
        gap = round(1.6 * text_px)
        plot_h = (box.h - 2 * gap - title_h) / 3
        left = box.x + labels_w
        return [Box(left, round(box.y + title_h + index * (plot_h + gap)), box.right - left, round(plot_h)) for index in range(3)]
    gap = round(1.2 * text_px)
    below = round(1.6 * text_px)  # the epochs under each plot
    plot_w = (box.w - runs_w - 3 * labels_w - 2 * gap) / 3
    return [Box(round(box.x + labels_w + index * (plot_w + gap + labels_w)), box.y + title_h, round(plot_w), box.h - title_h - below)
            for index in range(3)]


def _series(trajs: list[Trajectory]) -> dict[str, list[np.ndarray]]:
    """The three plots' curves, one per run: the smoothed losses of each batch, and the mean radius."""
    span = max(1.0, SMOOTH_SHARE * len(trajs[0].epoch))
    return {
        "reconstruction": [smoothed(t.loss[:, 0], span) for t in trajs],
        "penalty": [smoothed(t.loss[:, 1], span) for t in trajs],
        "mean radius r": [mean_radius(t) for t in trajs],
    }


def _runs_legend_cell(box: Box, names: list[str], runs: int, text_px: float, row: bool) -> tuple[int, int]:
    """(width, height) of the runs' legend cell (two runs or more, the plots side by side): at the
    row's end, a line and the longest name; in a narrow row (a portrait frame), under the plots instead."""
    if not (row and runs > 1):
        return 0, 0
    runs_w = round((0.55 * 0.72 * max(len(name) for name in names) + 3.0) * text_px)
    if runs_w > 0.35 * box.w:
        return 0, round((runs * 1.3 * 0.72 + 0.8) * text_px)
    return runs_w, 0


class LivePanel:
    def __init__(self, figure: Figure, trajs: list[Trajectory], names: list[str], shown: np.ndarray, box: Box,
                 frame_size: tuple[int, int], theme: Theme, text_px: float, row: bool = False, unit_h: int | None = None):
        self.shown, self.row = shown, row
        width, height = frame_size
        self.height = height
        unit_h = unit_h or height  # the frame height line widths scale with
        series = _series(trajs)
        self.series = list(series.values())
        label_pt = points(0.8 * text_px)
        runs_w, runs_h = _runs_legend_cell(box, names, len(trajs), text_px, row)
        plots = _plot_boxes(Box(box.x, box.y, box.w, box.h - runs_h), text_px, row, runs_w)
        line_w = max(1.0, 2.0 * px_scale(unit_h))
        self.axes = []
        self.lines: list[list[Line2D]] = []
        for index, (title, values, plot) in enumerate(zip(series, series.values(), plots)):
            ax = self._plot(figure, index, title, values, plot, trajs[0], frame_size, theme, label_pt, unit_h)
            self.lines.append([ax.plot(np.arange(len(trajs[0].epoch)), v, color=run_color(i), linewidth=line_w, animated=True)[0]
                               for i, v in enumerate(values)])
            self.axes.append(ax)
        if len(trajs) > 1:
            self._runs_legend(figure, names, len(trajs), box, frame_size, runs_w, runs_h, label_pt, theme)
        # The cursor (a line) and the dots (a marker of 3.2 line widths, with its 1 pt edge), in pixels.
        self._cursor_w, self._dot_d = pixels(line_w * 0.6), pixels(line_w * 3.2 + 1.0)
        self._cursor_rgb = np.array(to_rgb(theme.muted), np.float32) * 255
        self._run_rgb = [np.array(to_rgb(color), np.float32) * 255 for color in RUN_COLORS]
        self._dot_pad = self._dot_d / 2 + AA_PAD_PX

    def _plot(self, figure: Figure, index: int, title: str, values: list[np.ndarray], plot: Box, first: Trajectory,
              frame_size: tuple[int, int], theme: Theme, label_pt: float, unit_h: int):
        """Plot `index`'s axes, without its curves: title, limits (the first batches' losses may leave
        the top), epoch ticks (numbered under the last plot, or under each in a row)."""
        width, height = frame_size
        steps = len(first.epoch)
        epoch_starts = np.flatnonzero(np.diff(first.epoch)) + 1  # (a selection begins with the step before its first epoch)
        ax = figure.add_axes(plot.fractions(width, height))
        ax.set_title(title + ("  (smoothed)" if index < 2 else ""), loc="left", fontsize=label_pt, color=theme.muted,
                     pad=label_pt * 0.5)
        ax.set_xlim(0, max(steps - 1, 1))
        finite = np.concatenate([v[np.isfinite(v)] for v in values])
        if len(finite):
            # The first batches' losses are many times the rest: let them leave the top.
            low, high = float(finite.min()), float(np.percentile(finite, LOSSES_TOP))
            pad = max(high - low, abs(high) * LOSSES_LEAST_SPAN, 1e-6) * LOSSES_PAD
            ax.set_ylim(low - pad, high + pad)
        else:
            ax.set_yticks([])
            ax.text(0.5, 0.5, "no variance: trained without sampling", transform=ax.transAxes, ha="center", va="center",
                    fontsize=label_pt, color=theme.muted)
        ax.set_xticks(epoch_starts)
        ax.set_xticklabels([str(e) for e in first.epoch[epoch_starts]] if self.row or index == 2 else [])
        if index == 2:
            ax.set_xlabel("epoch", labelpad=label_pt * 0.3)
        style_axes(ax, theme, tick_pt=label_pt, label_pt=label_pt, label_color=theme.muted,
                   grid_width=max(1.0, px_scale(unit_h)), tick_pad=label_pt * 0.4, facecolor="none")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
        return ax

    @staticmethod
    def _runs_legend(figure: Figure, names: list[str], runs: int, box: Box, frame_size: tuple[int, int], runs_w: int, runs_h: int,
                     label_pt: float, theme: Theme) -> None:
        """The runs' colours and names: above the plots, in the title band, or in its own cell at the
        row's end or under the plots; the curves stay clear."""
        width, height = frame_size
        handles = [Line2D([], [], color=run_color(i), linewidth=2) for i in range(runs)]
        if runs_w:
            anchor = ("center right", (box.right / width, 1 - (box.y + box.h / 2) / height))
        elif runs_h:
            anchor = ("lower left", (box.x / width, 1 - box.bottom / height))
        else:
            anchor = ("lower left", (box.x / width, 1 - box.y / height))
        figure.legend(handles, names, loc=anchor[0], bbox_to_anchor=anchor[1], fontsize=label_pt * 0.9,
                      frameon=False, labelcolor=theme.foreground, borderaxespad=0, handlelength=1.5)

    def finish(self, pixels: np.ndarray, static: np.ndarray) -> None:
        """After the figure's first draw: draw the finished curves once, keep them, restore `pixels`."""
        for ax, lines in zip(self.axes, self.lines):
            for line in lines:
                ax.draw_artist(line)
        self.revealed = pixels.copy()
        pixels[...] = static
        self.pixels = pixels  # the frame the cursor and dots are stamped into
        self._plots = [(int(round(x0)), self.height - int(round(y1)), int(round(x1)), self.height - int(round(y0)))
                       for x0, y0, x1, y1 in (ax.bbox.extents for ax in self.axes)]  # (left, top, right, bottom) in pixels
        # Each plot's pixel region (one shared region when they stand one above the other: the same columns).
        self.regions = []
        for ax in self.axes[:1] if not self.row else self.axes:
            boxes = [other.bbox.extents for other in (self.axes if not self.row else [ax])]  # display coordinates, y up
            self.regions.append((ax, int(np.floor(min(b[0] for b in boxes))) - AA_PAD_PX,
                                 int(np.ceil(max(b[2] for b in boxes))) + AA_PAD_PX,
                                 self.height - int(np.ceil(max(b[3] for b in boxes))) - AA_PAD_PX,
                                 self.height - int(np.floor(min(b[1] for b in boxes))) + AA_PAD_PX))
        self.x0, self.x1, self.y0, self.y1 = self.regions[0][1:]
        self._cursor_x = [-1] * len(self.regions)

    def _cursor_column(self, index: int, region: int = 0) -> int:
        """The first pixel column right of the curve at frame `index`'s step, in plot region `region`."""
        ax, x0, x1, _, _ = self.regions[region]
        x = ax.transData.transform((self.shown[index], 0))[0]
        return min(max(int(np.ceil(x)) + 1, x0), x1)

    def paint(self, background: np.ndarray, static: np.ndarray, index: int) -> None:
        """Frame `index`'s curves, grown up to its step, into `background`, whole."""
        for region, (_, x0, x1, y0, y1) in enumerate(self.regions):
            column = self._cursor_column(index, region)
            rows = slice(y0, y1)
            background[rows, x0:x1] = static[rows, x0:x1]
            background[rows, x0:column] = self.revealed[rows, x0:column]
            self._cursor_x[region] = column

    def advance(self, background: np.ndarray, index: int) -> np.ndarray:
        """Grow the curves from the last frame's step to frame `index`'s; returns the changed pixel boxes."""
        boxes = []
        for region, (_, _, _, y0, y1) in enumerate(self.regions):
            column = self._cursor_column(index, region)
            start = self._cursor_x[region]
            background[y0:y1, start:column] = self.revealed[y0:y1, start:column]
            self._cursor_x[region] = column
            boxes.append([start, y0, column, y1])
        return np.array(boxes, np.float64)

    def draw_moving(self, index: int) -> np.ndarray:
        """The cursor and the dots at frame `index`'s step, stamped into the frame with numpy (no
        matplotlib draw per frame); returns the pixel boxes drawn."""
        step = int(self.shown[index])
        boxes = []
        for ax, values, (left, top, right, bottom) in zip(self.axes, self.series, self._plots):
            column = ax.transData.transform((step, 0))[0]
            cover = np.clip(np.minimum(np.arange(left, right) + 1, column + self._cursor_w / 2)
                            - np.maximum(np.arange(left, right), column - self._cursor_w / 2), 0, 1)
            lit = np.flatnonzero(cover)
            if len(lit):
                _over(self.pixels, left + lit[0], top, np.broadcast_to(cover[lit[0]:lit[-1] + 1], (bottom - top, lit[-1] + 1 - lit[0])),
                      self._cursor_rgb)
            for run, value in enumerate(values):
                if np.isfinite(value[step]):
                    x, y = ax.transData.transform((step, value[step]))
                    self._dot(run, x, self.height - y, (left, top, right, bottom))
            boxes.append([column - self._dot_pad, top - self._dot_pad, column + self._dot_pad, bottom + self._dot_pad])
        return np.array(boxes, np.float64)

    def _dot(self, run: int, x: float, y: float, clip: tuple[int, int, int, int]) -> None:
        """A filled, antialiased disc of run `run`'s colour centred at pixel (x, y), clipped to the plot."""
        radius = self._dot_d / 2
        x0, y0 = max(int(np.floor(x - radius)), clip[0]), max(int(np.floor(y - radius)), clip[1])
        x1, y1 = min(int(np.ceil(x + radius)) + 1, clip[2]), min(int(np.ceil(y + radius)) + 1, clip[3])
        if x0 >= x1 or y0 >= y1:
            return
        sub = (np.arange(4) + 0.5) / 4  # 4 x 4 samples a pixel
        dx = (np.arange(x0, x1)[:, None] + sub).ravel() - x
        dy = (np.arange(y0, y1)[:, None] + sub).ravel() - y
        inside = (dy[:, None] ** 2 + dx[None, :] ** 2 <= radius ** 2).astype(np.float32)
        cover = inside.reshape(y1 - y0, 4, x1 - x0, 4).mean(axis=(1, 3))
        _over(self.pixels, x0, y0, cover, self._run_rgb[run % len(self._run_rgb)])


def _over(frame: np.ndarray, x0: int, y0: int, cover: np.ndarray, rgb: np.ndarray) -> None:
    """Paint colour `rgb` (0-255) over `frame` at coverage `cover` (h, w) in 0..1, straight RGBA "over"
    (right on the transparent mov frames too)."""
    h, w = cover.shape
    region = frame[y0:y0 + h, x0:x0 + w]
    ink = cover[:region.shape[0], :region.shape[1], None].astype(np.float32)
    below = region[..., 3:] / np.float32(255)
    alpha = ink + below * (1 - ink)
    region[..., :3] = np.rint((rgb * ink + region[..., :3] * (below * (1 - ink))) / np.maximum(alpha, 1e-6))
    region[..., 3:] = np.rint(alpha * 255)


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
        return LivePanel(figure, scene.trajs, self.names, scene.shown, box, scene.size, self.theme, scene.layout.text_px,
                         row=scene.layout.panel_row and box.w >= 2 * box.h, unit_h=scene.layout.unit_h)
