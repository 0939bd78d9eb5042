"""The report, opened from disk in a real browser (headless Chromium through playwright): every
video plays with its file's duration and size, every image loads, side-by-side playback stays within
a frame, and nothing but local files is requested."""

from __future__ import annotations

import pytest

from helpers import cli, offline_page, synthetic_run
from render.video import probe


@pytest.fixture(scope="module")
def report(small_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    run = synthetic_run(root / "run").parent
    for fmt in ("mp4", "webm", "gif", "mov"):
        assert cli("render", "trajectories", "--run", run, "--epochs", "1-2", "--size", "320x180", "--format", fmt, "--out",
                   run / "videos" / f"clip.{fmt}", "--quiet").exit_code == 0
    assert cli("render", "latent", "--run", run, "--out", run / "figures" / "latent.png").exit_code == 0
    sweep = root / "sweep"
    assert cli("sweep", "--arch", "784-32-2", "--mode", "variational", "--seeds", "0-1", "--epochs", "2", "--track", "1-per-class",
               "--data-dir", small_data_dir, "--out", sweep, "--quiet").exit_code == 0
    result = cli("report", run, sweep, "--out", root / "site")
    assert result.exit_code == 0, result.output
    return root / "site", run


def test_the_report_folder_is_complete_and_relative(report):
    site, run = report
    page = (site / "index.html").read_text()
    assert "file://" not in page and "http" not in page.replace("http-equiv", "")
    assert {path.name for path in (site / "media" / "run").iterdir()} >= {"clip.mp4", "clip.webm", "clip.gif", "clip.mov", "clip.png", "latent.png"}
    assert 'href="media/run/clip.mov" download' in page  # ProRes: a download link beside its poster
    assert "Sweep sweep" in page and "plots/sweep-test-loss.svg" in page and (site / "plots" / "sweep-inactive.svg").exists()
    assert "No videos yet" in page  # the sweep's members have none


def test_the_report_plays_in_a_real_browser(report, chromium):
    site, run = report
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    refused, errors = offline_page(page)
    page.goto((site / "index.html").as_uri())
    for fmt in ("mp4", "webm"):
        info = probe(run / "videos" / f"clip.{fmt}")
        page.wait_for_function(f"document.querySelector('video source[src$=\"clip.{fmt}\"]').parentElement.readyState >= 1", timeout=20_000)
        width, height, duration = page.evaluate(
            f"(() => {{ const v = document.querySelector('video source[src$=\"clip.{fmt}\"]').parentElement;"
            " return [v.videoWidth, v.videoHeight, v.duration]; })()")
        assert (width, height) == (info.width, info.height) and duration == pytest.approx(info.duration, abs=0.05), fmt
    page.evaluate("document.querySelectorAll('img').forEach((img) => { img.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every((img) => img.complete)", timeout=20_000)
    assert page.evaluate("[...document.images].filter((img) => img.naturalWidth === 0).map((img) => img.src)") == []

    for box in page.query_selector_all("input.compare")[:2]:
        box.check()
    assert page.is_visible("#side-by-side")
    page.evaluate("window.sideBySide.play()")
    page.wait_for_function("window.sideBySide.videos()[0].ended", timeout=20_000)  # the clock played to its end
    spread = page.evaluate("(() => { const t = window.sideBySide.videos().map((v) => v.currentTime); return Math.max(...t) - Math.min(...t); })()")
    assert spread <= 1 / 30, spread
    page.evaluate("window.sideBySide.seek(0.5)")
    page.wait_for_function("(() => { const vs = window.sideBySide.videos(), at = vs[0].duration / 2;"
                           " return vs.every((v) => !v.seeking && Math.abs(v.currentTime - at) < 0.05); })()", timeout=20_000)
    spread = page.evaluate("(() => { const t = window.sideBySide.videos().map((v) => v.currentTime); return Math.max(...t) - Math.min(...t); })()")
    assert spread <= 1 / 30, spread
    page.close()
    assert refused == [] and errors == []


def test_bad_report_input_is_one_line_and_keeps_what_is_there(report, tmp_path):
    site, run = report
    assert cli("report", tmp_path / "nothing").output.splitlines()[-1] == f"Error: {tmp_path / 'nothing'}: no such run or sweep folder"
    (tmp_path / "empty").mkdir()
    assert "neither a run" in cli("report", tmp_path / "empty").output
    assert cli("report").output.splitlines()[-1] == "Error: report: give at least one run or sweep folder"
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.tex").write_text("x")
    result = cli("report", run, "--out", tmp_path / "notes")
    assert result.exit_code == 1 and "holds files that are not a report (thesis.tex)" in result.output
    assert [path.name for path in (tmp_path / "notes").iterdir()] == ["thesis.tex"]
    (tmp_path / "file").write_text("x")
    assert cli("report", run, "--out", tmp_path / "file").output.splitlines()[-1] == f"Error: --out {tmp_path / 'file'}: a file, not a folder"
    again = cli("report", run, "--out", site)  # an earlier report is replaced whole
    assert again.exit_code == 0 and not (site / "plots").exists()


def test_render_makes_the_missing_videos_first(tmp_path):
    run = synthetic_run(tmp_path / "bare").parent
    plain = cli("report", run, "--out", tmp_path / "site")
    assert plain.exit_code == 0 and "No videos yet" in (tmp_path / "site" / "index.html").read_text()
    assert not (run / "videos").exists()
    rendered = cli("report", run, "--out", tmp_path / "site", "--render")
    assert rendered.exit_code == 0, rendered.output
    page = (tmp_path / "site" / "index.html").read_text()
    assert "No videos yet" not in page and 'src="media/bare/trajectories_e1-2.mp4"' in page
    assert probe(run / "videos" / "trajectories_e1-2.mp4").frames == 21
