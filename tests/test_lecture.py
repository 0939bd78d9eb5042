"""The lecture reproduced on a small scale (2,000 digits, one epoch, two seeds): every medium of the
page where the page has it, the claims against numbers computed directly from the run files, and a
second run that trains and renders nothing."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from report.lecture import PAGE


def lecture(small_data_dir, out):
    return CliRunner().invoke(main, ["lecture", "--seeds", "0-1", "--epochs", "1", "--track", "1-per-class", "--data-dir", str(small_data_dir),
                                     "--size", "160x90", "--out", str(out), "--quiet"])


@pytest.fixture(scope="module")
def made(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("lecture") / "lecture"
    result = lecture(small_data_dir, out)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_every_medium_of_the_page_is_there_in_the_page_order(made):
    out, _ = made
    page = (out / "index.html").read_text()
    positions = []
    for number in sorted(PAGE):
        for medium in PAGE[number]:
            name = f"media/{medium.name}/collapse_bars.png" if medium.kind == "collapse" else f"media/{medium.name}"
            assert (out / name).exists() and name in page, name
            positions.append(page.index(name))
    assert positions == sorted(positions)
    assert "The following video describes the trajectories" in page and "its run is not in the sweep yet" not in page


def test_the_claims_are_what_the_run_files_say(made):
    out, output = made
    starts, ends = [], []
    for seed in (0, 1):
        with h5py.File(out / "sweep" / f"784-256-2-variational-s{seed}" / "run.h5", "r") as run:
            logvar = run["trajectory/logvar"][:].astype(np.float64)
        radius = np.exp(logvar.sum(axis=-1) / 4).mean(axis=1)
        starts.append(radius[0])
        ends.append(radius[-1])  # one epoch: its last step ends epoch 1
    page = (out / "index.html").read_text()
    assert f"start {starts[0]:.3g}, {starts[1]:.3g}; end of epoch 1 {ends[0]:.3g}, {ends[1]:.3g}" in page
    expected = "holds" if all(0.7 <= s <= 1.3 and e < 0.5 * s for s, e in zip(starts, ends)) else \
        "does not hold" if not any(0.7 <= s <= 1.3 and e < 0.5 * s for s, e in zip(starts, ends)) else "mixed"
    assert f"  {expected:<14} the radius is initially close to 1" in output
    recon = {}
    for mode in ("variational", "deterministic"):
        recon[mode] = []
        for seed in (0, 1):
            with h5py.File(out / "sweep" / f"784-256-32-8-2-{mode}-s{seed}" / "run.h5", "r") as run:
                recon[mode].append(float(run["epochs/test_loss"][-1, 0]))
    flags = [d < v for v, d in zip(recon["variational"], recon["deterministic"])]
    verdict = "holds" if all(flags) else "does not hold" if not any(flags) else "mixed"
    assert f"  {verdict:<14} without sampling the reconstruction error is slightly better" in output


def test_a_second_run_trains_and_renders_nothing(made, small_data_dir):
    out, _ = made
    before = {path: path.stat().st_mtime_ns for path in (out / "media").rglob("*") if path.is_file()}
    result = lecture(small_data_dir, out)
    assert result.exit_code == 0 and "24 members, 24 finished before, 0 to train" in result.output
    assert {path: path.stat().st_mtime_ns for path in (out / "media").rglob("*") if path.is_file()} == before


def test_an_out_that_is_not_a_lecture_is_refused(small_data_dir, tmp_path):
    (tmp_path / "thesis.tex").write_text("x")
    result = lecture(small_data_dir, tmp_path)
    assert result.exit_code == 1 and result.output.splitlines()[-1] == f"Error: --out {tmp_path} holds files that are not a lecture (thesis.tex); choose another --out"
    assert [path.name for path in tmp_path.iterdir()] == ["thesis.tex"]


def test_the_explorer_stands_beside_the_784_256_2_trajectories_videos(made):
    out, _ = made
    page = (out / "index.html").read_text()
    data = "media/explorer/784-256-2-variational-s0.js"
    assert (out / data).is_file() and (out / "explorer.js").is_file() and (out / "explorer.css").is_file()
    for video, epochs in (("trajectories_one_per_class_e1-5.mp4", "1-5"), ("trajectories_six_per_class_e2-10.mp4", "2-10")):
        explorer = page.index(f'data-src="{data}" data-epochs="{epochs}"')
        assert page.index(video) < explorer < page.index(video) + 1500  # right after its video
