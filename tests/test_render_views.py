"""Slices, scatter3d, latent, compare and collapse, on tiny real runs (2,000 digits, one epoch) of latent size 2, 3, 4 and 8."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from matplotlib.collections import EllipseCollection, PathCollection
from PIL import Image

from helpers import cli
from render.digits import SIDE, decode, enlarge, mosaic
from render.sources import decoder_at, run_title
from render.style import CLASS_RGB, theme
from render.video import VideoSpec, probe
from render.views.latent_map import latent_figure
from render.views.scatter3d import CORNERS, ELEVATION_DEG, Cloud, ScatterScene, load_cloud
from render.views.slices import decode_grid, layout, nested_mosaic, slices_figure
from train.runfile import RunFile


@pytest.fixture(scope="module")
def runs(trained, tmp_path_factory):
    """One-epoch runs: variational with latent 1, 2, 3, 4, 8, and a deterministic latent-2 twin (two
    tracked digits a class, as test_render_new_views' 784-32-8: one run trained for both)."""
    root = tmp_path_factory.mktemp("view-runs")
    return {name: trained(root / name, arch, mode, epochs=1) for name, arch, mode in [
        ("d1", "784-32-1", "variational"), ("d2", "784-32-2", "variational"), ("d3", "784-32-3", "variational"),
        ("d4", "784-32-4", "variational"), ("d8", "784-32-8", "variational"), ("d2det", "784-32-2", "deterministic")]}


# -- slices ------------------------------------------------------------------------------------
def test_grids_step_the_right_variables():
    two = layout(2, 4).codes
    assert two.shape == (4, 4, 2)
    assert np.all(np.diff(two[0, :, 0]) > 0) and np.all(np.diff(two[:, 0, 1]) < 0)  # z1 grows rightwards, z2 upwards
    three = layout(3).codes
    assert three.shape == (5, 5, 5, 3) and np.allclose(three[:, 2, 2, 2], layout(3).values)  # one z3 per panel
    four = layout(4).codes
    assert four.shape == (3, 3, 3, 3, 4) and len(np.unique(four.reshape(-1, 4), axis=0)) == 81
    assert np.allclose(layout(2, 3, span=2.0).values, [-2, 0, 2])
    eight = layout(8)
    assert eight.codes.shape == (10, 10, 8) and np.array_equal(eight.codes, layout(8).codes)  # seeded N(0, I)


def test_mosaic_blocks_hold_the_decoded_digits(runs):
    model = decoder_at(RunFile(runs["d4"]))
    codes = layout(4).codes
    digits = decode_grid(model, codes)
    assert digits.shape == (3, 3, 3, 3, SIDE, SIDE)
    assert np.array_equal(digits[1, 2, 0, 1], decode(model, codes[1, 2, 0, 1][None])[0])
    picture = nested_mosaic(digits, gap=10)
    assert picture.shape == (3 * 84 + 20, 3 * 84 + 20)
    top, left = 1 * (84 + 10) + 0 * SIDE, 2 * (84 + 10) + 1 * SIDE  # block (1, 2), inner (0, 1)
    assert np.array_equal(picture[top:top + SIDE, left:left + SIDE], digits[1, 2, 0, 1])
    flat = mosaic(digits[0, 0], gap=2)
    assert np.array_equal(flat[30:58, 60:88], digits[0, 0, 1, 2])
    big = enlarge(digits[0, 0, 0, 0], 3)
    assert big.shape == (84, 84) and np.all(big[::3, ::3] == digits[0, 0, 0, 0]) and np.all(big[1::3, 2::3] == digits[0, 0, 0, 0])


@pytest.mark.parametrize("name, digits", [("d1", 15), ("d2", 225), ("d3", 125), ("d4", 81), ("d8", 100)])
def test_slices_figure_per_latent_size(runs, name, digits, tmp_path):
    run = RunFile(runs[name])
    _, drawn = slices_figure(decoder_at(run), run.latent_dim, theme("light"), "t")
    assert drawn == digits
    out = tmp_path / f"{name}.png"
    result = cli("render", "slices", "--run", runs[name], "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    with Image.open(out) as image:
        assert round(image.info["dpi"][0]) == 300


def test_slices_video_sweeps_z3(runs, tmp_path):
    """The sweep and its poster are named after the still with _sweep, so the poster never replaces the still."""
    out = tmp_path / "s.png"
    result = cli("render", "slices", "--run", runs["d3"], "--out", out, "--video", "--duration", "1s", "--fps", "12", "--size", "320x180",
                 "--crf", "30", "--quiet")
    assert result.exit_code == 0, result.output
    info = probe(tmp_path / "s_sweep.mp4")
    assert (info.codec, info.pix_fmt, info.width, info.height, info.frames) == ("h264", "yuv420p", 320, 180, 12)
    with Image.open(out) as still, Image.open(tmp_path / "s_sweep.png") as poster:
        assert round(still.info["dpi"][0]) == 300 and poster.size == (320, 180)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png", "s_sweep.mp4", "s_sweep.png"]
    assert f"wrote {out}" in result.output and f"video: {tmp_path / 's_sweep.mp4'}" in result.output


def test_slices_video_default_names_and_old_seconds_option(runs):
    """Without --out: the still in figures/, the sweep and its poster in videos/; --seconds still means the clip's length."""
    result = cli("render", "slices", "--run", runs["d3"], "--video", "--seconds", "0.5", "--fps", "10", "--size", "160x90", "--quiet")
    assert result.exit_code == 0, result.output
    assert (runs["d3"] / "figures" / "slices_e1.png").exists()
    assert probe(runs["d3"] / "videos" / "slices_e1.mp4").frames == 5
    with Image.open(runs["d3"] / "videos" / "slices_e1.png") as poster:
        assert poster.size == (160, 90)
    both = cli("render", "slices", "--run", runs["d3"], "--video", "--seconds", "1", "--duration", "2s")
    assert both.exit_code == 1 and "--seconds is the old name of --duration" in both.output


def test_slices_video_needs_a_3d_run(runs):
    result = cli("render", "slices", "--run", runs["d2"], "--video")
    assert result.exit_code == 1 and "latent size is 2" in result.output and isinstance(result.exception, SystemExit)


# -- scatter3d ---------------------------------------------------------------------------------
def test_scatter3d_video(runs, tmp_path):
    out = tmp_path / "turn.mp4"
    result = cli("render", "scatter3d", "--run", runs["d8"], "--dims", "0,3,5", "--seconds", "1", "--fps", "15", "--size", "480x270",
                 "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    info = probe(out)
    assert (info.codec, info.profile, info.width, info.height, info.frames) == ("h264", "High", 480, 270, 15)
    # The poster is the last frame, as for every video view.
    run = RunFile(runs["d8"])
    scene = ScatterScene(load_cloud(run, 1, 1, (0, 3, 5), f"{run_title(run)}  ·  epoch 1"), VideoSpec(size=(480, 270)), theme("light"),
                         frames=15)
    with Image.open(out.with_suffix(".png")) as poster:
        assert np.array_equal(np.asarray(poster), scene.frame(14))
    assert f"poster: {out.with_suffix('.png')}" in result.output


def test_scatter3d_refuses_a_2d_run(runs):
    result = cli("render", "scatter3d", "--run", runs["d2"])
    assert result.exit_code == 1 and "at least 3" in result.output


def test_scatter3d_names_the_option_of_an_epoch_past_the_run(runs):
    result = cli("render", "scatter3d", "--run", runs["d8"], "--epochs", "1-99")
    assert result.exit_code == 1 and "--epochs 99: this run has epochs 1.." in result.output, result.output


def test_nearer_point_hides_the_farther_one():
    """Two points on one line of sight: the nearer one's class colour is what the pixel shows."""
    azimuth, e = -np.pi / 4, np.radians(ELEVATION_DEG)  # the view of frame 0
    sight = np.array([np.sin(azimuth) * np.cos(e), np.cos(azimuth) * np.cos(e), -np.sin(e)])  # moves depth only
    across = np.array([np.cos(azimuth), -np.sin(azimuth), 0.0])
    points = np.array([sight * 0.8, -sight * 0.8, across * 0.9, -across * 0.9])  # [far, near, side, side]
    labels = np.array([3, 7, 0, 0], np.uint8)
    scene = ScatterScene(Cloud(points[None], labels, np.array([1]), (0, 1, 2), "t"), VideoSpec(size=(640, 360)), theme("light"), frames=8)
    pixels, depth = scene.project((points - scene.centre) / scene.half, azimuth)
    assert np.allclose(pixels[0], pixels[1]) and depth[1] < depth[0]
    frame = scene.frame(0)
    column, row = np.rint(pixels[1]).astype(int)
    assert tuple(frame[row, column, :3]) == CLASS_RGB[7]


def _inside_convex_hull(point: np.ndarray, corners: np.ndarray) -> bool:
    """Monotone-chain hull of a few 2-D points, then a same-side test against each hull edge."""
    pts = sorted(map(tuple, corners))
    cross = lambda o, a, b: (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])  # noqa: E731
    lower, upper = [], []
    for chain, ordered in ((lower, pts), (upper, pts[::-1])):
        for p in ordered:
            while len(chain) >= 2 and cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
    hull = lower[:-1] + upper[:-1]
    return all(cross(hull[i], hull[(i + 1) % len(hull)], point) > 0 for i in range(len(hull)))


def test_axis_names_stay_outside_the_cube():
    """Through a whole turn, z1, z2 and z3 are written outside the cube's outline, never over the cloud."""
    scene = ScatterScene(Cloud(np.random.default_rng(0).normal(size=(1, 500, 3)), np.zeros(500, np.uint8), np.array([1]), (0, 1, 2), "t"),
                         VideoSpec(size=(640, 360)), theme("light"), frames=12)
    for index in range(12):
        azimuth = 2 * np.pi * index / 12 - np.pi / 4
        corners, _ = scene.project(CORNERS, azimuth)
        for label in scene._axis_label_points(azimuth):
            assert not _inside_convex_hull(label, corners), (index, label)


# -- latent ------------------------------------------------------------------------------------
def test_latent_still_formats(runs, tmp_path):
    for suffix, magic in [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]:
        out = tmp_path / f"latent{suffix}"
        result = cli("render", "latent", "--run", runs["d2"], "--out", out)
        assert result.exit_code == 0, result.output
        assert out.read_bytes()[:len(magic)] == magic
    result = cli("render", "latent", "--run", runs["d2"], "--out", tmp_path / "latent.jpg")
    assert result.exit_code == 1 and ".png, .svg, .pdf" in result.output


def test_latent_circles_for_vae_markers_without_sampling(runs):
    import matplotlib

    first = RunFile(runs["d2"]).encodings(1)
    mu, logvar, labels = first.mu, first.logvar, first.label
    figure = latent_figure(mu, logvar, labels, True, theme("light"), "t")
    circles = [c for c in figure.axes[0].collections if isinstance(c, EllipseCollection)][0]
    expected = np.sort(2 * np.exp(logvar.astype(np.float64).sum(axis=1) / 4))
    assert np.allclose(np.sort(circles._widths), expected / 2)  # matplotlib keeps half-widths
    det = RunFile(runs["d2det"]).encodings(1)
    figure = latent_figure(det.mu, det.logvar, labels, False, theme("light"), "t")
    assert not [c for c in figure.axes[0].collections if isinstance(c, EllipseCollection)]
    markers = [c for c in figure.axes[0].collections if isinstance(c, PathCollection)][0]
    assert np.allclose(markers.get_sizes(), matplotlib.rcParams["lines.markersize"] ** 2)


# -- compare -----------------------------------------------------------------------------------
def test_compare_rows(runs, tmp_path):
    out = tmp_path / "cmp.png"
    result = cli("render", "compare", "--run", runs["d2"], "--run", runs["d2det"], "--out", out)
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        width, height = image.size
    assert width == 18 * 300 and height == round((5.4 * 2 + 0.6) * 300)


def test_compare_refuses_mismatched_latent_sizes(runs):
    result = cli("render", "compare", "--run", runs["d2"], "--run", runs["d3"])
    assert result.exit_code == 1
    assert "latent sizes differ" in result.output and "d2 has 2" in result.output and "d3 has 3" in result.output
    assert isinstance(result.exception, SystemExit)  # a ProjectError, not a bug's exception
    assert "at least two" in cli("render", "compare", "--run", runs["d2"]).output


# -- collapse ----------------------------------------------------------------------------------
def test_collapse_numbers_match_the_encodings(runs, tmp_path):
    result = cli("render", "collapse", "--run", runs["d8"], "--out", tmp_path)
    assert result.exit_code == 0, result.output
    numbers = json.loads((tmp_path / "collapse.json").read_text())
    with h5py.File(runs["d8"] / "run.h5") as handle:
        mu, logvar = handle["encodings/mu"][:].astype(np.float64), handle["encodings/logvar"][:].astype(np.float64)
    assert numbers["matmul_precision"] == "fp32" and numbers["run"] == str(runs["d8"])
    assert np.allclose(numbers["variance_of_mean"], mu.var(axis=1))
    assert np.allclose(numbers["mean_encoder_variance"], np.exp(logvar).mean(axis=1))
    inactive = np.flatnonzero(mu[-1].var(axis=0) < 0.01)
    assert numbers["inactive"] == inactive.tolist() and numbers["inactive_count"] == len(inactive)
    with h5py.File(runs["d8"] / "run.h5") as handle:
        assert numbers["dead_units"] == handle["epochs/dead_units"][:].tolist() and numbers["encoder_dead"] is False
    for name in ("collapse_bars.png", "collapse_history.png"):
        with Image.open(tmp_path / name) as image:
            assert round(image.info["dpi"][0]) == 300
    info = cli("info", runs["d8"]).output
    assert f"inactive latent variables (var of mean < 0.01): {len(inactive)} of 8" in info


# -- runs the views cannot draw as asked ---------------------------------------------------------
@pytest.mark.parametrize("view, needs", [("trajectories", 2), ("latent", 2), ("scatter3d", 3)])
def test_a_latent_size_of_one_is_refused_by_the_plane_views_with_what_to_use(runs, view, needs):
    result = cli("render", view, "--run", runs["d1"], "--quiet" if view != "latent" else "--theme=light")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == (f"Error: {view} needs a latent size of at least {needs}; this run's is 1 "
                                              "(try: render slices, or render collapse)")


def test_a_latent_size_of_one_has_slices_and_collapse(runs, tmp_path):
    result = cli("render", "collapse", "--run", runs["d1"], "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "collapse.json").read_text())["latent_size"] == 1


def test_a_checkpoint_of_another_net_is_one_line(runs, tmp_path):
    import shutil

    run = tmp_path / "d3"
    shutil.copytree(runs["d3"], run)
    shutil.copy(runs["d2"] / "checkpoints" / "model-e001.pt", run / "checkpoints" / "model-e001.pt")
    result = cli("render", "slices", "--run", run, "--quiet")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == (f"Error: {run / 'checkpoints' / 'model-e001.pt'}: the checkpoint is of a 784-32-2 net, "
                                              "the run is 784-32-3")
