"""Reports, sweeps and the lecture under hostile use, one class of defect per test class: nothing a
user already has is lost, nothing outside the folders given is read or written, and every refusal is
one line (never a traceback, never a hang)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from render.video import probe
from helpers import ROOT, cli, synthetic_run




def one_line_error(result, *fragments: str) -> str:
    """The refusal's message, after checking it is one line, a non-zero exit and no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in last, last
    return last


def hand_made_sweep(folder: Path, seeds=(0,), mode: str = "variational") -> Path:
    """A sweep folder as `sweep` leaves it (plan and finished members), from synthetic run files."""
    members = {}
    for seed in seeds:
        name = f"784-16-2-{mode}-s{seed}"
        synthetic_run(folder / name, mode=mode, seed=seed)
        members[name] = {"arch": "784-16-2", "mode": mode, "epochs": 2, "seed": seed}
    (folder / "plan.json").write_text(json.dumps({"members": members}))
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A synthetic run with a trajectories video and a figure."""
    folder = synthetic_run(tmp_path_factory.mktemp("hostile") / "run").parent
    assert cli("render", "trajectories", "--run", folder, "--epochs", "1-2", "--size", "320x180", "--quiet").exit_code == 0
    assert cli("render", "latent", "--run", folder).exit_code == 0
    return folder


class TestAReportReplacesOnlyWhatAReportMade:
    def test_files_put_into_an_earlier_report_are_kept_and_named(self, run, tmp_path):
        site = tmp_path / "site"
        assert cli("report", run, "--out", site).exit_code == 0
        (site / "notes.txt").write_text("my talk notes")
        inner = synthetic_run(site / "a-run").parent  # a run folder a user moved into the report
        before = snapshot(site)
        one_line_error(cli("report", run, "--out", site), "files it did not make", "a-run/run.h5", "notes.txt")
        assert snapshot(site) == before
        (site / "notes.txt").unlink()
        shutil.rmtree(inner)
        assert cli("report", run, "--out", site).exit_code == 0  # its own files alone: replaced

    def test_a_sweep_inside_an_earlier_report_is_never_deleted(self, run, tmp_path):
        site = tmp_path / "site"
        assert cli("report", run, "--out", site).exit_code == 0
        hand_made_sweep(site / "sweep")
        one_line_error(cli("report", run, "--out", site), "files it did not make", "sweep/plan.json")
        assert (site / "sweep" / "784-16-2-variational-s0" / "run.h5").exists()


class TestASweepNeverReplacesAMemberItCannotRead:
    @pytest.mark.parametrize("damage", ["newer", "damaged"])
    def test_the_member_is_reported_and_left_as_it_is(self, small_data_dir, tmp_path, damage):
        out = tmp_path / "sweep"
        args = ["sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
                "--data-dir", small_data_dir, "--out", out, "--quiet"]
        assert cli(*args).exit_code == 0
        run_file = out / "784-16-2-variational-s0" / "run.h5"
        if damage == "newer":
            with h5py.File(run_file, "r+") as handle:
                handle.attrs["schema_version"] = 99
        else:
            run_file.write_bytes(run_file.read_bytes()[:4096])
        before = run_file.read_bytes()
        result = cli(*args)
        assert result.exit_code == 1 and "left as it is" in result.output and "--overwrite trains" in result.output.splitlines()[-1]
        assert run_file.read_bytes() == before
        again = cli(*args, "--overwrite")
        assert again.exit_code == 0, again.output
        assert cli("info", out / "784-16-2-variational-s0").exit_code == 0  # trained again, readable


class TestFoldersHaveOneOwner:
    def test_sweep_refuses_a_run_a_report_and_a_lecture(self, run, tmp_path):
        assert cli("report", run, "--out", tmp_path / "site").exit_code == 0
        (tmp_path / "lecture" / "sweep").mkdir(parents=True)
        (tmp_path / "lecture" / ".vae-trajectories-lecture").write_text("")
        for folder, kind in ((run, "a run"), (tmp_path / "site", "a report"), (tmp_path / "lecture", "a lecture")):
            before = snapshot(folder)
            one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--out", folder), f"holds {kind}")
            assert snapshot(folder) == before

    def test_report_refuses_a_sweep_a_run_and_a_lecture(self, run, tmp_path):
        sweep = hand_made_sweep(tmp_path / "sweep")
        (tmp_path / "lecture").mkdir()
        (tmp_path / "lecture" / ".vae-trajectories-lecture").write_text("")
        for folder, kind in ((sweep, "a sweep"), (run, "a run"), (tmp_path / "lecture", "a lecture")):
            before = snapshot(folder)
            one_line_error(cli("report", run, "--out", folder), f"holds {kind}")
            assert snapshot(folder) == before

    def test_lecture_and_train_refuse_a_report(self, run, tmp_path):
        assert cli("report", run, "--out", tmp_path / "site").exit_code == 0
        one_line_error(cli("lecture", "--out", tmp_path / "site"), "holds a report")
        one_line_error(cli("train", "--out", tmp_path / "site"), "holds a report")


def _merge_one(folder: str, seed: int, barrier) -> None:
    from sweep.plan import merge, spec_from

    spec = spec_from([("784-16-2", "variational")], str(seed), {"epochs": 1})
    barrier.wait()
    merge(Path(folder), spec, False)


class TestConcurrentWritersOfOnePlan:
    def test_two_sweeps_started_at_once_keep_both_members(self, tmp_path):
        context = multiprocessing.get_context("spawn")
        rounds = 8
        for attempt in range(rounds):
            folder = tmp_path / f"sweep{attempt}"
            barrier = context.Barrier(2)
            workers = [context.Process(target=_merge_one, args=(str(folder), seed, barrier)) for seed in (0, 1)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(60)
                assert worker.exitcode == 0
            members = json.loads((folder / "plan.json").read_text())["members"]
            assert sorted(members) == ["784-16-2-variational-s0", "784-16-2-variational-s1"], attempt


class TestHalfMadeMediaStayHalfMade:
    def test_a_medium_of_several_files_is_made_again_when_one_is_missing(self, tmp_path):
        from lecture.lecture import PAGE, _render

        medium = PAGE[32][0]  # collapse: a medium of several files
        arch, mode = medium.runs[0]
        synthetic_run(tmp_path / "sweep" / f"{arch}-{mode}-s0")
        (tmp_path / "media" / medium.name).mkdir(parents=True)
        (tmp_path / "media" / medium.name / "collapse_bars.png").write_bytes(b"the first file of an interrupted render")
        files = _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (320, 180))
        assert {path.name for path in (tmp_path / "media" / medium.name).iterdir()} == {"collapse_bars.png", "collapse_history.png",
                                                                                          "collapse.json"}
        assert all(path.read_bytes().startswith(b"\x89PNG") for path in files)

    def test_another_size_renders_the_videos_again(self, tmp_path):
        from lecture.lecture import PAGE, _render

        medium = PAGE[1][0]
        arch, mode = medium.runs[0]
        synthetic_run(tmp_path / "sweep" / f"{arch}-{mode}-s0")
        said = []
        (video,) = _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (320, 180), said.append)
        assert (probe(video, decode=False).width, said) == (320, [])
        _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (256, 144), said.append)
        assert (probe(video).width, probe(video).height) == (256, 144)
        assert said == [f"rendering {video.name} again at 256x144 (it was 320x180)"]


class TestSymlinksAndSpecialFiles:
    def test_the_report_copies_only_regular_files_inside_the_run(self, run, tmp_path):
        bait = shutil.copytree(run, tmp_path / "bait")
        secret = tmp_path / "secret.txt"
        secret.write_text("a file outside every run folder")
        (bait / "videos" / "leak.mp4").symlink_to(secret)
        (bait / "videos" / "endless.mp4").symlink_to("/dev/zero")
        (bait / "figures" / "leak.png").symlink_to(secret)
        os.mkfifo(bait / "videos" / "pipe.mp4")
        (bait / "videos" / "folder.webm").mkdir()
        inside = bait / "videos" / "alias.mp4"
        inside.symlink_to(bait / "videos" / "trajectories_e1-2.mp4")  # a link that stays inside: its file is copied
        result = subprocess.run([sys.executable, "cli.py", "report", str(bait), "--out", str(tmp_path / "site")], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        for name in ("leak.mp4", "endless.mp4", "pipe.mp4", "folder.webm", "leak.png"):
            assert f"left out: {bait / ('figures' if name.endswith('png') else 'videos') / name}" in result.stdout
        site = tmp_path / "site"
        copied = {path.name for path in (site / "media" / "bait").iterdir()}
        assert copied >= {"trajectories_e1-2.mp4", "alias.mp4"} and not copied & {"leak.mp4", "endless.mp4", "pipe.mp4", "leak.png"}
        assert not any(path.is_symlink() for path in site.rglob("*"))
        assert "a file outside" not in "".join(path.read_text(errors="replace") for path in site.rglob("*") if path.is_file())


class TestNamesFromFilesAreNamesNotPaths:
    @pytest.mark.parametrize("name", ["../../outside", "/etc", ".", "a/b"])
    def test_a_crafted_plan_is_refused_by_report_and_summary(self, tmp_path, name):
        synthetic_run(tmp_path / "outside")
        sweep = tmp_path / "deep" / "sweep"
        sweep.mkdir(parents=True)
        (sweep / "plan.json").write_text(json.dumps({"members": {name: {"arch": "784-16-2", "mode": "variational", "epochs": 2}}}))
        one_line_error(cli("report", sweep, "--out", tmp_path / "site"), "not a sweep plan")
        one_line_error(cli("sweep", "summary", sweep), "not a sweep plan")
        assert not (tmp_path / "site").exists() and not (sweep / "summary.csv").exists()

    @pytest.mark.parametrize("name", ["../../x", ".", "..", "/abs/path", "a\x1b[2Jb"])
    def test_sweep_names_are_one_folder_name(self, tmp_path, name):
        one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--name", name), "a name is one folder name")
        config = tmp_path / "sweep.toml"
        config.write_text(f'arch = "784-16-2"\nmode = "variational"\nseeds = "0"\nname = {json.dumps(name)}\n')
        one_line_error(cli("sweep", "--config", config), "a name is one folder name")
        assert not (ROOT / "outputs" / "sweeps" / name).exists() and not Path("/abs").exists()


class TestTextFromFilesReachesTheTerminalEscaped:
    def test_info_escapes_control_sequences_of_a_crafted_run_file(self, tmp_path):
        path = synthetic_run(tmp_path / "run")
        with h5py.File(path, "r+") as handle:
            config = json.loads(handle.attrs["config"])
            config["extra"] = {"started": "\x1b]52;c;ZXZpbA==\x07", "data_source": "\x1b[2J\x1b[1;1H\u202eevil", "versions": {}}
            handle.attrs["config"] = json.dumps(config)
        result = cli("info", tmp_path / "run")
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
        assert "\\x1b]52;c;ZXZpbA==\\x07" in result.output and "\\u202eevil" in result.output

    def test_errors_naming_a_crafted_path_are_escaped(self, tmp_path):
        result = cli("info", tmp_path / "no\x1b[2Jrun")
        assert "\x1b" not in result.output and "no\\x1b[2Jrun" in result.output


class TestBounds:
    @pytest.mark.parametrize("seeds", ["0-1000000", "0-4294967296", "5,0-999"])
    def test_seed_ranges_beyond_the_limit_are_refused_before_they_are_built(self, tmp_path, seeds):
        one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", seeds, "--out", tmp_path / "s"), "--seeds")
        assert not (tmp_path / "s").exists()
        one_line_error(cli("lecture", "--seeds", seeds, "--out", tmp_path / "l"), "--seeds")

    def test_config_files_that_are_not_regular_files_are_one_line(self, tmp_path):
        fifo = tmp_path / "fifo.toml"
        os.mkfifo(fifo)
        for path, message in ((Path("/dev/zero"), "(a folder, pipe or device, not a file)"), (fifo, "(a folder, pipe or device, not a file)"),
                              (tmp_path, "(a folder, pipe or device, not a file)")):
            result = subprocess.run([sys.executable, "cli.py", "sweep", "--config", str(path)], cwd=ROOT, capture_output=True, text=True,
                                    timeout=60)
            assert result.returncode == 1 and result.stderr.strip().splitlines() == [f"Error: --config {path}: " + result.stderr.split(": ", 2)[2].strip()]
            assert message in result.stderr
        big = tmp_path / "big.toml"
        big.write_text("# " + "x" * (2 << 20))
        one_line_error(cli("sweep", "--config", big), "1,048,576 at most")

    @pytest.mark.parametrize("line, message", [
        ('epochs = "ten"', "not a whole number"), ("epochs = 1.5", "not a whole number"), ("batch-size = true", "not a whole number"),
        ('lr = "fast"', "not a number"), ("track = 3", "not text"), ("name = 5", "a name is text"), ("seeds = true", "--seeds"),
        ('arch = 784', "--arch"), ("lr = inf", "--lr"),
    ])
    def test_toml_values_are_checked_by_type(self, tmp_path, line, message):
        config = tmp_path / "sweep.toml"
        given = {"arch": 'arch = "784-16-2"', "mode": 'mode = "variational"', "seeds": 'seeds = "0"'}
        given[line.split(" ")[0] if line.split(" ")[0] in given else line] = line
        config.write_text("\n".join(given.values()) + "\n")
        one_line_error(cli("sweep", "--config", config, "--out", tmp_path / "s"), message)
        assert not (tmp_path / "s").exists()

    def test_a_config_that_is_not_utf8_is_one_line(self, tmp_path):
        config = tmp_path / "latin1.toml"
        config.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
        one_line_error(cli("sweep", "--config", config), "not UTF-8 text")

    def test_a_plan_that_is_a_folder_and_a_report_in_the_current_folder(self, run, tmp_path):
        (tmp_path / "sweep" / "plan.json").mkdir(parents=True)
        one_line_error(cli("sweep", "summary", tmp_path / "sweep"), "not a sweep plan")
        one_line_error(cli("report", tmp_path / "sweep"), "not a sweep plan")
        here = tmp_path / "here"
        here.mkdir()
        result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", str(run), "--out", "."], cwd=here, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 1 and "the folder you are in" in result.stderr and list(here.iterdir()) == []

    def test_a_net_too_large_for_the_memory_is_refused_before_it_is_built(self, tmp_path):
        arch = "784-65536-65536-65536-2"
        one_line_error(cli("train", "--arch", arch, "--out", tmp_path / "run"), "GiB", "choose smaller layers")
        one_line_error(cli("sweep", "--arch", arch, "--mode", "variational", "--seeds", "0", "--out", tmp_path / "s"), "choose smaller layers")
        assert not (tmp_path / "run").exists() and not (tmp_path / "s").exists()


class TestPagesAndOutputs:
    def test_links_to_names_with_hash_question_mark_and_percent_load_in_a_browser(self, run, tmp_path, chromium):
        odd = shutil.copytree(run, tmp_path / "run #1?50%")
        for video in (odd / "videos").glob("*.mp4"):
            video.rename(video.with_name("clip #2?x=1%20.mp4"))
            video.with_suffix(".png").rename(video.with_name("clip #2?x=1%20.png"))
        (odd / "figures" / "latent_e2.png").rename(odd / "figures" / "latent #3?%.png")
        site = tmp_path / "site"
        assert cli("report", odd, "--out", site).exit_code == 0
        page = chromium.new_page()
        missing = []
        page.on("requestfailed", lambda request: missing.append(request.url))
        page.goto((site / "index.html").as_uri())
        page.wait_for_function("Array.from(document.images).every((img) => img.complete)", timeout=20000)
        broken = page.evaluate("Array.from(document.images).filter((img) => !img.naturalWidth).map((img) => img.src)")
        video = page.locator("video").first
        video.evaluate("(v) => new Promise((done) => { if (v.readyState >= 1) done(); v.onloadedmetadata = done; v.onerror = done; })")
        state = video.evaluate("(v) => [v.readyState, v.error && v.error.code, v.videoWidth]")
        page.close()
        assert broken == [] and missing == []
        assert state[0] >= 1 and state[1] is None and state[2] == 320

    def test_two_sweeps_of_one_name_get_a_plot_each(self, tmp_path):
        first = hand_made_sweep(tmp_path / "a" / "sweep", seeds=(0,))
        second = hand_made_sweep(tmp_path / "b" / "sweep", seeds=(1, 2), mode="deterministic")
        assert cli("report", first, second, "--out", tmp_path / "site").exit_code == 0
        plots = sorted((tmp_path / "site" / "plots").iterdir())
        assert len(plots) == 4  # a test-loss and an inactive plot for each
        page = (tmp_path / "site" / "index.html").read_text()
        assert len({part.split('"')[0] for part in page.split('src="plots/')[1:]}) == 4

    def test_render_skips_a_run_it_cannot_draw_and_builds_the_rest(self, tmp_path):
        from train import runfile
        import numpy as np

        good = synthetic_run(tmp_path / "good").parent
        flat = tmp_path / "flat"  # latent size 1: no trajectories plane
        flat.mkdir()
        path = flat / runfile.RUN_FILE_NAME
        runfile.create(path, '{"arch": "784-16-1", "mode": "variational", "epochs": 1}', np.array([0]), np.array([3], np.uint8),
                       np.zeros((1, 28, 28), np.uint8), np.arange(5, dtype=np.uint8), np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32))
        from train.runfile import EpochResult, Steps

        steps = Steps(mu=np.zeros((4, 1, 1), np.float32), logvar=np.zeros((4, 1, 1), np.float32), epoch=np.ones(4, np.int32),
                      batch=np.arange(4, dtype=np.int32), loss=np.ones((4, 2), np.float32))
        runfile.append_epoch(path, EpochResult(steps=steps, train_loss=np.ones(2, np.float32), test_loss=np.ones(2, np.float32), seconds=1.0,
                                               test_mu=np.zeros((5, 1), np.float32), test_logvar=np.zeros((5, 1), np.float32)))
        result = cli("report", flat, good, "--out", tmp_path / "site", "--render")
        assert result.exit_code == 0, result.output
        assert f"not rendered: {flat}" in result.output and (good / "videos" / "trajectories_e1-2.mp4").exists()

    def test_lecture_does_not_suggest_options_it_does_not_have(self, small_data_dir, tmp_path):
        config = tmp_path / "tiny.toml"
        config.write_text('[[group]]\narch = "784-16-2"\nmode = "variational"\n')
        args = ["lecture", "--config", config, "--seeds", "0", "--track", "1-per-class", "--data-dir", small_data_dir, "--out",
                tmp_path / "lecture", "--quiet"]
        assert cli(*args, "--epochs", "1").exit_code == 0
        message = one_line_error(cli(*args, "--epochs", "2"), "--out")
        assert "--overwrite" not in message and "--name" not in message

    def test_a_report_on_a_full_disk_is_one_line_and_keeps_the_earlier_report(self, run, small_disk, tmp_path):
        big = shutil.copytree(run, tmp_path / "big")
        (big / "videos" / "huge.mp4").write_bytes(os.urandom(3 << 20))
        site = small_disk.path / "site"
        assert cli("report", run, "--out", site).exit_code == 0
        before = snapshot(site)
        one_line_error(cli("report", big, "--out", site), "is full")
        assert snapshot(site) == before and [path.name for path in small_disk.path.iterdir()] == ["site"]

    def test_a_killed_report_leaves_nothing_the_next_one_does_not_clean(self, run, tmp_path):
        ended = subprocess.Popen([sys.executable, "-c", "pass"])
        ended.wait()  # a pid that no process has now
        stale = tmp_path / f".site.{ended.pid}-0123abcd.building"
        (stale / "media").mkdir(parents=True)
        assert cli("report", run, "--out", tmp_path / "site").exit_code == 0
        assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


class TestRunsSideBySideStayReadable:
    @pytest.mark.parametrize("count", [4, 5])
    def test_too_many_runs_for_the_frame_are_refused_naming_a_size_that_works(self, tmp_path, count):
        import re

        runs = [synthetic_run(tmp_path / f"run{index}").parent for index in range(count)]
        args = ["render", "trajectories", *[arg for run in runs for arg in ("--run", run)], "--epochs", "1-2", "--quiet"]
        message = one_line_error(cli(*args, "--size", "720p", "--out", tmp_path / "small.mp4"), f"{count} runs side by side at 1280x720")
        assert not (tmp_path / "small.mp4").exists()
        wider = re.search(r"give --size (\d+)x720 or wider", message).group(1)
        result = cli(*args, "--size", f"{wider}x720", "--out", tmp_path / "wide.mp4")
        assert result.exit_code == 0, result.output
        assert probe(tmp_path / "wide.mp4").width == int(wider)


class TestSecondHostilePass:
    """Cases found by trying the first fixes as a hostile user would."""

    def test_train_overwrite_never_takes_a_folder_without_a_run(self, tmp_path):
        (tmp_path / "talk" / "videos").mkdir(parents=True)
        (tmp_path / "talk" / "videos" / "wedding.mp4").write_text("a user's video")
        before = snapshot(tmp_path / "talk")
        one_line_error(cli("train", "--arch", "784-16-2", "--out", tmp_path / "talk", "--overwrite"), "holds no run", "videos/")
        assert snapshot(tmp_path / "talk") == before

    def test_a_sweep_keeps_what_a_user_put_in_a_member_folder(self, small_data_dir, tmp_path):
        folder = tmp_path / "sweep" / "784-16-2-variational-s0"
        (folder / "videos").mkdir(parents=True)
        (folder / "videos" / "wedding.mp4").write_text("a user's video")
        result = cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
                     "--data-dir", small_data_dir, "--out", tmp_path / "sweep", "--quiet")
        assert result.exit_code == 1 and "holds no run" in result.output
        assert (folder / "videos" / "wedding.mp4").read_text() == "a user's video"

    def test_a_lecture_never_takes_a_folder_of_files_named_like_its_own(self, tmp_path):
        (tmp_path / "page" / "media").mkdir(parents=True)
        (tmp_path / "page" / "index.html").write_text("my own page")
        before = snapshot(tmp_path / "page")
        one_line_error(cli("lecture", "--out", tmp_path / "page"), "no lecture made")
        assert snapshot(tmp_path / "page") == before

    def test_a_member_linked_to_a_folder_elsewhere_is_neither_trained_nor_counted(self, small_data_dir, tmp_path):
        victim = synthetic_run(tmp_path / "victim" / "784-16-2-variational-s0").parent
        sweep = tmp_path / "sweep"
        sweep.mkdir()
        (sweep / "784-16-2-variational-s0").symlink_to(victim)
        (sweep / "plan.json").write_text(json.dumps({"members": {"784-16-2-variational-s0": {"arch": "784-16-2", "mode": "variational",
                                                                                           "epochs": 2, "seed": 0}}}))
        before = snapshot(victim)
        result = cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
                     "--data-dir", small_data_dir, "--out", sweep, "--overwrite", "--quiet")
        assert result.exit_code == 1 and "a link to a folder elsewhere" in result.output
        assert snapshot(victim) == before
        assert "| 0 of 1 |" in cli("sweep", "summary", sweep).output  # not counted as this sweep's

    def test_a_pipe_in_place_of_a_run_file_or_marker_is_one_line_not_a_hang(self, run, tmp_path):
        bait = shutil.copytree(run, tmp_path / "bait")
        (bait / "run.h5").unlink()
        os.mkfifo(bait / "run.h5")
        for args in (["info", bait], ["report", bait, "--out", tmp_path / "site"], ["render", "latent", "--run", bait]):
            result = subprocess.run([sys.executable, "cli.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert "not a run file (a folder, pipe or device" in result.stderr or "neither a run" in result.stderr
        site = tmp_path / "earlier"
        assert cli("report", run, "--out", site).exit_code == 0
        (site / ".vae-trajectories-report").unlink()
        os.mkfifo(site / ".vae-trajectories-report")
        result = subprocess.run([sys.executable, "cli.py", "report", str(run), "--out", str(site)], cwd=ROOT, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1 and "marker is not a file" in result.stderr

    def test_files_nested_too_deep_are_one_line(self, tmp_path):
        sweep = tmp_path / "sweep"
        sweep.mkdir()
        (sweep / "plan.json").write_text("[" * 100_000 + "]" * 100_000)
        one_line_error(cli("sweep", "summary", sweep), "not a sweep plan")
        config = tmp_path / "deep.toml"
        config.write_text("seeds = " + "[" * 10_000 + "]" * 10_000 + "\n")
        result = cli("sweep", "--config", config)
        assert result.exit_code != 0 and not isinstance(result.exception, RecursionError)

    def test_names_that_are_not_utf8_and_names_near_255_bytes(self, run, tmp_path):
        odd = shutil.copytree(run, tmp_path / os.fsdecode(b"run\xff"))
        result = subprocess.run([sys.executable, "cli.py", "report", str(odd), "--out", str(tmp_path / "site")], cwd=ROOT, capture_output=True,
                                text=True, errors="replace", timeout=120)
        assert result.returncode == 0, result.stderr
        assert "run%FF" in (tmp_path / "site" / "index.html").read_text()
        long_name = "a" * 250
        assert cli("render", "latent", "--run", run, "--out", tmp_path / f"{long_name}.png").exit_code == 0
        assert (tmp_path / f"{long_name}.png").exists()
        assert cli("report", run, "--out", tmp_path / ("r" * 250)).exit_code == 0

    def test_plans_beyond_the_limit_and_sweeps_in_the_current_folder(self, tmp_path):
        sweep = tmp_path / "big"
        sweep.mkdir()
        members = {f"784-16-2-variational-s{seed}": {"arch": "784-16-2", "mode": "variational", "seed": seed} for seed in range(1001)}
        (sweep / "plan.json").write_text(json.dumps({"members": members}))
        one_line_error(cli("sweep", "summary", sweep), "more than the 1000")
        here = tmp_path / "here"
        here.mkdir()
        result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0",
                                 "--out", "."], cwd=here, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and "the folder you are in" in result.stderr and list(here.iterdir()) == []

    @pytest.mark.parametrize("arch", ["\u0667\u0668\u0664-16-2", "784-016-2"])  # (spaces around list items are fine: they are stripped)
    def test_one_spelling_for_one_net(self, arch, tmp_path):
        one_line_error(cli("sweep", "--arch", arch, "--mode", "variational", "--seeds", "0", "--out", tmp_path / "s"), "--arch")
        assert not (tmp_path / "s").exists()

    def test_a_report_killed_between_its_two_renames_is_given_back(self, run, tmp_path):
        site = tmp_path / "site"
        assert cli("report", run, "--out", site).exit_code == 0
        ended = subprocess.Popen([sys.executable, "-c", "pass"])
        ended.wait()
        site.rename(tmp_path / f".site.{ended.pid}-0123abcd.retired")  # as a SIGKILL after the first rename leaves it
        again = cli("report", run, "--out", site, "--render")
        assert again.exit_code == 0, again.output
        assert (site / "index.html").exists() and sorted(path.name for path in tmp_path.iterdir()) == ["site"]
