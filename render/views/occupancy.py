"""What a variance circle means, measured: decode the points around a digit's mean and score them.

The lecture: "the area inside the circle can be understood as the region of the plane that gives
rise to a reconstruction close to the input". For chosen tracked digits this view decodes points on
rings at k x sigma around the digit's mean (k = 0, 0.5, 1, 2, 3; eight angles; sigma per axis), shows
them as a flower around the decoded mean, and scores each decode by its reconstruction loss against
the input (binary cross-entropy summed over the 784 pixels, the training loss's first term). Beside
it: loss against k, mean and spread over every tracked digit.

A run trained without sampling never trains its variance, so its own sigma means nothing. Given as
a second run, it is measured at the *same latent distances* as the variational run's rings (its
digits' own means, the variational run's sigmas), which shows how much less room its codes have.

With --video, the same figure through training: one frame per saved epoch, and between two saved
epochs the net whose weights are interpolated linearly between them, so the flowers change smoothly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atomic import Written
from errors import ProjectError
from render.digits import SIDE, encode, ink_to_rgb
from render.figures import check_still_path, frame_figure, new_figure, save_figure, style_axes
from render.sources import choose_digits, chosen_epoch, decoder_at, figure_path, parse_dims, require_latent_size, run_folder, run_title, video_path
from render.style import DPI, Theme, font_points, run_color
from render.video import Rendered, VideoOptions, VideoSpec, WholeFrames, check_destination, render_video
from science.rings import encode_sigma, losses, ring_codes, ring_offsets, ring_sizes
from train.runfile import RunFile

RING_KS = (0.0, 0.5, 1.0, 2.0, 3.0)
ANGLES = 8
CURVE_KS = np.linspace(0.0, 10.0, 41)  # the curve looks further than the rings: where does the loss double?
CURVE_ANGLES = 8
RING_GAP = 1.3  # ring j sits j x this many thumbnails from the centre: eight thumbnails fit on the first
DEFAULT_DIGITS = 4  # the first tracked digit of the first four classes
SECONDS_PER_EPOCH = 2.0  # --video: time from one saved epoch to the next


@dataclass(frozen=True)
class Occupancy:
    """One measurement: chosen digits' flowers and ring losses, and every tracked digit's curve."""

    inputs: np.ndarray  # (m, 28, 28) uint8, the chosen digits
    labels: np.ndarray  # (m,)
    flowers: np.ndarray  # (m, 1 + (len(RING_KS) - 1) * ANGLES, 28, 28) uint8 decodes, centre first, ring by ring
    ring_loss: np.ndarray  # (m, len(RING_KS)) mean over the ring's angles
    curve: np.ndarray  # (n, len(CURVE_KS)) every tracked digit, mean over angles
    other_curve: np.ndarray | None  # the run without sampling at the same latent distances


def _per_ring_mean(loss: np.ndarray, ks, angles: int) -> np.ndarray:
    edges = np.cumsum([0, *ring_sizes(ks, angles)])
    return np.stack([loss[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1)


def measure(model, images: np.ndarray, chosen: np.ndarray, labels: np.ndarray, dims: tuple[int, int], other_model=None) -> Occupancy:
    """The occupancy of `model` for tracked `images` (n, 28, 28); `chosen` rows get flowers."""
    mu, sigma = encode_sigma(model, images)
    ring_loss, decodes = losses(model, ring_codes(mu[chosen], sigma[chosen], dims, RING_KS, ANGLES), images[chosen])
    curve_loss, _ = losses(model, ring_codes(mu, sigma, dims, CURVE_KS, CURVE_ANGLES), images)
    other = None
    if other_model is not None:
        other_mu, _ = encode(other_model, images)
        other_loss, _ = losses(other_model, ring_codes(other_mu, sigma, dims, CURVE_KS, CURVE_ANGLES), images)
        other = _per_ring_mean(other_loss, CURVE_KS, CURVE_ANGLES)
    return Occupancy(inputs=images[chosen], labels=labels[chosen], flowers=decodes, ring_loss=_per_ring_mean(ring_loss, RING_KS, ANGLES),
                     curve=_per_ring_mean(curve_loss, CURVE_KS, CURVE_ANGLES), other_curve=other)


def flower_image(decodes: np.ndarray) -> np.ndarray:
    """(p, 28, 28) decodes -> one square uint8 image: the centre, then ring j at j x RING_GAP thumbnails."""
    rings = len(RING_KS) - 1
    radius = rings * RING_GAP * SIDE
    size = int(np.ceil(2 * radius + SIDE)) + 2
    canvas = np.zeros((size, size), np.uint8)
    offsets = np.concatenate([np.zeros((1, 2)), *[(j + 1) * RING_GAP * ring_offsets([1.0], ANGLES) for j in range(rings)]])
    center = size / 2
    for decode, (dx, dy) in zip(decodes, offsets * SIDE):
        left, top = int(round(center + dx - SIDE / 2)), int(round(center - dy - SIDE / 2))
        np.maximum(canvas[top:top + SIDE, left:left + SIDE], decode, out=canvas[top:top + SIDE, left:left + SIDE])
    return canvas


class OccupancyFigure:
    """The figure's artists, built once, so a video only swaps their data each frame: a grid of
    flowers (one a chosen digit, its input inset), and the loss ratio against k for all digits."""

    def __init__(self, figure, theme: Theme, count: int, title: str, other_name: str | None, height_px: float):
        self.figure, self.theme = figure, theme
        text_pt = font_points(height_px, figure.dpi, 0.024)
        self.title = figure.text(0.03, 0.96, title, color=theme.foreground, fontsize=text_pt * 1.2, va="top")
        rows = 1 if count <= 2 else 2
        cols = -(-count // rows)
        aspect = figure.get_figwidth() / figure.get_figheight()
        cell_w, cell_h = 0.64 / cols, 0.82 / rows
        inset = min(cell_h * 0.8, cell_w * aspect) * 0.2  # the input's height; its width is inset / aspect
        side_w = min(cell_h * 0.8 / aspect, cell_w - inset / aspect - 0.005)  # the flower is square, right of the input
        side_h = side_w * aspect
        self.inputs, self.flowers, self.captions = [], [], []
        for i in range(count):
            row, col = divmod(i, cols)
            left, top = 0.02 + col * cell_w, 0.88 - row * cell_h
            flower_left = max(left + (cell_w - side_w) / 2, left + inset / aspect + 0.005)
            ax_flower = figure.add_axes((flower_left, top - side_h, side_w, side_h))
            ax_in = figure.add_axes((left, top - inset, inset / aspect, inset))
            for ax in (ax_in, ax_flower):
                ax.set_axis_off()
            self.inputs.append(ax_in.imshow(np.zeros((SIDE, SIDE, 3), np.uint8), interpolation="nearest"))
            self.flowers.append(ax_flower.imshow(np.zeros((8, 8, 3), np.uint8), interpolation="nearest"))
            self.captions.append(figure.text(left + cell_w / 2, top - side_h - 0.005, "", color=theme.muted, fontsize=text_pt * 0.7,
                                             va="top", ha="center"))
            figure.text(left, top - inset - 0.005, "input", color=theme.muted, fontsize=text_pt * 0.7, va="top")
        self.curve_ax = ax = figure.add_axes((0.72, 0.2, 0.25, 0.62))
        style_axes(ax, theme, tick_pt=text_pt * 0.8, label_pt=text_pt * 0.85)
        ax.set_xlabel("k (distance from the mean, in sigmas)")
        ax.set_ylabel("loss of the decode / loss at the mean")
        ax.set_xlim(CURVE_KS[0], CURVE_KS[-1])
        ax.axhline(2.0, color=theme.muted, linewidth=1, linestyle=":")
        for k in RING_KS[1:]:
            ax.axvline(k, color=theme.grid, linewidth=1.5)
        self.band = None
        self.mean_line = ax.plot([], [], color=run_color(0), linewidth=2.2, label="this run (mean; band 10-90%)")[0]
        self.other_line = ax.plot([], [], color=run_color(1), linewidth=2.2, linestyle="--",
                                  label=f"{other_name}, same distances")[0] if other_name else None
        ax.legend(loc="upper left", fontsize=text_pt * 0.7, frameon=False, labelcolor=theme.foreground)
        self.note = figure.text(0.72, 0.11, "", color=theme.muted, fontsize=text_pt * 0.75, va="top")

    def show(self, occupancy: Occupancy, title: str | None = None) -> None:
        theme = self.theme
        if title is not None:
            self.title.set_text(title)
        for image, flower, caption, digit, decodes, ring in zip(self.inputs, self.flowers, self.captions, occupancy.inputs,
                                                                 occupancy.flowers, occupancy.ring_loss):
            image.set_data(ink_to_rgb(digit, theme))
            picture = ink_to_rgb(flower_image(decodes), theme)
            flower.set_data(picture)
            flower.set_extent((-0.5, picture.shape[1] - 0.5, picture.shape[0] - 0.5, -0.5))
            caption.set_text("loss at k = " + ", ".join(f"{k:g}" for k in RING_KS) + ":\n" + "   ".join(f"{v:.0f}" for v in ring))
        ratio = occupancy.curve / occupancy.curve[:, :1]
        mean, low, high = ratio.mean(axis=0), *np.percentile(ratio, [10, 90], axis=0)
        self.mean_line.set_data(CURVE_KS, mean)
        if self.band is not None:
            self.band.remove()
        self.band = self.curve_ax.fill_between(CURVE_KS, low, high, color=run_color(0), alpha=0.18, linewidth=0)
        top = max(high.max(), 2.2)
        lines = [f"the mean loss doubles at k = {k:.1f}" if (k := doubling_k(mean)) is not None
                 else f"the mean loss does not double by k = {CURVE_KS[-1]:g}"]
        if self.other_line is not None and occupancy.other_curve is not None:
            other = (occupancy.other_curve / occupancy.other_curve[:, :1]).mean(axis=0)
            self.other_line.set_data(CURVE_KS, other)
            top = max(top, other.max())
            lines.append(f"without sampling: at k = {k:.1f}" if (k := doubling_k(other)) is not None
                         else f"without sampling: not by k = {CURVE_KS[-1]:g}")
        self.curve_ax.set_ylim(0.9, top * 1.05)
        self.note.set_text(f"{len(occupancy.curve)} tracked digits; rings of {CURVE_ANGLES} points\n" + "\n".join(lines))


def doubling_k(mean_curve: np.ndarray) -> float | None:
    """The k where a loss curve first reaches twice its value at k = 0 (linear between samples)."""
    target = 2 * mean_curve[0]
    above = np.flatnonzero(mean_curve >= target)
    if not len(above):
        return None
    i = above[0]
    if i == 0:
        return 0.0
    return float(np.interp(target, mean_curve[i - 1:i + 1], CURVE_KS[i - 1:i + 1]))


def _chosen_rows(digits: str | None, labels: np.ndarray, indices: np.ndarray) -> np.ndarray:
    if digits is not None:
        rows = choose_digits(digits, labels, indices)
    else:
        classes = sorted(set(labels.tolist()))[:DEFAULT_DIGITS]
        rows = np.array([np.flatnonzero(labels == c)[0] for c in classes])
    if len(rows) > 6:
        raise ProjectError(f"--digits {digits!r}: at most 6 digits fit the figure (this chooses {len(rows)})")
    return rows


def _checked_runs(run: RunFile, dims: str, other: RunFile | None) -> tuple[tuple[int, int], RunFile | None]:
    """The rings' two dimensions and the run without sampling to compare, after refusing what cannot be measured."""
    if not run.config.variational:
        raise ProjectError("occupancy measures the variance circles of a variational run; give a run without sampling as the "
                           "second --run")
    require_latent_size(run, 2, "occupancy")
    return parse_dims(dims, run.latent_dim, 2), _other_run(run, other)


def _other_run(run: RunFile, other: RunFile | None) -> RunFile | None:
    if other is None:
        return None
    if other.config.variational:
        raise ProjectError(f"{run_folder(other)}: the second --run is compared at the first's distances, so it must be a run "
                           "without sampling (mode deterministic)")
    if not np.array_equal(other.tracked().index, run.tracked().index) or other.latent_dim != run.latent_dim:
        raise ProjectError(f"{run_folder(other)}: the second --run must track the same digits with the same latent size")
    return other


def render_occupancy(run: RunFile, theme: Theme, out: Path | None = None, epoch: int | None = None, digits: str | None = None,
                     dims: str = "0,1", other: RunFile | None = None) -> Written:
    """The still: <run>/figures/occupancy_e<epoch>.png by default."""
    chosen_dims, other = _checked_runs(run, dims, other)
    epoch = chosen_epoch(run, epoch)
    path = figure_path(run, out, f"occupancy_e{epoch}.png")
    check_still_path(path)
    tracked = run.tracked()
    rows = _chosen_rows(digits, tracked.label, tracked.index)
    occupancy = measure(decoder_at(run, epoch), tracked.image, rows, tracked.label, chosen_dims,
                        decoder_at(other, epoch) if other else None)
    figure = new_figure(theme, 16, 9)
    plane = f" (rings in z{chosen_dims[0] + 1}, z{chosen_dims[1] + 1})" if run.latent_dim > 2 else ""
    drawing = OccupancyFigure(figure, theme, len(rows), f"{run_title(run)}  ·  epoch {epoch}  ·  decodes at k sigma around each mean{plane}",
                              run_folder(other).name if other else None, 9 * DPI)
    drawing.show(occupancy)
    return save_figure(figure, path)


class OccupancyFrames(WholeFrames):
    """The figure through training: weights interpolated between consecutive saved epochs."""

    label = "occupancy"

    def __init__(self, run: RunFile, other: RunFile | None, rows: np.ndarray, dims: tuple[int, int], spec: VideoSpec, theme: Theme,
                 seconds_per_epoch: float):
        self.run, self.other, self.rows, self.dims = run, other, rows, dims
        self.tracked = run.tracked()
        self.epochs = run.epochs_done
        self.per_epoch = max(1, round(seconds_per_epoch * spec.fps))
        self.frame_count = (self.epochs - 1) * self.per_epoch + 1
        width, height = spec.size
        self.figure = frame_figure(width, height, theme.background)
        self.drawing = OccupancyFigure(self.figure, theme, len(rows), "", run_folder(other).name if other else None, height)
        self.states: dict[tuple[str, int], dict] = {}
        self.nets = {str(r.path): decoder_at(r, 1) for r in (run, other) if r is not None}  # one net a run; weights swapped in

    def _state(self, run: RunFile, epoch: int) -> dict:
        key = (str(run.path), epoch)
        if key not in self.states:
            self.states = {k: v for k, v in self.states.items() if k[1] >= epoch - 1}  # two saved epochs a run at most
            self.states[key] = decoder_at(run, epoch).state_dict()
        return self.states[key]

    def net(self, run: RunFile, epoch: int, t: float):
        """`run`'s net a fraction `t` of the way from saved epoch `epoch` to the next, weights interpolated linearly."""
        before = self._state(run, epoch)
        after = self._state(run, epoch + 1) if t > 0 else before
        model = self.nets[str(run.path)]
        model.load_state_dict({name: before[name] * (1 - t) + after[name] * t for name in before})
        return model

    def frame(self, index: int) -> np.ndarray:
        epoch, step = divmod(index, self.per_epoch)
        epoch += 1
        t = step / self.per_epoch
        model = self.net(self.run, epoch, t)
        other = self.net(self.other, epoch, t) if self.other else None
        occupancy = measure(model, self.tracked.image, self.rows, self.tracked.label, self.dims, other)
        when = f"epoch {epoch}" if t == 0 else f"epoch {epoch + t:.2f} (weights between epochs {epoch} and {epoch + 1})"
        self.drawing.show(occupancy, f"{run_title(self.run)}  ·  {when}")
        self.figure.canvas.draw()
        return np.asarray(self.figure.canvas.buffer_rgba()).copy()


def render_occupancy_video(run: RunFile, video: VideoOptions, digits: str | None = None, dims: str = "0,1",
                           other: RunFile | None = None) -> Rendered:
    """The figure through training: <run>/videos/occupancy_e1-<E>.<format> by default."""
    chosen_dims, other = _checked_runs(run, dims, other)
    epochs = chosen_epoch(run, None)
    if epochs < 2:
        raise ProjectError("--video shows the figure through training: the run needs two finished epochs or more")
    if other is not None and other.epochs_done < epochs:
        raise ProjectError(f"{run_folder(other)}: the second --run has {other.epochs_done} finished epochs, the first {epochs}")
    out = video_path(run, video.out, f"occupancy_e1-{epochs}.{video.spec.format}")
    check_destination(out, video.spec)
    tracked = run.tracked()
    rows = _chosen_rows(digits, tracked.label, tracked.index)
    seconds = video.duration / (epochs - 1) if video.duration is not None else SECONDS_PER_EPOCH
    scene = OccupancyFrames(run, other, rows, chosen_dims, video.spec, video.theme, seconds)
    return render_video(scene, out, video.spec, progress=video.progress)
