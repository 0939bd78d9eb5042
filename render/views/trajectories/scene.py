"""The signature video: tracked digits as variance circles moving through the latent space.

Each digit is a circle at its latent mean with radius r, r^2 the geometric mean of the two
variances: r = (sigma_x^2 sigma_y^2)^(1/4). One plane per run (two or more runs share the video
step for step), the live panel of the numbers where there is room, one step counter.

Speed comes from drawing only what changes: title, legend (the tracked digits' images included)
and panel axes are rasterised once; the planes repaint their grid and tick labels only where the
camera moved them, the panel copies in the curve columns the cursor passed and stamps its cursor,
and each frame draws the shapes that move (one collection of circles, one of trails per plane)
and stamps the counter with Pillow. The scene knows where it
drew, so after the first frame it hands the video writer just the tiles that changed
(`TileUpdate`): no whole-frame restore, copy or comparison per frame.
"""

from __future__ import annotations

from typing import Iterator, Protocol

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from errors import ProjectError
from render.figures import frame_figure
from render.style import AA_PAD_PX, CLASS_COLORS, Theme, points
from render.text_stamp import TextStamp
from render.video import TileUpdate, VideoSpec
from render.video.tiles import TileGrid
from render.views.trajectories import camera
from render.views.trajectories.data import Trajectory
from render.views.trajectories.layout import Layout, LayoutRequest, fit_size, layout, panel_width, readable_width, unreadable
from render.views.trajectories.legend import DigitsLegend
from render.views.trajectories.panel import LivePanelView
from render.views.trajectories.plane import DOT_RADIUS, Plane

CAMERAS = ("follow", "fixed")


def _title_px(title: str, text_px: float) -> float:
    """How wide `title` is drawn at the body text's size, in pixels (as the scene draws it)."""
    figure = frame_figure(400, 100)
    return figure.text(0, 0, title, fontsize=points(text_px)).get_window_extent(renderer=figure.canvas.get_renderer()).width


TITLE_PARTS = "  ·  "  # how a side-by-side title joins its parts (data.short_title)


def shared_parts(titles: list[str]) -> tuple[list[str], str]:
    """The titles less the parts at their ends that every one of them has (an arch first, a seed
    last), outside in, each keeping a part of its own; and those parts joined. The panels then name
    what tells them apart, and the shared words go once under them."""
    split = [title.split(TITLE_PARTS) for title in titles]
    lead = trail = 0

    def shared(index: int) -> bool:  # every title has the same part there, and each would keep one of its own
        return min(len(parts) for parts in split) - lead - trail > 1 and len({parts[index] for parts in split}) == 1

    grew = True
    while grew:  # a part from the front, then one from the back: "arch · mode · seed" keeps its mode
        grew = False
        if shared(lead):
            lead, grew = lead + 1, True
        if shared(-1 - trail):
            trail, grew = trail + 1, True
    if not lead + trail:
        return titles, ""
    apart = [TITLE_PARTS.join(parts[lead:len(parts) - trail]) for parts in split]
    return apart, TITLE_PARTS.join(split[0][:lead] + split[0][len(split[0]) - trail:])


def _readable(plan, titles: list[str], panel: bool | None, size: tuple[int, int], plan_at) -> tuple[Layout, list[str], str]:
    """`plan` for runs side by side when they can be read, with the titles drawn over the planes and
    the words they share (stamped once, before the step counter; "" when none are taken out): the
    whole titles where they fit, else only what tells the runs apart. Without the live panel that
    only joins where there is room, if need be; else one line naming a frame width that would do
    (`plan_at(width, auto_panel)` lays out a frame of that width)."""
    width, height = size
    apart, shared = shared_parts(titles)
    tries = [(titles, "")] + ([(apart, shared)] if shared else [])
    without_panel = plan_at(width, False) if panel is None else plan  # laid out once, and only where the panel was not asked for
    for candidate, words in tries:
        title_px = max(_title_px(title, plan.text_px) for title in candidate)
        for each in (plan, without_panel):
            if not unreadable(each, title_px, width):
                return each, candidate, words
    why = unreadable(without_panel, title_px, width)
    wide = readable_width(lambda w: plan_at(w, False), width, title_px)
    advice = f"give --size {wide}x{height} or wider{' and leave out --panel' if panel else ''}, or fewer runs" if wide else "give fewer runs"
    raise ProjectError(f"{len(titles)} runs side by side at {width}x{height}: {why}; {advice}")


class SidePanel(Protocol):
    """What stands beside the planes (the live panel, the manifold's grid): part background, part moving."""

    def finish(self, pixels: np.ndarray, static: np.ndarray) -> None:
        """After the figure's first draw, with the canvas and its still copy."""

    def paint(self, background: np.ndarray, static: np.ndarray, index: int) -> None:
        """Its background of frame `index`, whole."""

    def advance(self, background: np.ndarray, index: int) -> np.ndarray:
        """Its background from the frame before to frame `index`; the (m, 4) pixel boxes it changed."""

    def draw_moving(self, index: int) -> np.ndarray:
        """What moves in frame `index`, drawn over the canvas; the (m, 4) pixel boxes it drew."""


class SideView(Protocol):
    """How a view asks for room beside the planes, and builds its `SidePanel` there."""

    plane_aspect: float | None  # None: the planes take the data's aspect
    legend: bool  # whether the class legend keeps its column

    def width_px(self, width: int, height: int) -> int: ...

    def build(self, figure: Figure, box, scene: "TrajectoryScene") -> SidePanel: ...


ASPECTS = ("frame", "fit")


def _aspect(low: np.ndarray, high: np.ndarray, fixed: tuple[np.ndarray, np.ndarray] | None) -> float:
    """The data's width / height: of the fixed view's bounds, or typical of a frame (follow)."""
    if fixed is None:
        span = np.maximum(high - low, 1e-6)
        return float(np.median(span[..., 0] / span[..., 1]))
    span = np.maximum(fixed[1] - fixed[0], 1e-6)
    return float(span[0] / span[1])


def _tracked_counts(trajs: list[Trajectory]) -> dict[int, int] | None:
    """Class -> how many of its digits are tracked, for the digits legend; None when the run file holds no images."""
    traj = trajs[0]
    if traj.images is None or not traj.images.any():
        return None
    labels, counts = np.unique(traj.labels, return_counts=True)
    return {int(label): int(count) for label, count in zip(labels, counts)}


def _frame_plan(trajs: list[Trajectory], unit: tuple[int, int], data_aspect: float, side: SideView | None, panel: bool | None,
                titles: list[str], aspect: str) -> tuple[Layout, tuple[int, int], list[str], str]:
    """The frame's layout and size: cut to the planes' own shape inside `unit` (`aspect` "fit"), or
    the `unit` frame filled: a side view given its width, else the digits legend and the live panel
    where there is room (the panel asked for makes room), runs side by side only where they read
    (with the titles they read with, and the words those leave out, as `_readable`)."""
    runs = len(trajs)
    if aspect == "fit":
        width, height = fit_size(*unit, runs, data_aspect)
        return layout(LayoutRequest(width, height, runs, data_aspect, unit=unit, fit=True)), (width, height), titles, ""
    width, height = unit
    side_px = side.width_px(*unit) if side is not None else 0
    with_legend = side.legend if side is not None else True
    plan = layout(LayoutRequest(width, height, runs, data_aspect, side_px, with_legend, digits=_tracked_counts(trajs) if side is None else None,
                                auto_panel=side is None and panel is not False))
    if panel and plan.panel is None:  # asked for, and no room beside the planes: they make room as they always did
        plan = layout(LayoutRequest(width, height, runs, data_aspect, panel_width(width), True))
    shared = ""
    if runs > 1 and side is None:
        plan, titles, shared = _readable(plan, titles, panel, (width, height),
                                         lambda w, auto: layout(LayoutRequest(w, height, runs, data_aspect, digits=_tracked_counts(trajs), auto_panel=auto)))
    return plan, (width, height), titles, shared


class TrajectoryScene:
    """A figure whose still parts are drawn once; `frame(i)` returns the RGBA image of frame i,
    `frames()` the stream the writer encodes."""

    label = "trajectories"

    def __init__(self, traj: Trajectory | list[Trajectory], shown: np.ndarray, spec: VideoSpec, theme: Theme, trail: int = 12,
                 camera_mode: str = "follow", panel: bool | None = None, titles: list[str] | None = None, side: SideView | None = None,
                 aspect: str = "frame"):
        """`panel`: the live panel beside or under the planes (None: where the frame has room for it);
        `side`: another view beside the planes instead; `aspect` "fit": the frame cut to the planes'
        own shape (`self.size`), inside the size `spec` asks for."""
        trajs = traj if isinstance(traj, list) else [traj]
        self.trajs, self.shown, self.trail = trajs, shown, trail
        self.traj = trajs[0]
        self.frame_count = len(shown)
        bounds = [camera.extents(t.mu[shown], t.radius[shown]) for t in trajs]
        low, high = np.stack([b[0] for b in bounds]), np.stack([b[1] for b in bounds])  # (runs, frames, 2)
        fixed = None if camera_mode == "follow" else camera.fixed_bounds(low, high)
        data_aspect = side.plane_aspect if side is not None and side.plane_aspect else _aspect(low, high, fixed)
        with_legend = side.legend if side is not None else True
        named = titles is not None
        plan, (width, height), titles, self.shared_title = _frame_plan(trajs, spec.size, data_aspect, side, panel, titles or [t.title for t in trajs],
                                                                       aspect)
        if aspect != "fit" and plan.panel is not None and side is None:
            side = LivePanelView(titles if named else [t.name for t in trajs], theme)
        self.height = height
        self.layout = plan
        self.figure = frame_figure(width, height, "none" if spec.transparent else theme.background)
        self.canvas = self.figure.canvas
        self.size = (width, height)
        self.planes = [Plane(self.figure, one, shown, views, box, (width, height), theme, spec.transparent, plan.text_px, plan.gutter, trail,
                             unit_h=plan.unit_h) for one, box, views in zip(trajs, plan.planes, self._views(low, high, fixed, spec.fps))]
        self._draw_titles(titles, theme)
        self._gallery = DigitsLegend(self.figure, plan.gallery, self.traj, theme, plan.text_px, spec.transparent) if plan.gallery else None
        if with_legend and not plan.gallery:
            self._draw_class_legend(theme)
        self.panel = side.build(self.figure, plan.panel, self) if side is not None else None
        self.counter = TextStamp((plan.planes[0].x, plan.counter_y), 0.9 * plan.text_px, theme.muted, anchor="ld")
        self._first_draw()

    def _views(self, low: np.ndarray, high: np.ndarray, fixed, fps: float) -> list:
        """Each plane's view per frame: its own following camera, or one fixed view shared by every plane
        (the same scale, the same axes)."""
        pad_px = DOT_RADIUS * self.layout.unit_h + 2 * AA_PAD_PX  # circles' outlines and dots are drawn in pixels
        boxes = self.layout.planes
        if fixed is None:
            return [camera.follow_views(low[index], high[index], (box.w, box.h), fps, pad_px) for index, box in enumerate(boxes)]
        return [camera.fixed_views(*fixed, (box.w, box.h), len(self.shown), pad_px) for box in boxes]

    def _draw_titles(self, titles: list[str], theme: Theme) -> None:
        plan, (width, height) = self.layout, self.size
        title_pt = points(plan.text_px) * (1.25 if len(self.trajs) == 1 else 1.0)
        for box, title in zip(plan.planes, titles):
            self.figure.text(box.x / width, 1 - plan.title_y / height, title, color=theme.foreground, fontsize=title_pt,
                             va="bottom", ha="left")

    def _draw_class_legend(self, theme: Theme) -> None:
        """The compact legend: a coloured dot and the number of each class."""
        plan, (width, height) = self.layout, self.size
        text_pt = points(plan.text_px)
        classes = sorted({int(label) for one in self.trajs for label in one.labels})  # the classes drawn, not all ten
        handles = [Line2D([], [], linestyle="", marker="o", markersize=text_pt * 0.9, markerfacecolor=CLASS_COLORS[label],
                          markeredgecolor=CLASS_COLORS[label], alpha=0.85) for label in classes]
        legend = self.figure.legend(handles, [str(label) for label in classes], loc="center left",
                                    bbox_to_anchor=(plan.legend_x / width, 1 - self._legend_middle(plan) / height),
                                    frameon=False, fontsize=text_pt, labelcolor=theme.foreground, title="digit",
                                    title_fontsize=text_pt, handletextpad=0.3, labelspacing=0.55, borderaxespad=0)
        legend.get_title().set_color(theme.muted)

    def _first_draw(self) -> None:
        """Draw the figure once: what never changes is kept (`static`), the background of frame 0 painted."""
        self.canvas.draw()
        self.pixels = np.asarray(self.canvas.buffer_rgba())  # the canvas's own memory, drawn into in place
        if self._gallery:
            self._gallery.paste(self.pixels)
        self.static = self.pixels.copy()  # what never changes: no grid, tick labels or curves in it
        if self.panel:
            self.panel.finish(self.pixels, self.static)
        self.grid = TileGrid(*self.size)
        self.background = self.static.copy()
        self._paint_background(0)
        self._drawn = np.zeros((self.grid.rows, self.grid.cols), bool)  # tiles the moving shapes cover now

    @staticmethod
    def _legend_middle(plan) -> float:
        """The compact legend's vertical centre: the planes', or, over a panel row, the room above it."""
        plane = plan.planes[0]
        if plan.panel_row:
            return (plan.title_y + plan.panel.y) / 2
        return plane.y + plane.h / 2

    @property
    def ax(self):
        """The first plane's axes (their limits are that plane's current view)."""
        return self.planes[0].ax

    def _paint_background(self, index: int) -> None:
        for plane in self.planes:
            plane.paint(self.background, self.static, index)
        if self.panel:
            self.panel.paint(self.background, self.static, index)

    def _counter_text(self, step: int) -> str:
        traj = self.traj
        epoch = int(traj.epoch[step])
        when = "before training" if epoch == 0 else f"epoch {epoch}  ·  batch {int(traj.batch[step]) + 1}/{traj.batches_per_epoch[epoch]}"
        return f"{self.shared_title}{TITLE_PARTS}{when}" if self.shared_title else when

    def _draw_moving(self, index: int) -> np.ndarray:
        """Draw what moves in frame `index` over the canvas; returns the (m, 4) pixel boxes
        (x0, y0, x1, y1) that hold everything drawn."""
        boxes = [plane.draw_moving(index) for plane in self.planes]
        if self.panel:
            boxes.append(self.panel.draw_moving(index))
        boxes.append(np.array([self.counter.draw(self.pixels, self._counter_text(int(self.shown[index])))], dtype=np.float64))
        boxes = np.concatenate(boxes)
        return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]

    def frame(self, index: int) -> np.ndarray:
        """The whole RGBA image of frame `index` (a copy), drawn from scratch."""
        self.background[...] = self.static
        self._paint_background(index)
        self.pixels[...] = self.background
        self._drawn = self.grid.covering(self._draw_moving(index))
        return self.pixels.copy()

    def update(self, index: int) -> TileUpdate:
        """Frame `index` as the tiles that differ from the frame drawn before it: those whose
        background changed, those the moving shapes covered then and those they cover now."""
        grid, before = self.grid, self._drawn.copy()
        for plane in self.planes:
            before |= plane.advance(self.background, self.static, index)
        if self.panel:
            before |= grid.covering(self.panel.advance(self.background, index))
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

    def to_pixels(self, xy: np.ndarray, plane: int = 0) -> np.ndarray:
        """Latent (x, y) -> (column, row) in the frame under the current view of `plane`, for checks and overlays."""
        return np.atleast_2d(self.planes[plane].to_pixels(np.atleast_2d(xy)))
