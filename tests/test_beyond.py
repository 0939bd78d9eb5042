"""The page beyond the lecture on a small scale (2,000 digits, one epoch, one seed: every comparison
inconclusive), its remedy claims on hand-made run numbers whose answer is known, and a second run
that trains nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from lecture.beyond import BASELINE, FREE_BITS_REMEDY, LEAKY, REMEDIES, WARM_UP, every_active, fewer_dead_encoders, more_active
from lecture.claims import Runs
from lecture.nets import DEEP, FOUR_DEEP, VAE
from lecture.record import CLAIMS_FILE, ClaimsFile
from report import markup
from science.measures import RunNumbers

SMALL = """name = "beyond"
seeds = "0"
epochs = 1
track = "1-per-class"
[[group]]
arch = ["784-256-32-8-2", "784-256-32-8-4"]
mode = ["variational"]
[[group]]
arch = ["784-256-32-8-2", "784-256-32-8-4"]
mode = ["variational"]
activation = "leaky-relu"
[[group]]
arch = ["784-256-32-8-4"]
mode = ["variational"]
kl-warmup = 3
[[group]]
arch = ["784-256-32-8-4"]
mode = ["variational"]
free-bits = 0.25
"""


def beyond(small_data_dir, root):
    config = root / "beyond.toml"
    config.write_text(SMALL)
    return CliRunner().invoke(main, ["lecture", "--beyond", "--config", str(config), "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
                                     "--data-dir", str(small_data_dir), "--size", "640x360", "--out", str(root / "beyond"), "--quiet"])


@pytest.fixture(scope="module")
def made(small_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("beyond")
    result = beyond(small_data_dir, root)
    assert result.exit_code == 0, result.output
    return root, result.output


def test_the_page_has_each_remedys_paragraph_citation_media_and_claims(made):
    root, _ = made
    out = root / "beyond"
    page = (out / "index.html").read_text()
    for remedy in (BASELINE, *REMEDIES):
        assert markup.text(remedy.paragraph) in page, remedy.label
        assert markup.text(remedy.citation) in page, remedy.citation
    pair = out / "media" / f"trajectories_{DEEP}_relu_vs_leaky-relu.mp4"  # ReLU and LeakyReLU, the same seed, side by side
    assert pair.is_file() and pair.name in page
    assert (out / "media" / f"slices_{FOUR_DEEP}_w3.png").is_file() and f"slices_{FOUR_DEEP}_w3.png" in page
    claims = ClaimsFile.from_json(json.loads((out / CLAIMS_FILE).read_text()))
    texts = [row.text for row in claims.claims]
    for remedy in REMEDIES:
        assert any(text.startswith(remedy.label) for text in texts), remedy.label
    checked = [row for row in claims.claims if row.verdict != "not checked"]  # glorot, beta: not in the small sweep
    assert len(checked) >= 4 and all(row.verdict == "inconclusive" for row in checked)  # one seed decides nothing
    warm_up = [row for row in claims.claims if row.text.startswith(WARM_UP.label) and FOUR_DEEP in row.text]  # 1 epoch, a warm-up of 3: not judged
    assert warm_up and all(row.verdict == "not checked" and "never reached its full value" in row.note for row in warm_up)
    assert claims.seeds == (0,) and claims.quick_look
    assert "Checked below:" in page and "inconclusive at 1 seed" in page
    for row in checked:
        assert markup.text(row.text) in page


def test_a_second_run_with_nothing_new_trains_nothing(made, small_data_dir):
    root, _ = made
    page = root / "beyond" / "index.html"
    before = {path: path.stat().st_mtime_ns for path in (root / "beyond" / "sweep").rglob("run.h5")}
    result = beyond(small_data_dir, root)
    assert result.exit_code == 0, result.output
    assert "0 to train" in result.output and "all trained" in result.output
    assert {path: path.stat().st_mtime_ns for path in (root / "beyond" / "sweep").rglob("run.h5")} == before
    assert page.is_file()


def test_a_lecture_will_not_write_into_the_page_beyond_it(made, small_data_dir):
    root, _ = made
    result = CliRunner().invoke(main, ["lecture", "--seeds", "0", "--data-dir", str(small_data_dir), "--out", str(root / "beyond")])
    assert result.exit_code != 0 and "holds a page beyond the lecture, not a lecture" in result.output


def test_slides_take_the_page_beyond_the_lecture(made, tmp_path):
    root, _ = made
    result = CliRunner().invoke(main, ["slides", str(root / "beyond"), "--out", str(tmp_path / "beyond.pptx")])
    assert result.exit_code == 0, result.output
    from pptx import Presentation

    titles = [shape.text for slide in Presentation(tmp_path / "beyond.pptx").slides for shape in slide.shapes if shape.has_text_frame]
    assert any(f"{DEEP} · variational vs variational leaky-relu" in title for title in titles), titles[:10]


# -- a remedy claim on hand-made numbers ------------------------------------------------------------
def numbers(seed: int, latent: int, inactive: int, dead: bool = False, arch: str = FOUR_DEEP, epochs: int = 10) -> RunNumbers:
    return RunNumbers(arch=arch, mode=VAE, seed=seed, latent_size=latent, test_loss=np.full(epochs, 100.0), reconstruction=90.0,
                      inactive=inactive, dead=dead, shapes=(None,), radius_start=1.0, radius_epoch1=0.5, radius_final=0.1, rises=0, spikes=0)


def runs_of(tmp_path, options: str, made: dict[int, RunNumbers], arch: str = FOUR_DEEP) -> Runs:
    runs = Runs(tmp_path, sorted(made), options=options)
    runs._read[(arch, VAE)] = made  # what read_run would give for these runs
    return runs


def test_warm_up_with_three_active_against_one_in_each_of_eight_seeds_holds(tmp_path):
    base = runs_of(tmp_path, "", {seed: numbers(seed, 4, 3) for seed in range(8)})  # 1 active
    warm = runs_of(tmp_path, WARM_UP.key, {seed: numbers(seed, 4, 1) for seed in range(8)})  # 3 active
    claim = more_active(base, warm, WARM_UP, FOUR_DEEP, "leaves more latent variables active")
    assert claim.verdict == "holds" and claim.estimate == 2 and claim.seeds == 8
    assert claim.text.startswith("KL warm-up (3 epochs)") and "Bowman et al. 2016" in claim.text


def test_a_warm_up_not_longer_than_the_runs_is_not_checked(tmp_path):
    """Runs of 3 epochs or fewer never reach the KL's full weight: they are runs of a smaller weight,
    so the page does not judge the warm-up on them (it would, with three active against one)."""
    base = runs_of(tmp_path, "", {seed: numbers(seed, 4, 3, epochs=3) for seed in range(8)})
    warm = runs_of(tmp_path, WARM_UP.key, {seed: numbers(seed, 4, 1, epochs=3) for seed in range(8)})
    claim = more_active(base, warm, WARM_UP, FOUR_DEEP, "leaves more latent variables active")
    assert claim.verdict == "not checked" and "never reached its full value" in claim.note
    four = runs_of(tmp_path, WARM_UP.key, {seed: numbers(seed, 4, 1, epochs=4) for seed in range(8)})
    assert more_active(base, four, WARM_UP, FOUR_DEEP, "leaves more latent variables active").verdict == "holds"


def test_equal_counts_never_hold_and_fewer_are_contradicted(tmp_path):
    base = runs_of(tmp_path, "", {seed: numbers(seed, 4, 2) for seed in range(8)})
    same = runs_of(tmp_path, WARM_UP.key, {seed: numbers(seed, 4, 2) for seed in range(8)})
    assert more_active(base, same, WARM_UP, FOUR_DEEP, "leaves more latent variables active").verdict == "inconclusive"
    worse = runs_of(tmp_path, WARM_UP.key, {seed: numbers(seed, 4, 3) for seed in range(8)})
    assert more_active(base, worse, WARM_UP, FOUR_DEEP, "leaves more latent variables active").verdict == "contradicted"


def test_free_bits_every_variable_and_leaky_relu_dead_encoders_on_known_numbers(tmp_path):
    kept = runs_of(tmp_path, FREE_BITS_REMEDY.key, {seed: numbers(seed, 4, 0) for seed in range(15)})
    assert every_active(kept, FREE_BITS_REMEDY, FOUR_DEEP).verdict == "holds"  # 15 of 15 runs with every variable active
    lost = runs_of(tmp_path, FREE_BITS_REMEDY.key, {seed: numbers(seed, 4, 1) for seed in range(15)})
    assert every_active(lost, FREE_BITS_REMEDY, FOUR_DEEP).verdict == "contradicted"
    relu = runs_of(tmp_path, "", {seed: numbers(seed, 2, 2, dead=True, arch=DEEP) for seed in range(8)}, arch=DEEP)
    leaky = runs_of(tmp_path, LEAKY.key, {seed: numbers(seed, 2, 0, arch=DEEP) for seed in range(8)}, arch=DEEP)
    assert fewer_dead_encoders(relu, leaky, LEAKY, DEEP).verdict == "holds"
    assert fewer_dead_encoders(leaky, leaky, LEAKY, DEEP).verdict == "inconclusive"  # no death to remove: never holds


def test_a_secondary_row_shows_its_own_verdict_marked_secondary():
    from dataclasses import replace

    from lecture.beyond import PARAGRAPH_REMEDY, verdicts_html
    from lecture.claims import Claim

    number, remedy = next((number, remedy) for number, remedy in PARAGRAPH_REMEDY.items() if remedy is not BASELINE)
    row = Claim(f"{remedy.label} does a thing", "a measure", None, None, 0.0, "not checked", None, holm="secondary")
    line = verdicts_html(number, [row, replace(row, verdict="holds", holm="contradicted", primary=True)])
    assert "does a thing: not checked (secondary)" in line and "does a thing: contradicted." in line and ": secondary" not in line


def test_the_baseline_is_taken_from_a_finished_lecture_not_trained_again(made, small_data_dir, tmp_path, monkeypatch):
    """A lecture already run holds the page's ReLU baseline: those runs are copied, not trained again;
    a run whose folder holds a link is trained instead, and a copy a killed page left is cleared."""
    import shutil

    from owners import PLAN_FILE

    root, _ = made
    made_sweep = root / "beyond" / "sweep"
    lecture_sweep = tmp_path / "outputs" / "lecture" / "sweep"
    lecture_sweep.mkdir(parents=True)
    shutil.copy(made_sweep / PLAN_FILE, lecture_sweep / PLAN_FILE)
    baseline = sorted(path for path in made_sweep.iterdir() if path.is_dir() and path.name.endswith("variational-s0"))
    assert [path.name for path in baseline] == [f"{DEEP}-variational-s0", f"{FOUR_DEEP}-variational-s0"]
    for path in baseline:
        shutil.copytree(path, lecture_sweep / path.name)
    (lecture_sweep / baseline[1].name / "elsewhere").symlink_to("/etc/passwd")  # a crafted folder is never copied
    for path in sorted((lecture_sweep / baseline[0].name).rglob("*"), reverse=True) + [lecture_sweep / baseline[0].name]:
        path.chmod(0o555 if path.is_dir() else 0o444)  # a read-only lecture: its copy is still this page's to replace
    monkeypatch.chdir(tmp_path)
    result = beyond(small_data_dir, tmp_path)  # writes tmp_path/beyond
    assert result.exit_code == 0, result.output
    assert "1 finished run taken from the lecture's sweep" in result.output and "5 to train" in result.output
    copied = tmp_path / "beyond" / "sweep" / baseline[0].name / "run.h5"
    assert copied.read_bytes() == (baseline[0] / "run.h5").read_bytes()
    assert copied.stat().st_mode & 0o200 and copied.parent.stat().st_mode & 0o200
    assert not (tmp_path / "beyond" / "sweep" / baseline[1].name / "elsewhere").exists()
    from lecture.reuse import reuse_lecture_runs

    stale = tmp_path / "beyond" / "sweep" / f".copying-{DEEP}-variational-s0-1"  # left by a killed page
    stale.mkdir()
    assert reuse_lecture_runs([], tmp_path / "beyond" / "sweep", lecture_sweep, "", print) == 0 and not stale.exists()


def test_the_deck_titles_a_medium_with_the_seed_it_was_drawn_from(tmp_path):
    """The ReLU/LeakyReLU pair picks its seed (the first whose ReLU encoder died): the deck takes the
    seed from the page's record of what it drew, not from what it would pick now; with no record,
    and no runs to look at, the first seed."""
    from export.slides import _drawn_seed
    from lecture.beyond import LEAKY, _remedy_media

    pair = next(medium for medium in _remedy_media(LEAKY) if medium.name.endswith(".mp4"))
    seeds = list(range(5))
    drawn = {pair.name: {"runs": pair.member_names(3)}}
    assert _drawn_seed(pair, drawn, seeds, tmp_path / "sweep") == 3
    assert _drawn_seed(pair, {pair.name: {"runs": ["../elsewhere", "x"]}}, seeds, tmp_path / "sweep") == 0  # not a seed's runs: ignored
    assert _drawn_seed(pair, {}, seeds, tmp_path / "sweep") == 0


def test_a_copy_that_fills_the_disk_is_removed_and_said_in_one_line(made, small_disk):
    """The lecture's run does not fit the page's disk: no half copy stays, the member is left to be
    trained, and the reason is one plain line (not copytree's list of every file that failed)."""
    from lecture.reuse import reuse_lecture_runs
    from sweep.plan import load_plan

    root, _ = made
    lecture_sweep = root / "beyond" / "sweep"
    member = next(config for config in load_plan(lecture_sweep).values() if config.run_name == f"{DEEP}-variational-s0")
    said: list[str] = []
    sweep = small_disk.path / "sweep"
    sweep.mkdir()
    data_source = _data_source_of(lecture_sweep / member.run_name)
    assert reuse_lecture_runs([member], sweep, lecture_sweep, data_source, said.append) == 0
    assert list(sweep.iterdir()) == []
    assert said == [f"could not copy {member.run_name} from {lecture_sweep} (the disk is full): it is trained instead"]


def _data_source_of(folder):
    from train.runfile import RunFile

    with RunFile(folder) as run:
        return run.config.extra["data_source"]
