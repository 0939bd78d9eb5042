"""The trajectories video for talks: the following camera, the live panel, and runs side by side.

Real encodes decoded back with the bundled ffmpeg; pixels and views checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import CENTERS, LABELS, RADII, STEPS, cli, decoded_rgb, synthetic_run
from render.style import CLASS_RGB, theme
from render.video import VideoSpec, probe
from render.views.trajectories import TrajectoryScene, load_trajectory
from render.views.trajectories.camera import MAX_ZOOM_PER_SECOND
from train.runfile import RunFile

FAR = np.array([14.0, 11.0])  # the digits start far from where they end: a fixed view must hold both


def render(args):
    return cli("render", "trajectories", "--quiet", *args)


def colored_extent(frame: np.ndarray, box) -> tuple[float, float]:
    """How much of the plot's width and height the coloured (class) pixels span."""
    region = frame[box.y:box.bottom, box.x:box.right, :3].astype(int)
    ys, xs = np.nonzero(region.max(axis=-1) - region.min(axis=-1) > 40)  # the grid and text are grey
    return (np.ptp(xs) + 1) / box.w, (np.ptp(ys) + 1) / box.h


def scene_for(path, camera, size=(640, 360), fps=30.0, shown=None, **options):
    traj = load_trajectory(RunFile(path), 1, 2, (0, 1))
    shown = np.arange(len(traj.epoch)) if shown is None else shown
    return TrajectoryScene(traj, shown, VideoSpec(size=size, fps=fps), theme("light"), trail=0, camera_mode=camera, **options)


@pytest.mark.parametrize("camera", ["follow", "fixed"])
def test_follow_fills_the_plot_at_the_end(tmp_path, camera):
    path = synthetic_run(tmp_path / "run", start=FAR)
    out = tmp_path / f"{camera}.mp4"
    result = render(["--run", str(path), "--size", "640x360", "--trail", "0", "--camera", camera, "--duration", "5s", "--out", str(out)])
    assert result.exit_code == 0, result.output
    last = decoded_rgb(out, 640, 360)[-1]
    box = scene_for(path, camera).layout.planes[0]
    if camera == "follow":
        assert max(colored_extent(last, box)) >= 1 / 3
    else:  # today's view: it must hold the start too, so the end is small
        assert max(colored_extent(last, box)) < 1 / 3


def test_follow_moves_smoothly_and_always_holds_the_circles(tmp_path):
    path = synthetic_run(tmp_path / "run", start=FAR)
    traj = load_trajectory(RunFile(path), 1, 2, (0, 1))
    shown = np.round(np.linspace(0, len(traj.epoch) - 1, 150)).astype(int)  # a 5 s clip
    scene = scene_for(path, "follow", size=(1280, 720), shown=shown)
    plane = scene.planes[0]
    views = plane.views
    width_units = views[:, 2] * plane.box.w
    assert (np.abs(np.diff(views[:, :2], axis=0)).max(axis=1) <= 0.03 * width_units[1:]).all()  # no jumps
    assert np.abs(np.diff(np.log(views[:, 2]))).max() <= math.log(MAX_ZOOM_PER_SECOND) / 30 + 1e-9
    assert views[:, 2].max() > 2 * views[:, 2].min()  # it did zoom
    for index, step in enumerate(shown):  # every circle inside the plot at every frame
        corners = plane.to_pixels(np.r_[traj.mu[step] - traj.radius[step][:, None], traj.mu[step] + traj.radius[step][:, None]], index)
        assert corners.min(axis=0)[0] >= plane.box.x and corners.max(axis=0)[0] <= plane.box.right
        assert corners.min(axis=0)[1] >= plane.box.y and corners.max(axis=0)[1] <= plane.box.bottom


@pytest.mark.parametrize("camera", ["follow", "fixed"])
def test_tick_labels_change_with_the_zoom_only_under_follow(tmp_path, camera):
    path = synthetic_run(tmp_path / "run", start=FAR)
    out = tmp_path / "clip.mp4"
    assert render(["--run", str(path), "--size", "640x360", "--trail", "0", "--camera", camera, "--duration", "3s",
                   "--out", str(out)]).exit_code == 0
    frames = decoded_rgb(out, 640, 360)
    strip = scene_for(path, camera).planes[0].y_strip
    first, last = (frames[i, strip.y:strip.bottom, strip.x:strip.right].astype(int) for i in (0, -1))
    first_labels = scene_for(path, camera).planes[0]._labels
    ending = scene_for(path, camera, shown=np.arange(2 * STEPS + 1))
    ending.frame(2 * STEPS)
    if camera == "follow":
        assert np.abs(first - last).max() > 100  # other numbers at other places
        assert first_labels != ending.planes[0]._labels
    else:
        assert np.abs(first - last).max() < 24  # the same labels, up to the encoder
        assert first_labels == ending.planes[0]._labels


def test_the_plane_takes_the_datas_aspect(tmp_path):
    """Tall data no longer sit in a wide box of empty grid: the plot is about as wide as the data."""
    tall = synthetic_run(tmp_path / "tall", start=np.array([0.0, 12.0]), centers=np.array([[0.0, -3.0], [0.4, 0.0], [-0.3, 3.0]]))
    box = scene_for(tall, "fixed", size=(1280, 720)).layout.planes[0]
    assert box.w < 0.8 * box.h
    wide = scene_for(synthetic_run(tmp_path / "wide", start=np.array([12.0, 0.0])), "fixed", size=(1280, 720)).layout.planes[0]
    assert wide.w > 1.4 * wide.h


def test_two_runs_side_by_side(tmp_path):
    a = synthetic_run(tmp_path / "a")
    b = synthetic_run(tmp_path / "b", mode="deterministic", centers=-CENTERS, seed=3)
    out = tmp_path / "pair.mp4"
    result = render(["--run", str(a), "--run", str(b), "--size", "1280x720", "--trail", "0", "--camera", "fixed", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert probe(out).frames == 1 + 2 * STEPS  # one step counter: the runs' steps shown together
    last = decoded_rgb(out, 1280, 720)[-1].astype(int)
    trajs = [load_trajectory(RunFile(p), 1, 2, (0, 1)) for p in (a, b)]
    scene = TrajectoryScene(trajs, np.arange(1 + 2 * STEPS), VideoSpec(size=(1280, 720)), theme("light"), trail=0, camera_mode="fixed")
    assert len(scene.planes) == 2
    np.testing.assert_array_equal(scene.planes[0].views, scene.planes[1].views)  # fixed: one scale, one set of axes
    for plane, centers, strength in ((0, CENTERS, 0.28), (1, -CENTERS, 0.8)):  # variational circles, then no-sampling dots
        for label, center in zip(LABELS, centers):
            col, row = np.rint(scene.to_pixels(center, plane=plane)[0]).astype(int)
            tints = 255 - (255 - np.array(CLASS_RGB, float)) * strength
            seen = last[row - 1:row + 2, col - 1:col + 2, :3].reshape(-1, 3).mean(axis=0)  # the dots are small: the encoder blurs them
            assert np.abs(seen - tints[label]).max() < 24, (plane, label, seen)
            assert np.argmin(np.abs(tints - seen).sum(axis=1)) == label  # this digit's class colour, no other
            assert scene.layout.planes[plane].x <= col < scene.layout.planes[plane].right


def test_side_by_side_at_1080p_is_as_readable_as_one_run_at_720p(tmp_path):
    a, b = synthetic_run(tmp_path / "a"), synthetic_run(tmp_path / "b", seed=1)
    trajs = [load_trajectory(RunFile(p), 1, 2, (0, 1)) for p in (a, b)]
    shown = np.arange(1 + 2 * STEPS)
    for camera in ("follow", "fixed"):
        pair = TrajectoryScene(trajs, shown, VideoSpec(size=(1920, 1080)), theme("light"), camera_mode=camera)
        single = TrajectoryScene(trajs[0], shown, VideoSpec(size=(1280, 720)), theme("light"), camera_mode=camera)
        assert pair.layout.text_px >= single.layout.text_px
        circle_px = lambda scene: RADII / scene.planes[0].views[-1, 2]  # noqa: E731
        assert (circle_px(pair) >= circle_px(single)).all()
        assert pair.planes[0].trails.get_linewidths()[0] >= single.planes[0].trails.get_linewidths()[0]


def test_runs_side_by_side_get_a_shared_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    synthetic_run(tmp_path / "outputs" / "runs" / "vae")
    synthetic_run(tmp_path / "outputs" / "runs" / "plain", mode="deterministic")
    result = render(["--run", "outputs/runs/vae", "--run", "outputs/runs/plain", "--epochs", "2", "--size", "640x360"])
    assert result.exit_code == 0, result.output
    assert probe(tmp_path / "outputs" / "videos" / "vae+plain_trajectories_e2.mp4").frames == 1 + STEPS


@pytest.mark.parametrize("other, message", [
    (dict(tracked=(5, 6, 7)), "different tracked digits"),
    (dict(epochs=3), "different finished epochs"),
])
def test_runs_that_cannot_share_a_video_are_refused(tmp_path, other, message):
    a = synthetic_run(tmp_path / "a")
    b = synthetic_run(tmp_path / "b", **other)
    result = render(["--run", str(a), "--run", str(b), "--size", "320x180"])
    assert result.exit_code == 1 and message in result.output, result.output
    assert isinstance(result.exception, SystemExit)
    twice = render(["--run", str(a), "--run", str(a.parent), "--size", "320x180"])
    assert twice.exit_code == 1 and "the same run is given twice" in twice.output
    tiny = render(["--run", str(a), "--run", str(synthetic_run(tmp_path / "c", seed=2)), "--size", "128x72", "--out", str(tmp_path / "t.mp4")])
    assert tiny.exit_code == 1 and "--size 128x72 is too small for 2 runs side by side" in tiny.output, tiny.output
    assert isinstance(tiny.exception, SystemExit) and not (tmp_path / "t.mp4").exists()


def test_panel_grows_with_the_video(tmp_path):
    path = synthetic_run(tmp_path / "run")
    scene = scene_for(path, "follow", size=(1280, 720), panel=True)
    panel = scene.panel
    middle = STEPS
    frame = scene.frame(middle).astype(int)
    static = scene.static.astype(int)
    cursor = int(math.ceil(panel.axes[0].transData.transform((middle, 0))[0]))
    rows = slice(panel.y0, panel.y1)
    pad = int(panel._dot_pad) + 2
    ahead = np.abs(frame[rows, cursor + pad:panel.x1] - static[rows, cursor + pad:panel.x1]).max()
    behind = np.abs(frame[rows, panel.x0:cursor - pad] - static[rows, panel.x0:cursor - pad]).max(axis=(0, 2))
    assert ahead == 0  # nothing drawn past the current step
    assert (behind > 60).sum() > 0.5 * len(behind)  # the curves so far
    # The dot on the radius plot sits at the mean radius of that step.
    radius_ax = panel.axes[2]
    x, y = radius_ax.transData.transform((middle, scene.traj.radius[middle].mean()))
    col, row = int(round(x)), int(round(720 - y))
    assert np.abs(frame[row, col, :3] - np.array([0x4c, 0x72, 0xb0])).max() < 30
    result = render(["--run", str(path), "--size", "640x360", "--panel", "--out", str(tmp_path / "panel.mp4")])
    assert result.exit_code == 0 and probe(tmp_path / "panel.mp4").frames == 1 + 2 * STEPS
