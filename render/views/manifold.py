"""The decoder learning while the digits move: trajectories on the left, on the right the 15x15 grid
of decoded digits over the same plane, both changing step by step.

The decoder of a step comes from the run's decoder snapshots (`train --snapshot-every K`), or,
without them, from the per-epoch checkpoints (the title says which). Between two saved decoders the
grid cross-fades from one's decodes to the next's, so the video keeps the trajectories' per-step
motion; at a saved step it is exactly that decoder's grid. Each saved decoder is run once, one
forward pass for all 225 points.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from errors import ProjectError
from render.digits import SIDE, grid_picture
from render.sources import choose_digits, decoder_at, epochs_label, run_folder, video_path
from render.steps import frame_steps, parse_epochs
from render.style import DPI, Theme, points
from render.video import Rendered, VideoOptions, render_video
from render.views.trajectories import load_trajectory
from render.views.trajectories.layout import Box, plane_height
from render.views.trajectories.scene import TrajectoryScene
from train.runfile import RunFile

GRID = 15


@dataclass
class DecoderTimeline:
    """The steps at which a decoder was saved, and how to put each into `net`."""

    steps: np.ndarray  # (S,) increasing run steps
    load: Callable[[int], None]  # load(i): saved decoder i into `net`
    net: object
    source: str  # for the title

    def between(self, step: int) -> tuple[int, int, float]:
        """(i, j, alpha): `step` lies `alpha` of the way from saved decoder i to j (i == j: at or
        outside the saved ones)."""
        j = int(np.searchsorted(self.steps, step, side="right"))
        if j == 0:
            return 0, 0, 0.0
        if j == len(self.steps) or self.steps[j - 1] == step:
            return j - 1, j - 1, 0.0
        s0, s1 = self.steps[j - 1], self.steps[j]
        return j - 1, j, float((step - s0) / (s1 - s0))


def run_steps(epoch: np.ndarray, batch: np.ndarray, batches_per_epoch: dict[int, int]) -> np.ndarray:
    """The run's step number (0 = before training, then one per batch) of each selected step."""
    offset, start = {}, 1
    for e in sorted(batches_per_epoch):
        offset[e] = start
        start += batches_per_epoch[e]
    return np.array([0 if e == 0 else offset[int(e)] + int(b) for e, b in zip(epoch, batch)], np.int64)


def timeline(run: RunFile) -> DecoderTimeline:
    """Snapshots when the run has them for every finished epoch, else the per-epoch checkpoints."""
    import torch

    from train.model import VAE
    from train.snapshots import snapshot_index

    folder = run_folder(run)
    net = VAE(run.config.layers, run.config.activation)
    net.eval()
    index = snapshot_index(folder, run.epochs_done, run.snapshots)
    if index is not None:
        return DecoderTimeline(index.steps, lambda i: index.load_into(net, i), net,
                               f"decoder snapshots every {index.every} batches")
    per_epoch = run.batches_per_epoch()
    epochs = sorted(per_epoch)[:run.epochs_done]
    ends = run_steps(np.array(epochs), np.array([per_epoch[e] - 1 for e in epochs]), per_epoch)
    note = "per-epoch checkpoints (no --snapshot-every)" if not run.snapshots else "per-epoch checkpoints (snapshots incomplete)"

    states: OrderedDict = OrderedDict()  # the last two checkpoints read: a cross-fade alternates between them

    def load(i: int) -> None:
        if i not in states:
            states[i] = decoder_at(run, epochs[i]).state_dict()
            while len(states) > 2:
                states.popitem(last=False)
        with torch.no_grad():
            net.load_state_dict(states[i])

    return DecoderTimeline(ends, load, net, note)


def grid_pixels(digits: np.ndarray, theme: Theme, scale: int, side: int) -> np.ndarray:
    """(GRID, GRID, 28, 28) uint8 digits -> the (side, side, 3) picture pasted beside the plane: no
    gaps, so it covers the plane's view exactly; Lanczos where it is resampled to the room."""
    return grid_picture(digits, theme, scale, side, gap=0, resample="LANCZOS")


class ManifoldPanel:
    """The grid beside the plane; the background component the scene repaints when the decoder moves."""

    def __init__(self, figure, box: Box, scene: TrajectoryScene, decoders: DecoderTimeline, steps: np.ndarray, theme: Theme):
        self.decoders, self.steps, self.theme = decoders, steps, theme
        self.plane = scene.planes[0]
        room = min(box.w, box.h)
        self.scale = max(1, room // (GRID * SIDE))
        # Twice the digits' size or more: whole pixels, crisp; below that the grid is resampled to the room.
        self.side = GRID * SIDE * self.scale if self.scale >= 2 else room
        plane = self.plane.box
        self.left = box.x
        self.top = plane.y + (plane.h - self.side) // 2 if self.side <= plane.h else box.y
        width, height = figure.get_size_inches() * DPI
        text_pt = points(scene.layout.text_px)
        figure.text(self.left / width, 1 - (self.top - 0.4 * scene.layout.text_px) / height,
                    f"decoded over the same plane\n{decoders.source}", color=theme.muted, fontsize=text_pt * 0.75, va="bottom")
        self._decodes: OrderedDict = OrderedDict()
        self._shown_key = None

    def codes(self, index: int) -> np.ndarray:
        """(GRID, GRID, 2): the centres of a GRID x GRID split of frame `index`'s view, top row highest."""
        cx, cy, units = self.plane.views[index]
        half_w, half_h = units * self.plane.box.w / 2, units * self.plane.box.h / 2
        xs = cx - half_w + (np.arange(GRID) + 0.5) * 2 * half_w / GRID
        ys = cy + half_h - (np.arange(GRID) + 0.5) * 2 * half_h / GRID
        return np.stack(np.meshgrid(xs, ys), axis=-1)

    def _decoded(self, i: int, index: int) -> np.ndarray:
        """Saved decoder i on frame `index`'s grid: (GRID, GRID, 28, 28) float intensities in [0, 1]."""
        import torch

        key = (i, tuple(self.plane.views[index]))
        if key not in self._decodes:
            self.decoders.load(i)
            with torch.no_grad():
                out = self.decoders.net.generate(torch.as_tensor(self.codes(index).reshape(-1, 2), dtype=torch.float32))
            self._decodes[key] = out.numpy().reshape(GRID, GRID, SIDE, SIDE)
            while len(self._decodes) > 4:
                self._decodes.popitem(last=False)
        return self._decodes[key]

    def picture(self, index: int) -> np.ndarray:
        """Frame `index`'s grid as RGB pixels, as pasted."""
        i, j, alpha = self.decoders.between(int(self.steps[int(self.plane.shown[index])]))
        ink = self._decoded(i, index) if alpha == 0 else (1 - alpha) * self._decoded(i, index) + alpha * self._decoded(j, index)
        return grid_pixels(np.rint(ink * 255).astype(np.uint8), self.theme, self.scale, self.side)

    def _key(self, index: int):
        return self.decoders.between(int(self.steps[int(self.plane.shown[index])])), tuple(self.plane.views[index])

    def _paste(self, background: np.ndarray, index: int) -> None:
        picture = self.picture(index)
        background[self.top:self.top + self.side, self.left:self.left + self.side, :3] = picture
        background[self.top:self.top + self.side, self.left:self.left + self.side, 3] = 255
        self._shown_key = self._key(index)

    def finish(self, pixels: np.ndarray, static: np.ndarray) -> None:
        pass

    def paint(self, background: np.ndarray, static: np.ndarray, index: int) -> None:
        self._paste(background, index)

    def advance(self, background: np.ndarray, index: int) -> np.ndarray:
        if self._key(index) == self._shown_key:
            return np.zeros((0, 4))
        self._paste(background, index)
        return np.array([[self.left, self.top, self.left + self.side, self.top + self.side]], np.float64)

    def draw_moving(self, index: int) -> np.ndarray:
        return np.zeros((0, 4))


@dataclass
class ManifoldSide:
    """What the trajectories scene needs to place and build the grid beside its plane."""

    decoders: DecoderTimeline
    steps: np.ndarray  # the run step of each selected trajectory step
    theme: Theme
    plane_aspect: float = 1.0  # a square plane, so the grid covers exactly its view
    legend: bool = False  # the decoded digits name the classes; the room goes to the grid

    def width_px(self, width: int, height: int) -> int:
        """As tall as the plane; from twice the digits' size up, the largest whole multiple (crisp pixels)."""
        mosaic_px = GRID * SIDE
        room = min(plane_height(height), width // 2)
        return room // mosaic_px * mosaic_px if room >= 2 * mosaic_px else room

    def build(self, figure, box: Box, scene: TrajectoryScene) -> ManifoldPanel:
        return ManifoldPanel(figure, box, scene, self.decoders, self.steps, self.theme)


def render_manifold(run: RunFile, video: VideoOptions, epochs: str | None = None, every: int | None = None, trail: int = 12,
                    digits: str | None = None, camera: str = "fixed") -> Rendered:
    """The video and its poster; by default <run>/videos/manifold_e<epochs>.<format>."""
    if run.latent_dim != 2:
        raise ProjectError(f"manifold decodes a grid over the latent plane: it needs a latent size of 2, this run's is {run.latent_dim} "
                           "(try render slices)")
    first, last = parse_epochs(epochs) if epochs else (1, max(run.epochs_done, 1))
    tracked = run.tracked()
    rows = choose_digits(digits, tracked.label, tracked.index)
    traj = load_trajectory(run, first, last, (0, 1), rows)
    if run.epochs_done < 1:
        raise ProjectError(f"{run.path}: no finished epoch yet, so no saved decoder")
    out = video_path(run, video.out, f"manifold_{epochs_label(first, last)}.{video.spec.format}")
    shown = frame_steps(np.arange(len(traj.epoch)), video.spec.fps, every=every, duration=video.duration)
    steps = run_steps(traj.epoch, traj.batch, traj.batches_per_epoch)
    side = ManifoldSide(timeline(run), steps, video.theme)
    scene = TrajectoryScene(traj, shown, video.spec, video.theme, trail=trail, camera_mode=camera, side=side)
    scene.label = "manifold"
    return render_video(scene, out, video.spec, progress=video.progress)

