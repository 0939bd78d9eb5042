"""The signature video: tracked digits as variance circles moving through the latent space.

Each digit is a circle at its latent mean with radius r, r^2 the geometric mean of the two
variances: r = (sigma_x^2 sigma_y^2)^(1/4) = exp((logvar_x + logvar_y) / 4). A run trained
without sampling never trains its variance head, so its digits are drawn as dots of one fixed
size instead, as in the lecture ("the dimension of points in the latent space has no significance").

Speed comes from blitting: axes, grid, legend and title are rasterised once; each frame draws
only what moves (one collection of circles, one of trails) and stamps the counter with Pillow.
The scene knows where it drew, so after the first frame it hands the video writer just the tiles
that changed (`TileUpdate`): no whole-frame restore, copy or comparison per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

import numpy as np
from matplotlib.collections import EllipseCollection, PathCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.path import Path as MplPath
from matplotlib.figure import Figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D

from render.sources import choose_digits, epochs_label, output_path, parse_dims, require_latent_size
from render.steps import check_epoch_range, frame_steps, parse_epochs
from render.style import CLASS_COLORS, Theme, font_points
from render.text_stamp import TextStamp
from render.video import Rendered, TileUpdate, VideoOptions, VideoSpec, render_video
from render.video.tiles import TileGrid
from train.runfile import RunFile

DPI = 100
AA_PAD_PX = 2  # antialiasing reaches this far past a shape's geometric edge (and then some)
FILL_ALPHA = 0.28
DOT_FILL_ALPHA = 0.8  # runs without sampling: small opaque dots, not variance circles
DOT_RADIUS = 0.006  # of the frame height: 6.5 px at 1080p
TRAIL_ALPHA = 0.55
TRAIL_LEVELS = 4  # the trail fades in this many steps: one compound path per (level, class) keeps drawing cheap


@dataclass(frozen=True)
class Trajectory:
    """The selected steps of a run, projected on two latent dimensions."""

    mu: np.ndarray  # (steps, n, 2)
    radius: np.ndarray  # (steps, n); zeros for a run without sampling (no variance to show)
    epoch: np.ndarray  # (steps,)
    batch: np.ndarray  # (steps,)
    labels: np.ndarray  # (n,)
    batches_per_epoch: dict[int, int]
    title: str
    variational: bool = True


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
    radius = np.exp(logvar.astype(np.float64).sum(axis=-1) / 4.0) if variational else np.zeros(logvar.shape[:2])
    return Trajectory(mu=mu.astype(np.float64), radius=radius, epoch=steps.epoch, batch=steps.batch,
                      labels=run.tracked().label[rows], batches_per_epoch=run.batches_per_epoch(), variational=variational,
                      title=f"{config.arch}  ·  {config.mode}{mode_note}{dims_note}")


def _fitted_limits(traj: Trajectory, box_w: float, box_h: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits that hold every circle of the selected steps, padded, with equal aspect in the box."""
    low = (traj.mu - traj.radius[..., None]).min(axis=(0, 1))
    high = (traj.mu + traj.radius[..., None]).max(axis=(0, 1))
    center, span = (low + high) / 2, np.maximum(high - low, 1e-3) * 1.08
    units_per_px = max(span[0] / box_w, span[1] / box_h)
    half_w, half_h = units_per_px * box_w / 2, units_per_px * box_h / 2
    return (center[0] - half_w, center[0] + half_w), (center[1] - half_h, center[1] + half_h)


@lru_cache(maxsize=64)
def _segment_codes(count: int) -> np.ndarray:
    """Path codes of `count` separate segments: move, line, move, line, ..."""
    codes = np.tile([MplPath.MOVETO, MplPath.LINETO], count).astype(MplPath.code_type)
    codes.flags.writeable = False
    return codes


class TrajectoryScene:
    """A figure whose static parts are drawn once; `frame(i)` returns the RGBA image of frame i."""

    label = "trajectories"

    def __init__(self, traj: Trajectory, shown: np.ndarray, spec: VideoSpec, theme: Theme, trail: int = 12):
        self.traj, self.shown, self.trail = traj, shown, trail
        self.frame_count = len(shown)
        width, height = spec.size
        self.height = height
        face = "none" if spec.transparent else theme.background
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=face)
        self.canvas = FigureCanvasAgg(self.figure)
        text_pt = font_points(height, DPI, 0.028)
        # Axes on the left three quarters, legend on the right; everything in figure fractions.
        ax = self.figure.add_axes((0.075, 0.1, 0.70, 0.78), facecolor=face)
        self.ax = ax
        box_w, box_h = 0.70 * width, 0.78 * height
        xlim, ylim = _fitted_limits(traj, box_w, box_h)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal", adjustable="box")
        ax.grid(True, color=theme.grid, linewidth=max(1.0, height / 1080))
        ax.set_axisbelow(True)
        ax.tick_params(colors=theme.muted, labelsize=text_pt * 0.8, length=0, pad=text_pt * 0.4)
        for spine in ax.spines.values():
            spine.set_visible(False)
        self.figure.text(0.075, 0.925, traj.title, color=theme.foreground, fontsize=text_pt * 1.25, va="bottom", ha="left")
        handles = [Line2D([], [], linestyle="", marker="o", markersize=text_pt * 0.9, markerfacecolor=color,
                          markeredgecolor=color, alpha=0.85) for color in CLASS_COLORS]
        legend = self.figure.legend(handles, [str(d) for d in range(10)], loc="center left", bbox_to_anchor=(0.80, 0.49),
                                    frameon=False, fontsize=text_pt, labelcolor=theme.foreground, title="digit",
                                    title_fontsize=text_pt, handletextpad=0.3, labelspacing=0.55)
        legend.get_title().set_color(theme.muted)

        rgba = to_rgba_array([CLASS_COLORS[label] for label in traj.labels])
        fill_alpha = FILL_ALPHA if traj.variational else DOT_FILL_ALPHA
        self.circles = EllipseCollection(np.ones(len(rgba)), np.ones(len(rgba)), np.zeros(len(rgba)), units="xy",
                                         offsets=traj.mu[0], offset_transform=ax.transData,
                                         facecolors=np.c_[rgba[:, :3], np.full(len(rgba), fill_alpha)],
                                         edgecolors=np.c_[rgba[:, :3], np.full(len(rgba), 0.95)],
                                         linewidths=max(1.0, 1.6 * height / 1080), animated=True)
        ax.add_collection(self.circles)
        self.trails = PathCollection([], facecolors="none", linewidths=max(1.0, 2.0 * height / 1080), capstyle="round", animated=True)
        ax.add_collection(self.trails)
        # How far past its centre line or edge each moving shape can paint, in pixels.
        self._circle_pad = self.circles.get_linewidths()[0] * DPI / 72 + AA_PAD_PX
        self._trail_pad = self.trails.get_linewidths()[0] * DPI / 72 + AA_PAD_PX
        self.counter = TextStamp((0.775 * width, (1 - 0.925) * height), text_pt * DPI / 72, theme.muted)
        # Trails are drawn one compound path per (fade level, class): rows grouped by class once.
        self._by_class = np.argsort(traj.labels, kind="stable")
        classes, starts = np.unique(traj.labels[self._by_class], return_index=True)
        self._class_rows = [(int(c), slice(a, b)) for c, a, b in zip(classes, starts, [*starts[1:], len(traj.labels)])]
        self._trail_rgb = {int(c): to_rgba(CLASS_COLORS[c])[:3] for c in classes}

        self.canvas.draw()
        self.pixels = np.asarray(self.canvas.buffer_rgba())  # the canvas's own memory, drawn into in place
        self.background = self.pixels.copy()
        self.grid = TileGrid(width, height)
        self._drawn = np.zeros((self.grid.rows, self.grid.cols), bool)  # tiles the moving shapes cover now
        origin = self.to_pixels([0.0, 0.0])[0]
        self._px_origin, self._px_per_unit = origin, self.to_pixels([1.0, 1.0])[0] - origin  # (+x, -y): rows grow down
        # Radii in latent units, per step and digit: the variance circles, or dots of one size in pixels.
        self.radius = traj.radius if traj.variational else np.full(traj.radius.shape, DOT_RADIUS * height / self._px_per_unit[0])

    def _counter_text(self, step: int) -> str:
        epoch = int(self.traj.epoch[step])
        if epoch == 0:
            return "before training"
        return f"epoch {epoch}  ·  batch {int(self.traj.batch[step]) + 1}/{self.traj.batches_per_epoch[epoch]}"

    def _set_trails(self, history: np.ndarray) -> None:
        """Segments between the last positions of every digit, older ones fainter."""
        points = self.traj.mu[history][:, self._by_class].transpose(1, 0, 2)  # (n, k, 2), oldest first, by class
        segments = np.stack([points[:, :-1], points[:, 1:]], axis=2)  # (n, k-1, 2 ends, 2)
        age = np.arange(segments.shape[1])[::-1]  # 0 = newest segment
        level = np.minimum(age * TRAIL_LEVELS // max(self.trail - 1, 1), TRAIL_LEVELS - 1)
        paths, colors = [], []
        for lvl in np.unique(level):
            columns = np.flatnonzero(level == lvl)  # a contiguous run of ages
            for label, rows in self._class_rows:
                vertices = segments[rows, columns[0]:columns[-1] + 1].reshape(-1, 2)
                paths.append(MplPath(vertices, _segment_codes(len(vertices) // 2)))
                colors.append((*self._trail_rgb[label], TRAIL_ALPHA * (1 - lvl / TRAIL_LEVELS)))
        self.trails.set_paths(paths)
        self.trails.set_edgecolor(colors)

    def _draw_moving(self, index: int) -> np.ndarray:
        """Draw trails, circles and counter of frame `index` over the canvas; returns the (m, 4)
        pixel boxes (x0, y0, x1, y1) that hold everything drawn."""
        traj, step = self.traj, int(self.shown[index])
        boxes = []
        if self.trail > 1 and index > 0:
            history = self.shown[max(0, index - self.trail + 1):index + 1]
            self._set_trails(history)
            self.ax.draw_artist(self.trails)
            points = self._px_origin + traj.mu[history] * self._px_per_unit  # (k, n, 2)
            boxes.append(np.c_[points.min(axis=0) - self._trail_pad, points.max(axis=0) + self._trail_pad])
        diameter = 2.0 * self.radius[step]
        self.circles.set_offsets(traj.mu[step])
        self.circles.set_widths(diameter)
        self.circles.set_heights(diameter)
        self.ax.draw_artist(self.circles)
        centers = self._px_origin + traj.mu[step] * self._px_per_unit
        reach = (self.radius[step] * self._px_per_unit[0] + self._circle_pad)[:, None]
        boxes.append(np.c_[centers - reach, centers + reach])
        boxes.append(np.array([self.counter.draw(self.pixels, self._counter_text(step))], dtype=np.float64))
        return np.concatenate(boxes)

    def frame(self, index: int) -> np.ndarray:
        """The whole RGBA image of frame `index` (a copy), drawn from the background up."""
        self.pixels[...] = self.background
        self._drawn = self.grid.covering(self._draw_moving(index))
        return self.pixels.copy()

    def update(self, index: int) -> TileUpdate:
        """Frame `index` as the tiles that differ from the frame drawn before it: those the moving
        shapes covered then (put back to background) and those they cover now."""
        grid, before = self.grid, self._drawn
        rows, cols = np.nonzero(before)
        grid.put(self.pixels, rows, cols, grid.gather(self.background, rows, cols))
        self._drawn = grid.covering(self._draw_moving(index))
        rows, cols = np.nonzero(before | self._drawn)
        return TileUpdate(rows, cols, grid.gather(self.pixels, rows, cols))

    def frames(self) -> Iterator[np.ndarray | TileUpdate]:
        """The first frame whole, then updates: what `write_video` streams."""
        yield self.frame(0)
        for index in range(1, len(self.shown)):
            yield self.update(index)

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Latent (x, y) -> (column, row) in the frame, for checks and overlays."""
        display = self.ax.transData.transform(np.atleast_2d(xy))
        return np.c_[display[:, 0], self.height - display[:, 1]]


def render_trajectories(run: RunFile, video: VideoOptions, epochs: str | None = None, dims: str = "0,1",
                        every: int | None = None, trail: int = 12, digits: str | None = None) -> Rendered:
    """The trajectories video of `epochs` (text like 2-10; default: every finished epoch) for the
    tracked digits `digits` picks (default: all), and its poster; by default
    <run>/videos/trajectories_e<epochs>.<format>."""
    require_latent_size(run, 2, "trajectories")
    first, last = parse_epochs(epochs) if epochs else (1, max(run.epochs_done, 1))
    tracked = run.tracked()
    rows = choose_digits(digits, tracked.label, tracked.index)
    traj = load_trajectory(run, first, last, parse_dims(dims, run.latent_dim, 2), rows)
    out = output_path(run, video.out, "videos", f"trajectories_{epochs_label(first, last)}.{video.spec.format}")
    shown = frame_steps(np.arange(len(traj.epoch)), video.spec.fps, every=every, duration=video.duration)
    scene = TrajectoryScene(traj, shown, video.spec, video.theme, trail=trail)
    return render_video(scene, out, video.spec, progress=video.progress)
