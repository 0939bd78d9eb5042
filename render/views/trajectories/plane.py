"""One run's latent plane: grid, tick labels and the moving circles and trails, under a camera.

The grid and the tick labels belong to the background, which is still under a fixed camera and
changes every frame under a following one. A full matplotlib redraw per frame would cost more than
the whole frame does today, so the plane paints its own grid: a grid line only ever covers whole
pixel columns (or rows) of the plot, so the plot is `colour[max(column coverage, row coverage)]`,
one lookup table of 256 colours. When the view moves, only the tile columns and rows whose
coverage changed are repainted, and only the tick strips are re-stamped; the writer then gets
those tiles and the ones the shapes touched, as before.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.collections import EllipseCollection, PathCollection
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from render.style import AA_PAD_PX, CLASS_COLORS, Theme, pixels, px_scale
from render.text_stamp import TextStamp
from render.video.tiles import TileGrid
from render.views.trajectories.data import Trajectory
from render.views.trajectories.layout import Box

FILL_ALPHA = 0.28
EDGE_ALPHA = 0.95  # the circles' outlines
DOT_FILL_ALPHA = 0.8  # runs without sampling: small opaque dots, not variance circles
DOT_RADIUS = 0.006  # of the frame height: 6.5 px at 1080p
TRAIL_ALPHA = 0.55
TRAIL_LEVELS = 4  # the trail fades in this many steps: one compound path per (level, class) keeps drawing cheap
GRID_LINE = 1.4  # px at 1080p: the grid's lines
EDGE_LINE = 1.6  # points at 1080p: the circles' outlines
TRAIL_LINE = 2.0  # points at 1080p: the trails
TICK_SPACING = 5.5  # text heights between grid lines, at least
TICK_STEPS = (1, 2, 2.5, 5, 10)  # a grid line every one of these times a power of ten
TICK_TEXT = 0.8  # the tick labels' height, of the body text's
TICK_GAP = 0.45  # text heights between a tick label and its plane
MINUS = "\u2212"


@lru_cache(maxsize=64)
def _segment_codes(count: int) -> np.ndarray:
    """Path codes of `count` separate segments: move, line, move, line, ..."""
    codes = np.tile([MplPath.MOVETO, MplPath.LINETO], count).astype(MplPath.code_type)
    codes.flags.writeable = False
    return codes


def _tick_texts(values: np.ndarray) -> list[str]:
    """Tick labels with as few decimals as tell every value exactly (2.5 stays 2.5), a real minus."""
    decimals = next((d for d in range(7) if np.allclose(np.round(values, d), values, rtol=0, atol=1e-9)), 6)
    texts = [f"{0.0 if abs(value) < 0.5 * 10.0 ** -decimals else value:.{decimals}f}" for value in values]  # no "-0"
    return [text.replace("-", MINUS) for text in texts]


def _coverage(positions: np.ndarray, length: int, width: float) -> np.ndarray:
    """uint8 coverage of `length` pixels by lines `width` px wide centred at float `positions`."""
    cover = np.zeros(length + 1, np.float64)
    for center in positions:
        lo, hi = center - width / 2, center + width / 2
        for pixel in range(max(int(np.floor(lo)), 0), min(int(np.ceil(hi)), length)):
            cover[pixel] += max(0.0, min(pixel + 1, hi) - max(pixel, lo))
    return np.rint(np.minimum(cover[:length], 1.0) * 255).astype(np.uint8)


def _blend_table(face: tuple, line: tuple) -> np.ndarray:
    """(256, 4) uint8: `line` over `face` at coverage 0..255, straight RGBA ("over")."""
    a = np.arange(256)[:, None] / 255 * line[3]
    alpha = a + face[3] * (1 - a)
    rgb = (np.array(line[:3]) * a + np.array(face[:3]) * face[3] * (1 - a)) / np.maximum(alpha, 1e-9)
    return np.rint(np.c_[rgb, alpha] * 255).astype(np.uint8)


class Plane:
    """The plot of one run in `box`, looking through `views` (frames, 3): (centre x, centre y, units per px)."""

    def __init__(self, figure: Figure, traj: Trajectory, shown: np.ndarray, views: np.ndarray, box: Box, frame_size: tuple[int, int],
                 theme: Theme, transparent: bool, text_px: float, gutter: int, trail: int, unit_h: int | None = None):
        """`unit_h`: the frame height that line widths and dots scale with (default: this frame's;
        `--aspect fit` keeps the requested frame's)."""
        self.traj, self.shown, self.views, self.box, self.trail = traj, shown, views, box, trail
        width, height = frame_size
        unit_h = unit_h or height
        self.grid = TileGrid(width, height)
        self.ax = figure.add_axes(box.fractions(width, height))
        self.ax.set_axis_off()
        face = (0.0, 0.0, 0.0, 0.0) if transparent else to_rgba(theme.background)
        self.table = _blend_table(face, to_rgba(theme.grid))
        self.line_px = max(1.0, GRID_LINE * px_scale(unit_h))
        self.locators = [MaxNLocator(nbins=max(2, round(box.w / (TICK_SPACING * text_px))), steps=list(TICK_STEPS)),
                         MaxNLocator(nbins=max(2, round(box.h / (TICK_SPACING * text_px))), steps=list(TICK_STEPS))]
        tick_px = TICK_TEXT * text_px
        self.x_labels = TextStamp((0, 0), tick_px, theme.muted, anchor="mt")
        self.y_labels = TextStamp((0, 0), tick_px, theme.muted, anchor="rm")
        self.label_gap = round(TICK_GAP * text_px)
        # The strips the tick labels live in, whole tiles, so they can be restored and re-stamped.
        tw, th = self.grid.tile_w, self.grid.tile_h
        below = box.bottom + round(1.5 * tick_px) + self.label_gap
        strip_x0 = max(box.x - tw, 0)  # one tile either side, for labels centred on the outermost ticks
        self.x_strip = Box(strip_x0, box.bottom, min(box.right + tw, width) - strip_x0, -(-(below - box.bottom) // th) * th)
        strip_x = max(box.x - (gutter // tw) * tw, 0)
        top = max(box.y - th * 2, 0)
        self.y_strip = Box(strip_x, top, box.x - strip_x, min(box.h + th * 4, height - top))
        self._strip_tiles = self.grid.covering(np.array([[s.x, s.y, s.right, s.bottom] for s in (self.x_strip, self.y_strip)]))
        self._profiles: tuple[np.ndarray, np.ndarray] | None = None
        self._labels: tuple | None = None

        rgba = to_rgba_array([CLASS_COLORS[label] for label in traj.labels])
        fill_alpha = FILL_ALPHA if traj.variational else DOT_FILL_ALPHA
        count = len(rgba)
        self.circles = EllipseCollection(np.ones(count), np.ones(count), np.zeros(count), units="xy", offsets=traj.mu[0],
                                         offset_transform=self.ax.transData,
                                         facecolors=np.c_[rgba[:, :3], np.full(count, fill_alpha)],
                                         edgecolors=np.c_[rgba[:, :3], np.full(count, EDGE_ALPHA)],
                                         linewidths=max(1.0, EDGE_LINE * px_scale(unit_h)), animated=True)
        self.ax.add_collection(self.circles)
        self.trails = PathCollection([], facecolors="none", linewidths=max(1.0, TRAIL_LINE * px_scale(unit_h)), capstyle="round", animated=True)
        self.ax.add_collection(self.trails)
        # How far past its centre line or edge each moving shape can paint, in pixels.
        self._circle_pad = pixels(self.circles.get_linewidths()[0]) + AA_PAD_PX
        self._trail_pad = pixels(self.trails.get_linewidths()[0]) + AA_PAD_PX
        self.dot_px = DOT_RADIUS * unit_h
        # Trails are drawn one compound path per (fade level, class): rows grouped by class once.
        self._by_class = np.argsort(traj.labels, kind="stable")
        classes, starts = np.unique(traj.labels[self._by_class], return_index=True)
        self._class_rows = [(int(c), slice(a, b)) for c, a, b in zip(classes, starts, [*starts[1:], len(traj.labels)])]
        self._trail_rgb = {int(c): to_rgba(CLASS_COLORS[c])[:3] for c in classes}
        self._index = -1
        self.look(0)

    # -- the view ------------------------------------------------------------------------------
    def look(self, index: int) -> None:
        """Point the axes at frame `index`'s view (for the shapes matplotlib draws)."""
        self._index = index
        cx, cy, units = self.views[index]
        half_w, half_h = units * self.box.w / 2, units * self.box.h / 2
        self.ax.set_xlim(cx - half_w, cx + half_w)
        self.ax.set_ylim(cy - half_h, cy + half_h)

    def to_pixels(self, xy: np.ndarray, index: int | None = None) -> np.ndarray:
        """Latent (x, y) -> (column, row) in the frame under frame `index`'s view (default: the current)."""
        cx, cy, units = self.views[self._index if index is None else index]
        xy = np.asarray(xy, np.float64)
        col = self.box.x + self.box.w / 2 + (xy[..., 0] - cx) / units
        row = self.box.y + self.box.h / 2 - (xy[..., 1] - cy) / units
        return np.stack([col, row], axis=-1)

    def _ticks(self, index: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[list, list]]:
        """Grid-line pixel positions inside the box and the labels to stamp, for frame `index`."""
        cx, cy, units = self.views[index]
        half_w, half_h = units * self.box.w / 2, units * self.box.h / 2
        positions, labels = [], []
        for axis, (low, high, locator) in enumerate(((cx - half_w, cx + half_w, self.locators[0]),
                                                      (cy - half_h, cy + half_h, self.locators[1]))):
            values = locator.tick_values(low, high)
            values = values[(values >= low) & (values <= high)]
            px = (values - low) / units if axis == 0 else (high - values) / units
            positions.append(px)
            labels.append(list(zip(_tick_texts(values), px.tolist())))
        return (positions[0], positions[1]), (labels[0], labels[1])

    # -- the background --------------------------------------------------------------------------
    def paint(self, background: np.ndarray, static: np.ndarray, index: int) -> None:
        """Paint frame `index`'s grid and tick labels into `background`, whole."""
        (xs, ys), labels = self._ticks(index)
        columns, rows = _coverage(xs, self.box.w, self.line_px), _coverage(ys, self.box.h, self.line_px)
        b = self.box
        background[b.y:b.bottom, b.x:b.right] = self.table[np.maximum(columns[None, :], rows[:, None])]
        self._stamp_labels(background, static, labels)
        self._profiles, self._labels = (columns, rows), labels
        self.look(index)

    def advance(self, background: np.ndarray, static: np.ndarray, index: int) -> np.ndarray:
        """Bring `background` from the last frame's view to frame `index`'s; returns the (rows, cols)
        tiles that changed (none when the camera holds still)."""
        changed = np.zeros((self.grid.rows, self.grid.cols), bool)
        self.look(index)
        if np.array_equal(self.views[index], self.views[index - 1]) and self._profiles is not None:
            return changed
        (xs, ys), labels = self._ticks(index)
        columns, rows = _coverage(xs, self.box.w, self.line_px), _coverage(ys, self.box.h, self.line_px)
        old_columns, old_rows = self._profiles
        b, tw, th = self.box, self.grid.tile_w, self.grid.tile_h
        col_tiles = np.flatnonzero((columns != old_columns).reshape(-1, tw).any(axis=1))
        row_tiles = np.flatnonzero((rows != old_rows).reshape(-1, th).any(axis=1))
        region = background[b.y:b.bottom, b.x:b.right]
        if len(col_tiles):
            px = (col_tiles[:, None] * tw + np.arange(tw)).ravel()
            region[:, px] = self.table[np.maximum(columns[px][None, :], rows[:, None])]
            changed[b.y // th:b.bottom // th, b.x // tw + col_tiles] = True
        if len(row_tiles):
            px = (row_tiles[:, None] * th + np.arange(th)).ravel()
            region[px, :] = self.table[np.maximum(columns[None, :], rows[px][:, None])]
            changed[b.y // th + row_tiles, b.x // tw:b.right // tw] = True
        if labels != self._labels:
            self._stamp_labels(background, static, labels)
            changed |= self._strip_tiles
        self._profiles, self._labels = (columns, rows), labels
        return changed

    def _stamp_labels(self, background: np.ndarray, static: np.ndarray, labels: tuple[list, list]) -> None:
        """Restore the tick strips from `static` and stamp the labels into them (clipped to them)."""
        x_strip, y_strip = self.x_strip, self.y_strip
        for s in (x_strip, y_strip):
            background[s.y:s.bottom, s.x:s.right] = static[s.y:s.bottom, s.x:s.right]
        x_region = background[x_strip.y:x_strip.bottom, x_strip.x:x_strip.right]
        for text, px in labels[0]:
            self.x_labels.draw(x_region, text, at=(self.box.x - x_strip.x + px, self.label_gap))
        y_region = background[y_strip.y:y_strip.bottom, y_strip.x:y_strip.right]
        for text, px in labels[1]:
            self.y_labels.draw(y_region, text, at=(y_strip.w - self.label_gap, self.box.y - y_strip.y + px))

    # -- what moves ------------------------------------------------------------------------------
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

    def radius_units(self, step: int) -> np.ndarray:
        """The circles' radii in latent units at `step`: variance circles, or dots of one pixel size."""
        if self.traj.variational:
            return self.traj.radius[step]
        return np.full(len(self.traj.labels), self.dot_px * self.views[self._index][2])

    def draw_moving(self, index: int) -> np.ndarray:
        """Draw trails and circles of frame `index` (the view already set); returns the (m, 4)
        pixel boxes (x0, y0, x1, y1) that hold everything drawn, clipped to the plot."""
        traj, step = self.traj, int(self.shown[index])
        boxes = []
        if self.trail > 1 and index > 0:
            history = self.shown[max(0, index - self.trail + 1):index + 1]
            self._set_trails(history)
            self.ax.draw_artist(self.trails)
            points = self.to_pixels(traj.mu[history])  # (k, n, 2)
            boxes.append(np.c_[points.min(axis=0) - self._trail_pad, points.max(axis=0) + self._trail_pad])
        radius = self.radius_units(step)
        self.circles.set_offsets(traj.mu[step])
        self.circles.set_widths(2.0 * radius)
        self.circles.set_heights(2.0 * radius)
        self.ax.draw_artist(self.circles)
        centers = self.to_pixels(traj.mu[step])
        reach = (radius / self.views[index][2] + self._circle_pad)[:, None]
        boxes.append(np.c_[centers - reach, centers + reach])
        boxes = np.concatenate(boxes)
        b = self.box
        return np.c_[np.maximum(boxes[:, :2], [b.x, b.y]), np.minimum(boxes[:, 2:], [b.right, b.bottom])]
