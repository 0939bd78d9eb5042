"""Sweeps on small real runs (2,000 digits): members equal to `train` alone, restart after a killed
driver, the summary against the run files, and bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from helpers import ROOT, cli, wait_until

MEMBERS = ["784-32-2-variational-s0", "784-32-2-deterministic-s0"]
COMPARED = ("trajectory/mu", "trajectory/logvar", "trajectory/loss", "encodings/mu", "epochs/test_loss")


def sweep_args(small_data_dir, out, *extra):
    return ["sweep", "--arch", "784-32-2", "--mode", "variational,deterministic", "--seeds", "0", "--epochs", "1", "--track", "1-per-class",
            "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", *extra]


def worker_pids(driver: int) -> list[str]:
    """The sweep's worker processes (not multiprocessing's resource tracker)."""
    children = [pid for task in Path(f"/proc/{driver}/task").iterdir() for pid in (task / "children").read_text().split()]
    return [pid for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def alive(pid: str) -> bool:
    """Whether the process runs (a zombie waiting for its parent to read its status does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def train_alone(small_data_dir, out, mode):
    """`train` of one member's config and seed, in its own process with one thread, as a sweep worker has."""
    subprocess.run([sys.executable, "cli.py", "train", "--arch", "784-32-2", "--mode", mode, "--seed", "0", "--epochs", "1",
                    "--track", "1-per-class", "--data-dir", str(small_data_dir), "--out", str(out), "--threads", "1", "--quiet"],
                   cwd=ROOT, check=True, capture_output=True)


@pytest.fixture(scope="module")
def alone(small_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("alone")
    for mode in ("variational", "deterministic"):
        train_alone(small_data_dir, root / mode, mode)
    return root


@pytest.fixture(scope="module")
def local_sweep(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweeps") / "local"
    result = cli(*sweep_args(small_data_dir, out))
    assert result.exit_code == 0, result.output
    return out, result.output


def assert_same_runs(sweep_folder: Path, alone: Path) -> None:
    for member, mode in zip(MEMBERS, ("variational", "deterministic")):
        with h5py.File(sweep_folder / member / "run.h5", "r") as swept, h5py.File(alone / mode / "run.h5", "r") as single:
            for name in COMPARED:
                assert np.array_equal(swept[name][:], single[name][:], equal_nan=True), (member, name)


def test_local_members_are_the_runs_train_makes(local_sweep, alone):
    out, output = local_sweep
    assert_same_runs(out, alone)
    assert "2 members, 0 finished before, 2 to train on" in output
    assert all(f"{member}: finished, test loss" in output for member in MEMBERS)
    assert json.loads((out / "plan.json").read_text())["members"].keys() == set(MEMBERS)
    info = cli("info", str(out / MEMBERS[0]))
    assert info.exit_code == 0 and "epochs completed: 1 of 1  (finished)" in info.output


def test_running_it_again_skips_finished_members_and_adds_new_ones(local_sweep, small_data_dir, tmp_path):
    import shutil

    out = tmp_path / "again"
    shutil.copytree(local_sweep[0], out)
    before = (out / MEMBERS[0] / "run.h5").read_bytes()
    result = cli(*sweep_args(small_data_dir, out)[:6], "0-1", *sweep_args(small_data_dir, out)[7:])
    assert result.exit_code == 0, result.output
    assert "4 members, 2 finished before, 2 to train" in result.output
    assert f"{MEMBERS[0]}: already finished" in result.output and (out / MEMBERS[0] / "run.h5").read_bytes() == before
    assert (out / "784-32-2-deterministic-s1" / "run.h5").exists()
    changed = cli(*sweep_args(small_data_dir, out)[:8], "2", *sweep_args(small_data_dir, out)[9:])
    assert changed.exit_code == 1 and "would change: --epochs 2 (was 1); use --overwrite" in changed.output.splitlines()[-1]
    assert (out / MEMBERS[0] / "run.h5").read_bytes() == before


def test_a_ray_sweep_started_here_makes_the_same_runs(small_data_dir, alone, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (pip install '.[ray]')")
    out = tmp_path / "ray"
    result = cli(*sweep_args(small_data_dir, out, "--executor", "ray"))
    assert result.exit_code == 0, result.output
    assert "to train on Ray, started here" in result.output
    assert_same_runs(out, alone)
    assert sorted(path.name for path in out.iterdir()) == sorted([*MEMBERS, "plan.json"])  # no archive or staging folder left


@pytest.mark.slow
def test_a_two_node_cluster_joined_as_the_readme_says_makes_the_same_runs(small_data_dir, alone, tmp_path):
    """A head and a second node on this machine (loopback only), the second joined with the head's
    token as the README says (Ray >= 2.59 turns token authentication on), then `--address auto`."""
    pytest.importorskip("ray", reason="ray is not installed (pip install '.[ray]')")
    import socket

    ray_cli = str(Path(sys.executable).with_name("ray"))
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--disable-usage-stats"]
    try:
        subprocess.run([ray_cli, "start", "--head", "--port", str(port), "--include-dashboard=false", *common], env=env, check=True,
                       capture_output=True, timeout=120)
        token = subprocess.run([ray_cli, "get-auth-token"], env=env, capture_output=True, text=True, timeout=60).stdout.split()
        joining = {**env, **({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token[-1]} if token else {})}
        joined = subprocess.run([ray_cli, "start", "--address", f"127.0.0.1:{port}", *common], env=joining, capture_output=True, text=True,
                                timeout=120)
        assert joined.returncode == 0, joined.stderr[-2000:]
        out = tmp_path / "cluster"
        result = subprocess.run([sys.executable, "cli.py", *sweep_args(small_data_dir, out, "--executor", "ray", "--address", "auto")],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert "Ray at auto" in result.stdout
        assert_same_runs(out, alone)
    finally:
        subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)


def test_a_killed_driver_is_continued_by_the_same_command(small_data_dir, tmp_path):
    """Every (member, epoch, batch) ends up recorded exactly once."""
    out = tmp_path / "killed"
    args = [*sweep_args(small_data_dir, out)[:8], "3", *sweep_args(small_data_dir, out)[9:], "--batch-size", "20"]
    driver = subprocess.Popen([sys.executable, "cli.py", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_until(lambda: list(out.glob("*/checkpoints/model-e001.pt")), 120, "a member's first epoch")
    workers = worker_pids(driver.pid)
    assert workers  # what the wait below waits for
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    wait_until(lambda: not any(map(alive, workers)), 60, "the workers ending with their driver")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    steps = 2000 // 20
    for member in MEMBERS:
        with h5py.File(out / member / "run.h5", "r") as run:
            assert run["trajectory/epoch"][:].tolist() == [0] + [epoch for epoch in (1, 2, 3) for _ in range(steps)]
            assert run["trajectory/batch"][:].tolist() == [0] + list(range(steps)) * 3
            assert run["epochs/test_loss"].shape[0] == 3


def test_the_summary_is_what_the_run_files_say(local_sweep):
    out, _ = local_sweep
    result = cli("sweep", "summary", str(out))
    assert result.exit_code == 0, result.output
    rows = {row["mode"]: row for row in json.loads((out / "summary.json").read_text())}
    for member, mode in zip(MEMBERS, ("variational", "deterministic")):
        with h5py.File(out / member / "run.h5", "r") as run:
            test = run["epochs/test_loss"][-1].astype(np.float64)
            mu = run["encodings/mu"][-1].astype(np.float64)
            logvar = run["encodings/logvar"][-1].astype(np.float64)
            seconds = run["epochs/seconds"][:]
            dead = run["epochs/dead_units"][-1]
        row = rows[mode]
        assert row["dead_units"] == dead.tolist() and row["dead_encoders"] == int(np.ptp(mu, axis=0).max() < 1e-6)
        assert row["seeds_finished"] == row["seeds_planned"] == 1
        assert row["test_loss"]["mean"] == pytest.approx(test.sum(), rel=1e-6) and row["test_loss"]["std"] == 0.0
        assert row["reconstruction"]["mean"] == pytest.approx(test[0], rel=1e-6)
        active = mu.var(axis=0) >= 0.01
        assert row["inactive"]["mean"] == (~active).sum()
        assert row["seconds_per_epoch"] == pytest.approx(seconds.mean(), rel=1e-6)
        if mode == "variational" and active.any():
            assert row["active_encoder_variance"] == pytest.approx(np.exp(logvar)[:, active].mean(), rel=1e-6)
        else:
            assert row["active_encoder_variance"] is None
    assert (out / "summary.csv").read_text().splitlines()[0].startswith("arch,mode,seeds_planned,seeds_finished,test_loss_mean")
    assert "| 784-32-2 | variational | 1 of 1 |" in (out / "summary.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--arch", "784-32-2,100-2"], "--arch '100-2': the first layer must be 784 (28x28 pixels), not 100"),
    (["--seeds", "5-2"], "--seeds 5-2: the range 5-2 runs backwards; did you mean 2-5?"),
    (["--jobs", "0"], "--jobs 0: at least 1"),
    (["--executor", "spark"], "--executor 'spark': choose one of local, ray"),
    (["--address", "localhost:1"], "--address joins a Ray cluster: give it with --executor ray"),
])
def test_bad_sweep_input_is_one_line_and_trains_nothing(small_data_dir, tmp_path, args, message):
    base = sweep_args(small_data_dir, tmp_path / "sweep")
    for flag, value in zip(args[::2], args[1::2]):
        if flag in base:
            base[base.index(flag) + 1] = value
        else:
            base += [flag, value]
    result = cli(*base)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == f"Error: {message}"
    assert not (tmp_path / "sweep").exists()


def test_bad_config_files_and_folders_are_one_line(small_data_dir, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('arch = ["784-32-2"]\nmode = "variational\nseeds = "0"\n')
    result = cli("sweep", "--config", str(config), "--out", str(tmp_path / "s"))
    assert result.exit_code == 1 and f"Error: --config {config}: not valid TOML (" in result.output and "line 2" in result.output
    config.write_text('arch = ["784-32-2"]\nmodes = ["variational"]\n')
    result = cli("sweep", "--config", str(config), "--out", str(tmp_path / "s"))
    assert result.output.splitlines()[-1].startswith(f"Error: --config {config}: unknown key modes")
    (tmp_path / "file").write_text("not a folder")
    result = cli(*sweep_args(small_data_dir, tmp_path / "file"))
    assert result.output.splitlines()[-1] == f"Error: --out {tmp_path / 'file'}: a file, not a folder"
    assert (tmp_path / "file").read_text() == "not a folder" and not (tmp_path / "s").exists()


def test_an_unreachable_ray_address_is_one_line(small_data_dir, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (pip install '.[ray]')")
    result = cli(*sweep_args(small_data_dir, tmp_path / "s", "--executor", "ray", "--address", "127.0.0.1:1"))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("Error: --address 127.0.0.1:1: no Ray cluster answers there")
    assert not (tmp_path / "s").exists()


def test_lecture_config_plans_every_architecture_of_the_lecture():
    from sweep.plan import config_groups, read_config, spec_from

    given = read_config(ROOT / "sweeps" / "lecture.toml")
    spec = spec_from(config_groups(given), given["seeds"], {"epochs": given["epochs"], "track": given["track"]}, given["name"])
    members = spec.members()
    assert len(members) == 12 * 15 and {config.epochs for config in members} == {10} and spec.seeds == tuple(range(15))
    assert len(spec.archs) == 9 and "784-256-32-24-16" in spec.archs
    both = {config.arch for config in members if config.mode == "deterministic"}
    assert both == {"784-256-2", "784-256-32-8-2", "784-256-32-8-3"}


def test_ctrl_c_stops_the_workers_and_leaves_nothing_half_written(small_data_dir, tmp_path):
    out = tmp_path / "stopped"
    args = [*sweep_args(small_data_dir, out)[:8], "4", *sweep_args(small_data_dir, out)[9:], "--batch-size", "10"]
    driver = subprocess.Popen([sys.executable, "cli.py", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    wait_until(lambda: list(out.glob("*/checkpoints/model-e001.pt")), 120, "a member's first epoch")
    workers = worker_pids(driver.pid)
    driver.send_signal(signal.SIGINT)
    output, _ = driver.communicate(timeout=60)
    assert driver.returncode == 130 and output.strip().splitlines()[-1] == "interrupted; nothing partial was kept", output
    left = [path.name for path in out.rglob("*") if path.name.endswith((".lock", ".spare", ".retiring")) or ".partial" in path.name]
    assert left == []
    assert len(workers) >= 2 and not [pid for pid in workers if Path(f"/proc/{pid}").exists()]  # none left training
    result = cli(*args)
    assert result.exit_code == 0 and "2 members, 0 finished before" in result.output


def test_a_group_with_training_options_of_its_own_adds_one_remedy_not_a_product(tmp_path):
    """[[group]] tables that each name a training option give one set of members per group (the page
    beyond the lecture: a baseline beside each remedy), and an option on the command line replaces theirs."""
    from errors import ProjectError
    from sweep.plan import spec_from_options

    config = tmp_path / "remedies.toml"
    config.write_text('seeds = "0-1"\nepochs = 1\n[[group]]\narch = ["784-16-2"]\nmode = ["variational"]\n'
                      '[[group]]\narch = ["784-16-2"]\nmode = ["variational"]\nkl-warmup = 3\n'
                      '[[group]]\narch = ["784-16-2"]\nmode = ["variational"]\nactivation = "leaky-relu"\n')
    names = [config.run_name for config in spec_from_options(None, None, None, {"epochs": None}, config).members()]
    assert names == ["784-16-2-variational-s0", "784-16-2-variational-s1", "784-16-2-variational-s0-w3", "784-16-2-variational-s1-w3",
                     "784-16-2-variational-s0-leaky-relu", "784-16-2-variational-s1-leaky-relu"]
    names = [config.run_name for config in spec_from_options(None, None, None, {"epochs": None, "kl_warmup": "2"}, config).members()]
    assert names == ["784-16-2-variational-s0-w2", "784-16-2-variational-s1-w2",
                     "784-16-2-variational-s0-w2-leaky-relu", "784-16-2-variational-s1-w2-leaky-relu"]
    config.write_text('seeds = "0"\n[[group]]\narch = ["784-16-2"]\nmode = ["variational"]\nlr = 0.1\n')
    with pytest.raises(ProjectError, match="training options of its own"):
        spec_from_options(None, None, None, {"epochs": None}, config)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a machine with a GPU trains there")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_device_this_machine_lacks_is_refused_before_the_plan(small_data_dir, tmp_path, precision):
    """Once each member failed in turn on it, after the plan was written; now the sweep says it once and makes nothing."""
    result = cli("sweep", "--arch", "784-64-2", "--mode", "variational", "--seeds", "0-1", "--epochs", "1", "--device", "cuda",
                 "--matmul-precision", precision, "--data-dir", str(small_data_dir), "--out", str(tmp_path / "sweep"), "--quiet")
    assert result.exit_code == 1 and result.output.splitlines() == ["Error: --device cuda: no CUDA device is available to this PyTorch build"]
    assert not (tmp_path / "sweep").exists()
