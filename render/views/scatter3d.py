"""A turning 3-D scatter of the test set's latent means, rasterised with numpy.

mplot3d re-projects, depth-sorts and redraws every axis pane on each frame (~4.7 frames/s at 1080p
for 10,000 points). Here the title and legend are drawn once with matplotlib; each frame projects
the points with one rotation, and draws them as small discs through a z-buffer: every disc pixel
bids its point's nearness rank with `np.maximum.at`, so the nearest point wins each pixel, which
is exact depth ordering without a per-point loop. Far points fade toward the background (depth cue);
each disc has a one-pixel rim half-way to the background, which keeps overlapping discs apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb

from render.figures import frame_figure
from render.sources import chosen_epoch, epochs_label, parse_dims, require_latent_size, run_title, video_path
from render.steps import parse_epochs
from render.style import CLASS_RGB, DPI, Theme, font_points, px_scale
from render.text_stamp import TextStamp
from render.video import Rendered, VideoOptions, VideoSpec, WholeFrames, render_video
from render.views.latent_map import class_legend
from train.runfile import RunFile

DEFAULT_SECONDS = 12.0  # one turn
ELEVATION_DEG = 18.0
FOG = 0.45  # how far the farthest point fades toward the background
RIM = 0.45  # how far a disc's rim fades toward the background
CUBE_EDGES = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
CORNERS = np.array([[(i >> 0) & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=np.float64) * 2 - 1


@dataclass(frozen=True)
class Cloud:
    """Test-set means at one or more epochs, in three chosen latent dimensions."""

    positions: np.ndarray  # (epochs, n, 3)
    labels: np.ndarray  # (n,)
    epochs: np.ndarray  # (epochs,) 1-based epoch of each snapshot
    dims: tuple[int, int, int]
    title: str


def load_cloud(run: RunFile, first_epoch: int, last_epoch: int, dims: tuple[int, int, int], title: str) -> Cloud:
    history = run.encoding_history(first_epoch, last_epoch)
    return Cloud(positions=history.mu[:, :, list(dims)].astype(np.float64), labels=history.label,
                 epochs=np.arange(first_epoch, last_epoch + 1), dims=dims, title=title)


def disc_offsets(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel offsets (dx, dy) of a disc, and which of them form its one-pixel rim."""
    reach = int(np.ceil(radius))
    dy, dx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    distance = np.hypot(dx, dy)
    inside = distance <= radius
    return dx[inside], dy[inside], distance[inside] > radius - 1


class ScatterScene(WholeFrames):
    """`frame(i)`: the cloud seen from azimuth 360 i / frames, at the epoch position of frame i."""

    label = "scatter3d"

    def __init__(self, cloud: Cloud, spec: VideoSpec, theme: Theme, frames: int):
        self.cloud, self.frame_count = cloud, frames
        self.width, self.height = spec.size
        self.background_rgb = np.array(to_rgb(theme.background)) * 255
        # Equal-aspect normalisation: one half-span for all three axes, from robust extents.
        everything = cloud.positions.reshape(-1, 3)
        low, high = np.percentile(everything, 0.5, axis=0), np.percentile(everything, 99.5, axis=0)
        self.centre, self.half = (low + high) / 2, max((high - low).max() / 2, 1e-6)
        self.origin = np.array([0.41 * self.width, 0.55 * self.height])
        elevation = np.radians(ELEVATION_DEG)
        self.scale = 0.40 * self.height / (np.cos(elevation) + np.sqrt(2) * np.sin(elevation))
        self.elevation = elevation
        dx, dy, rim = disc_offsets(max(2.5, 3.4 * px_scale(self.height)))
        self.dx, self.dy, self.core = dx.astype(np.int32), dy.astype(np.int32), (~rim).astype(np.int32)
        self.reach = int(np.abs(dx).max()) + 1
        self.colors = np.array(CLASS_RGB, dtype=np.float64)[cloud.labels]
        # The plot area is redrawn whole every frame; title and legend lie outside it.
        self.plot_area = ((int(0.02 * self.width), int(0.10 * self.height)), (int(0.80 * self.width), int(0.985 * self.height)))
        (left, top), (right, bottom) = self.plot_area
        self.zbuffer = np.zeros((bottom - top, right - left), np.int32)
        self.edge_steps = np.linspace(0, 1, int(4.5 * self.scale))
        self.static = self._static_layer(theme)
        text_px = font_points(self.height, 72, 0.026)
        self.axis_label = TextStamp((0, 0), text_px, theme.muted, anchor="mm")
        self.counter = TextStamp((0.80 * self.width, 0.075 * self.height), text_px, theme.muted, anchor="rd")
        self.edge_rgb = np.array(to_rgb(theme.grid)) * 255

    def _static_layer(self, theme: Theme) -> np.ndarray:
        """Title and legend, drawn once with matplotlib."""
        figure = frame_figure(self.width, self.height, theme.background)
        text_pt = font_points(self.height, DPI, 0.028)
        d = self.cloud.dims
        figure.text(0.04, 0.925, f"{self.cloud.title}  ·  test set in z{d[0] + 1}, z{d[1] + 1}, z{d[2] + 1}", color=theme.foreground,
                    fontsize=text_pt * 1.1, va="bottom", ha="left")
        class_legend(figure, theme, loc="center left", bbox_to_anchor=(0.83, 0.5))
        for text in figure.legends[0].get_texts():
            text.set_fontsize(text_pt)
        figure.legends[0].get_title().set_fontsize(text_pt)
        figure.canvas.draw()
        return np.asarray(figure.canvas.buffer_rgba()).copy()

    def _positions(self, index: int) -> tuple[np.ndarray, float]:
        """Points at frame `index`, moving linearly between epoch snapshots; and the epoch reached."""
        snapshots = self.cloud.positions
        if len(snapshots) == 1:
            return snapshots[0], float(self.cloud.epochs[0])
        t = index / max(self.frame_count - 1, 1) * (len(snapshots) - 1)
        k = min(int(t), len(snapshots) - 2)
        w = t - k
        return snapshots[k] * (1 - w) + snapshots[k + 1] * w, float(self.cloud.epochs[k] + w)

    def project(self, points: np.ndarray, azimuth: float) -> tuple[np.ndarray, np.ndarray]:
        """Normalised (n, 3) points -> pixel (x, y) (n, 2) and depth (n,), larger = farther."""
        x, y, z = points[:, 0], points[:, 1], points[:, 2]
        across = x * np.cos(azimuth) - y * np.sin(azimuth)
        toward = x * np.sin(azimuth) + y * np.cos(azimuth)
        up = z * np.cos(self.elevation) + toward * np.sin(self.elevation)
        depth = toward * np.cos(self.elevation) - z * np.sin(self.elevation)
        pixels = np.c_[self.origin[0] + self.scale * across, self.origin[1] - self.scale * up]
        return pixels, depth

    def frame(self, index: int) -> np.ndarray:
        azimuth = 2 * np.pi * index / self.frame_count - np.pi / 4
        raw, epoch = self._positions(index)
        pixels, depth = self.project((raw - self.centre) / self.half, azimuth)
        out = self.static.copy()
        self._draw_plot(out, pixels, depth, azimuth)
        for axis, (px, py) in enumerate(self._axis_label_points(azimuth)):
            self.axis_label.draw(out, f"z{self.cloud.dims[axis] + 1}", at=(px, py))
        if len(self.cloud.epochs) > 1:
            self.counter.draw(out, f"epoch {epoch:.1f}")
        return out

    def _axis_label_points(self, azimuth: float) -> np.ndarray:
        """(3, 2) pixels naming the axes, outside the cloud: each horizontal axis at the middle of
        the nearer bottom edge along it, the vertical one at the middle of the leftmost vertical
        edge; each pushed outward from the cube's centre (where mplot3d puts its labels)."""
        signs = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
        centre_px = self.project(np.zeros((1, 3)), azimuth)[0][0]
        points = []
        for axis in range(3):
            others = [a for a in range(3) if a != axis]
            middles = np.zeros((4, 3))
            middles[:, others] = signs  # the middles of the four cube edges along `axis`
            pixels, depth = self.project(middles, azimuth)
            if axis < 2:  # horizontal: of the two bottom edges, the nearer
                bottom = np.flatnonzero(middles[:, 2] == -1)
                pick = bottom[np.argmin(depth[bottom])]
            else:
                pick = np.argmin(pixels[:, 0])
            outward = pixels[pick] - centre_px
            points.append(pixels[pick] + outward / max(np.hypot(*outward), 1e-9) * 0.045 * self.height)
        return np.array(points)

    def _draw_plot(self, out: np.ndarray, pixels: np.ndarray, depth: np.ndarray, azimuth: float) -> None:
        """Cube and points through the z-buffer over the plot area, then one colour lookup per pixel.

        Bids: 0 nothing (background), 1 a cube edge, 2 r + 0 the rim and 2 r + 1 the core of the
        point of nearness rank r (1 = farthest). The colour table is indexed by the winning bid.
        """
        (left, top), (right, bottom) = self.plot_area
        width = right - left
        zbuffer = self.zbuffer
        zbuffer.fill(0)
        flat = zbuffer.reshape(-1)
        corners, _ = self.project(CORNERS, azimuth)
        for a, b in CUBE_EDGES:
            line = np.rint(corners[a] + self.edge_steps[:, None] * (corners[b] - corners[a])).astype(np.int32)
            keep = (line[:, 0] >= left) & (line[:, 0] < right) & (line[:, 1] >= top) & (line[:, 1] < bottom)
            flat[(line[keep, 1] - top) * width + line[keep, 0] - left] = 1
        n = len(depth)
        centre = np.rint(pixels).astype(np.int32)
        reach = self.reach
        visible = np.flatnonzero((centre[:, 0] >= left + reach) & (centre[:, 0] < right - reach)
                                 & (centre[:, 1] >= top + reach) & (centre[:, 1] < bottom - reach))
        nearness = np.empty(n, np.int32)
        nearness[np.argsort(-depth, kind="stable")] = np.arange(1, n + 1, dtype=np.int32)
        spots = (centre[visible, 1, None] - top + self.dy) * width + (centre[visible, 0, None] - left + self.dx)
        bids = nearness[visible, None] * 2 + self.core
        np.maximum.at(flat, spots.ravel(), bids.ravel())
        far = ((depth - depth.min()) / max(float(np.ptp(depth)), 1e-9))[:, None]
        core = self.colors * (1 - FOG * far) + self.background_rgb * (FOG * far)
        table = np.full((2 * n + 2, 4), 255, np.uint8)  # RGBA, so one pixel is one uint32 to copy
        table[0, :3], table[1, :3] = np.rint(self.background_rgb), np.rint(self.edge_rgb)
        table[nearness * 2 + 1, :3] = np.rint(core)
        table[nearness * 2, :3] = np.rint(core * (1 - RIM) + self.background_rgb * RIM)
        pixels32 = out.reshape(-1).view(np.uint32).reshape(self.height, self.width)
        pixels32[top:bottom, left:right] = np.take(table.reshape(-1).view(np.uint32), zbuffer)


def render_scatter3d(run: RunFile, video: VideoOptions, epoch: int | None = None, epochs: str | None = None,
                     dims: str = "0,1,2") -> Rendered:
    """The turning scatter of the test set at `epoch` (default: the last), or moving through
    `epochs` (text like 1-10) as it turns, and its poster; by default
    <run>/videos/scatter3d_e<epoch or epochs>.<format>. One turn takes the whole clip."""
    require_latent_size(run, 3, "scatter3d")
    axes = parse_dims(dims, run.latent_dim, 3)
    if epochs:
        first, last = parse_epochs(epochs)
        first, last = chosen_epoch(run, max(first, 1), "--epochs"), chosen_epoch(run, last, "--epochs")
        title = run_title(run)
    else:
        first = last = chosen_epoch(run, epoch)
        title = f"{run_title(run)}  ·  epoch {first}"
    out = video_path(run, video.out, f"scatter3d_{epochs_label(first, last)}.{video.spec.format}")
    duration = video.duration if video.duration is not None else DEFAULT_SECONDS
    scene = ScatterScene(load_cloud(run, first, last, axes, title), video.spec, video.theme,
                         frames=max(2, round(duration * video.spec.fps)))
    return render_video(scene, out, video.spec, progress=video.progress)
