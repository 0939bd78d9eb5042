"""A walk through the latent space between tracked digits, and what the decoder makes along the way.

Left, the latent plane (two chosen dimensions) with the test set faint behind, the path and where
the walk is; right, the decoded digit, large. The walk goes from one tracked digit's mean to
another's (`--from 3 --to 8`) or visits one digit of every class and comes back (`--tour`).

Each leg moves at constant speed along its path (parametrised by arc length), eased at both ends,
and lasts the clip-length option. `linear` is the straight segment; `slerp` turns the direction
along a great circle while the length changes linearly: in d dimensions the prior's mass lies near
a sphere of radius sqrt(d), and the straight segment between two codes on it dips inside, through
codes the decoder was rarely trained on; the spherical path stays at the endpoints' radius.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import to_rgba_array

from errors import ProjectError
from render.digits import SIDE, decode, encode, enlarge, ink_to_rgb
from render.figures import frame_figure, style_axes
from render.sources import choose_digits, chosen_epoch, decoder_at, parse_dims, require_latent_size, run_title, video_path
from render.steps import MAX_SECONDS
from render.style import CLASS_COLORS, DPI, Theme, font_points, pixels, px_scale
from render.text_stamp import TextStamp
from render.video import Rendered, VideoOptions, VideoSpec, WholeFrames, render_video
from train.runfile import RunFile

PATHS = ("linear", "slerp")
DEFAULT_LEG_SECONDS = 3.0
BACKGROUND_POINTS = 4000  # test-set encodings drawn faintly behind the path
CHUNK = 256  # frames decoded in one forward pass


def path_point(a: np.ndarray, b: np.ndarray, s: np.ndarray, kind: str) -> np.ndarray:
    """Codes at fractions `s` (k,) of the way from `a` to `b` (d,): (k, d)."""
    s = np.asarray(s, np.float64)[:, None]
    if kind == "slerp":
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        if na > 1e-9 and nb > 1e-9:
            ua, ub = a / na, b / nb
            omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
            if np.sin(omega) > 1e-6:
                direction = (np.sin((1 - s) * omega) * ua + np.sin(s * omega) * ub) / np.sin(omega)
                return direction * ((1 - s) * na + s * nb)
    return (1 - s) * a + s * b


def walk(waypoints: np.ndarray, frames_per_leg: int, kind: str) -> np.ndarray:
    """The codes of every frame, (legs * (frames_per_leg - 1) + 1, d): constant speed along each
    leg's path, eased at its ends, every waypoint hit exactly."""
    fine = np.linspace(0.0, 1.0, 513)
    eased = (1 - np.cos(np.pi * np.linspace(0.0, 1.0, frames_per_leg))) / 2
    codes = [waypoints[:1].astype(np.float64)]
    for a, b in zip(waypoints[:-1].astype(np.float64), waypoints[1:].astype(np.float64)):
        dense = path_point(a, b, fine, kind)
        length = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(dense, axis=0), axis=1))]
        s = np.interp(eased * length[-1], length, fine) if length[-1] > 0 else eased
        leg = path_point(a, b, s, kind)
        leg[0], leg[-1] = a, b
        codes.append(leg[1:])
    return np.concatenate(codes)


class InterpolationScene(WholeFrames):
    label = "interpolate"

    def __init__(self, model, codes: np.ndarray, waypoints: np.ndarray, waypoint_labels: np.ndarray, dims: tuple[int, int],
                 background: tuple[np.ndarray, np.ndarray], spec: VideoSpec, theme: Theme, title: str, caption: str):
        self.codes, self.dims, self.theme = codes, dims, theme
        self.frame_count = len(codes)
        width, height = spec.size
        self.model = model
        self._chunk_start, self._chunk = -1, np.zeros((0, SIDE, SIDE), np.uint8)  # decoded CHUNK frames at a time: memory stays flat
        self.scale = max(1, int(0.62 * height) // SIDE)
        side = SIDE * self.scale
        self.digit_box = (int(0.93 * width) - side, (height - side) // 2 + round(0.03 * height))  # (left, top)
        self.figure = frame_figure(width, height, theme.background)
        plot_h = 0.74
        plot_w = min(0.55, plot_h * height / width)
        ax = self.figure.add_axes((0.07, 0.1, plot_w, plot_h), facecolor=theme.background)
        shown = codes[:, list(dims)]
        points, labels = background
        everything = np.concatenate([shown, waypoints[:, list(dims)], points])
        low, high = np.percentile(everything, 0.5, axis=0), np.percentile(everything, 99.5, axis=0)
        low, high = np.minimum(low, shown.min(axis=0)), np.maximum(high, shown.max(axis=0))
        center, half = (low + high) / 2, np.max(high - low) / 2 * 1.08 + 1e-3
        ax.set_xlim(center[0] - half, center[0] + half)
        ax.set_ylim(center[1] - half, center[1] + half)
        ax.set_aspect("equal")
        text_pt = font_points(height, DPI, 0.028)
        style_axes(ax, theme, tick_pt=text_pt * 0.8, label_pt=text_pt * 0.8, label_color=theme.muted,
                   grid_width=max(1.0, px_scale(height)))
        ax.set_xlabel(f"z{dims[0] + 1}")
        ax.set_ylabel(f"z{dims[1] + 1}")
        ax.scatter(points[:, 0], points[:, 1], s=(px_scale(height)) * 6, c=to_rgba_array([CLASS_COLORS[c] for c in labels], 0.18),
                   linewidths=0)
        line_w = max(1.0, 2.5 * px_scale(height))
        ax.plot(shown[:, 0], shown[:, 1], color=theme.muted, linewidth=line_w * 0.6, linestyle=(0, (3, 3)))
        for code, label in zip(waypoints[:, list(dims)], waypoint_labels):
            ax.plot(*code, "o", markersize=text_pt * 0.9, color=CLASS_COLORS[label], markeredgecolor=theme.foreground, markeredgewidth=1)
        self.trace = ax.plot([], [], color=theme.foreground, linewidth=line_w, animated=True)[0]
        self.point = ax.plot([], [], "o", color=theme.foreground, markersize=text_pt * 0.7, animated=True)[0]
        self.ax = ax
        self.figure.text(0.07, 0.93, title, color=theme.foreground, fontsize=text_pt * 1.2, va="bottom")
        self.figure.text(0.07, 0.885, caption, color=theme.muted, fontsize=text_pt * 0.9, va="bottom")
        self.figure.canvas.draw()
        self.pixels = np.asarray(self.figure.canvas.buffer_rgba())
        self.background = self.pixels.copy()
        self.value = TextStamp((self.digit_box[0], self.digit_box[1] - round(0.02 * height)), pixels(0.8 * text_pt), theme.muted,
                               anchor="ld")

    def digit(self, index: int) -> np.ndarray:
        """Frame `index`'s decoded digit, (28, 28) uint8."""
        start = index - index % CHUNK
        if start != self._chunk_start:
            self._chunk_start, self._chunk = start, decode(self.model, self.codes[start:start + CHUNK])
        return self._chunk[index - start]

    def digit_image(self, index: int) -> np.ndarray:
        """Frame `index`'s decoded digit as RGB, enlarged by whole pixels, as pasted."""
        return ink_to_rgb(enlarge(self.digit(index), self.scale), self.theme)

    def frame(self, index: int) -> np.ndarray:
        self.pixels[...] = self.background
        shown = self.codes[: index + 1, list(self.dims)]
        self.trace.set_data(shown[:, 0], shown[:, 1])
        self.ax.draw_artist(self.trace)
        self.point.set_data(shown[-1:, 0], shown[-1:, 1])
        self.ax.draw_artist(self.point)
        left, top = self.digit_box
        image = self.digit_image(index)
        self.pixels[top:top + image.shape[0], left:left + image.shape[1], :3] = image
        self.pixels[top:top + image.shape[0], left:left + image.shape[1], 3] = 255
        z = ", ".join(f"{v:.2f}".replace("-", "\u2212") for v in self.codes[index][:4]) + (", ..." if self.codes.shape[1] > 4 else "")
        self.value.draw(self.pixels, f"z = ({z})")
        return self.pixels.copy()


def _one_digit(text: str, option: str, labels: np.ndarray, indices: np.ndarray) -> int:
    rows = choose_digits(text, labels, indices, option)
    if len(rows) != 1:
        raise ProjectError(f"{option} {text!r}: name one tracked digit, like 3, 3:2 or indices:123")
    return int(rows[0])


def render_interpolate(run: RunFile, video: VideoOptions, start: str | None = None, end: str | None = None, tour: bool = False,
                       path: str = "linear", epoch: int | None = None, dims: str = "0,1") -> Rendered:
    """The walk video and its poster; by default <run>/videos/interpolate_<from>-<to>_e<epoch>.<format>
    (or interpolate_tour_...)."""
    scene, out = interpolation_scene(run, video, start, end, tour, path, epoch, dims)
    return render_video(scene, out, video.spec, progress=video.progress)


def interpolation_scene(run: RunFile, video: VideoOptions, start: str | None, end: str | None, tour: bool, path: str,
                        epoch: int | None, dims: str) -> tuple[InterpolationScene, Path]:
    """The scene of the walk `render_interpolate` encodes, and where it goes."""
    if path not in PATHS:
        raise ProjectError(f"--path {path!r}: choose {' or '.join(PATHS)}")
    if tour and (start is not None or end is not None):
        raise ProjectError("--tour chooses its own digits (one of each class); give it without --from and --to")
    if not tour and (start is None or end is None):
        raise ProjectError("give --from and --to (tracked digits, like 3 and 8), or --tour")
    require_latent_size(run, 2, "interpolate")
    chosen_dims = parse_dims(dims, run.latent_dim, 2)
    epoch = chosen_epoch(run, epoch)
    tracked = run.tracked()
    if tour:
        present = [c for c in range(10) if (tracked.label == c).any()]
        if len(present) < 2:
            raise ProjectError("--tour needs tracked digits of two classes or more")
        rows = [_one_digit(str(c), "--tour", tracked.label, tracked.index) for c in present]
        rows.append(rows[0])
        name = "tour"
    else:
        rows = [_one_digit(start, "--from", tracked.label, tracked.index), _one_digit(end, "--to", tracked.label, tracked.index)]
        name = f"{start}-{end}".replace(":", "_").replace(",", "_")
    out = video_path(run, video.out, f"interpolate_{name}_e{epoch}.{video.spec.format}")
    model = decoder_at(run, epoch)
    waypoints = encode(model, tracked.image[rows])[0]
    seconds = video.duration if video.duration is not None else DEFAULT_LEG_SECONDS
    legs = len(rows) - 1
    if seconds * legs > MAX_SECONDS:
        raise ProjectError(f"--duration {seconds:g}s a leg x {legs} legs is longer than an hour; give a shorter --duration")
    codes = walk(waypoints, max(2, round(seconds * video.spec.fps)), path)
    test = run.encodings(epoch)
    pick = np.random.default_rng(0).permutation(len(test.label))[:BACKGROUND_POINTS]
    background = (test.mu[pick][:, list(chosen_dims)], test.label[pick])
    labels = tracked.label[rows]
    caption = " \u2192 ".join(str(int(c)) for c in labels) + f"   ({path}, {seconds:g} s a leg, decoder of epoch {epoch})"
    scene = InterpolationScene(model, codes, waypoints, labels, chosen_dims, background, video.spec, video.theme, run_title(run), caption)
    return scene, out
