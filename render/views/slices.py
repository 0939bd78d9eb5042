"""Generated digits on latent grids ("slices"), laid out by latent size as in the lecture.

d = 1: one row of digits along z1 (default 15).
d = 2: the classic manifold, count x count (default 15x15) at Gaussian quantiles.
d = 3: five panels, one per value of z3, each a 5x5 grid over (z1, z2); optionally a video that
       sweeps z3 smoothly.
d = 4: 3 values per variable, 81 digits, nested: the outer 3x3 blocks step z3 (across) and z4
       (down), the inner 3x3 grids step z1 (across) and z2 (down).
d >= 5: 10x10 samples from N(0, I).
Latent variables are labelled z1..zd in figures (`--dims` elsewhere counts from 0).
Rows go from high values at the top to low at the bottom, like a y axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atomic import Written
from errors import ProjectError
from render.digits import SIDE, decode, enlarge, grid_picture, grid_values, ink_to_rgb, mosaic
from render.figures import FONT_PT, check_still_path, new_figure, save_figure, style_axes
from render.outputs import fitted_name
from render.sources import chosen_epoch, decoder_at, figure_path, run_title, video_path
from render.style import Theme, font_points
from render.text_stamp import TextStamp
from render.video import Rendered, VideoOptions, VideoSpec, WholeFrames, check_destination, render_video
from train.runfile import RunFile

DEFAULT_COUNT = {1: 15, 2: 15, 3: 5, 4: 3}  # values per axis; d >= 5 draws DEFAULT_SAMPLES x DEFAULT_SAMPLES
DEFAULT_SAMPLES = 10
DEFAULT_SECONDS = 6.0  # the --video sweep
OUTER_GAP = 10  # pixels between the blocks of a nested or paneled layout, in digit pixels
ENLARGE = 6  # digit pixels -> image pixels before matplotlib places the picture


@dataclass(frozen=True)
class SliceGrid:
    """The latent codes of a layout: `codes` (rows, cols, d), with the values along each axis."""

    codes: np.ndarray
    values: np.ndarray  # the values each stepped variable takes (count,)


def square_grid(values: np.ndarray, fixed: dict[int, float], latent_dim: int) -> np.ndarray:
    """(count, count, d) codes: z1 across (left to right ascending), z2 down (top = highest)."""
    count = len(values)
    codes = np.zeros((count, count, latent_dim))
    codes[..., 0] = values[None, :]
    codes[..., 1] = values[::-1, None]
    for dim, value in fixed.items():
        codes[..., dim] = value
    return codes


def layout(latent_dim: int, count: int | None = None, span: float | None = None, seed: int = 0) -> SliceGrid:
    """The codes to decode for a run of this latent size; for d = 3 `codes` is (5 panels, 5, 5, 3)."""
    if latent_dim >= 5:
        n = count or DEFAULT_SAMPLES
        return SliceGrid(np.random.default_rng(seed).standard_normal((n, n, latent_dim)), np.array([]))
    values = grid_values(count or DEFAULT_COUNT.get(latent_dim, 3), span)
    if latent_dim == 1:  # one row: z1 across
        return SliceGrid(values[None, :, None], values)
    if latent_dim == 2:
        return SliceGrid(square_grid(values, {}, 2), values)
    if latent_dim == 3:
        return SliceGrid(np.stack([square_grid(values, {2: v}, 3) for v in values]), values)
    if latent_dim == 4:  # outer blocks: z3 across, z4 down (top = highest)
        blocks = [[square_grid(values, {2: z3, 3: z4}, 4) for z3 in values] for z4 in values[::-1]]
        return SliceGrid(np.array(blocks), values)
    raise ValueError(f"latent size {latent_dim}: no layout")


def decode_grid(model, codes: np.ndarray) -> np.ndarray:
    """(..., d) codes -> (..., 28, 28) digits."""
    flat = codes.reshape(-1, codes.shape[-1])
    return decode(model, flat).reshape(*codes.shape[:-1], SIDE, SIDE)


def nested_mosaic(blocks: np.ndarray, gap: int = OUTER_GAP) -> np.ndarray:
    """(R, C, r, c, 28, 28) -> one image: inner grids without gaps, blocks `gap` apart."""
    inner = np.array([[mosaic(blocks[i, j], gap=0) for j in range(blocks.shape[1])] for i in range(blocks.shape[0])])
    return mosaic(inner, gap)


def _label(value: float) -> str:
    return f"{value:+.2f}".replace("-", "\u2212")


def _show(ax, ink: np.ndarray, theme: Theme, framed: bool = False) -> None:
    """Digits as an image, enlarged by whole pixels and drawn without smoothing."""
    ax.imshow(enlarge(ink_to_rgb(ink, theme), ENLARGE), interpolation="nearest", extent=(0, ink.shape[1], ink.shape[0], 0))
    style_axes(ax, theme, grid=False)
    if framed:
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color(theme.grid)


def _centres(count: int, offset: float = 0.0, pitch: float = SIDE) -> np.ndarray:
    return offset + pitch * np.arange(count) + SIDE / 2


def _row_figure(grid: SliceGrid, digits: np.ndarray, theme: Theme):
    """d = 1: one row of digits along z1."""
    n = len(grid.values)
    figure = new_figure(theme, max(8, 0.75 * n), 2.7)
    ax = figure.add_axes((0.05, 0.3, 0.9, 0.3))
    _show(ax, mosaic(digits, gap=0), theme)
    ax.set_xticks(_centres(n), [_label(v) for v in grid.values], rotation=90, fontsize=FONT_PT * 0.7)
    ax.set_yticks([])
    ax.set_xlabel("z1")
    return figure


def _manifold_figure(grid: SliceGrid, digits: np.ndarray, theme: Theme):
    """d = 2: the manifold, z1 across and z2 up."""
    figure = new_figure(theme, 10, 10.6)
    ax = figure.add_axes((0.1, 0.08, 0.86, 0.82))
    _show(ax, mosaic(digits, gap=0), theme)
    ticks = _centres(len(grid.values))
    ax.set_xticks(ticks, [_label(v) for v in grid.values], rotation=90)
    ax.set_yticks(ticks, [_label(v) for v in grid.values[::-1]])
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    return figure


def _panels_figure(grid: SliceGrid, digits: np.ndarray, theme: Theme):
    """d = 3: one (z1, z2) panel per value of z3, left to right."""
    n = len(grid.values)
    figure = new_figure(theme, 4.0 * n, 5.6)
    width = 0.9 / n
    for k, value in enumerate(grid.values):
        ax = figure.add_axes((0.06 + k * width, 0.14, width * 0.94, 0.62))
        _show(ax, mosaic(digits[k], gap=0), theme, framed=True)
        ticks = _centres(n)
        ax.set_xticks(ticks, [_label(v) for v in grid.values], rotation=90, fontsize=FONT_PT * 0.7)
        ax.set_yticks(ticks, [_label(v) for v in grid.values[::-1]] if k == 0 else [], fontsize=FONT_PT * 0.7)
        ax.set_xlabel("z1")
        if k == 0:
            ax.set_ylabel("z2")
        ax.set_title(f"z3 = {_label(value)}", fontsize=FONT_PT * 1.1, pad=8)
    return figure


def _nested_figure(grid: SliceGrid, digits: np.ndarray, theme: Theme):
    """d = 4: (z1, z2) grids nested in blocks that step z3 across and z4 down."""
    n = len(grid.values)
    figure = new_figure(theme, 10, 10.8)
    ax = figure.add_axes((0.11, 0.09, 0.78, 0.78))
    _show(ax, nested_mosaic(digits), theme)
    block = n * SIDE + OUTER_GAP
    inner = np.concatenate([_centres(n, offset=b * block) for b in range(n)])
    ax.set_xticks(inner, [_label(v) for v in np.tile(grid.values, n)], rotation=90, fontsize=FONT_PT * 0.7)
    ax.set_yticks(inner, [_label(v) for v in np.tile(grid.values[::-1], n)], fontsize=FONT_PT * 0.7)
    ax.set_xlabel("z1 (within each block)")
    ax.set_ylabel("z2 (within each block)")
    outer = block * np.arange(n) + n * SIDE / 2
    top = ax.secondary_xaxis("top")
    top.set_xticks(outer, [f"z3 = {_label(v)}" for v in grid.values])
    right = ax.secondary_yaxis("right")
    right.set_yticks(outer, [f"z4 = {_label(v)}" for v in grid.values[::-1]], rotation=90, va="center")
    for extra in (top, right):
        extra.tick_params(colors=theme.foreground, labelsize=FONT_PT * 0.9, length=0)
        for spine in extra.spines.values():
            spine.set_visible(False)
    return figure


def _samples_figure(grid: SliceGrid, digits: np.ndarray, theme: Theme):
    """d >= 5: a square of samples from N(0, I), no axes to label."""
    figure = new_figure(theme, 10, 10.6)
    ax = figure.add_axes((0.04, 0.04, 0.92, 0.86))
    _show(ax, mosaic(digits, gap=2), theme)
    ax.set_xticks([])
    ax.set_yticks([])
    return figure


FIGURES = {1: _row_figure, 2: _manifold_figure, 3: _panels_figure, 4: _nested_figure}  # by latent size; larger: _samples_figure


def slices_figure(model, latent_dim: int, theme: Theme, title: str, count: int | None = None, span: float | None = None,
                  seed: int = 0):
    """The still figure for this latent size; returns (figure, number of digits drawn)."""
    grid = layout(latent_dim, count, span, seed)
    digits = decode_grid(model, grid.codes)
    figure = FIGURES.get(latent_dim, _samples_figure)(grid, digits, theme)
    if latent_dim in FIGURES:
        what = "Gaussian quantiles" if span is None else f"linear span \u00b1{span:g}"
    else:
        what = f"{digits.shape[0] ** 2} samples z ~ N(0, I), seed {seed}"
    figure.suptitle(f"{title}\n{what}", color=theme.foreground, fontsize=FONT_PT * 1.2, y=0.985, va="top")
    return figure, int(np.prod(digits.shape[:-2]))


class SweepFrames(WholeFrames):
    """Video frames of a 3-D run's (z1, z2) grid while z3 sweeps its range, drawn with numpy.

    Every frame is the same picture with new digits, so it is composed directly as pixels: the
    grid enlarged by whole pixels, centred, with the z3 value and a slider showing where it is.
    """

    label = "slices"

    def __init__(self, model, spec: VideoSpec, theme: Theme, title: str, count: int = 5, span: float | None = None,
                 seconds: float = 6.0):
        from matplotlib.colors import to_rgb

        self.model, self.theme = model, theme
        self.values = grid_values(count, span)
        self.count = count
        self.frame_count = max(2, round(seconds * spec.fps))
        self.width, self.height = spec.size
        grid_px = count * SIDE + (count - 1) * 2
        room = min(int(self.height * 0.74), self.width)
        self.scale = max(1, room // grid_px)  # whole pixels where the grid fits; shrunk (box filter) where it does not
        self.side = grid_px * self.scale if grid_px <= room else room
        self.left, self.top = (self.width - self.side) // 2, int(self.height * 0.14)
        self.background = np.empty((self.height, self.width, 4), np.uint8)
        self.background[..., :3] = np.rint(np.array(to_rgb(theme.background)) * 255)
        self.background[..., 3] = 255
        text_px = font_points(self.height, 72, 0.035)
        self.title = TextStamp((self.width * 0.04, self.height * 0.075), text_px, theme.foreground, anchor="ls")
        self.value = TextStamp((self.width * 0.96, self.height * 0.075), text_px, theme.foreground, anchor="rs")
        self.title_text = title
        self.track_y = self.top + self.side + int(self.height * 0.05)
        self.track_rgb = np.rint(np.array(to_rgb(theme.grid)) * 255).astype(np.uint8)
        self.knob_rgb = np.rint(np.array(to_rgb(theme.foreground)) * 255).astype(np.uint8)

    def z3(self, index: int) -> float:
        """Eased sweep from the lowest to the highest value: smooth start and stop."""
        t = index / (self.frame_count - 1)
        eased = (1 - np.cos(np.pi * t)) / 2
        return float(self.values[0] + (self.values[-1] - self.values[0]) * eased)

    def frame(self, index: int) -> np.ndarray:
        z3 = self.z3(index)
        codes = square_grid(self.values, {2: z3}, 3)
        digits = decode_grid(self.model, codes)
        picture = grid_picture(digits, self.theme, self.scale, self.side, gap=2, resample="BOX")
        out = self.background.copy()
        out[self.top:self.top + self.side, self.left:self.left + self.side, :3] = picture
        thickness = max(2, self.height // 270)
        out[self.track_y:self.track_y + thickness, self.left:self.left + self.side, :3] = self.track_rgb
        fraction = (z3 - self.values[0]) / (self.values[-1] - self.values[0])
        knob_x = self.left + int(round(fraction * (self.side - 1)))
        knob = 4 * thickness
        out[self.track_y - knob:self.track_y + thickness + knob, max(0, knob_x - thickness):knob_x + thickness, :3] = self.knob_rgb
        self.title.draw(out, self.title_text)
        self.value.draw(out, f"z3 = {_label(z3)}")
        return out


def sweep_path(run: RunFile, still: Path, default_still: Path, spec: VideoSpec) -> Path:
    """Where the z3 sweep goes: <run>/videos/slices_e<epoch>.<format> beside the default still,
    else beside `--out` with `_sweep` added (`s.png` -> `s_sweep.mp4`, poster `s_sweep.png`), so
    that its poster never replaces the still."""
    if still == default_still:
        return video_path(run, None, f"{still.stem}.{spec.format}")
    return still.with_name(fitted_name(f"{still.stem}_sweep.{spec.format}"))


def render_slices(run: RunFile, video: VideoOptions, sweep: bool = False, epoch: int | None = None, count: int | None = None,
                  span: float | None = None, seed: int = 0) -> tuple[Written, Rendered | None]:
    """The still for the run's latent size (default <run>/figures/slices_e<epoch>.png, or `video.out`)
    and, with `sweep` (d = 3 only), the video sweeping z3 and its poster."""
    if sweep and run.latent_dim != 3:
        raise ProjectError(f"--video sweeps z3 of a 3-D latent space; this run's latent size is {run.latent_dim}")
    epoch = chosen_epoch(run, epoch)
    default_still = figure_path(run, None, f"slices_e{epoch}.png")
    still = figure_path(run, video.out, default_still.name)
    check_still_path(still)
    video_out = sweep_path(run, still, default_still, video.spec) if sweep else None
    if video_out:
        check_destination(video_out, video.spec)
    model = decoder_at(run, epoch)
    title = f"{run_title(run)}  ·  epoch {epoch}"
    figure, _ = slices_figure(model, run.latent_dim, video.theme, title, count, span, seed)
    written = save_figure(figure, still)
    if video_out is None:
        return written, None
    duration = video.duration if video.duration is not None else DEFAULT_SECONDS
    scene = SweepFrames(model, video.spec, video.theme, title, count or DEFAULT_COUNT[3], span, duration)
    return written, render_video(scene, video_out, video.spec, progress=video.progress)
