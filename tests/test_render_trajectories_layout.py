"""The trajectories frame for slides: the default layout fills the frame, `--aspect fit` takes the
plane's shape, and a fixed view is not set by one early excursion.

Real encodes, decoded back with the bundled ffmpeg; inputs built so their shape is known."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from helpers import LABELS, RADII, STEPS, cli, synthetic_run
from render.style import CLASS_COLORS, theme
from render.video import VideoSpec, probe
from render.views.trajectories import TrajectoryScene, load_trajectory
from render.views.trajectories.camera import extents, fixed_bounds
from render.views.trajectories.legend import tinted
from train.runfile import RunFile

FRAMES = 1 + 2 * STEPS  # the step before epoch 1, then every step of two epochs
# Tall data: three digits that end on a vertical line and start far above it (a 2-D VAE's cloud is
# taller than wide); wide data: the same turned on its side. Both far past the planes' aspect limits.
TALL = dict(start=np.array([0.0, 12.0]), centers=np.array([[0.0, -3.0], [0.4, 0.0], [-0.3, 3.0]]))
WIDE = dict(start=TALL["start"][::-1], centers=TALL["centers"][:, ::-1])
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}


def render(args):
    return cli("render", "trajectories", "--quiet", *args)


@pytest.fixture(scope="module")
def digit_images(small_mnist) -> np.ndarray:
    """Real MNIST pictures for the synthetic runs' tracked digits (classes 0, 3 and 7)."""
    return np.stack([small_mnist.train_images[np.flatnonzero(small_mnist.train_labels == label)[0]] for label in LABELS])


def decoded_frames(path: Path, size: tuple[int, int], frames: list[int]) -> np.ndarray:
    """Frames `frames` of a video as (k, H, W, 3) uint8, decoded by the bundled ffmpeg (only those
    are kept: a whole 4k clip would not fit in memory)."""
    select = "+".join(f"eq(n\\,{index})" for index in frames)
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf", f"select={select}", "-fps_mode", "passthrough",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    width, height = size
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def content_span(frame: np.ndarray) -> tuple[float, float]:
    """How much of the frame's width and height the non-background pixels span (light theme: white)."""
    ys, xs = np.nonzero(np.abs(frame.astype(int) - 255).max(axis=-1) > 10)
    return (np.ptp(xs) + 1) / frame.shape[1], (np.ptp(ys) + 1) / frame.shape[0]


def runs_of(tmp_path: Path, shape: dict, count: int, images: np.ndarray) -> list[Path]:
    modes = ("variational", "deterministic")
    return [synthetic_run(tmp_path / modes[i], mode=modes[i], images=images, **shape) for i in range(count)]


@pytest.mark.parametrize("size", ["720p", "4k"])
@pytest.mark.parametrize("runs", [1, 2])
@pytest.mark.parametrize("shape", ["tall", "wide"])
def test_default_frames_fill_the_frame(tmp_path, digit_images, shape, runs, size):
    """The default render, whatever the data's shape, the size or the number of runs: what is drawn
    reaches across at least 80% of the frame's width and of its height, in the first frame (no
    curves grown yet), the middle and the last."""
    paths = runs_of(tmp_path, TALL if shape == "tall" else WIDE, runs, digit_images)
    out = tmp_path / "clip.mp4"
    result = render([arg for path in paths for arg in ("--run", str(path))] + ["--size", size, "--out", str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert (info.width, info.height, info.frames) == (*SIZES[size], FRAMES)
    for frame in decoded_frames(out, SIZES[size], [0, FRAMES // 2, FRAMES - 1]):
        width_share, height_share = content_span(frame)
        assert width_share >= 0.8 and height_share >= 0.8, (width_share, height_share)


def test_tall_data_leave_their_room_to_the_digits_and_the_panel(tmp_path, digit_images):
    """Tall data keep a narrow plane; beside it stand the tracked digits' own MNIST images, in their
    class colours, and the live panel's curves."""
    path = runs_of(tmp_path, TALL, 1, digit_images)[0]
    out = tmp_path / "tall.mp4"
    assert render(["--run", str(path), "--size", "720p", "--camera", "fixed", "--out", str(out)]).exit_code == 0
    last = decoded_frames(out, (1280, 720), [FRAMES - 1])[0].astype(int)
    traj = load_trajectory(RunFile(path), 1, 2, (0, 1))
    scene = TrajectoryScene(traj, np.arange(FRAMES), VideoSpec(size=(1280, 720)), theme("light"), camera_mode="fixed")
    plane, gallery, panel = scene.layout.planes[0], scene.layout.gallery, scene.layout.panel
    assert plane.w < 0.8 * plane.h  # the plane keeps the data's shape: no wide box of empty grid
    assert gallery is not None and gallery.x >= plane.right and panel.x > gallery.x
    for row, label in enumerate(gallery.classes):  # each class's row shows its tracked digit, tinted in its colour
        picture = tinted(digit_images[row], CLASS_COLORS[label], theme("light"), gallery.thumb, False)[..., :3].astype(int)
        top = round(gallery.row_top(row) + gallery.pitch / 2 - gallery.thumb / 2)
        left = gallery.x + gallery.label_w
        seen = last[top:top + gallery.thumb, left:left + gallery.thumb]
        assert np.abs(seen - picture).mean() < 6, (label, np.abs(seen - picture).mean())
    curve = np.abs(last[panel.y:panel.bottom, panel.x:panel.right] - (0x4C, 0x72, 0xB0)).max(axis=-1) < 40  # the loss curve's blue
    assert curve.any(axis=0).mean() > 0.5  # drawn across most of the panel's width by the last frame


def test_wide_pair_gets_the_panel_under_the_planes(tmp_path, digit_images):
    paths = runs_of(tmp_path, WIDE, 2, digit_images)
    trajs = [load_trajectory(RunFile(path), 1, 2, (0, 1)) for path in paths]
    scene = TrajectoryScene(trajs, np.arange(FRAMES), VideoSpec(size=(1920, 1080)), theme("light"), camera_mode="fixed",
                            titles=["a", "b"])
    planes, panel = scene.layout.planes, scene.layout.panel
    assert scene.layout.panel_row and panel.y > max(plane.bottom for plane in planes)
    assert panel.x <= planes[0].x and panel.right >= planes[1].right  # the row spans both planes
    frame = scene.frame(FRAMES - 1)[..., :3].astype(int)
    for color in ((0x4C, 0x72, 0xB0), (0xDD, 0x84, 0x52)):  # both runs' curves are in it
        assert (np.abs(frame[panel.y:panel.bottom, panel.x:panel.right] - color).max(axis=-1) < 40).sum() > 200


@pytest.mark.parametrize("shape, long_side", [("tall", "height"), ("wide", "width")])
def test_aspect_fit_makes_a_video_of_the_planes_shape(tmp_path, digit_images, shape, long_side):
    """`--aspect fit --size 1080p`: the video is cut to the plane, its titles, tick labels and legend,
    as large as fits in 1920x1080: tall data make a tall video 1080 high, wide data a flat one 1920
    wide, both with even sides (H.264 yuv420p), and nothing but the plot's room in it."""
    path = runs_of(tmp_path, TALL if shape == "tall" else WIDE, 1, digit_images)[0]
    out = tmp_path / f"{shape}.mp4"
    result = render(["--run", str(path), "--size", "1080p", "--camera", "fixed", "--aspect", "fit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert (info.codec, info.profile, info.pix_fmt, info.frames) == ("h264", "High", "yuv420p", FRAMES)
    assert info.width % 2 == 0 and info.height % 2 == 0
    if long_side == "height":
        assert info.height == 1080 and info.width < 0.75 * info.height
    else:
        assert info.width == 1920 and info.height < 0.6 * info.width
    last = decoded_frames(out, (info.width, info.height), [FRAMES - 1])[0]
    assert min(content_span(last)) >= 0.8
    refused = render(["--run", str(path), "--aspect", "fit", "--panel", "--out", str(tmp_path / "no.mp4")])
    assert refused.exit_code == 1 and "--aspect fit" in refused.output and "--panel" in refused.output
    assert isinstance(refused.exception, SystemExit) and not (tmp_path / "no.mp4").exists()


def test_fixed_bounds_leave_out_an_early_excursion_and_keep_a_drift():
    """A still cloud whose digit 1 flies to x = 30 for three of 100 frames: the bounds are the
    cloud's own. A cloud that drifts over the whole clip keeps every frame in view."""
    centers = np.array([[-2.0, 1.0], [1.5, -1.0], [0.5, 2.0]])
    mu = np.repeat(centers[None], 100, axis=0)
    mu[5:8, 1] = (30.0, 0.0)
    radius = np.tile(RADII, (100, 1))
    low, high = extents(mu, radius)
    np.testing.assert_allclose(fixed_bounds(low, high)[0], (centers - RADII[:, None]).min(axis=0))
    np.testing.assert_allclose(fixed_bounds(low, high)[1], (centers + RADII[:, None]).max(axis=0))
    drift = centers[None] + np.linspace(0, 6, 100)[:, None, None]  # every digit moves 6 units right and up
    low, high = extents(drift, radius)
    np.testing.assert_allclose(fixed_bounds(low, high)[0], low.min(axis=0))
    np.testing.assert_allclose(fixed_bounds(low, high)[1], high.max(axis=0))


def test_fixed_view_is_not_set_by_an_early_excursion(tmp_path):
    """`--camera fixed` (and `render manifold`, which shares the view): one digit leaves for x = 25
    at steps 3 and 4 of 21. The view is about the size of the same run's without it, holds every
    circle of every step after the excursion, and lets the excursion leave the frame."""

    def excursion(step, mu):
        if step in (3, 4):
            mu[1] = (25.0, 0.0)

    def view_of(path):
        traj = load_trajectory(RunFile(path), 1, 2, (0, 1))
        return traj, TrajectoryScene(traj, np.arange(FRAMES), VideoSpec(size=(1280, 720)), theme("light"), camera_mode="fixed").planes[0]

    traj, plane = view_of(synthetic_run(tmp_path / "excursion", moved=excursion))
    _, clean = view_of(synthetic_run(tmp_path / "clean"))
    width_units = lambda p: p.views[0, 2] * p.box.w  # noqa: E731
    assert width_units(plane) <= 1.1 * width_units(clean)
    for step in range(5, FRAMES):
        corners = plane.to_pixels(np.r_[traj.mu[step] - traj.radius[step][:, None], traj.mu[step] + traj.radius[step][:, None]], 0)
        assert corners[:, 0].min() >= plane.box.x and corners[:, 0].max() <= plane.box.right, step
        assert corners[:, 1].min() >= plane.box.y and corners[:, 1].max() <= plane.box.bottom, step
    assert plane.to_pixels(traj.mu[3, 1], 0)[0] > plane.box.right  # the excursion is outside the view
