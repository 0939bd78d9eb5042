"""Short real training runs: the run file's exact layout, reproducibility, kill-and-resume, CLI errors."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest

from helpers import ROOT, cli, wait_until
from train.lock import lock_path, training_lock

STEPS_PER_EPOCH = 20  # 2,000 images, batch 100


def train(small_data_dir, out, *args):
    result = cli("train", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def short_run(small_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "short"
    result = train(small_data_dir, out, "--epochs", "2", "--track", "2-per-class")
    return out, result.output


def test_run_file_layout(short_run, small_mnist):
    out, _ = short_run
    steps = 1 + 2 * STEPS_PER_EPOCH
    expected = {
        "tracked/index": ((20,), np.int64), "tracked/label": ((20,), np.uint8), "tracked/image": ((20, 28, 28), np.uint8),
        "trajectory/mu": ((steps, 20, 2), np.float32), "trajectory/logvar": ((steps, 20, 2), np.float32),
        "trajectory/epoch": ((steps,), np.int32), "trajectory/batch": ((steps,), np.int32),
        "trajectory/loss": ((steps, 2), np.float32),
        "epochs/train_loss": ((2, 2), np.float32), "epochs/test_loss": ((2, 2), np.float32),
        "encodings/mu": ((2, 500, 2), np.float32), "encodings/logvar": ((2, 500, 2), np.float32),
        "encodings/label": ((500,), np.uint8),
    }
    with h5py.File(out / "run.h5", "r") as run:
        for name, (shape, dtype) in expected.items():
            assert run[name].shape == shape and run[name].dtype == dtype, name
        assert run.attrs["schema_version"] == 5 and run.attrs["snapshots"] == ""  # no decoder snapshots asked
        assert run["epochs/dead_units"].shape == (2, 1) and 0 <= run["epochs/dead_units"][:].min() <= run["epochs/dead_units"][:].max() < 256
        config = json.loads(run.attrs["config"])
        assert config["arch"] == "784-256-2" and config["epochs"] == 2 and config["track"] == "2-per-class"
        assert "torch" in config["extra"]["versions"] and config["extra"]["started"]
        index = run["tracked/index"][:]
        assert np.array_equal(run["tracked/image"][:], small_mnist.train_images[index])
        assert np.array_equal(run["tracked/label"][:], small_mnist.train_labels[index])
        assert run["trajectory/epoch"][:].tolist() == [0] + [1] * 20 + [2] * 20
        assert run["trajectory/batch"][:].tolist() == [0] + list(range(20)) * 2
        loss = run["trajectory/loss"][:]
        assert np.isnan(loss[0]).all() and np.isfinite(loss[1:]).all() and (loss[1:] > 0).all()
        assert np.array_equal(run["encodings/label"][:], small_mnist.test_labels)
        # The epoch's train loss is the image-weighted mean of its batch losses.
        assert np.allclose(run["epochs/train_loss"][0], loss[1:21].mean(axis=0), rtol=1e-5)
    assert (out / "checkpoints" / "model-e002.pt").exists()


def test_training_learns_and_variances_shrink(short_run):
    out, output = short_run
    with h5py.File(out / "run.h5", "r") as run:
        radius = np.exp(run["trajectory/logvar"][:].sum(axis=-1) / 4)  # r = (sx^2 sy^2)^(1/4)
        test_loss = run["epochs/test_loss"][:].sum(axis=1)
    assert 0.7 < radius[0].mean() < 1.3  # untrained encoder: variance ~ 1
    assert radius[-1].mean() < 0.7 * radius[0].mean()  # 40 steps already shrink it
    assert test_loss[1] < test_loss[0] < 400
    assert "final test loss per image" in output and "inactive latent variables: " in output


def test_last_tracked_step_matches_the_saved_encoder(short_run):
    """The per-step codes (read from the digits' ink only) equal the full encoder of the epoch's checkpoint."""
    import torch

    from train.checkpoints import load_model

    out, _ = short_run
    model, _ = load_model(out, epoch=2)
    with h5py.File(out / "run.h5", "r") as run:
        pixels = torch.from_numpy(run["tracked/image"][:].reshape(-1, 784)).float() / 255
        last_mu, last_logvar = run["trajectory/mu"][-1], run["trajectory/logvar"][-1]
    with torch.no_grad():
        mu, logvar = model.encode(pixels)
    assert np.allclose(last_mu, mu.numpy(), atol=1e-5) and np.allclose(last_logvar, logvar.numpy(), atol=1e-5)


@pytest.mark.parametrize("layers", [(784, 2), (784, 64, 2), (784, 64, 16, 3)])
def test_tracking_pass_is_the_encoder(small_mnist, layers):
    """The bound per-step pass (ink-only first layer, in-place ReLUs, fused heads) gives the
    encoder's numbers for nets without, with one and with two hidden layers, step after step."""
    import torch

    from train.model import VAE, TrackingPass

    torch.manual_seed(0)
    model = VAE(layers)
    pixels = torch.from_numpy(small_mnist.train_images[:30].reshape(-1, 784)).float() / 255
    out = torch.full((2, 30, 2 * layers[-1]), float("nan"))
    track = TrackingPass(model, pixels, out)
    with torch.no_grad():
        for step in range(2):
            track(step)
            mu, logvar = model.encode(pixels)
            assert torch.allclose(out[step], torch.cat([mu, logvar], dim=1), atol=1e-5)
            for parameter in model.parameters():  # an optimizer step: the pass must follow the weights in place
                parameter.add_(0.01 * torch.randn_like(parameter))


def test_dead_units_are_the_units_no_test_digit_activates(small_mnist):
    """Units killed by hand (a bias no digit overcomes) are counted, layer by layer, and nothing else is."""
    import torch

    from train.loop import _generator, evaluate
    from train.model import VAE

    def dead_units(model, images):  # counted on the test pass's own hidden layers
        return evaluate(model, images, "variational", _generator(torch.device("cpu"), 0, 1, 3))[3]

    torch.manual_seed(0)
    model = VAE((784, 64, 16, 3))
    first, second = model.encoder[0], model.encoder[2]
    with torch.no_grad():
        first.bias[:5] = -1e4  # five of 64 first-layer units never fire
        second.weight.zero_()
        second.bias[:] = torch.tensor([-1.0] * 12 + [1.0] * 4)  # twelve of 16 never fire, four always do
    images = torch.from_numpy(small_mnist.test_images.reshape(-1, 784))
    assert dead_units(model, images).tolist() == [5, 12]
    assert dead_units(VAE((784, 2)), images).tolist() == []  # no hidden layer, nothing to count


def test_the_summary_names_a_run_whose_encoder_died(small_data_dir, tmp_path):
    # A one-unit bottleneck at a large learning rate: its single ReLU dies in the first epoch (seed 0).
    result = train(small_data_dir, tmp_path / "dead", "--epochs", "1", "--arch", "784-256-1-2", "--lr", "0.05", "--track", "1-per-class")
    assert result.exit_code == 0
    assert "1 of 1" in result.output and "the encoder is dead: every test input maps to one code" in result.output
    info = cli("info", str(tmp_path / "dead"))
    assert "dead units of 256-1" in info.output and "the encoder is dead" in info.output


def test_same_seed_same_numbers(short_run, small_data_dir, tmp_path):
    out, _ = short_run
    train(small_data_dir, tmp_path / "again", "--epochs", "2", "--track", "2-per-class")
    with h5py.File(out / "run.h5", "r") as first, h5py.File(tmp_path / "again" / "run.h5", "r") as second:
        for name in ("trajectory/mu", "trajectory/logvar", "encodings/mu", "epochs/test_loss"):
            assert np.array_equal(first[name][:], second[name][:]), name


def test_deterministic_mode_keeps_the_layout(small_data_dir, tmp_path):
    result = train(small_data_dir, tmp_path / "det", "--epochs", "1", "--mode", "deterministic", "--arch", "784-64-8-3", "--track", "1-per-class")
    # The summary shows no encoder variances: nothing trains them without sampling.
    assert "(untrained without sampling)" in result.output
    assert [line.split()[3] for line in result.output.splitlines() if line.strip().startswith(("0 ", "1 ", "2 "))] == ["-"] * 3
    with h5py.File(tmp_path / "det" / "run.h5", "r") as run:
        assert run["trajectory/logvar"].shape == (21, 10, 3)
        mu, penalty = run["encodings/mu"][0], run["epochs/test_loss"][0, 1]
    # Without sampling the penalty is exactly the mean of 0.5 |mu|^2 over the test set.
    assert penalty == pytest.approx(0.5 * (mu.astype(np.float64) ** 2).sum(axis=1).mean(), rel=1e-4)


def test_info_reports_the_run(short_run):
    out, _ = short_run
    result = cli("info", str(out))
    assert result.exit_code == 0
    assert "steps recorded: 41" in result.output and "epochs completed: 2 of 2  (finished)" in result.output
    assert "inactive latent variables" in result.output


def _train_process(small_data_dir, out, *args):
    return subprocess.Popen([sys.executable, "cli.py", "train", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet",
                             "--arch", "784-512-256-2", "--track", "1-per-class", "--epochs", "12", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def kill_after_first_epoch(small_data_dir, out, *args) -> None:
    """`train` at `out`, SIGKILLed once its first epoch's resume state is saved (the last write of an
    epoch): the run goes on from epoch 2, or 3 if the second ended before the kill."""
    process = _train_process(small_data_dir, out, *args)
    wait_until(lambda: (out / "checkpoints" / "resume.pt").exists(), 120, "the first epoch's resume state")
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_sigkill_leaves_a_readable_file_and_resume_completes_it(small_data_dir, tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    process = _train_process(small_data_dir, killed, "--epochs", "8")
    # kill somewhere after the third epoch, mid-flush or mid-epoch
    wait_until(lambda: (killed / "checkpoints" / "model-e003.pt").exists(), 120, "the third epoch's checkpoint")
    process.send_signal(signal.SIGKILL)
    process.wait()

    with h5py.File(killed / "run.h5", "r") as run:  # readable, and whole epochs only
        epochs_done = run["epochs/test_loss"].shape[0]
        assert 2 <= epochs_done < 8
        assert run["trajectory/mu"].shape[0] == 1 + STEPS_PER_EPOCH * epochs_done
        assert run["trajectory/epoch"][-1] == epochs_done
        assert run["encodings/mu"].shape[0] == epochs_done

    result = cli("train", "--resume", "--out", str(killed), "--data-dir", str(small_data_dir), "--quiet")
    assert result.exit_code == 0, result.output
    assert not list(killed.rglob("*.partial*"))  # a write cut short by the kill is cleaned up by the next one
    assert not list(killed.glob("run.h5.*"))  # and so is the spare the killed run kept
    assert _train_process(small_data_dir, clean, "--epochs", "8").wait() == 0
    with h5py.File(killed / "run.h5", "r") as resumed, h5py.File(clean / "run.h5", "r") as uninterrupted:
        for name in ("trajectory/mu", "trajectory/logvar", "trajectory/epoch", "trajectory/batch", "trajectory/loss",
                     "encodings/mu", "epochs/test_loss", "epochs/train_loss"):
            assert np.array_equal(resumed[name][:], uninterrupted[name][:], equal_nan=True), name


def test_a_resumed_run_goes_on_with_the_same_kl_warm_up_step_for_step(small_data_dir, tmp_path):
    """--kl-warmup counts steps over the whole run: killed in the warm-up and resumed, the weight goes on
    where it was (a count restarted at the resumed epoch would train other numbers)."""
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    options = ("--arch", "784-128-2", "--epochs", "3", "--kl-warmup", "2", "--beta", "0.5", "--free-bits", "0.05")
    kill_after_first_epoch(small_data_dir, killed, *options)  # the run goes on from epoch 2 (mid-warm-up) or 3
    with h5py.File(killed / "run.h5", "r") as run:
        assert 1 <= run["epochs/test_loss"].shape[0] < 3  # killed before the end
    result = cli("train", "--resume", "--out", str(killed), "--data-dir", str(small_data_dir), "--quiet")
    assert result.exit_code == 0, result.output
    assert _train_process(small_data_dir, clean, *options).wait() == 0
    with h5py.File(killed / "run.h5", "r") as resumed, h5py.File(clean / "run.h5", "r") as uninterrupted:
        assert json.loads(resumed.attrs["config"])["kl_warmup"] == 2
        for name in ("trajectory/mu", "trajectory/logvar", "trajectory/loss", "encodings/mu", "epochs/test_loss", "epochs/train_loss"):
            assert np.array_equal(resumed[name][:], uninterrupted[name][:], equal_nan=True), name


def test_a_run_in_training_is_neither_resumed_nor_overwritten_by_another_process(small_data_dir, tmp_path):
    out = tmp_path / "busy"
    process = _train_process(small_data_dir, out, "--epochs", "40")  # long enough to outlast the checks below
    try:
        wait_until(lambda: (out / "checkpoints" / "model-e001.pt").exists(), 120, "the first epoch's checkpoint")
        alias = tmp_path / "alias"
        alias.symlink_to(out)  # the same run by another name: once trained a second time in parallel
        for flag, name in (("--resume", out), ("--overwrite", out), ("--resume", alias), ("--overwrite", alias)):
            result = cli("train", flag, "--out", str(name), "--data-dir", str(small_data_dir), "--quiet",
                                               "--arch", "784-512-256-2", "--track", "1-per-class", "--epochs", "40")
            assert result.exit_code == 1
            assert result.output.splitlines()[-1] == (f"Error: {name} is being trained by another process (pid {process.pid}); "
                                                      "let it finish or stop it first")
            assert (out / "run.h5").exists()
        assert f"(training now, pid {process.pid})" in cli("info", str(out)).output
        assert process.poll() is None  # it was still training through all of the above
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert f"(stopped; continue with: python cli.py train --resume --out {out})" in cli("info", str(out)).output
    with training_lock(out):  # the lock went with the killed process (the SIGKILL test resumes through it)
        pass
    assert not lock_path(out).exists()


@pytest.mark.parametrize("args, message", [
    (["train", "--arch", "100-2"], "first layer must be 784"),
    (["train", "--track", "0-per-class"], "N-per-class needs N >= 1"),
    (["train", "--track", "indices:99999"], "outside the training set"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--mode", "sampling"], "--mode"),
    (["train", "--resume"], "--resume: no run file"),
    (["train", "--lr", "nan"], "nan is not a finite number"),
    (["train", "--lr", "inf"], "inf is not a finite number"),
    (["train", "--seed", str(2**32)], "--seed"),
    (["train", "--track", "indices:99999999999999999999999"], "index 99999999999999999999999 is outside the training set"),
    (["train", "--arch", "784-100000-2"], "at most 65,536 units a hidden layer"),
    (["train", "--arch", "784-256-300"], "the latent size (the last number) can be at most 256"),
    (["info", "no/such/run"], "no such run file"),
])
def test_bad_input_gets_one_clear_line(args, message, small_data_dir, tmp_path):
    if args[0] == "train":
        args = [*args, "--data-dir", str(small_data_dir), "--out", str(tmp_path / "run"), "--quiet"]
    result = cli(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert isinstance(result.exception, SystemExit)  # a one-line error, not a bug's exception


def test_an_output_path_that_cannot_be_made_gets_one_line(small_data_dir, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    result = cli("train", "--data-dir", str(small_data_dir), "--out", str(tmp_path / "notes.txt" / "run"), "--quiet")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: cannot create the run directory {tmp_path / 'notes.txt' / 'run'}: Not a directory"


def test_existing_run_is_not_overwritten(short_run, small_data_dir):
    out, _ = short_run
    before = (out / "run.h5").stat().st_mtime_ns
    result = cli("train", "--data-dir", str(small_data_dir), "--out", str(out), "--epochs", "1")
    assert result.exit_code == 1 and "--overwrite" in result.output
    assert (out / "run.h5").stat().st_mtime_ns == before


def test_info_refuses_a_file_that_is_not_a_run(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other["x"] = [1, 2]
    for path, message in ((tmp_path / "notes.txt", "not an HDF5 run file"), (tmp_path / "other.h5", "not a vae-trajectories run file")):
        result = cli("info", str(path))
        assert result.exit_code == 1 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_overwrite_with_bad_data_keeps_the_old_run(short_run, tmp_path, monkeypatch):
    out, _ = short_run
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(tmp_path / "empty-cache"))
    (tmp_path / "broken").mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / "broken" / name).write_bytes(b"\x00\x00\x08\x03garbage")
    result = cli("train", "--data-dir", str(tmp_path / "broken"), "--out", str(out), "--overwrite", "--quiet")
    assert result.exit_code == 1 and "not a valid IDX file" in result.output
    assert h5py.File(out / "run.h5", "r")["epochs/test_loss"].shape == (2, 2)


def test_a_loss_that_is_no_longer_finite_stops_training_with_one_line(small_data_dir, tmp_path):
    out = tmp_path / "diverged"
    result = cli("train", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", "--arch", "784-32-2",
                                       "--track", "1-per-class", "--epochs", "3", "--lr", "1e6")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == (f"Error: epoch 1: the loss is no longer a finite number, so training stopped; "
                                              f"{out} keeps no finished epoch (a smaller --lr may help)")
    with h5py.File(out / "run.h5", "r") as run:  # the run file is whole, holding what was finished
        assert run["epochs/test_loss"].shape[0] == 0 and run["trajectory/mu"].shape[0] == 1
    assert not (out / "checkpoints").exists() or not list((out / "checkpoints").glob("model-*.pt"))


def test_resume_without_its_state_keeps_the_run_and_says_what_to_do(short_run, small_data_dir, tmp_path):
    """It once trained again from step 0, cutting a finished run back, with exit code 0."""
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(short_run[0], out)
    (out / "checkpoints" / "resume.pt").unlink()
    before = (out / "run.h5").read_bytes()
    result = cli("train", "--resume", "--out", str(out), "--data-dir", str(small_data_dir), "--quiet")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.splitlines()[-1] == (f"Error: {out / 'checkpoints' / 'resume.pt'} is missing, so training cannot continue where "
                                              "epoch 2 ended; the run is kept as it is (render it, or train it again from the start with --overwrite)")
    assert (out / "run.h5").read_bytes() == before


def test_a_resume_state_of_another_net_is_one_line(short_run, small_data_dir, tmp_path):
    import shutil

    import torch

    out = tmp_path / "copy"
    shutil.copytree(short_run[0], out)
    state = torch.load(out / "checkpoints" / "resume.pt", weights_only=True)
    state["model"] = {key: value[..., :1] for key, value in state["model"].items()}  # right keys, wrong shapes
    torch.save(state, out / "checkpoints" / "resume.pt")
    result = cli("train", "--resume", "--out", str(out), "--data-dir", str(small_data_dir), "--quiet")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "resume.pt: the checkpoint does not fit this run" in result.output.splitlines()[-1]


# -- --overwrite replaces a run, and nothing else --------------------------------------------------
def _train_args(small_data_dir, out, *args):
    return ["train", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", "--arch", "784-32-2", "--track", "1-per-class",
            "--epochs", "1", *args]


def test_overwrite_refuses_a_folder_that_is_not_a_run(small_data_dir, tmp_path):
    """It once deleted any folder, and said a folder of notes "already holds a run"."""
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "thesis.tex").write_text("x")
    for extra, message in (([], f"Error: {folder} is not empty and holds no run (thesis.tex); choose another --out"),
                           (["--overwrite"], f"Error: {folder} is not empty and holds no run (thesis.tex); choose another --out")):
        result = cli(*_train_args(small_data_dir, folder, *extra))
        assert result.exit_code == 1 and result.output.splitlines()[-1] == message
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]


def test_overwrite_refuses_a_run_with_foreign_files_in_it(short_run, small_data_dir, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(short_run[0], run)
    (run / "notes.txt").write_text("keep me")
    (run / "checkpoints" / "my-model.pt").write_text("mine")
    result = cli(*_train_args(small_data_dir, run, "--overwrite"))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (f"Error: {run} holds files that are not part of a run (checkpoints/my-model.pt, notes.txt); "
                                              "--overwrite replaces only a run's own files: move them, or choose another --out")
    assert (run / "notes.txt").read_text() == "keep me" and (run / "run.h5").read_bytes() == (short_run[0] / "run.h5").read_bytes()


def test_overwrite_that_fails_in_its_first_epoch_gives_the_old_run_back(short_run, small_data_dir, tmp_path):
    """It once deleted the old run first, and left a step-0 run that could not be resumed."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(short_run[0], run)
    before = {path.relative_to(run): path.read_bytes() for path in run.rglob("*") if path.is_file()}
    result = cli(*_train_args(small_data_dir, run, "--overwrite", "--lr", "1e6"))  # the loss diverges in epoch 1
    assert result.exit_code == 1 and "the loss is no longer a finite number" in result.output
    assert f"the new run stopped before its first epoch ended; the old run is back in {run}" in result.output
    assert {path.relative_to(run): path.read_bytes() for path in run.rglob("*") if path.is_file()} == before


def test_overwrite_through_a_symlinked_folder_replaces_the_run_it_points_to(short_run, small_data_dir, tmp_path):
    import shutil

    run, alias = tmp_path / "run", tmp_path / "alias"
    shutil.copytree(short_run[0], run)
    alias.symlink_to(run)
    result = cli(*_train_args(small_data_dir, alias, "--overwrite"))
    assert result.exit_code == 0, result.output
    assert alias.is_symlink() and sorted(p.name for p in run.iterdir()) == ["checkpoints", "run.h5"]
    with h5py.File(run / "run.h5", "r") as replaced:
        assert json.loads(replaced.attrs["config"])["arch"] == "784-32-2" and replaced["epochs/test_loss"].shape[0] == 1


def test_a_replacing_run_killed_before_its_first_epoch_gives_the_old_run_back(short_run, small_data_dir, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(short_run[0], run)
    before, old_file = (run / "run.h5").read_bytes(), (run / "run.h5").stat().st_ino
    process = _train_process(small_data_dir, run, "--overwrite", "--epochs", "3", "--batch-size", "10")  # a long first epoch

    def new_run_started():  # the new run file (written whole, with step 0) is in place, the old one set aside
        try:
            return (run / "run.h5").stat().st_ino != old_file and any(run.glob(".replaced-*/run.h5"))
        except FileNotFoundError:
            return False

    wait_until(new_run_started, 60, "the new run's step 0 beside the old run set aside")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert any(run.glob(".replaced-*"))
    result = cli("train", "--resume", "--out", str(run), "--data-dir", str(small_data_dir), "--quiet")
    assert result.exit_code == 0, result.output
    assert (run / "run.h5").read_bytes() == before and not any(run.glob(".replaced-*"))
