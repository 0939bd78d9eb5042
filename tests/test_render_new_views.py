"""The views of issue 16 on small real runs: interpolation, occupancy, the decoder learning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import cli, decoded_rgb
from render.digits import decode, enlarge, ink_to_rgb
from render.sources import decoder_at
from render.style import theme
from render.video import VideoOptions, VideoSpec, probe
from render.views.interpolate import interpolation_scene, path_point, walk
from train.runfile import RunFile


@pytest.fixture(scope="module")
def runs(trained, tmp_path_factory):
    """Two-epoch runs of 784-32-2, variational and without sampling, the variational one again with
    decoder snapshots every 5 batches (20 batches an epoch), and a one-epoch 784-32-8."""
    root = tmp_path_factory.mktemp("new-view-runs")
    return {name: trained(root / name, arch, mode, epochs, snapshot_every=snapshots) for name, arch, mode, epochs, snapshots in [
        ("vae", "784-32-2", "variational", 2, 0), ("plain", "784-32-2", "deterministic", 2, 0),
        ("snap", "784-32-2", "variational", 2, 5), ("d8", "784-32-8", "variational", 1, 0)]}


def encoded(run: RunFile, rows) -> np.ndarray:
    model = decoder_at(run)
    with torch.no_grad():
        mu, _ = model.encode(torch.as_tensor(run.tracked().image[rows].reshape(len(rows), -1), dtype=torch.float32) / 255)
    return mu.numpy()


def test_interpolation_starts_and_ends_on_the_two_digits(runs, tmp_path):
    run = RunFile(runs["vae"])
    video = VideoOptions(VideoSpec(size=(640, 360), fps=10), theme("light"), out=tmp_path / "walk.mp4", duration=1.0, progress=False)
    scene, out = interpolation_scene(run, video, "3", "8:2", False, "linear", None, "0,1")
    labels = run.tracked().label
    rows = [int(np.flatnonzero(labels == 3)[0]), int(np.flatnonzero(labels == 8)[1])]
    ends = encoded(run, rows)
    model = decoder_at(run)
    for index, code in ((0, ends[0]), (scene.frame_count - 1, ends[1])):
        expected = ink_to_rgb(enlarge(decode(model, code[None])[0], scene.scale), theme("light"))
        left, top = scene.digit_box
        frame = scene.frame(index)
        np.testing.assert_array_equal(frame[top:top + expected.shape[0], left:left + expected.shape[1], :3], expected)
    assert cli("render", "interpolate", "--run", runs["vae"], "--from", "3", "--to", "8:2", "--size", "640x360", "--fps", "10",
               "--duration", "1s", "--quiet", "--out", out).exit_code == 0
    decoded = decoded_rgb(out, 640, 360).astype(int)
    assert len(decoded) == scene.frame_count == 10
    last = scene.frame(scene.frame_count - 1)[..., :3].astype(int)
    assert np.abs(decoded[-1] - last).mean() < 3  # the encoder keeps the picture


def test_walk_is_eased_constant_speed_and_slerp_keeps_the_radius():
    a, b = np.array([3.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0])
    codes = walk(np.stack([a, b]), 31, "linear")
    np.testing.assert_array_equal(codes[0], a)
    np.testing.assert_array_equal(codes[-1], b)
    steps = np.linalg.norm(np.diff(codes, axis=0), axis=1)
    eased = np.diff((1 - np.cos(np.pi * np.linspace(0, 1, 31))) / 2) * np.linalg.norm(b - a)
    np.testing.assert_allclose(steps, eased, atol=1e-3)  # arc length follows the easing exactly
    curved = walk(np.stack([a, b]), 31, "slerp")
    np.testing.assert_allclose(np.linalg.norm(curved, axis=1), 3.0, atol=1e-9)  # stays on the sphere
    assert np.linalg.norm(codes[15]) < 2.2  # the straight path dips inside it
    steps = np.linalg.norm(np.diff(curved, axis=0), axis=1)
    np.testing.assert_allclose(steps / steps.sum(), eased / eased.sum(), atol=2e-3)  # constant speed on the arc too
    middle = path_point(np.array([1.0, 0.0]), np.array([0.0, 3.0]), np.array([0.5]), "slerp")[0]
    assert np.linalg.norm(middle) == pytest.approx(2.0)  # the radius goes linearly from 1 to 3


def test_tour_visits_every_class_and_comes_back(runs, tmp_path):
    result = cli("render", "interpolate", "--run", runs["d8"], "--tour", "--path", "slerp", "--size", "320x180", "--fps", "5",
                 "--duration", "0.4s", "--quiet")
    assert result.exit_code == 0, result.output
    out = runs["d8"] / "videos" / "interpolate_tour_e1.mp4"
    assert probe(out).frames == 10 * (2 - 1) + 1  # ten legs of two frames sharing their ends


@pytest.mark.parametrize("args, message", [
    ([], "give --from and --to"),
    (["--from", "3"], "give --from and --to"),
    (["--from", "3", "--to", "8", "--tour"], "give it without --from and --to"),
    (["--from", "3:9", "--to", "8"], "the run tracks 2 of that class"),
    (["--from", "3,4", "--to", "8"], "name one tracked digit"),
    (["--from", "11", "--to", "8"], "--from '11': use classes like 3,8"),
    (["--tour", "--epoch", "7"], "--epoch 7: this run has epochs 1..2"),
    (["--tour", "--duration", "10m"], "longer than an hour"),
])
def test_interpolate_bad_input_is_one_line(runs, args, message):
    result = cli("render", "interpolate", "--run", runs["vae"], "--size", "320x180", "--quiet", *args)
    assert result.exit_code == 1 and message in result.output, result.output


def test_occupancy_at_k0_is_the_reconstruction_of_the_mean(runs):
    import torch.nn.functional as F

    from render.views.occupancy import CURVE_KS, RING_KS, encode_sigma, measure, ring_codes

    run = RunFile(runs["vae"])
    model = decoder_at(run)
    tracked = run.tracked()
    chosen = np.array([0, 5, 11])
    result = measure(model, tracked.image, chosen, tracked.label, (0, 1))
    mu, sigma = encode_sigma(model, tracked.image)
    with torch.no_grad():
        logits = model.decode(torch.as_tensor(mu[chosen], dtype=torch.float32))
        direct = F.binary_cross_entropy_with_logits(logits, torch.as_tensor(tracked.image[chosen].reshape(3, -1) / 255.0,
                                                                            dtype=torch.float32), reduction="none").sum(dim=1)
    np.testing.assert_allclose(result.ring_loss[:, 0], direct.numpy(), rtol=1e-5)
    np.testing.assert_allclose(result.curve[chosen, 0], direct.numpy(), rtol=1e-5)
    np.testing.assert_array_equal(result.flowers[:, 0], decode(model, mu[chosen]))  # the flower's centre is the mean's decode
    codes = ring_codes(mu[:2], sigma[:2], (0, 1), RING_KS, 8)
    distance = np.linalg.norm((codes - mu[:2, None]) / sigma[:2, None], axis=-1)  # in sigmas, per axis
    np.testing.assert_allclose(distance[:, 1:9], 0.5)
    np.testing.assert_allclose(distance[:, -8:], 3.0)
    assert result.curve.shape == (len(tracked.label), len(CURVE_KS)) and result.curve[:, -1].mean() > result.curve[:, 0].mean()  # far away, worse


def test_occupancy_figure_and_the_run_without_sampling(runs, tmp_path):
    out = tmp_path / "occ.png"
    result = cli("render", "occupancy", "--run", runs["vae"], "--run", runs["plain"], "--digits", "3,8", "--out", out)
    assert result.exit_code == 0, result.output
    from PIL import Image

    assert Image.open(out).size == (4800, 2700)
    assert cli("render", "occupancy", "--run", runs["vae"]).exit_code == 0
    assert (runs["vae"] / "figures" / "occupancy_e2.png").exists()
    for args, message in ((["--run", runs["plain"]], "measures the variance circles of a variational run"),
                          (["--run", runs["vae"], "--run", runs["vae"]], "must be a run without sampling"),
                          (["--run", runs["d8"], "--run", runs["plain"]], "must track the same digits with the same latent size"),
                          (["--run", runs["d8"], "--video"], "needs two finished epochs or more"),
                          (["--run", runs["vae"], "--digits", "2-per-class"], "at most 6 digits")):
        failed = cli("render", "occupancy", *args, "--out", tmp_path / "x.mp4" if "--video" in args else tmp_path / "x.png")
        assert failed.exit_code == 1 and message in failed.output, (args, failed.output)


def test_occupancy_video_goes_through_the_saved_epochs(runs, tmp_path):
    from render.views.occupancy import OccupancyFrames
    from train.checkpoints import load_model

    out = tmp_path / "occ.mp4"
    result = cli("render", "occupancy", "--run", runs["vae"], "--video", "--size", "640x360", "--fps", "4", "--duration", "1s",
                 "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert probe(out).frames == 4 + 1  # epochs 1 -> 2 in one second at 4 fps, and epoch 2 itself
    run = RunFile(runs["vae"])
    frames = OccupancyFrames(run, None, np.array([0]), (0, 1), VideoSpec(size=(640, 360), fps=4), theme("light"), 1.0)
    first, second = (load_model(runs["vae"], epoch)[0].state_dict() for epoch in (1, 2))
    halfway = frames.net(run, 1, 0.5).state_dict()
    for name in first:
        torch.testing.assert_close(halfway[name], (first[name] + second[name]) / 2)
    np.testing.assert_array_equal(frames.net(run, 2, 0.0).state_dict()["heads.bias"].numpy(), second["heads.bias"].numpy())


def test_snapshots_are_the_decoder_every_k_batches(runs):
    import h5py

    from train.checkpoints import load_model
    from train.snapshots import decoder_vector, snapshot_index

    run = RunFile(runs["snap"])
    assert run.schema_version >= 2 and run.snapshots == "snapshots/decoder-e{epoch:03d}.h5" and run.config.snapshot_every == 5  # snapshots since version 2
    index = snapshot_index(runs["snap"], run.epochs_done, run.snapshots)
    assert index.steps.tolist() == [0, 5, 10, 15, 20, 25, 30, 35, 40] and index.every == 5
    for epoch, step in ((1, 20), (2, 40)):  # the last batch of an epoch: the epoch's checkpoint
        saved = decoder_vector(load_model(runs["snap"], epoch)[0]).numpy()
        np.testing.assert_array_equal(index.weights(int(np.flatnonzero(index.steps == step)[0])), saved)
    with h5py.File(runs["snap"] / "snapshots" / "decoder-e001.h5", "r") as handle:
        assert handle["decoder"].dtype == np.float32 and handle["decoder"].shape[0] == 5
    assert RunFile(runs["vae"]).snapshots is None and not (runs["vae"] / "snapshots").exists()
    assert "decoder snapshots: every 5 batches, 2 of 2 epoch files" in cli("info", runs["snap"]).output


def manifold_scene(path, size=(1280, 720)):
    """The manifold scene `render manifold` builds, every step a frame (at 720p the grid is resampled to the plane's height)."""
    from render.views.manifold import ManifoldSide, run_steps, timeline
    from render.views.trajectories import TrajectoryScene, load_trajectory

    run = RunFile(path)
    traj = load_trajectory(run, 1, 2, (0, 1))
    side = ManifoldSide(timeline(run), run_steps(traj.epoch, traj.batch, traj.batches_per_epoch), theme("light"))
    return TrajectoryScene(traj, np.arange(len(traj.epoch)), VideoSpec(size=size), theme("light"), camera_mode="fixed", side=side)


def test_manifold_grid_at_a_snapshot_is_that_decoder_on_the_grid(runs, tmp_path):
    from render.views.manifold import grid_pixels
    from train.model import VAE
    from train.snapshots import load_decoder, snapshot_index

    scene = manifold_scene(runs["snap"], size=(1920, 1080))  # the grid at twice the digits' size: whole pixels
    panel = scene.panel
    assert panel.scale == 2 and panel.side == 2 * 15 * 28
    run = RunFile(runs["snap"])
    index = snapshot_index(runs["snap"], 2, run.snapshots)
    net = VAE(run.config.layers)
    decoded = {}
    for step in (10, 15):
        load_decoder(net, index.weights(int(np.flatnonzero(index.steps == step)[0])))
        decoded[step] = decode(net, panel.codes(step).reshape(-1, 2)).reshape(15, 15, 28, 28)
        frame = scene.frame(step)  # every step is a frame, starting at step 0
        expected = grid_pixels(decoded[step], theme("light"), panel.scale, panel.side)
        np.testing.assert_array_equal(frame[panel.top:panel.top + panel.side, panel.left:panel.left + panel.side, :3], expected)
    between = scene.frame(12)[panel.top:panel.top + panel.side, panel.left:panel.left + panel.side, :3].astype(int)
    low = grid_pixels(np.minimum(decoded[10], decoded[15]), theme("light"), panel.scale, panel.side).astype(int)
    high = grid_pixels(np.maximum(decoded[10], decoded[15]), theme("light"), panel.scale, panel.side).astype(int)
    assert ((between <= np.maximum(low, high) + 1) & (between >= np.minimum(low, high) - 1)).all()  # a cross-fade of the two
    out = tmp_path / "manifold.mp4"
    result = cli("render", "manifold", "--run", runs["snap"], "--size", "1280x720", "--quiet", "--out", out)
    assert result.exit_code == 0, result.output
    assert probe(out).frames == 41


def test_manifold_without_snapshots_uses_the_checkpoints_and_says_so(runs, tmp_path):
    from render.views.manifold import grid_pixels
    from train.checkpoints import load_model

    scene = manifold_scene(runs["vae"])
    panel = scene.panel
    assert "per-epoch checkpoints" in panel.decoders.source
    assert panel.decoders.steps.tolist() == [20, 40]
    model = load_model(runs["vae"], 1)[0]
    expected = grid_pixels(decode(model, panel.codes(20).reshape(-1, 2)).reshape(15, 15, 28, 28), theme("light"), panel.scale, panel.side)
    frame = scene.frame(20)
    np.testing.assert_array_equal(frame[panel.top:panel.top + panel.side, panel.left:panel.left + panel.side, :3], expected)
    failed = cli("render", "manifold", "--run", runs["d8"], "--quiet")
    assert failed.exit_code == 1 and "needs a latent size of 2" in failed.output


def test_manifold_with_damaged_snapshots_is_one_line_and_small_frames_fit(runs, tmp_path):
    import shutil

    copy = tmp_path / "snap"
    shutil.copytree(runs["snap"], copy)
    small = cli("render", "manifold", "--run", copy, "--size", "320x180", "--duration", "1s", "--quiet", "--out", tmp_path / "small.mp4")
    assert small.exit_code == 0 and probe(tmp_path / "small.mp4").frames == 30, small.output  # the grid shrunk to fit
    damaged = copy / "snapshots" / "decoder-e002.h5"
    damaged.write_bytes(damaged.read_bytes()[:5000])
    failed = cli("render", "manifold", "--run", copy, "--size", "320x180", "--quiet")
    assert failed.exit_code == 1 and "decoder-e002.h5: cannot read decoder snapshots" in failed.output, failed.output
    assert isinstance(failed.exception, SystemExit)
