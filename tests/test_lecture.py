"""The lecture reproduced on a small scale (2,000 digits, one epoch, two seeds): every medium of the
page where the page has it, the claims against numbers computed directly from the run files, and a
second run that trains and renders nothing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from helpers import cli
from lecture.claims import check_claims
from lecture.lecture import PAGE
from science.classifier import load_scorer


def lecture(small_data_dir, out):
    return cli("lecture", "--seeds", "0-1", "--epochs", "1", "--track", "1-per-class", "--data-dir", str(small_data_dir),
                                     "--size", "160x90", "--out", str(out), "--quiet")


@pytest.fixture(scope="module")
def made(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("lecture") / "lecture"
    result = lecture(small_data_dir, out)
    assert result.exit_code == 0, result.output
    return out, result.output


def scorer(mnist):
    return load_scorer(mnist, echo=lambda _: None)  # the one the lecture trained and cached


def test_every_medium_of_the_page_is_there_in_the_page_order(made):
    out, _ = made
    page = (out / "index.html").read_text()
    positions = []
    for number in sorted(PAGE):
        for medium in PAGE[number]:
            name = str(medium.files(Path("media"))[0])
            assert (out / name).exists() and name in page, name
            positions.append(page.index(name))
    assert positions == sorted(positions)
    assert "The following video describes the trajectories" in page and "its run is not in the sweep yet" not in page


def test_the_claims_are_what_the_run_files_say(made, small_mnist):
    """The radius claim against the run files read directly, in the page, the terminal and
    claims.json alike; and claims.json holds what the lecture decided with its scored samples."""
    out, output = made
    starts = []
    for seed in (0, 1):
        with h5py.File(out / "sweep" / f"784-256-2-variational-s{seed}" / "run.h5", "r") as run:
            logvar = run["trajectory/logvar"][0].astype(np.float64)  # step 0: before training
        starts.append(np.exp(logvar.sum(axis=-1) / 4).mean())
    claim = next(c for c in check_claims(out / "sweep", [0, 1]) if c.text.startswith("the radius is initially close to 1"))
    logs = np.log(starts)
    walsh = [logs[0], logs.mean(), logs[1]]  # the Hodges-Lehmann estimate of two seeds: the median of their Walsh averages
    assert claim.estimate == pytest.approx(np.exp(np.median(walsh))) and claim.seeds == 2
    assert claim.interval is None and claim.verdict == "inconclusive"  # two seeds give no 95% rank interval (6 do)
    page = (out / "index.html").read_text()
    assert f"<td>{claim.effect_text()}</td>" in page and "What the words ask, fixed before looking" in page
    assert "A quick look, not the lecture's verdicts:</b> 2 seeds" in page
    assert f"  {claim.verdict:<14} the radius is initially close to 1" in output
    saved = json.loads((out / "claims.json").read_text())
    radius = next(record for record in saved["claims"] if record["text"] == claim.text)
    assert (radius["estimate"], radius["interval"], radius["verdict"]) == (pytest.approx(claim.estimate), None, claim.verdict)
    assert len(saved["plan_sha256"]) == 64 and saved["plan_sha256"] in page and saved["quick_look"] is True
    from lecture.claims import plan_hash

    assert saved["plan_sha256"] == plan_hash(check_claims)  # the small sweep's plan is the full lecture's: built without data
    assert {record["holm_verdict"] for record in saved["claims"] if not record["primary"]} == {"secondary"}
    assert sum(not record["primary"] for record in saved["claims"]) == 3
    undecidable = {record["text"]: record["verdict"] for record in saved["claims"] if record["verdict"] not in ("holds", "contradicted", "inconclusive")}
    # The samples were scored; a one-epoch run has no trend; a sentence about the one seed shown is described, never judged.
    assert undecidable == {"all digits progressively distribute around the center (784-256-2)": "not checked",
                           "below is a typical example (a relatively good one) of 784-256-32-8-4's samples": "not checked"}
    accuracy = re.search(r"test accuracy (\d+\.\d\d)%, (\d+) of its 64 penultimate features dead", page)
    assert accuracy and float(accuracy.group(1)) == pytest.approx(100 * scorer(small_mnist).accuracy, abs=0.006)
    assert int(accuracy.group(2)) == scorer(small_mnist).dead_features
    assert "without sampling, the generation of more distorted digits (784-256-32-8-2)" in page


def test_one_seed_decides_no_comparison(made):
    out, _ = made
    claims = [claim for claim in check_claims(out / "sweep", [0]) if not claim.verdict.startswith("not checked")]  # a trend, the samples
    assert len(claims) > 10 and all(claim.verdict == "inconclusive" for claim in claims)
    assert all(claim.interval is None or claim.scale == "share" for claim in claims)  # a share of one seed still has its exact interval


def test_runs_pair_by_seed_and_unfinished_runs_stay_out(made, tmp_path):
    out, _ = made
    for name in ("784-256-32-8-2-variational-s0", "784-256-32-8-2-variational-s1", "784-256-32-8-2-deterministic-s1",
                 "784-256-32-8-2-deterministic-s0"):
        shutil.copytree(out / "sweep" / name, tmp_path / name)
    with h5py.File(tmp_path / "784-256-32-8-2-deterministic-s0" / "run.h5", "r+") as run:  # asked for 2 epochs, stopped after 1
        config = json.loads(run.attrs["config"])
        run.attrs["config"] = json.dumps({**config, "epochs": 2})
    recon = {}
    for name in ("784-256-32-8-2-variational-s1", "784-256-32-8-2-deterministic-s1"):
        with h5py.File(tmp_path / name / "run.h5", "r") as run:
            recon[name] = float(run["epochs/test_loss"][-1, 0])
    claim = next(c for c in check_claims(tmp_path, [0, 1]) if c.text.startswith("the network without sampling is even slightly better"))
    assert claim.seeds == 1 and claim.verdict == "inconclusive"
    assert claim.estimate == pytest.approx(recon["784-256-32-8-2-variational-s1"] / recon["784-256-32-8-2-deterministic-s1"], rel=1e-6)


def test_a_dead_encoder_counts_and_its_note_gives_the_estimate_without_it(made, tmp_path):
    out, _ = made
    for arch in ("784-256-32-8-2", "784-256-32-16-8", "784-256-32-8"):
        for mode in ("variational", "deterministic") if arch == "784-256-32-8-2" else ("variational",):
            for seed in (0, 1):
                shutil.copytree(out / "sweep" / f"{arch}-{mode}-s{seed}", tmp_path / f"{arch}-{mode}-s{seed}")
    for name in ("784-256-32-8-2-deterministic-s0", "784-256-32-16-8-variational-s0"):  # every test digit at one code
        with h5py.File(tmp_path / name / "run.h5", "r+") as run:
            run["encodings/mu"][-1] = np.full(run["encodings/mu"].shape[1:], 0.25, np.float32)
    claims = {claim.text: claim for claim in check_claims(tmp_path, [0, 1])}
    slightly = claims["the network without sampling is even slightly better than the variational one (784-256-32-8-2)"]
    assert slightly.seeds == 2 and "encoder dead" in slightly.note and "784-256-32-8-2-deterministic-s0" in slightly.note  # counted
    assert "Run-trained-only (dead encoders left out): " in slightly.note
    uniform = claims["without sampling the distribution in the latent space is sensibly less uniform (784-256-32-8-2)"]
    assert uniform.seeds == 2 and "784-256-32-8-2-deterministic-s0" in uniform.note  # its shape: the worst there is
    deeper = claims["the collapse is more evident for deeper architectures (784-256-32-16-8 against 784-256-32-8)"]
    with h5py.File(tmp_path / "784-256-32-8-variational-s0" / "run.h5", "r") as run:
        inactive = int((run["encodings/mu"][-1].astype(np.float64).var(axis=0) < 0.01).sum())
    assert "784-256-32-16-8: s0 8," in deeper.note and f"784-256-32-8: s0 {inactive}," in deeper.note  # all 8 of the dead one


def test_a_second_run_trains_and_renders_nothing(made, small_data_dir):
    out, _ = made
    before = {path: path.stat().st_mtime_ns for path in (out / "media").rglob("*") if path.is_file()}
    result = lecture(small_data_dir, out)
    assert result.exit_code == 0 and "24 members, 24 finished before, 0 to train" in result.output
    assert "training the sample classifier" not in result.output  # trained by the first run, then cached
    kept = json.loads((out / ".sample-scores.json").read_text())  # the samples of the 10 configurations the claims compare, scored once, and their
    # reconstructions of the test digits (the coverage gap's reference)
    assert len(kept) == 40 and sum(" reconstructions " in key for key in kept) == 20
    assert {key.split()[0] for key in kept} >= {"784-256-32-8-4-variational-s1", "784-256-2-deterministic-s0"}
    assert {path: path.stat().st_mtime_ns for path in (out / "media").rglob("*") if path.is_file()} == before


def test_a_lecture_of_another_length_is_refused_in_one_line(made, small_data_dir):
    out, _ = made
    plan = (out / "sweep" / "plan.json").read_text()
    result = cli("lecture", "--seeds", "0-1", "--epochs", "2", "--track", "1-per-class", "--data-dir", str(small_data_dir),
                                       "--out", str(out), "--quiet")
    assert result.exit_code == 1 and result.output.splitlines()[-1] == (
        f"Error: --out {out}: its nets were trained with --epochs 1, not 2; give --out another folder for a lecture of this length")
    assert (out / "sweep" / "plan.json").read_text() == plan


def test_a_lecture_of_other_matrix_products_is_refused_before_any_estimate(made, small_data_dir):
    out, _ = made
    plan = (out / "sweep" / "plan.json").read_text()
    result = cli("lecture", "--seeds", "0-1", "--epochs", "1", "--matmul-precision", "bf16", "--track", "1-per-class", "--data-dir", str(small_data_dir),
                 "--out", str(out), "--quiet")
    assert result.exit_code == 1 and result.output.splitlines() == [
        f"Error: --out {out}: its nets were trained with fp32 matrix products, not bf16; "
        "give --matmul-precision fp32 to go on with it, or --out another folder"]
    assert (out / "sweep" / "plan.json").read_text() == plan


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


def test_the_claims_at_a_glance_stand_above_the_table_and_count_its_verdicts(small_lecture):
    """Above the claims table: the verdicts counted as the table has them, and the forest plot's pages,
    written into media/ and linked from the page; the table's rows numbered as the plot's."""
    from PIL import Image

    from lecture.forest import HEIGHT_PX, WIDTH_PX, forest_files

    page = (small_lecture / "index.html").read_text()
    section = page[page.index('<section id="claims">'):]
    table = section.index('<table class="numbers claims">')
    pictures = re.findall(r'<figure class="still forest"><img src="([^"]+)"', section)
    assert pictures and [small_lecture / picture for picture in pictures] == forest_files(small_lecture / "media")
    assert section.index('<div class="glance">') < section.index(pictures[-1]) < table
    for picture in pictures:
        with Image.open(small_lecture / picture) as image:
            assert image.size == (WIDTH_PX, HEIGHT_PX)
    rows = re.findall(r'<tr><td class="row">(\d+)</td>(.*?)</tr>', section[table:])
    claims = json.loads((small_lecture / "claims.json").read_text())["claims"]
    assert [int(number) for number, _ in rows] == list(range(1, len(claims) + 1))
    expected = {"primary rows, on their own": {}, "primary rows, after Holm": {}, "secondary rows, on their own": {}}
    for _, cells in rows:
        own, holm = re.findall(r'<td class="verdict [^"]*">(.*?)</td>', cells)
        primary = "<small>primary</small>" in cells
        for name, verdict in ((("primary rows, on their own", own), ("primary rows, after Holm", holm)) if primary
                              else (("secondary rows, on their own", own),)):
            expected[name][verdict] = expected[name].get(verdict, 0) + 1
    counts = section[section.index('<table class="numbers counts">'):table]
    words = re.findall(r"<th>(.*?)</th>", counts[:counts.index("</thead>")])[1:]
    shown = {name: {word: int(value) for word, value in zip(words, values) if int(value)}
             for name, values in ((name, re.findall(r"<td[^>]*>(\d+)</td>", cells)) for name, cells in re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", counts))}
    assert shown == expected and sum(expected["primary rows, on their own"].values()) + sum(expected["secondary rows, on their own"].values()) == len(claims)
