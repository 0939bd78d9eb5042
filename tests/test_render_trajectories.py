"""The trajectories video: real encodes, decoded back with the bundled ffmpeg, and pixels checked."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from errors import ProjectError
from helpers import CENTERS, LABELS, RADII, STEPS, cli, decoded_rgb, synthetic_run, wait_until
from render.steps import frame_steps, parse_epochs
from render.style import CLASS_RGB, theme
from render.video import TileUpdate, VideoSpec, probe, write_video
from render.video.probe import count_frames
from render.video.tiles import TileGrid
from render.views.trajectories import TrajectoryScene, load_trajectory
from train.runfile import RunFile, epoch_window


@pytest.fixture
def run_path(tmp_path):
    return synthetic_run(tmp_path / "run")


def render(args):
    return cli("render", "trajectories", "--quiet", *args)


def test_mp4_plays_everywhere(run_path, tmp_path):
    out = tmp_path / "clip.mp4"
    result = render(["--run", str(run_path), "--epochs", "1-2", "--size", "640x360", "--fps", "25", "--out", str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height, info.fps) == (640, 360, 25)
    assert info.frames == 1 + 2 * STEPS  # the step before epoch 1, then every step
    assert info.duration == pytest.approx(info.frames / 25, abs=0.05)
    assert info.faststart
    assert out.with_suffix(".png").exists() and str(out) in result.output


def test_default_output_name_and_later_start(run_path):
    result = render(["--run", str(run_path.parent), "--epochs", "2", "--size", "720p"])
    assert result.exit_code == 0, result.output
    video = run_path.parent / "videos" / "trajectories_e2.mp4"
    info = probe(video)
    assert info.frames == 1 + STEPS and (info.width, info.height) == (1280, 720)


@pytest.mark.parametrize("fmt, codec, pix_fmt", [("webm", "vp9", "yuv420p"), ("gif", "gif", None), ("mov", "prores", "yuva")])
def test_other_formats(run_path, tmp_path, fmt, codec, pix_fmt):
    out = tmp_path / f"clip.{fmt}"
    result = render(["--run", str(run_path), "--epochs", "2", "--size", "320x180", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert info.codec == codec and info.frames == 1 + STEPS
    if pix_fmt:
        assert info.pix_fmt.startswith(pix_fmt)


def test_duration_and_every_choose_frames(run_path, tmp_path):
    out = tmp_path / "timed.mp4"
    assert render(["--run", str(run_path), "--epochs", "1-2", "--size", "320x180", "--duration", "2s", "--out", str(out)]).exit_code == 0
    info = probe(out)
    assert info.frames == 60 and info.duration == pytest.approx(2.0, abs=0.05)
    assert frame_steps(np.arange(21), 30, every=4).tolist() == [0, 4, 8, 12, 16, 20]
    assert frame_steps(np.arange(22), 30, every=4).tolist()[-1] == 21  # always ends on the last step


def test_circle_sits_on_its_mean_with_radius_r(run_path):
    run = RunFile(run_path)
    traj = load_trajectory(run, 1, 2, (0, 1))
    shown = np.arange(len(traj.epoch))
    scene = TrajectoryScene(traj, shown, VideoSpec(size=(960, 540)), theme("light"), trail=0)
    frame = scene.frame(len(shown) - 1)  # the last step: circles at CENTERS with RADII
    for label, center, radius in zip(LABELS, CENTERS, RADII):
        col, row = scene.to_pixels(center)[0]
        color = np.array(CLASS_RGB[label], float)
        fill = frame[int(round(row)), int(round(col)), :3].astype(float)
        # The fill is the class colour at low opacity over white: same hue, nearest to this class.
        tinted = 255 - (255 - color) * 0.28
        assert np.abs(fill - tinted).max() < 12
        # Walk right from the centre: the edge (opaque class colour) sits r latent units away.
        r_px = scene.to_pixels(center + [radius, 0])[0][0] - col
        line = frame[int(round(row)), int(round(col)):int(round(col + 2 * r_px)), :3].astype(float)
        edge = np.argmin(np.abs(line - color).sum(axis=1))
        assert abs(edge - r_px) <= 2.5, (label, edge, r_px)


def test_run_without_sampling_draws_dots_not_circles(tmp_path):
    """Its variance head is never trained, so a radius from it would mean nothing: every digit is
    a dot of one size (0.6% of the frame height), whatever its log-variance says."""
    traj = load_trajectory(RunFile(synthetic_run(tmp_path / "run", mode="deterministic")), 1, 2, (0, 1))
    assert "no sampling" in traj.title and not traj.radius.any()
    scene = TrajectoryScene(traj, np.arange(len(traj.epoch)), VideoSpec(size=(960, 540)), theme("light"), trail=0)
    frame = scene.frame(len(traj.epoch) - 1)
    for label, center, radius in zip(LABELS, CENTERS, RADII):
        col, row = scene.to_pixels(center)[0]
        color = np.array(CLASS_RGB[label], float)
        dot = frame[int(round(row)), int(round(col)), :3].astype(float)
        assert np.abs(dot - (255 - (255 - color) * 0.8)).max() < 12  # a strong fill, not the circles' faint one
        line = frame[int(round(row)), int(round(col)):int(round(col + 60)), :3].astype(float)
        edge = np.argmin(np.abs(line - color).sum(axis=1))
        assert abs(edge - 0.006 * 540) <= 1.5, (label, edge)
        r_px = scene.to_pixels(center + [radius, 0])[0][0] - col
        assert r_px > 10 and (frame[int(round(row)), int(round(col + r_px)), :3] == 255).all()  # no circle at r


@pytest.mark.parametrize("size, camera, panel, runs", [((640, 360), "fixed", False, 1), ((1280, 720), "fixed", False, 1),
                                                      ((640, 360), "follow", False, 1), ((1280, 720), "follow", True, 1),
                                                      ((1280, 720), "follow", True, 2), ((1280, 720), "fixed", False, 2)])
def test_tile_updates_rebuild_every_whole_frame(run_path, size, camera, panel, runs):
    """The scene's stream (a whole frame, then only the tiles that changed) adds up, frame by
    frame, to exactly the picture drawn from scratch: trails, circles, counter, the moving grid
    and tick labels, the growing panel included."""
    traj = load_trajectory(RunFile(run_path), 1, 2, (0, 1))
    traj = [traj, load_trajectory(RunFile(synthetic_run(run_path.parent.parent / "other", centers=-CENTERS)), 1, 2, (0, 1))][:runs]
    shown = np.arange(len(traj[0].epoch))
    options = dict(trail=6, camera_mode=camera, panel=panel)
    streamed = TrajectoryScene(traj, shown, VideoSpec(size=size), theme("dark"), **options)
    reference = TrajectoryScene(traj, shown, VideoSpec(size=size), theme("dark"), **options)
    grid = TileGrid(*size)
    sent = []
    for index, item in enumerate(streamed.frames()):
        if index == 0:
            picture = item.copy()
        else:
            assert isinstance(item, TileUpdate)
            grid.put(picture, item.rows, item.cols, item.tiles)
            sent.append(len(item.rows) / (grid.rows * grid.cols))
        np.testing.assert_array_equal(picture, reference.frame(index), err_msg=f"frame {index}")
    assert index == len(shown) - 1
    assert np.median(sent) < 0.5  # updates really are partial: three digits move, most of the picture stays


def test_tile_updates_encode_like_whole_frames(run_path, tmp_path):
    """Handing the writer tile updates gives the same video and poster as handing it whole frames."""
    traj = load_trajectory(RunFile(run_path), 1, 2, (0, 1))
    shown = np.arange(len(traj.epoch))
    spec = VideoSpec(size=(320, 180))
    scene = TrajectoryScene(traj, shown, spec, theme("light"))
    whole = [scene.frame(index) for index in range(len(shown))]
    poster = write_video(TrajectoryScene(traj, shown, spec, theme("light")).frames(), tmp_path / "updates.mp4", spec, progress=False)
    write_video(iter(whole), tmp_path / "whole.mp4", spec, progress=False)
    np.testing.assert_array_equal(poster, whole[-1])
    assert probe(tmp_path / "updates.mp4").frames == len(shown)
    np.testing.assert_array_equal(decoded_rgb(tmp_path / "updates.mp4", 320, 180), decoded_rgb(tmp_path / "whole.mp4", 320, 180))


def test_tile_update_needs_a_whole_frame_first(tmp_path):
    grid = TileGrid(64, 64)
    update = TileUpdate(np.array([0]), np.array([0]), np.zeros((1, grid.tile_h, grid.tile_w, 4), np.uint8))
    with pytest.raises(ValueError, match="a tile update needs a whole frame before it"):
        write_video(iter([update]), tmp_path / "clip.mp4", VideoSpec(size=(64, 64)), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_axis_limits_fit_the_selected_steps(run_path):
    run = RunFile(run_path)
    late = TrajectoryScene(load_trajectory(run, 2, 2, (0, 1)), np.arange(STEPS + 1), VideoSpec(size=(640, 360)), theme("light"),
                           camera_mode="fixed")
    early = TrajectoryScene(load_trajectory(run, 1, 2, (0, 1)), np.arange(2 * STEPS + 1), VideoSpec(size=(640, 360)), theme("dark"),
                            camera_mode="fixed")
    # Every circle of the selection is inside the axes, and the early view includes the origin.
    for scene, traj in ((late, late.traj), (early, early.traj)):
        x0, x1 = scene.ax.get_xlim()
        y0, y1 = scene.ax.get_ylim()
        assert x0 <= (traj.mu[..., 0] - traj.radius).min() and (traj.mu[..., 0] + traj.radius).max() <= x1
        assert y0 <= (traj.mu[..., 1] - traj.radius).min() and (traj.mu[..., 1] + traj.radius).max() <= y1
    span = lambda scene: np.diff(scene.ax.get_xlim())[0] * np.diff(scene.ax.get_ylim())[0]  # noqa: E731
    assert span(late) < 0.8 * span(early)  # a later start zooms in


@pytest.mark.parametrize("fmt", ["mp4", "gif"])  # gif: its lossless stage must go too
def test_failed_render_leaves_no_file(tmp_path, fmt):
    out = tmp_path / f"broken.{fmt}"

    def frames():
        for index in range(8):
            if index == 5:
                raise RuntimeError("drawing failed")
            yield np.zeros((64, 64, 4), np.uint8)

    with pytest.raises(RuntimeError, match="drawing failed"):
        write_video(frames(), out, VideoSpec(format=fmt, size=(64, 64)), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_gif_palette_comes_from_every_frame_without_holding_them(tmp_path):
    """The staged GIF (lossless intermediate, then palette, then dithering) is byte for byte the
    GIF of ffmpeg's one-command recipe, which holds the whole clip in memory; a colour that only
    frames in the middle of the clip show is in its palette."""
    width, height, count = 96, 64, 40
    frames = np.full((count, height, width, 4), 255, np.uint8)
    for index, frame in enumerate(frames):
        frame[8:40, 2 + index:34 + index, :3] = (31, 119, 180)  # a blue square moving right
        if 20 <= index < 23:
            frame[44:60, 60:90, :3] = (214, 39, 40)  # red, only in frames 20-22
    out = tmp_path / "clip.gif"
    write_video(iter(frames.copy()), out, VideoSpec(format="gif", size=(width, height)), progress=False)
    recipe = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}", "-r", "30",
              "-i", "-", "-filter_complex", "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer",
              "-r", "30", "-f", "gif", str(tmp_path / "recipe.gif")]
    subprocess.run(recipe, input=frames.tobytes(), check=True)
    assert out.read_bytes() == (tmp_path / "recipe.gif").read_bytes()
    decoded = decoded_rgb(out, width, height)
    assert len(decoded) == count
    assert np.abs(decoded[21, 52, 75].astype(int) - (214, 39, 40)).max() <= 8
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.gif", "recipe.gif"]  # no stage or palette left


def test_frame_count_without_decoding_sees_a_cut_file(run_path, tmp_path):
    """The writer's completeness check counts packets instead of decoding: it must still see
    every frame of a whole file and miss frames of a cut one."""
    out = tmp_path / "clip.mp4"
    assert render(["--run", str(run_path), "--epochs", "1-2", "--size", "320x180", "--out", str(out)]).exit_code == 0
    assert count_frames(out) == probe(out).frames == 1 + 2 * STEPS
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(out.read_bytes()[:out.stat().st_size // 2])
    assert 0 < count_frames(cut) < 1 + 2 * STEPS  # the frames whose packets survived the cut


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_or_sigterm_leaves_no_file_and_says_so(run_path, tmp_path, signum, code, said):
    """A real SIGINT (or SIGTERM) in the middle of an encode: one line, exit 130 (143), no video,
    no poster and no partial file."""
    out = tmp_path / "videos" / "long.mp4"
    command = [sys.executable, "cli.py", "render", "trajectories", "--run", str(run_path), "--epochs", "1-2", "--size", "320x180",
               "--duration", "600s", "--quiet", "--out", str(out)]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal

    def writing():
        try:
            return any(path.stat().st_size > 0 for path in out.parent.glob(".*partial*"))
        except FileNotFoundError:  # renamed between the listing and the look
            return False

    wait_until(writing, 60, "ffmpeg writing the video")
    process.send_signal(signum)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == code, output
    assert output.strip().splitlines() == [f"{said}; nothing partial was kept"], output
    assert list(out.parent.iterdir()) == []


def test_epoch_selection_rules():
    step_epochs = np.array([0] + [1] * 3 + [2] * 3)
    steps = np.arange(len(step_epochs))
    assert steps[epoch_window(step_epochs, *parse_epochs("0"))].tolist() == [0]
    assert steps[epoch_window(step_epochs, *parse_epochs("2"))].tolist() == [3, 4, 5, 6]  # starts where epoch 1 ended
    assert steps[epoch_window(step_epochs, *parse_epochs("1-2"))].tolist() == list(range(7))


@pytest.mark.parametrize("args, message", [
    (["--epochs", "12-15"], "the run has 2 finished epochs (1-2)"),
    (["--epochs", "3"], "--epochs 3: the run has 2 finished epochs"),
    (["--epochs", "5-2"], "runs backwards"),
    (["--epochs", "two"], "--epochs 'two'"),
    (["--size", "huge"], "--size 'huge'"),
    (["--size", "641x360"], "must be even"),
    (["--format", "avi"], "--format 'avi'"),
    (["--theme", "neon"], "--theme 'neon'"),
    (["--dims", "0,2"], "latent indices are 0..1"),
    (["--every", "2", "--duration", "3s"], "give one of them"),
    (["--every", "0"], "--every must be >= 1"),
    (["--out", "/proc/nowhere/clip.mp4"], "cannot create the output directory"),
    (["--out", "clip.webm"], "must end in .mp4"),
])
def test_bad_render_input_gets_one_clear_line(run_path, args, message):
    result = render(["--run", str(run_path), "--size", "320x180", "--epochs", "1-2", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output and isinstance(result.exception, SystemExit)  # a ProjectError, not a bug's exception
    assert not (run_path.parent / "videos").exists() or not any((run_path.parent / "videos").iterdir())


def test_run_without_trajectories_is_refused(tmp_path):
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs["schema_version"] = 1
        handle.attrs["config"] = "{}"
    result = render(["--run", str(path)])
    assert result.exit_code == 1 and "holds no trajectories" in result.output, result.output


def test_latest_run_is_used_and_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    synthetic_run(tmp_path / "outputs" / "runs" / "older")
    newest = synthetic_run(tmp_path / "outputs" / "runs" / "newer")
    result = render(["--epochs", "2", "--size", "320x180"])
    assert result.exit_code == 0, result.output
    assert "newer (latest)" in result.output
    assert probe(newest.parent / "videos" / "trajectories_e2.mp4").frames == 1 + STEPS


def test_rendering_again_replaces_and_says_so(run_path, tmp_path):
    out = tmp_path / "clip.mp4"
    args = ["--run", str(run_path), "--epochs", "2", "--size", "320x180", "--out", str(out)]
    first, second = render(args), render(args)
    assert first.exit_code == second.exit_code == 0
    assert "replaced" not in first.output and "replaced the earlier file" in second.output.splitlines()[0]
    still = tmp_path / "latent.png"
    outputs = [cli("render", "latent", "--run", str(run_path), "--out", str(still)).output for _ in range(2)]
    assert outputs == [f"wrote {still}\n", f"wrote {still} (replaced the earlier file)\n"]


def test_two_renders_to_one_file_at_once_publish_a_whole_video(run_path, tmp_path):
    """Both once wrote the same temporary file, and one reported success over an unplayable video."""
    out = tmp_path / "videos" / "clip.mp4"
    command = [sys.executable, "cli.py", "render", "trajectories", "--run", str(run_path), "--epochs", "1-2", "--size", "320x180",
               "--duration", "4s", "--quiet", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    processes = [subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, env=env) for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    info = probe(out)  # decodes every frame
    assert info.frames == 120 and (info.width, info.height) == (320, 180)
    with Image.open(out.with_suffix(".png")) as poster:
        assert poster.size == (320, 180)
    assert sorted(path.name for path in out.parent.iterdir()) == ["clip.mp4", "clip.png"]


def test_encoder_defaults_are_the_chosen_ones_and_can_be_changed(run_path, tmp_path):
    """x264 writes its settings into the stream: veryfast (subme=2, 10 frames of lookahead) unless --preset says otherwise."""
    settings = {}
    for preset in (None, "medium"):
        out = tmp_path / f"{preset}.mp4"
        assert render(["--run", str(run_path), "--epochs", "2", "--size", "320x180", "--out", str(out),
                       *(["--preset", preset] if preset else [])]).exit_code == 0
        settings[preset] = re.findall(rb"(subme|rc_lookahead|ref)=(\d+)", out.read_bytes().split(b"options:")[1][:2000])
    assert dict(settings[None])[b"subme"] == b"2" and dict(settings[None])[b"rc_lookahead"] == b"10"
    assert dict(settings["medium"])[b"subme"] == b"7" and dict(settings["medium"])[b"rc_lookahead"] == b"40"


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_a_decoded_frame_matches_the_drawn_one(run_path, tmp_path, fmt):
    """With each format's default encoder settings, the circles keep their colours within the tolerance of the drawing tests."""
    out = tmp_path / f"clip.{fmt}"
    assert render(["--run", str(run_path), "--epochs", "2", "--size", "960x540", "--format", fmt, "--trail", "0", "--out", str(out)]).exit_code == 0
    traj = load_trajectory(RunFile(run_path), 2, 2, (0, 1))
    scene = TrajectoryScene(traj, np.arange(len(traj.epoch)), VideoSpec(size=(960, 540)), theme("light"), trail=0)
    drawn = scene.frame(len(traj.epoch) - 1)[..., :3].astype(int)
    decoded = decoded_rgb(out, 960, 540)[-1].astype(int)
    for center in CENTERS:
        col, row = np.rint(scene.to_pixels(center)[0]).astype(int)
        assert np.abs(decoded[row, col] - drawn[row, col]).max() < 12, (center, decoded[row, col], drawn[row, col])
    assert np.abs(decoded - drawn).mean() < 1.0


def test_digits_choose_which_tracked_digits_are_drawn():
    from render.sources import choose_digits

    labels = np.array([0, 0, 3, 3, 3, 8], np.uint8)
    indices = np.array([10, 11, 20, 21, 22, 30])
    assert choose_digits(None, labels, indices).tolist() == [0, 1, 2, 3, 4, 5]
    assert choose_digits("3,8", labels, indices).tolist() == [2, 5]
    assert choose_digits("3:2,0", labels, indices).tolist() == [3, 0]
    assert choose_digits("1-per-class", labels, indices).tolist() == [0, 2, 5]
    assert choose_digits("indices:22,10", labels, indices).tolist() == [4, 0]
    for text, message in (("3:4", "asks for tracked digit 4 of class 3; the run tracks 3 of that class"),
                          ("5", "asks for tracked digit 1 of class 5; the run tracks 0 of that class"),
                          ("indices:99", "training image 99 is not one of the run's tracked digits"),
                          ("0-per-class", "N-per-class needs N >= 1"), ("threes", "use classes like 3,8")):
        with pytest.raises(ProjectError, match=re.escape(message)):
            choose_digits(text, labels, indices)


def test_digits_option_renders_only_those_digits(run_path, tmp_path):
    """The video of `--digits 7,0` is, frame for frame, the video of a run that tracks only the 7 and the 0."""
    out, only = tmp_path / "picked.mp4", tmp_path / "only.mp4"
    result = render(["--run", str(run_path), "--epochs", "2", "--size", "320x180", "--digits", "7,0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    two = synthetic_run(tmp_path / "two" / run_path.parent.name, rows=(2, 0))
    assert render(["--run", str(two), "--epochs", "2", "--size", "320x180", "--out", str(only)]).exit_code == 0
    picked, alone = decoded_rgb(out, 320, 180), decoded_rgb(only, 320, 180)
    assert len(picked) == 1 + STEPS and np.array_equal(picked, alone)
    everyone = tmp_path / "all.mp4"
    assert render(["--run", str(run_path), "--epochs", "2", "--size", "320x180", "--out", str(everyone)]).exit_code == 0
    assert not np.array_equal(decoded_rgb(everyone, 320, 180), picked)  # the 3 is in the run, and left out
