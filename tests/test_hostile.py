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
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
import pytest

from errors import ProjectError
from helpers import CENTERS, ROOT, cli, synthetic_run
from render.video import probe


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
        import numpy as np

        from train import runfile

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

    def test_titles_too_long_to_fit_name_what_tells_the_runs_apart_and_the_rest_once(self):
        from render.views.trajectories.scene import shared_parts

        relu, leaky = "784-256-32-8-2  ·  variational  ·  seed 3", "784-256-32-8-2  ·  variational  ·  leaky-relu  ·  seed 3"
        assert shared_parts([relu, leaky]) == (["variational", "variational  ·  leaky-relu"], "784-256-32-8-2  ·  seed 3")
        apart = ["784-256-2  ·  variational  ·  seed 0", "784-64-2  ·  no sampling  ·  seed 1"]
        assert shared_parts(apart) == (apart, "")  # nothing shared at either end: the titles stay whole


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


# -- slides ------------------------------------------------------------------------------------
def png(path: Path, size=(32, 18), color=(200, 40, 40)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def png_of_size(width: int, height: int) -> bytes:
    """A PNG whose header says width x height (1 bit a pixel) and whose data is a few bytes: what a
    decompression bomb looks like to a reader before it decodes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


def hand_made_lecture(folder: Path, claims: list[dict] | None = None) -> Path:
    """A lecture folder as `lecture` leaves it, for two of its figures: the 784-256-2 and the
    784-256-32-8-2 comparisons, each from a variational and a deterministic member (synthetic runs)."""
    members = {}
    for arch in ("784-256-2", "784-256-32-8-2"):
        for mode in ("variational", "deterministic"):
            synthetic_run(folder / "sweep" / f"{arch}-{mode}-s0", mode=mode)
            members[f"{arch}-{mode}-s0"] = {"arch": arch, "mode": mode, "epochs": 2, "seed": 0}
        png(folder / "media" / f"compare_{arch}.png")
    (folder / "sweep" / "plan.json").write_text(json.dumps({"members": members}))
    (folder / "index.html").write_text("<html></html>")
    rows = claims or [{"text": "a claim", "measure": "a measure", "numbers": "1.0", "verdict": "holds"}]
    (folder / "claims.json").write_text(json.dumps({"seeds": [0], "claims": rows}))
    return folder


def slide_texts(deck: Path) -> list[str]:
    """Each slide's text (title, caption, table cells) and its notes, as the deck holds them."""
    from pptx import Presentation

    texts = []
    for slide in Presentation(str(deck)).slides:
        shapes = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        cells = [cell.text for shape in slide.shapes if shape.has_table for row in shape.table.rows for cell in row.cells]
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        texts.append("\n".join([*shapes, *cells, notes]))
    return texts


class TestADeckAUserEditedIsKept:
    """A deck is replaced only as `slides` wrote it (its fingerprint matches), or with --overwrite;
    a deck a user changed in any way is refused in one line, its bytes as they were."""

    @staticmethod
    def add_a_slide(deck: Path) -> None:
        from pptx import Presentation

        talk = Presentation(str(deck))
        talk.slides.add_slide(talk.slide_layouts[1]).shapes.title.text = "My conclusions"
        talk.save(str(deck))

    @staticmethod
    def retitle(deck: Path) -> None:
        from pptx import Presentation

        talk = Presentation(str(deck))
        talk.core_properties.title = "My talk"
        talk.save(str(deck))

    @staticmethod
    def edit_notes(deck: Path) -> None:
        from pptx import Presentation

        talk = Presentation(str(deck))
        talk.slides[0].notes_slide.notes_text_frame.text = "say this slowly"
        talk.save(str(deck))

    @staticmethod
    def drop_a_slide(deck: Path) -> None:
        """A zip tool's edit: the same parts less the last slide's notes (no python-pptx involved)."""
        import zipfile

        with zipfile.ZipFile(deck) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        with zipfile.ZipFile(deck, "w") as target:
            for info, data in parts:
                if not info.filename.startswith("ppt/notesSlides/notesSlide2"):
                    target.writestr(info, data)

    @pytest.mark.parametrize("edit", ["add_a_slide", "retitle", "edit_notes", "drop_a_slide"])
    def test_a_changed_deck_is_refused_and_kept_until_overwrite(self, run, tmp_path, edit):
        from pptx import Presentation

        deck = tmp_path / "talk.pptx"
        assert cli("slides", run, "--out", deck).exit_code == 0
        getattr(self, edit)(deck)
        before = deck.read_bytes()
        one_line_error(cli("slides", run, "--out", deck), f"--out {deck}", "not as it wrote it", "--overwrite")
        assert deck.read_bytes() == before
        assert sorted(path.name for path in tmp_path.iterdir()) == ["talk.pptx"]  # no temporary file left
        replaced = cli("slides", run, "--out", deck, "--overwrite")
        assert replaced.exit_code == 0 and replaced.output.splitlines()[-1].endswith("; replaced the earlier file)")
        assert len(Presentation(str(deck)).slides) == 2  # the command's own deck again: a video and a figure

    def test_an_unchanged_deck_is_replaced_and_so_is_the_one_that_replaced_it(self, run, tmp_path):
        deck = tmp_path / "talk.pptx"
        assert cli("slides", run, "--out", deck).exit_code == 0
        for _ in range(2):
            again = cli("slides", run, "--out", deck)
            assert again.exit_code == 0 and again.output.splitlines()[-1].endswith("; replaced the earlier file)")

    def test_overwrite_never_takes_a_file_slides_did_not_make(self, run, tmp_path):
        from pptx import Presentation

        (tmp_path / "thesis.pptx").write_text("my thesis")
        Presentation().save(str(tmp_path / "handmade.pptx"))
        for name in ("thesis.pptx", "handmade.pptx"):
            before = (tmp_path / name).read_bytes()
            one_line_error(cli("slides", run, "--out", tmp_path / name, "--overwrite"), "is not a deck made by python cli.py slides")
            assert (tmp_path / name).read_bytes() == before

    def test_a_deck_from_before_fingerprints_is_kept(self, run, tmp_path):
        from pptx import Presentation

        from export.deck import MARKER

        old = Presentation()  # what the command wrote before decks had a fingerprint: its category alone
        old.core_properties.category = MARKER
        old.save(str(tmp_path / "old.pptx"))
        before = (tmp_path / "old.pptx").read_bytes()
        one_line_error(cli("slides", run, "--out", tmp_path / "old.pptx"), "--overwrite")
        assert (tmp_path / "old.pptx").read_bytes() == before


class TestNamesInDecks:
    """Folder and file names with control characters, escapes, text-reordering characters and bytes
    that are not UTF-8 reach the deck as visible escapes, and the deck opens."""

    @pytest.mark.parametrize("name, seen", [
        ("a\x1b[2Jb", "a\\x1b[2Jb"), (os.fsdecode(b"run\xff\xfe"), "run\\xff\\xfe"), ("bell\x07tab\tcr\r", "bell\\x07tab\\x09cr\\x0d"),
        ("\u202eevil", "\\u202eevil"), ("not\ufffea-char", "not\\ufffea-char"),
    ])
    def test_a_run_and_its_media_named_with_them(self, run, tmp_path, name, seen):
        import zipfile

        from lxml import etree

        odd = shutil.copytree(run, tmp_path / name)
        for video in (odd / "videos").glob("*.mp4"):
            video.with_suffix(".png").rename(odd / "videos" / f"clip {name}.png")
            video.rename(odd / "videos" / f"clip {name}.mp4")
        (odd / "figures" / "latent_e2.png").rename(odd / "figures" / f"figure {name}.png")
        deck = tmp_path / "deck.pptx"
        result = cli("slides", odd, "--out", deck)
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(deck) as archive:
            for part in archive.namelist():
                if part.endswith((".xml", ".rels")):
                    etree.fromstring(archive.read(part))  # well-formed: every character one XML allows
        texts = slide_texts(deck)
        assert len(texts) == 2
        assert f"clip {seen}.mp4" in texts[0] and f"figure {seen}.png" in texts[1]  # the captions
        assert f"{seen}: clip {seen}.mp4" in texts[0]  # the notes
        assert not any(char in "".join(texts) for char in "\x1b\x07\r\u202e\ufffe")
        from pptx import Presentation
        from pptx.enum.shapes import MSO_SHAPE_TYPE

        talk = Presentation(str(deck))
        assert seen in talk.core_properties.title
        assert [shape.name for shape in talk.slides[0].shapes if shape.shape_type == MSO_SHAPE_TYPE.MEDIA] == [f"clip {seen}.mp4"]

    def test_claims_cells_of_a_crafted_lecture(self, tmp_path):
        lecture = hand_made_lecture(tmp_path / "lecture", claims=[{"text": "\x1b]52;c;ZXZpbA==\x07", "measure": "m\x00x",
                                                                   "numbers": "\ud800", "verdict": "\u202eholds"}])
        deck = tmp_path / "deck.pptx"
        result = cli("slides", lecture, "--out", deck)
        assert result.exit_code == 0, result.output
        table = slide_texts(deck)[-1]
        for shown in ("\\x1b]52;c;ZXZpbA==\\x07", "m\\x00x", "\\ud800", "\\u202eholds"):
            assert shown in table


class TestDecksAtScale:
    """Memory bounded by a block of a file, not the file; parts named without listing the package
    each time; bytes counted once; what cannot be read left out with a line."""

    def test_a_video_is_streamed_into_the_deck_not_read_whole(self, run, tmp_path):
        import hashlib
        import tracemalloc
        import zipfile

        big = shutil.copytree(run, tmp_path / "big")
        video = big / "videos" / "trajectories_e1-2.mp4"
        with open(video, "ab") as handle:  # 48 MiB more after the real clip
            handle.write(os.urandom(1 << 20) * 48)
        tracemalloc.start()
        try:
            result = cli("slides", big, "--out", tmp_path / "deck.pptx")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.exit_code == 0, result.output
        assert peak < 16 << 20, f"{peak / (1 << 20):.1f} MiB at the peak for a {video.stat().st_size >> 20} MiB video"
        with zipfile.ZipFile(tmp_path / "deck.pptx") as archive:
            (part,) = [name for name in archive.namelist() if name.endswith(".mp4")]
            with archive.open(part) as embedded:
                assert hashlib.file_digest(embedded, "sha256").hexdigest() == hashlib.sha256(video.read_bytes()).hexdigest()

    def test_part_names_take_no_listing_of_the_package(self, tmp_path, monkeypatch):
        """python-pptx lists every part of the package to name each new one (time in n squared):
        with the deck's naming, 300 slides with notes, pictures and a video list it once to start
        and once to save, and every part has a name of its own."""
        import zipfile

        from pptx import Presentation
        from pptx.opc.package import OpcPackage

        from export.deck import write_deck
        from export.slides import Deck, Slide

        listings = []
        listing = OpcPackage.iter_parts
        monkeypatch.setattr(OpcPackage, "iter_parts", lambda self: (listings.append(1), listing(self))[1])
        figures = [png(tmp_path / "figures" / f"f{index}.png", color=(index % 256, index // 256, 9)) for index in range(300)]
        clip = tmp_path / "clip.mp4"
        clip.write_bytes(b"not decoded by the deck's writer")
        slides = [Slide("title", path.name, path, None, "notes") for path in figures[:-1]] + [Slide("title", "clip", clip, figures[-1])]
        _, count, videos = write_deck(Deck("many", slides), tmp_path / "many.pptx")
        assert (count, videos) == (300, 1) and len(listings) <= 2
        with zipfile.ZipFile(tmp_path / "many.pptx") as archive:
            names = archive.namelist()
            assert len(names) == len(set(names)) and archive.testzip() is None
            assert sum(name.startswith("ppt/media/image") for name in names) == 300
        assert len(Presentation(str(tmp_path / "many.pptx")).slides) == 300

    def test_hard_links_count_once_in_the_space_a_deck_needs(self, run, small_disk, tmp_path):
        linked = shutil.copytree(run, tmp_path / "linked")
        video = linked / "videos" / "trajectories_e1-2.mp4"
        with open(video, "ab") as handle:
            handle.write(os.urandom(400 << 10))  # 0.4 MiB more: with the 1 MiB to spare, three of it do not fit the 2 MiB disk, one does
        for copy in ("again", "once more"):
            os.link(video, video.with_name(f"{copy}.mp4"))
            os.link(video.with_suffix(".png"), video.with_name(f"{copy}.png"))
        result = cli("slides", linked, "--out", small_disk.path / "deck.pptx")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].endswith("(4 slides, 3 videos embedded)")
        media = sum(path.stat().st_size for path in (video, video.with_suffix(".png"), linked / "figures" / "latent_e2.png"))
        assert (small_disk.path / "deck.pptx").stat().st_size < media + (100 << 10)  # each file's bytes once

    @pytest.mark.parametrize("damage", ["cut in its pixels", "cut after its header", "bad checksum", "not a PNG"])
    def test_a_damaged_poster_or_figure_is_left_out_with_a_line(self, run, tmp_path, damage):
        def damaged(path: Path) -> None:
            data = path.read_bytes()
            data = {"cut in its pixels": data[:len(data) * 2 // 3], "cut after its header": data[:33],
                    "bad checksum": data[:-20] + bytes([data[-20] ^ 0xFF]) + data[-19:], "not a PNG": b"GIF89a" + data[6:]}[damage]
            path.write_bytes(data)

        bait = shutil.copytree(run, tmp_path / "bait")
        video = bait / "videos" / "trajectories_e1-2.mp4"
        png(bait / "figures" / "good.png")
        damaged(video.with_suffix(".png"))
        damaged(bait / "figures" / "latent_e2.png")
        before = snapshot(bait)
        result = cli("slides", bait, "--out", tmp_path / "deck.pptx")
        assert result.exit_code == 0, result.output
        assert f"left out {video}: its poster trajectories_e1-2.png is not a readable PNG" in result.output
        assert f"left out {bait / 'figures' / 'latent_e2.png'}: not a readable PNG" in result.output
        assert result.output.splitlines()[-1].endswith("(1 slide, 0 videos embedded)")  # the good figure alone
        assert snapshot(bait) == before

    @pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 10_000), (8_000, 8_000)])
    def test_a_decompression_bomb_is_left_out_with_a_line(self, run, tmp_path, width, height):
        bait = shutil.copytree(run, tmp_path / "bait")
        (bait / "figures" / "bomb.png").write_bytes(png_of_size(width, height))
        result = cli("slides", bait, "--out", tmp_path / "deck.pptx")
        assert result.exit_code == 0, result.output
        assert f"left out {bait / 'figures' / 'bomb.png'}: " in result.output and "pixels" in result.output
        assert result.output.splitlines()[-1].endswith("(2 slides, 1 video embedded)")

    def test_a_damaged_lecture_member_leaves_out_its_media_not_the_deck(self, tmp_path):
        lecture = hand_made_lecture(tmp_path / "lecture")
        (lecture / "sweep" / "784-256-32-8-2-variational-s0" / "run.h5").write_bytes(b"not HDF5 at all")
        before = snapshot(lecture)
        result = cli("slides", lecture, "--out", tmp_path / "deck.pptx")
        assert result.exit_code == 0, result.output
        assert f"left out {lecture / 'media' / 'compare_784-256-32-8-2.png'}: " in result.output
        assert result.output.splitlines()[-1].endswith("(2 slides, 0 videos embedded)")  # the other figure, and the claims
        assert snapshot(lecture) == before

    @pytest.mark.parametrize("claims", ["{not json", '{"seeds": [0]}', "[]"])
    def test_damaged_lecture_claims_leave_out_the_table_not_the_deck(self, tmp_path, claims):
        lecture = hand_made_lecture(tmp_path / "lecture")
        (lecture / "claims.json").write_text(claims)
        result = cli("slides", lecture, "--out", tmp_path / "deck.pptx")
        assert result.exit_code == 0, result.output
        assert f"left out the claims table: {lecture / 'claims.json'} is not the claims a lecture writes" in result.output
        assert result.output.splitlines()[-1].endswith("(2 slides, 0 videos embedded)")  # the two figures


class TestAnOutThatCannotBeWritten:
    @pytest.mark.parametrize("out, said", [("/proc/x.pptx", "cannot write a file in /proc (it takes no new files)"),
                                           ("/sys/x.pptx", "cannot write a file in /sys"),
                                           ("/dev/null/x.pptx", "cannot create the deck's folder /dev/null")])
    def test_it_is_said_as_it_is(self, run, out, said):
        message = one_line_error(cli("slides", run, "--out", out), said)
        assert "full" not in message


# -- the third pass: kept files, kept media, two lectures at once ---------------------------------

HOSTILE_FORMS = ("a pipe", "a link to /dev/zero", "another JSON shape", "binary garbage", "cut short", "huge")


@contextmanager
def never_hangs(seconds: float = 20, memory: int = 1 << 30):
    """Fail, instead of hanging or filling the memory, when what runs inside blocks for `seconds` (a
    read of a pipe) or allocates more than `memory` bytes beyond what the process holds (/dev/zero)."""
    import resource
    import signal

    def hung(signum, frame):
        raise AssertionError(f"still running after {seconds:g} s: it hangs")

    held = int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmData:"))) * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    previous = signal.signal(signal.SIGALRM, hung)
    resource.setrlimit(resource.RLIMIT_DATA, (held + memory if hard == resource.RLIM_INFINITY else min(hard, held + memory), hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def put_hostile(path: Path, form: str, good: bytes, other_shape: bytes) -> None:
    """`form` in place of the kept file at `path`, whose right contents are `good`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(path):
        path.unlink()
    if form == "a pipe":
        os.mkfifo(path)
    elif form == "a link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif form == "another JSON shape":
        path.write_bytes(other_shape)
    elif form == "binary garbage":
        path.write_bytes(bytes(range(256)) * 64)
    elif form == "cut short":
        path.write_bytes(good[: len(good) // 2])
    elif form == "huge":
        path.write_bytes(good)
        os.truncate(path, 5 << 30)  # sparse: 5 GiB that take no disk
    else:
        raise ValueError(form)


def made_again(path: Path) -> bool:
    """Whether `path` is now a regular file of its own (not a pipe, not a link, not huge)."""
    return path.is_file() and not path.is_symlink() and path.stat().st_size < 1 << 30


def copy_of_lecture(small_lecture: Path, folder: Path) -> Path:
    """The small lecture copied, times kept (its explorer data stays newer than its run files)."""
    return Path(shutil.copytree(small_lecture, folder, symlinks=True))


def lecture_again(out: Path, small_data_dir: Path, *more: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The small lecture's command again, in its own process: a hang fails by `timeout`."""
    return subprocess.run([sys.executable, "cli.py", "lecture", "--seeds", "0", "--epochs", "1", "--track", "1-per-class", "--data-dir",
                           str(small_data_dir), "--size", "160x90", "--out", str(out), "--quiet", "--config", str(out.parent / "lecture.toml"), *more],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})


SMALL_LECTURE_CONFIG = ('name = "lecture"\nseeds = "0"\nepochs = 1\ntrack = "1-per-class"\n'
                        '[[group]]\narch = ["784-256-2"]\nmode = ["variational", "deterministic"]\n')


@pytest.fixture
def lecture_copy(small_lecture, tmp_path) -> Path:
    (tmp_path / "lecture.toml").write_text(SMALL_LECTURE_CONFIG)  # as conftest's small_lecture was made
    return copy_of_lecture(small_lecture, tmp_path / "lecture")


@pytest.fixture(scope="module")
def tiny_mnist(mnist):
    """64 training and 32 test digits: a classifier of its own trains in a second."""
    from data.mnist import Mnist

    return Mnist(mnist.train_images[:64], mnist.train_labels[:64], mnist.test_images[:32], mnist.test_labels[:32], "the first digits")


class TestKeptFilesAreReadBounded:
    """Every file the project keeps and reads back is read through the one bounded reader, its shape
    checked: what fails is made again with one line saying so, or refused in one line before work."""

    @pytest.mark.parametrize("form", HOSTILE_FORMS)
    def test_kept_sample_scores(self, form, tmp_path):
        from science.classifier import Scorer, _net

        path = tmp_path / ".sample-scores.json"
        good = json.dumps({"784-256-2-variational-s0 model_e001.pt 1 2 v3 0": {"frechet": 1.5, "confidence": 0.9, "class_entropy": 2.0}})
        put_hostile(path, form, good.encode(), b'{"784-256-2-variational-s0": [1.5, 0.9, 2.0]}')
        scorer, said = Scorer(_net().state_dict(), 0.9, np.zeros(64), np.eye(64), 1.0), []
        with never_hangs():
            scorer.keep_in(path, said.append)
        assert scorer.kept == {} and len(said) == 1 and said[0].startswith(str(path)) and said[0].endswith("; scoring the samples again")
        path.unlink()
        path.write_text(good)
        scorer.keep_in(path, said.append)
        assert scorer.kept == json.loads(good) and len(said) == 1  # the good one is read, without a word

    @pytest.mark.parametrize("shape", ['[]', '"scores"', '{"k": {"frechet": "1", "confidence": 0.9, "class_entropy": 2}}',
                                       '{"k": {"frechet": 1, "confidence": 0.9}}', '{"k": {"frechet": Infinity, "confidence": 0.9, "class_entropy": 2}}',
                                       '{"k": {"frechet": true, "confidence": 0.9, "class_entropy": 2}}', "[" * 100_000])
    def test_kept_scores_of_another_shape_are_never_used(self, shape, tmp_path):
        from science.classifier import Scorer, _net

        (tmp_path / "scores.json").write_text(shape)
        scorer, said = Scorer(_net().state_dict(), 0.9, np.zeros(64), np.eye(64), 1.0), []
        scorer.keep_in(tmp_path / "scores.json", said.append)
        assert scorer.kept == {} and len(said) == 1 and "not the kept sample scores this program keeps" in said[0]

    @pytest.mark.parametrize("form", HOSTILE_FORMS)
    def test_the_record_of_what_media_were_drawn_from(self, form, tmp_path):
        from lecture.lecture import MEDIA_RECORD, DrawnFrom

        good = {"media": {"a.png": {"runs": ["784-256-2-variational-s0"], "run files": ["0123"], "epochs": None, "size": None}}}
        put_hostile(tmp_path / MEDIA_RECORD, form, json.dumps(good).encode(), b'{"media": {"a.png": {"runs": "784-256-2-variational-s0"}}}')
        said = []
        with never_hangs():
            record = DrawnFrom(tmp_path, said.append)
        assert record.sources == {} and len(said) == 1 and said[0].endswith("; drawing the media again")
        record.note("a.png", good["media"]["a.png"])  # made again: a file of its own, in place of the pipe or link
        assert made_again(tmp_path / MEDIA_RECORD) and DrawnFrom(tmp_path, said.append).sources == good["media"] and len(said) == 1

    @pytest.mark.parametrize("form", HOSTILE_FORMS)
    def test_kept_explorer_data(self, form, tmp_path):
        from report.explorer import run_explorer

        folder = synthetic_run(tmp_path / "run").parent
        data = tmp_path / "page" / "media" / "run.js"
        first = run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True)
        put_hostile(data, form, data.read_bytes(), b'(window.explorerData = window.explorerData || {})["media/run.js"] = {"steps": "many"};\n')
        said = []
        with never_hangs():
            again = run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True, echo=said.append)
        assert again == first and made_again(data) and len(said) == 1 and said[0].endswith("; writing it again")

    @pytest.mark.parametrize("form", HOSTILE_FORMS)
    def test_the_cached_classifier(self, form, tiny_mnist, tmp_path, monkeypatch):
        import torch

        from data.mnist import CACHE_DIR_ENV
        from science.classifier import _net, cache_path, load_scorer

        monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache" / "mnist"))
        path = cache_path(tiny_mnist)
        path.parent.mkdir(parents=True)
        saved = {"state": _net().state_dict(), "accuracy": 0.5, "mean": torch.zeros(64, dtype=torch.float64),
                 "cov": torch.eye(64, dtype=torch.float64), "seconds": 1.0}
        torch.save(saved, path)
        good = path.read_bytes()
        other = tmp_path / "other.pt"
        torch.save({**saved, "mean": torch.zeros(3)}, other)
        put_hostile(path, form, good, other.read_bytes())
        said = []
        with never_hangs(60, 4 << 30):
            scorer = load_scorer(tiny_mnist, said.append)
        assert said[0].startswith(str(path)) and said[0].endswith("; training it again") and said[1].startswith("training the sample classifier")
        assert made_again(path) and 0 <= scorer.accuracy <= 1
        assert load_scorer(tiny_mnist, said.append).accuracy == scorer.accuracy and len(said) == 3  # read back, without a word

    @pytest.mark.parametrize("form", ("a pipe", "a link to /dev/zero", "a folder", "binary garbage", "huge"))
    def test_checkpoints_and_snapshots_are_one_line(self, form, tmp_path):
        from errors import ProjectError
        from train.checkpoints import load_model
        from train.runfolder import RunFolder
        from train.snapshots import snapshot_index

        folder = tmp_path / "run"
        for path in (RunFolder(folder).checkpoint(1), RunFolder(folder).snapshot(1, "snapshots/decoder_e{epoch:03d}.h5")):
            if form == "a folder":
                path.mkdir(parents=True)
            else:
                put_hostile(path, form, b"\x89HDF\r\n\x1a\n" * 100, b"")
        with never_hangs(), pytest.raises(ProjectError) as checkpoint:
            load_model(folder)
        with never_hangs(), pytest.raises(ProjectError) as snapshots:
            snapshot_index(folder, 1, "snapshots/decoder_e{epoch:03d}.h5")
        assert "\n" not in str(checkpoint.value) and "checkpoint" in str(checkpoint.value)
        assert "\n" not in str(snapshots.value) and "snapshot" in str(snapshots.value)

    def test_a_pipe_in_place_of_a_training_lock_is_one_line(self, tmp_path):
        from train.lock import lock_path, training_pid

        (tmp_path / "run").mkdir()
        os.mkfifo(lock_path(tmp_path / "run"))
        with never_hangs():
            assert training_pid(tmp_path / "run") is None
        one_line_error(cli("train", "--arch", "784-16-2", "--out", tmp_path / "run", "--epochs", "1"), "not a lock file")

    def test_a_lecture_remakes_every_damaged_kept_file_saying_so(self, lecture_copy, small_data_dir):
        out = lecture_copy
        explorer = out / "media" / "explorer" / "784-256-2-variational-s0.js"
        put_hostile(out / ".sample-scores.json", "a pipe", b"", b"")
        put_hostile(out / "media" / ".drawn-from.json", "a link to /dev/zero", b"", b"")
        put_hostile(explorer, "another JSON shape", b"", b'(window.explorerData = window.explorerData || {})["x"] = [1, 2];\n')
        result = lecture_again(out, small_data_dir)
        assert result.returncode == 0, result.stderr
        assert f"{out / '.sample-scores.json'}: not a kept sample scores (a folder, pipe or device, not a file); scoring the samples again" in result.stdout
        assert f"{out / 'media' / '.drawn-from.json'}: not a record of what the lecture's media were drawn from" in result.stdout
        assert f"{explorer}: not the explorer data this program keeps" in result.stdout
        assert all(made_again(path) for path in (out / ".sample-scores.json", out / "media" / ".drawn-from.json", explorer))
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize("name", ["index.html", "claims.json", ".sample-scores.json", "media/trajectories_one_per_class_e1-5.mp4",
                                      "media/trajectories_one_per_class_e1-5.png", "media/.drawn-from.json",
                                      "media/explorer/784-256-2-variational-s0.js", "the classifier"])
    def test_an_output_that_is_a_folder_is_refused_before_any_work(self, name, lecture_copy, small_data_dir, tmp_path, monkeypatch):
        from data.mnist import CACHE_DIR_ENV, read_directory
        from science.classifier import cache_path

        out = lecture_copy
        monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache" / "mnist"))  # a classifier cache of this test's own
        folder = cache_path(read_directory(small_data_dir)) if name == "the classifier" else out / name
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            folder.unlink()
        (folder / "mine").mkdir(parents=True)
        (folder / "mine" / "notes.txt").write_text("a user's notes")
        shutil.rmtree(out / "sweep" / "784-256-2-deterministic-s0")  # a net to train: refused before it is trained
        before = snapshot(out)
        with never_hangs(60, 4 << 30):
            result = cli("lecture", "--seeds", "0", "--epochs", "1", "--track", "1-per-class", "--data-dir", small_data_dir,
                         "--size", "160x90", "--out", out, "--quiet", "--config", out.parent / "lecture.toml")
        one_line_error(result, str(folder), "is a folder, where the lecture", "writes a file; move it away")
        assert snapshot(out) == before and (folder / "mine" / "notes.txt").read_text() == "a user's notes"
        assert not (out / "sweep" / "784-256-2-deterministic-s0").exists()

    def test_a_file_where_the_lecture_keeps_a_folder_is_refused_before_any_work(self, lecture_copy, small_data_dir):
        out = lecture_copy
        shutil.rmtree(out / "media" / "explorer")
        (out / "media" / "explorer").write_text("a user's file")
        before = snapshot(out)
        one_line_error(cli("lecture", "--seeds", "0", "--epochs", "1", "--track", "1-per-class", "--data-dir", small_data_dir, "--size", "160x90",
                           "--out", out, "--quiet", "--config", out.parent / "lecture.toml"), "media/explorer is not a folder")
        assert snapshot(out) == before


class TestKeptMediaFollowTheirInputs:
    """A medium kept from an earlier lecture is drawn again when what it would be drawn from now (its
    runs, their run files, its epochs, its size) is not what it was drawn from, saying why."""

    def test_another_seed_draws_the_media_again_and_the_same_seed_keeps_them(self, tmp_path):
        from lecture.lecture import MEDIA_RECORD, PAGE, _render

        medium = PAGE[1][0]
        name = "784-256-2-variational-s{}"
        synthetic_run(tmp_path / "sweep" / name.format(0), seed=0)
        synthetic_run(tmp_path / "sweep" / name.format(3), seed=3, centers=-CENTERS)  # another run: its digits end elsewhere
        media, said = tmp_path / "media", []
        (video,) = _render(medium, tmp_path / "sweep", 0, media, (160, 90), said.append)
        seed0 = video.read_bytes()
        assert said == []
        _render(medium, tmp_path / "sweep", 3, media, (160, 90), said.append)
        assert said == [f"drawing {medium.name} again: it showed {name.format(0)}, not {name.format(3)}"]
        assert video.read_bytes() != seed0 and json.loads((media / MEDIA_RECORD).read_text())["media"][medium.name]["runs"] == [name.format(3)]
        stamp = video.stat().st_mtime_ns
        _render(medium, tmp_path / "sweep", 3, media, (160, 90), said.append)
        assert len(said) == 1 and video.stat().st_mtime_ns == stamp  # what it shows is what is asked: kept, without a word

    def test_a_run_trained_again_or_further_draws_its_media_again(self, tmp_path):
        from lecture.lecture import PAGE, _render

        medium, run = PAGE[1][0], tmp_path / "sweep" / "784-256-2-variational-s0"
        synthetic_run(run, epochs=2)
        said = []
        _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), said.append)
        shutil.rmtree(run)
        synthetic_run(run, epochs=3)  # trained further: the medium shows epochs 1-3 now
        _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), said.append)
        with h5py.File(run / "run.h5", "r+") as handle:  # trained again, with another learning rate
            handle.attrs["config"] = json.dumps({**json.loads(handle.attrs["config"]), "lr": 0.01})
        _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), said.append)
        assert said == [f"drawing {medium.name} again: it showed epochs 1-2, not 1-3",
                        f"drawing {medium.name} again: its run file changed since (784-256-2-variational-s0 trained again or further)"]

    def test_media_without_a_record_are_drawn_again_once(self, tmp_path):
        from lecture.lecture import MEDIA_RECORD, PAGE, _render

        medium = PAGE[1][0]
        synthetic_run(tmp_path / "sweep" / "784-256-2-variational-s0")
        said = []
        _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), said.append)
        (tmp_path / "media" / MEDIA_RECORD).unlink()  # a lecture made before media were keyed
        for _ in range(2):
            _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), said.append)
        assert said == [f"drawing {medium.name} again: no record of what it was drawn from"]

    def test_a_kept_medium_of_another_seed_that_cannot_be_drawn_again_is_removed(self, tmp_path):
        from errors import ProjectError
        from lecture.lecture import MEDIA_RECORD, PAGE, _render

        medium = PAGE[1][0]
        synthetic_run(tmp_path / "sweep" / "784-256-2-variational-s0")
        (tmp_path / "sweep" / "784-256-2-variational-s3").mkdir()
        (tmp_path / "sweep" / "784-256-2-variational-s3" / "run.h5").write_bytes(b"not a run file")
        files = _render(medium, tmp_path / "sweep", 0, tmp_path / "media", (160, 90), lambda _: None)
        with pytest.raises(ProjectError):
            _render(medium, tmp_path / "sweep", 3, tmp_path / "media", (160, 90), lambda _: None)
        assert not any(path.exists() for path in files + medium.made_of(tmp_path / "media"))  # no deck shows seed 0's as seed 3's
        assert json.loads((tmp_path / "media" / MEDIA_RECORD).read_text())["media"] == {}

    def test_a_lecture_of_other_seeds_into_one_folder_draws_every_medium_of_those_seeds(self, lecture_copy, small_data_dir):
        from lecture.lecture import MEDIA_RECORD

        out = lecture_copy
        seed0 = {path.name: path.read_bytes() for path in (out / "media").glob("*.mp4")}
        result = lecture_again(out, small_data_dir, "--seeds", "1", timeout=600)
        assert result.returncode == 0, result.stderr
        record = json.loads((out / "media" / MEDIA_RECORD).read_text())["media"]
        assert len(record) == 5 and all(run.endswith("-s1") for source in record.values() for run in source["runs"])
        for name in record:
            assert f"drawing {name} again: it showed " in result.stdout, name
        assert seed0 and all((out / "media" / name).read_bytes() != data for name, data in seed0.items())
        assert "checked over seeds 1<" in (out / "index.html").read_text()
        assert json.loads((out / "claims.json").read_text())["seeds"] == [1]


class TestTwoLecturesAtOnce:
    def test_a_second_lecture_waits_for_the_first_saying_so(self, lecture_copy, small_data_dir, tmp_path):
        from atomic import updating
        from helpers import wait_until

        out = lecture_copy
        said = tmp_path / "said.txt"
        with updating(out):  # the first lecture, at work
            before = snapshot(out)
            with open(said, "w") as stream:
                second = subprocess.Popen([sys.executable, "cli.py", "lecture", "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
                                           "--data-dir", str(small_data_dir), "--size", "160x90", "--out", str(out), "--quiet",
                                           "--config", str(tmp_path / "lecture.toml")], cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT,
                                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"})
            try:
                wait_until(lambda: "another lecture is at work" in said.read_text() or second.poll() is not None, 120, "the second lecture waits")
                assert said.read_text().splitlines()[0] == f"another lecture is at work in {out}; waiting for it to finish"
                assert second.poll() is None and snapshot(out) == before  # it waits, touching nothing
            except BaseException:
                second.kill()
                raise
        assert second.wait(timeout=300) == 0, said.read_text()
        assert "Error" not in said.read_text() and "0 to train" in said.read_text()

    def test_two_lectures_started_together_both_finish(self, lecture_copy, small_data_dir, tmp_path):
        from lecture.lecture import MEDIA_RECORD

        out = lecture_copy
        (out / "media" / MEDIA_RECORD).unlink()  # both have media to draw again: the first holds the folder a while
        command = [sys.executable, "cli.py", "lecture", "--seeds", "0", "--epochs", "1", "--track", "1-per-class", "--data-dir",
                   str(small_data_dir), "--size", "160x90", "--out", str(out), "--quiet", "--config", str(tmp_path / "lecture.toml")]
        both = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 env={**os.environ, "OMP_NUM_THREADS": "1"}) for _ in range(2)]
        outputs = [lecture.communicate(timeout=600)[0] for lecture in both]
        assert [lecture.returncode for lecture in both] == [0, 0], outputs
        assert sum("another lecture is at work" in output for output in outputs) == 1, outputs
        waited = next(output for output in outputs if "another lecture is at work" in output)
        assert "drawing" not in waited  # the first drew every medium; the second found them drawn
        assert len(json.loads((out / "media" / MEDIA_RECORD).read_text())["media"]) == 5


class TestOneOutGuard:
    """Every command that fills a folder checks it with owners.guard_out: a file in its place, or the
    folder the user is in (or one holding it), is one line naming the option, and nothing is made."""

    COMMANDS = {
        "train": ["train", "--epochs", "1", "--arch", "784-16-2"],
        "sweep": ["sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--epochs", "1"],
        "lecture": ["lecture", "--seeds", "0", "--epochs", "1"],
    }

    @pytest.mark.parametrize("command", ["train", "sweep", "lecture", "report"])
    def test_the_folder_you_are_in_and_a_file_are_refused_alike(self, command, tmp_path, monkeypatch):
        args = self.COMMANDS.get(command) or ["report", str(synthetic_run(tmp_path / "elsewhere" / "run").parent)]
        here = tmp_path / "here"
        here.mkdir()
        (here / "notes.txt").write_text("mine")
        monkeypatch.chdir(here)
        one_line_error(cli(*args, "--out", "."), "--out .", "is the folder you are in (or holds it)")
        file_refused = "Directory 'notes.txt' is a file" if command == "train" else "--out notes.txt: a file, not a folder"  # train: click's own check
        one_line_error(cli(*args, "--out", "notes.txt"), file_refused)
        assert sorted(path.name for path in here.iterdir()) == ["notes.txt"] and (here / "notes.txt").read_text() == "mine"


# -- round three: impossible run files, links in run files, names everywhere --------------------------------------------
def crafted(folder: Path, edit) -> Path:
    """A synthetic run whose run file `edit(handle)` then changed with h5py, as someone crafting it would."""
    path = synthetic_run(folder)
    with h5py.File(path, "r+") as handle:
        edit(handle)
    return folder


def replaced(handle, name: str, shape, fill=0, written=None) -> None:
    """`name` made again with `shape` (chunked, growable) and nothing written but `written`: HDF5
    stores no chunk that was never written, so the file stays small whatever the shape declares."""
    dtype = handle[name].dtype
    del handle[name]
    dataset = handle.create_dataset(name, shape=shape, maxshape=(None,) * len(shape), dtype=dtype, fillvalue=fill,
                                    chunks=(min(1024, max(1, shape[0])), *(max(1, size) for size in shape[1:])))
    if written is not None:
        dataset[:len(written)] = written


def declared_steps(handle, steps=300_000_000) -> None:
    for name in ("trajectory/mu", "trajectory/logvar", "trajectory/epoch", "trajectory/batch", "trajectory/loss"):
        replaced(handle, name, (steps, *handle[name].shape[1:]), fill=2 if name == "trajectory/epoch" else 0)


def emptied(handle, axis_names) -> None:
    for name in axis_names:
        shape = handle[name].shape
        axis = 0 if name.startswith("tracked") or name == "encodings/label" else 1
        replaced(handle, name, tuple(0 if index == axis else size for index, size in enumerate(shape)))


def with_config(**changes):
    def edit(handle):
        config = json.loads(handle.attrs["config"])
        handle.attrs["config"] = json.dumps({**config, **changes})
    return edit


def set_values(name, index, value):
    def edit(handle):
        values = handle[name][()]
        values[index] = value
        handle[name][...] = values
    return edit


IMPOSSIBLE = {  # what is changed -> a fragment of the refusal
    "300 million steps declared": (declared_steps, "but the file stores"),
    "more steps than the config's batches": (with_config(batch_size=60_000), "make at most 3"),
    "more epochs than the config trains": (with_config(epochs=1), "its config trains 1"),
    "a tracked label of 200": (set_values("tracked/label", 0, 200), "outside the classes 0-9"),
    "a test label of 12": (set_values("encodings/label", 3, 12), "outside the classes 0-9"),
    "a negative tracked index": (set_values("tracked/index", 1, -5), "outside the training set's indices"),
    "no tracked digits": (lambda handle: emptied(handle, ["tracked/index", "tracked/label", "tracked/image", "trajectory/mu",
                                                           "trajectory/logvar"]), "0 tracked digits"),
    "no test encodings": (lambda handle: emptied(handle, ["encodings/label", "encodings/mu", "encodings/logvar"]), "0 test images"),
    "more dead units than the layer has": (set_values("epochs/dead_units", (1, 0), 17), "which has 16"),
    "batches that do not count": (set_values("trajectory/batch", slice(None), 0), "does not count each epoch's batches"),
    "epochs out of order": (set_values("trajectory/epoch", 3, 2), "does not count the epochs in turn"),
    "a snapshot pattern of a huge width": (lambda handle: handle.attrs.__setitem__("snapshots", "snapshots/decoder-e{epoch:0999999999d}.h5"),
                                           "is not the pattern this program writes"),
}
DRAWN_VALUES = {  # read where drawn: render refuses, report leaves the explorer out, info (which draws none) may go on
    "NaN in the means": (set_values("trajectory/mu", (5, 0, 0), float("nan")), "not finite"),
    "infinite log-variances": (set_values("trajectory/logvar", (7, 1, 1), float("inf")), "not finite"),
    "a log-variance beyond what training writes": (set_values("trajectory/logvar", (7, 1, 1), 1e4), "more than training can write"),
    "means beyond float16": (set_values("trajectory/mu", (9, 2, 0), 3e38), "more than training can write"),
}


def bounded_cli(*args, memory: int = 4 << 30) -> subprocess.CompletedProcess:
    """`python cli.py ARGS` in a process that may take `memory` bytes of address space at most: a
    reader that believed a file's declared sizes would run out of it (a MemoryError, a traceback)."""
    limit = f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory})); sys.argv = sys.argv[1:]; " \
            "runpy.run_path('cli.py', run_name='__main__')"
    return subprocess.run([sys.executable, "-c", limit, "cli.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})


def one_line_from_process(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


class TestImpossibleRunFiles:
    @pytest.mark.parametrize("case", IMPOSSIBLE)
    def test_info_render_and_report_refuse_it_in_one_line_and_leave_it_as_it_is(self, tmp_path, case):
        edit, fragment = IMPOSSIBLE[case]
        run = crafted(tmp_path / "run", edit)
        before = snapshot(run)
        one_line_error(cli("info", run), fragment, str(run / "run.h5"))
        one_line_error(cli("render", "trajectories", "--run", run, "--size", "320x180", "--quiet"), fragment)
        one_line_error(cli("report", run, "--out", tmp_path / "site"), fragment)
        assert snapshot(run) == before and not (tmp_path / "site").exists()

    def test_declared_sizes_are_never_read_into_memory(self, tmp_path):
        run = crafted(tmp_path / "run", declared_steps)
        assert (run / "run.h5").stat().st_size < 1 << 20  # 300 million steps declared in a file under a megabyte
        before = snapshot(run)
        for args in (["info", run], ["render", "trajectories", "--run", run, "--size", "320x180", "--quiet"],
                     ["report", run, "--out", tmp_path / "site"], ["sweep", "summary", run]):
            result = bounded_cli(*args)
            assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-2000:]
            assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr[-2000:]
        assert snapshot(run) == before

    def test_a_steps_dataset_declared_beyond_the_config_with_its_data_written_is_refused_before_it_is_read(self, tmp_path):
        def written(handle):  # every chunk written: the file stores what it declares, the config allows 3 steps
            declared_steps(handle, steps=5000)
            for name in ("trajectory/mu", "trajectory/logvar", "trajectory/loss", "trajectory/batch", "trajectory/epoch"):
                handle[name][...] = 2 if name == "trajectory/epoch" else 0
        run = crafted(tmp_path / "run", lambda handle: (written(handle), with_config(batch_size=60_000)(handle)))
        one_line_error(cli("info", run), "it holds 5,000 steps", "at most 3")

    @pytest.mark.parametrize("case", DRAWN_VALUES)
    def test_values_no_training_writes_are_refused_where_they_are_drawn(self, tmp_path, case):
        edit, fragment = DRAWN_VALUES[case]
        run = crafted(tmp_path / "run", edit)
        before = snapshot(run)
        one_line_error(cli("render", "trajectories", "--run", run, "--size", "320x180", "--quiet"), fragment)
        result = cli("report", run, "--out", tmp_path / "site")
        assert result.exit_code == 0, result.output
        assert "No explorer for run" in (tmp_path / "site" / "index.html").read_text() and fragment in (tmp_path / "site" / "index.html").read_text()
        assert snapshot(run) == before

    def test_infinite_test_encodings_are_one_line_for_info(self, tmp_path):
        run = crafted(tmp_path / "run", set_values("encodings/mu", (1, 0, 0), float("inf")))
        one_line_error(cli("info", run), "encodings/mu holds values that are not finite")

    def test_older_schema_versions_are_still_read(self, tmp_path):
        def version_1(handle):
            handle.attrs["schema_version"] = 1
            del handle.attrs["snapshots"], handle["epochs/dead_units"]
        run = crafted(tmp_path / "run", version_1)
        result = cli("info", run)
        assert result.exit_code == 0 and "(schema 1)" in result.output, result.output
        assert cli("render", "trajectories", "--run", run, "--size", "320x180", "--quiet").exit_code == 0


def secret_file(folder: Path) -> Path:
    """An HDF5 file outside every run, that a crafted run file points into."""
    path = folder / "secret.h5"
    with h5py.File(path, "w") as handle:
        handle["tracked/label"] = np.array([9, 9, 9], np.uint8)  # shaped like the run's, so a reader following the link would take it
        handle["tracked/index"] = np.array([31337, 31338, 31339], np.int64)
    return path


def linked(kind: str, secret: Path):
    def edit(handle):
        if kind == "external link":
            del handle["tracked/index"]
            handle["tracked/index"] = h5py.ExternalLink(str(secret), "/tracked/index")
        elif kind == "external link beside the schema":
            handle["notes"] = h5py.ExternalLink(str(secret), "/")
        elif kind == "soft link":
            handle["tracked/copy"] = handle["tracked/label"][()]
            del handle["tracked/label"]
            handle["tracked/label"] = h5py.SoftLink("/tracked/copy")
        elif kind == "external storage":
            raw = secret.with_suffix(".raw")
            raw.write_bytes(np.array([31337, 31338, 31339], np.int64).tobytes())
            del handle["tracked/index"]
            handle.create_dataset("tracked/index", shape=(3,), dtype=np.int64, external=[(str(raw), 0, 24)])
        elif kind == "virtual dataset":
            layout = h5py.VirtualLayout(shape=(3,), dtype=np.int64)
            layout[:] = h5py.VirtualSource(str(secret), "tracked/index", shape=(3,))
            del handle["tracked/index"]
            handle.create_virtual_dataset("tracked/index", layout)
    return edit


class TestLinksInRunFiles:
    @pytest.mark.parametrize("kind, fragment", [
        ("external link", "tracked/index is an external link"), ("external link beside the schema", "notes is an external link"),
        ("soft link", "tracked/label is a soft link"), ("external storage", "tracked/index keeps its data in another file"),
        ("virtual dataset", "tracked/index is a virtual dataset"),
    ])
    def test_a_run_file_that_links_elsewhere_is_refused_and_nothing_of_the_other_file_is_read(self, tmp_path, kind, fragment):
        secret = secret_file(tmp_path)
        run = crafted(tmp_path / "run", linked(kind, secret))
        before, secret_before = snapshot(run), secret.read_bytes()
        one_line_error(cli("info", run), fragment)
        one_line_error(cli("render", "trajectories", "--run", run, "--size", "320x180", "--quiet"), fragment)
        one_line_error(cli("report", run, "--out", tmp_path / "site"), fragment)
        one_line_error(cli("render", "latent", "--run", run), fragment)
        assert snapshot(run) == before and secret.read_bytes() == secret_before and not (tmp_path / "site").exists()

    def test_a_sweep_member_that_links_elsewhere_is_left_out_of_the_summary_and_the_report(self, tmp_path):
        secret = secret_file(tmp_path)
        sweep = hand_made_sweep(tmp_path / "sweep", seeds=(0, 1))
        with h5py.File(sweep / "784-16-2-variational-s1" / "run.h5", "r+") as handle:
            linked("external link", secret)(handle)
        summary = cli("sweep", "summary", sweep)
        assert summary.exit_code == 0 and "| 1 of 2 |" in summary.output, summary.output
        result = cli("report", sweep, "--out", tmp_path / "site")
        assert result.exit_code == 0 and "tracked/index is an external link" in result.output, result.output
        assert "31337" not in "".join(path.read_text(errors="replace") for path in (tmp_path / "site").rglob("*") if path.is_file())

    def test_a_snapshot_file_that_links_elsewhere_is_one_line(self, tmp_path):
        from train.runfolder import SNAPSHOT_PATTERN
        from train.snapshots import snapshot_index

        secret = secret_file(tmp_path)
        run = synthetic_run(tmp_path / "run").parent
        for epoch in (1, 2):
            path = run / SNAPSHOT_PATTERN.format(epoch=epoch)
            path.parent.mkdir(exist_ok=True)
            with h5py.File(path, "w") as handle:
                handle["step"] = np.arange(2)
                handle["decoder"] = h5py.ExternalLink(str(secret), "/tracked/index")
        with pytest.raises(ProjectError, match="decoder is an external link"):
            snapshot_index(run, 2, SNAPSHOT_PATTERN)


LONG = "n" * 256  # one byte over what a file system takes as a name


class TestNamesEverywhere:
    @pytest.mark.parametrize("args", [
        ["train", "--arch", "784-16-2", "--out", "{tmp}/" + LONG], ["train", "--arch", "784-16-2", "--tag", "t" * 240],
        ["sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--out", "{tmp}/" + LONG],
        ["report", "{run}", "--out", "{tmp}/" + LONG], ["report", "{tmp}/" + LONG], ["info", "{tmp}/" + LONG],
        ["lecture", "--out", "{tmp}/" + LONG], ["sweep", "summary", "{tmp}/" + LONG],
        ["render", "latent", "--run", "{run}", "--out", "{tmp}/" + LONG + ".png"],
        ["render", "trajectories", "--run", "{run}", "--size", "320x180", "--out", "{tmp}/x/" + LONG + ".mp4"],
        ["render", "trajectories", "--run", "{tmp}/" + LONG],
    ])
    def test_a_name_over_255_bytes_is_one_line_naming_the_limit(self, run, tmp_path, args):
        before = snapshot(run)
        args = [arg.format(tmp=tmp_path, run=run) for arg in args]
        one_line_error(cli(*args), "255")
        assert list(tmp_path.iterdir()) == [] and snapshot(run) == before

    @pytest.mark.parametrize("args, made", [
        (["sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--name", "a\nb"], "outputs/sweeps/a\nb"),
        (["sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--name", "a\rError: done"], "outputs/sweeps/a\rError: done"),
        (["train", "--arch", "784-16-2", "--out", "{tmp}/x\nError: boom"], "{tmp}/x\nError: boom"),
        (["report", "{run}", "--out", "{tmp}/site\n"], "{tmp}/site\n"),
        (["render", "latent", "--run", "{run}", "--out", "{tmp}/a\x1b[2J.png"], "{tmp}/a\x1b[2J.png"),
    ])
    def test_names_with_control_characters_are_refused_in_one_line(self, run, tmp_path, args, made):
        result = cli(*[arg.format(tmp=tmp_path, run=run) for arg in args])
        message = one_line_error(result, "control characters")
        assert len(result.output.strip().splitlines()) == 1 and "\x1b" not in message and "\r" not in message
        assert not Path(made.format(tmp=tmp_path)).exists() and not (ROOT / made).exists()

    def test_a_run_folder_named_with_a_newline_is_read_and_printed_on_one_line(self, run, tmp_path):
        odd = shutil.copytree(run, tmp_path / "run\nError: not really")
        result = cli("info", odd)
        assert result.exit_code == 0, result.output
        assert not any(line.startswith("Error") for line in result.output.splitlines())
        assert f"run file: {tmp_path}/run\\nError: not really/run.h5" in result.output
        video = cli("render", "trajectories", "--run", odd, "--size", "320x180", "--quiet")
        assert video.exit_code == 0 and "run\\nError: not really/videos/" in video.output, video.output
        assert not any(line.startswith("Error") for line in video.output.splitlines())

    def test_the_explorer_of_a_run_folder_whose_name_is_not_utf8_loads(self, run, tmp_path, chromium):
        import re

        odd = shutil.copytree(run, tmp_path / os.fsdecode(b"run\xff\xfe"))
        result = subprocess.run([sys.executable, "cli.py", "report", str(odd), "--out", str(tmp_path / "site")], cwd=ROOT,
                                capture_output=True, text=True, errors="replace", timeout=120)
        assert result.returncode == 0, result.stderr
        site = tmp_path / "site"
        page = (site / "index.html").read_text()
        key, src = re.search(r'data-explorer="([^"]+)" data-src="([^"]+)"', page).groups()
        script = (site / os.fsdecode(b"media/run\xff\xfe/explorer-data.js")).read_text()
        assert key == src == "media/run%FF%FE/explorer-data.js" and script.startswith('(window.explorerData = window.explorerData || {})["'
                                                                                     + key + '"]')
        page = chromium.new_page()
        try:
            page.goto((site / "index.html").as_uri())
            page.locator("figure.explorer").scroll_into_view_if_needed()
            page.wait_for_function("['ready', 'failed'].includes(document.querySelector('figure.explorer').dataset.state)", timeout=30_000)
            state = page.evaluate("document.querySelector('figure.explorer').dataset.state")
        finally:
            page.close()
        assert state == "ready"


class TestSmallerRoundThree:
    @pytest.mark.parametrize("inside", ["nested", "videos/nested", "figures"])
    def test_train_out_inside_another_run_is_refused(self, run, tmp_path, inside):
        victim = shutil.copytree(run, tmp_path / "victim")
        before = snapshot(victim)
        one_line_error(cli("train", "--arch", "784-16-2", "--out", victim / inside), "lies inside the run", str(victim))
        one_line_error(cli("report", run, "--out", victim / inside), "lies inside the run")
        one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--out", victim / inside),
                       "lies inside the run")
        assert snapshot(victim) == before and sorted(path.name for path in victim.iterdir()) == ["figures", "run.h5", "videos"]

    @pytest.mark.parametrize("size", ["64x4320", "128x4320"])
    def test_a_frame_too_small_for_fit_names_the_size_asked_for(self, run, tmp_path, size):
        message = one_line_error(cli("render", "trajectories", "--run", run, "--aspect", "fit", "--size", size, "--out", tmp_path / "a.mp4"),
                                 f"--size {size} is too small for a run's plane")
        assert "1 runs" not in message and not (tmp_path / "a.mp4").exists()

    @pytest.mark.parametrize("digits, shown", [("3:1", {3}), ("0,7", {0, 7})])
    def test_the_legend_shows_only_the_classes_drawn(self, run, tmp_path, digits, shown):
        from PIL import Image

        from render.style import CLASS_RGB

        out = tmp_path / "clip.mp4"
        result = cli("render", "trajectories", "--run", run, "--digits", digits, "--size", "640x360", "--out", out, "--quiet")
        assert result.exit_code == 0, result.output
        poster = np.asarray(Image.open(out.with_suffix(".png")).convert("RGB")).astype(int)
        dots = {label: 0.85 * np.array(rgb) + 0.15 * 255 for label, rgb in enumerate(CLASS_RGB)}  # a legend dot on white
        present = {label for label, dot in dots.items() if (np.abs(poster - dot).max(axis=-1) <= 6).sum() >= 20}
        assert present - {7} == shown - {7}  # class 7 is grey, as the grid's text may be

    def test_report_computes_without_overflow_warnings(self, tmp_path):
        def far(step, mu):
            mu *= 1e5  # beyond float16's 65,504: the explorer keeps these as float32
        folder = synthetic_run(tmp_path / "far", moved=far).parent
        result = subprocess.run([sys.executable, "-W", "error", "cli.py", "report", str(folder), "--out", str(tmp_path / "site")], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and "Warning" not in result.stderr, result.stderr[-2000:]
        data = (tmp_path / "site" / "media" / "far" / "explorer-data.js").read_text()
        assert '"mu":{"dtype":"float32"' in data

    def test_a_data_folder_larger_than_mnist_is_refused_so_every_run_trained_stays_readable(self, tmp_path):
        from data.idx import IDX_NAMES, write_idx

        (tmp_path / "data").mkdir()
        for (split, kind), name in IDX_NAMES.items():
            count = 10_001 if split == "test" else 10
            write_idx(tmp_path / "data" / name, np.zeros((count, 28, 28) if kind == "images" else (count,), np.uint8))
        one_line_error(cli("train", "--arch", "784-16-2", "--data-dir", tmp_path / "data", "--out", tmp_path / "run"),
                       "10,001 test images, more than MNIST's 10,000")
        assert not (tmp_path / "run").exists()


class TestRoundThreeReview:
    @pytest.mark.parametrize("planted", ["symlink", "hardlink"])
    def test_a_lock_planted_as_a_link_leaves_the_linked_file_whole(self, tmp_path, planted):
        from train.lock import lock_path, training_lock

        precious = tmp_path / "precious.txt"
        precious.write_text("my thesis\n")
        lock = lock_path(tmp_path / "r")
        os.symlink(precious.name, lock) if planted == "symlink" else os.link(precious, lock)
        with pytest.raises(ProjectError, match="not a lock file"):
            with training_lock(tmp_path / "r"):
                pass
        assert precious.read_text() == "my thesis\n" and os.path.lexists(lock)

    def test_an_own_lock_file_is_still_taken_and_removed(self, tmp_path):
        from train.lock import lock_path, training_lock

        lock = lock_path(tmp_path / "new" / "r")
        with training_lock(tmp_path / "new" / "r"):
            assert lock.read_text() == f"{os.getpid()}\n"
        assert not lock.exists()

    @pytest.mark.parametrize("option, value, ceiling", [("--free-bits", "1e39", "10,000"), ("--beta", "1e39", "1,000,000"), ("--lr", "1e39", "1,000,000")])
    def test_a_number_beyond_its_ceiling_is_one_line_before_any_folder(self, tmp_path, option, value, ceiling):
        one_line_error(cli("train", "--arch", "784-16-2", "--out", tmp_path / "run", option, value), option, f"at most {ceiling}")
        one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "0", "--out", tmp_path / "sweep",
                           option, value), option, f"at most {ceiling}")  # the sweep's lists and TOML values pass the same check
        (tmp_path / "s.toml").write_text(f'arch = ["784-16-2"]\nmode = ["variational"]\n{option[2:].replace("-", "_")} = {value}\n')
        one_line_error(cli("sweep", "--config", tmp_path / "s.toml", "--seeds", "0", "--out", tmp_path / "sweep"), option, f"at most {ceiling}")
        assert sorted(path.name for path in tmp_path.iterdir()) == ["s.toml"]

    def test_names_made_from_two_long_run_names_fit_and_stay_apart(self, trained, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        first, second, third = (trained(tmp_path / "runs" / (name * 240)) for name in "abc")
        for pair in ((first, second), (first, third)):
            result = cli("render", "compare", "--run", pair[0], "--run", pair[1])
            assert result.exit_code == 0, result.output
        long_a, long_b = (synthetic_run(tmp_path / "synthetic" / (name * 240)).parent for name in "ab")
        result = cli("render", "trajectories", "--run", long_a, "--run", long_b, "--epochs", "2", "--size", "320x180", "--quiet")
        assert result.exit_code == 0, result.output
        figures = sorted(path.name for path in (tmp_path / "outputs" / "figures").iterdir())
        videos = sorted(path.name for path in (tmp_path / "outputs" / "videos").iterdir())
        assert len(figures) == 2 and len(videos) == 2 and all(len(name.encode()) <= 255 for name in figures + videos)  # video, poster
        assert figures[0].startswith("compare_aaa") and figures[0].endswith(".png") and videos[0].startswith("aaa")

    def test_the_sweep_beside_a_long_still_name_fits(self, tmp_path):
        from render.video import VideoSpec
        from render.views.slices import sweep_path

        still = tmp_path / ("s" * 248 + ".png")
        video = sweep_path(None, still, tmp_path / "default.png", VideoSpec())
        assert video.parent == tmp_path and video.suffix == ".mp4" and len(video.name.encode()) <= 255
        assert sweep_path(None, tmp_path / "s.png", tmp_path / "default.png", VideoSpec()).name == "s_sweep.mp4"

    @pytest.mark.parametrize("dims, extra, message", [
        ((60_001, 28, 28), 0, "60,001 train images, more than MNIST's 60,000"),
        ((10, 100_000, 100_000), 0, "more than MNIST's largest file"),
        ((10, 28, 28), 1 << 20, "more data than the header says"),
    ])
    @pytest.mark.parametrize("packed", [False, True])
    def test_an_idx_file_is_refused_by_its_header_before_its_data_is_read(self, tmp_path, dims, extra, message, packed):
        import gzip
        import resource
        import struct

        from data.idx import read_idx

        header = struct.pack(">I", 0x0800 | len(dims)) + struct.pack(f">{len(dims)}I", *dims)
        body = bytes(10 * 28 * 28 + extra)  # a small file whatever its header says (a gzip of zeros: a bomb)
        path = tmp_path / ("train-images-idx3-ubyte" + ".gz" * packed)
        (gzip.open if packed else open)(path, "wb").write(header + body)
        message = "the header says" if extra and not packed else message  # a raw file's size is checked before reading
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(ProjectError) as refused:
            read_idx(path, 3, most=60_000, what="train images")
        assert message in str(refused.value) and "\n" not in str(refused.value)
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing like the promised size read

    def test_a_raw_idx_file_whose_size_disagrees_with_its_header_is_refused(self, tmp_path):
        from data.idx import read_idx, write_idx

        write_idx(tmp_path / "labels", np.zeros(10, np.uint8))
        with open(tmp_path / "labels", "ab") as grown:
            grown.write(bytes(5))
        with pytest.raises(ProjectError, match="corrupt or truncated: 23 bytes, the header says 18"):
            read_idx(tmp_path / "labels", 1)

    @pytest.mark.parametrize("variable", ["VAE_TRAJECTORIES_DATA", "VAE_TRAJECTORIES_CACHE"])
    def test_a_long_path_in_the_environment_is_one_line_naming_the_variable(self, tmp_path, variable):
        result = cli("train", "--arch", "784-16-2", "--out", tmp_path / "run", env={variable: str(tmp_path / ("x" * 300))})
        one_line_error(result, f"${variable}", "at most 255 bytes")
        assert not (tmp_path / "run").exists()

    def test_seeds_are_ascii_digits_only(self, tmp_path):
        one_line_error(cli("sweep", "--arch", "784-16-2", "--mode", "variational", "--seeds", "\u0663", "--out", tmp_path / "s"), "--seeds")
        assert not (tmp_path / "s").exists()

    def test_minus_zero_names_the_run_as_zero_does(self):
        from train.config import RunConfig, option_name_part

        config = RunConfig(beta=-0.0, free_bits=-0.0)
        assert config == RunConfig(beta=0.0) and option_name_part("beta", config.beta) == "b0" and str(config.free_bits) == "0.0"


class TestRoundThreeReviewOutputs:
    def test_the_pasted_render_command_quotes_the_run_folder(self, tmp_path):
        import html
        import shlex

        run = synthetic_run(tmp_path / "x $(touch PWNED); echo").parent
        assert cli("report", run, "--out", tmp_path / "site").exit_code == 0
        page = (tmp_path / "site" / "index.html").read_text()
        pasted = html.unescape(page.split("No videos yet: <code>", 1)[1].split("</code>", 1)[0])
        assert shlex.split(pasted)[-2:] == ["--run", str(run)]  # one word, as the shell reads it: nothing runs

    @pytest.mark.parametrize("args", [
        ("render", "latent", "--out", "{run}/mine.png"),
        ("render", "latent", "--out", "{run}/checkpoints/x.png"),
        ("render", "latent", "--out", "{run}/new/x.png"),
        ("render", "collapse", "--out", "{run}/coll"),
    ])
    def test_a_render_out_inside_its_run_is_refused_but_its_videos_and_figures_are_not(self, run, tmp_path, args):
        victim = shutil.copytree(run, tmp_path / "r1")
        (victim / "checkpoints").mkdir(exist_ok=True)
        before = snapshot(victim)
        filled = [arg.format(run=victim) for arg in args]
        one_line_error(cli(*filled[:2], "--run", victim, *filled[2:]), "lies inside the run", str(victim))
        assert snapshot(victim) == before
        kept = cli("render", "latent", "--run", victim, "--out", victim / "figures" / "mine.png")
        assert kept.exit_code == 0 and (victim / "figures" / "mine.png").is_file(), kept.output

    def test_a_deck_inside_a_run_is_refused(self, run, tmp_path):
        victim = shutil.copytree(run, tmp_path / "r1")
        one_line_error(cli("slides", victim, "--out", victim / "deck.pptx"), "lies inside the run")
        one_line_error(cli("slides", victim, "--out", victim / "videos" / "deck.pptx"), "lies inside the run")
        assert not list(victim.rglob("*.pptx"))

    def test_an_out_inside_a_report_is_refused(self, run, tmp_path):
        assert cli("report", run, "--out", tmp_path / "rep").exit_code == 0
        one_line_error(cli("report", run, "--out", tmp_path / "rep" / "inner"), "lies inside a report")
        one_line_error(cli("slides", run, "--out", tmp_path / "rep" / "deck.pptx"), "lies inside a report")
        assert not (tmp_path / "rep" / "inner").exists() and not (tmp_path / "rep" / "deck.pptx").exists()

    def test_a_stray_run_file_above_is_no_run_folder(self, run, tmp_path):
        (tmp_path / "run.h5").write_bytes(b"stray")
        result = cli("report", run, "--out", tmp_path / "site")
        assert result.exit_code == 0, result.output

    def test_the_report_shows_control_characters_and_bad_bytes_visibly(self, tmp_path):
        name = os.fsdecode(b"r\x1b[31mred\xe2\x80\xaeevil\xff")  # ESC, a right-to-left override, one byte not UTF-8
        run = synthetic_run(tmp_path / name).parent
        result = cli("report", run, "--out", tmp_path / "site")
        assert result.exit_code == 0, result.output
        page = (tmp_path / "site" / "index.html").read_text()
        assert "\x1b" not in page and "\u202e" not in page and "\ufffd\ufffd" not in page
        assert "r\\x1b[31mred\\u202eevil\ufffd" in page
