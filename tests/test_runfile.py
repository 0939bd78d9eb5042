"""Appending epochs to the run file: whole epochs only, no copy of the run per flush, and never a
change under a reader."""

from __future__ import annotations

import subprocess
import sys

import h5py
import numpy as np
import pytest

from train import runfile
from train.runfile import EpochAppender, EpochResult, RunFile, Steps

N_TRACKED, LATENT, STEPS, N_TEST = 3, 2, 5, 7


def epoch_result(epoch: int) -> EpochResult:
    rng = np.random.default_rng(epoch)
    steps = Steps(mu=rng.standard_normal((STEPS, N_TRACKED, LATENT), np.float32),
                  logvar=rng.standard_normal((STEPS, N_TRACKED, LATENT), np.float32),
                  epoch=np.full(STEPS, epoch, np.int32), batch=np.arange(STEPS, dtype=np.int32),
                  loss=rng.random((STEPS, 2), np.float32))
    return EpochResult(steps=steps, train_loss=rng.random(2, np.float32), test_loss=rng.random(2, np.float32), seconds=float(epoch),
                       test_mu=rng.standard_normal((N_TEST, LATENT), np.float32), test_logvar=rng.standard_normal((N_TEST, LATENT), np.float32))


@pytest.fixture
def run_path(tmp_path):
    path = tmp_path / runfile.RUN_FILE_NAME
    zeros = np.zeros((N_TRACKED, LATENT), np.float32)
    runfile.create(path, "{}", np.arange(N_TRACKED), np.arange(N_TRACKED, dtype=np.uint8), np.zeros((N_TRACKED, 28, 28), np.uint8),
                   np.zeros(N_TEST, np.uint8), zeros, zeros)
    return path


def assert_holds_epochs(path, epochs: int) -> None:
    """`path` holds step 0 and exactly epochs 1..`epochs`, with their values."""
    results = [epoch_result(epoch) for epoch in range(1, epochs + 1)]
    with h5py.File(path, "r") as run:
        assert run["epochs/test_loss"].shape[0] == epochs
        assert run["trajectory/mu"].shape[0] == 1 + STEPS * epochs
        assert np.array_equal(run["trajectory/mu"][1:], np.reshape([r.steps.mu for r in results], (-1, N_TRACKED, LATENT)))
        assert np.array_equal(run["trajectory/epoch"][1:], np.repeat(np.arange(1, epochs + 1), STEPS))
        assert np.array_equal(run["encodings/mu"][:], np.reshape([r.test_mu for r in results], (-1, N_TEST, LATENT)))
        assert np.array_equal(run["epochs/seconds"][:], np.arange(1, epochs + 1))


def test_each_flush_extends_the_spare_instead_of_copying_the_run(run_path):
    inodes = []
    with EpochAppender(run_path) as appender:
        if not appender.keep_spares:
            pytest.skip("this file system does not enforce HDF5's file locks, so every flush copies")
        for epoch in range(1, 5):
            appender.append(epoch_result(epoch))
            assert_holds_epochs(run_path, epoch)
            assert_holds_epochs(appender.spare, epoch - 1)  # the file just replaced, one epoch behind
            inodes.append(run_path.stat().st_ino)
    # Two files take turns: after the first copy, no flush makes a new one.
    assert inodes[2] == inodes[0] and inodes[3] == inodes[1] != inodes[0]
    assert sorted(p.name for p in run_path.parent.iterdir()) == ["run.h5"]  # leaving deletes the spare


def test_a_reader_holding_the_file_never_sees_it_change(run_path):
    """The file a reader has open becomes the next spare; HDF5's lock makes the appender copy instead."""
    reader = subprocess.Popen([sys.executable, "-c", """
import sys, h5py
sys.stdin.readline()
run = h5py.File(sys.argv[1], "r")
for _ in (0, 1):
    print(run["epochs/test_loss"].shape[0], float(run["trajectory/mu"][:].sum()), flush=True)
    sys.stdin.readline()
""", str(run_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask() -> str:
        reader.stdin.write("\n")
        reader.stdin.flush()
        return reader.stdout.readline()

    held = run_path.with_name("held.h5")  # a second name for the file the reader opens, to compare its bytes
    try:
        with EpochAppender(run_path) as appender:
            appender.append(epoch_result(1))
            held.hardlink_to(run_path)
            bytes_before = held.read_bytes()
            seen_before = ask()
            for epoch in (2, 3, 4):
                appender.append(epoch_result(epoch))
            seen_after = ask()
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert seen_before.split()[0] == "1" and seen_after == seen_before
    assert held.read_bytes() == bytes_before
    assert_holds_epochs(run_path, 4)


def test_spares_left_by_a_killed_flush_are_thrown_away(run_path):
    (run_path.parent / "run.h5.spare").write_bytes(b"half a file")
    (run_path.parent / "run.h5.retiring").write_bytes(b"\x89HDF\r\n")
    with EpochAppender(run_path) as appender:
        appender.append(epoch_result(1))
        appender.append(epoch_result(2))
    assert_holds_epochs(run_path, 2)
    assert sorted(p.name for p in run_path.parent.iterdir()) == ["run.h5"]


def test_a_failed_flush_keeps_the_run_as_it_was(run_path):
    appender = EpochAppender(run_path)
    appender.append(epoch_result(1))
    broken = epoch_result(2)
    broken.test_mu = np.zeros((N_TEST + 1, LATENT), np.float32)  # does not fit encodings/mu
    with pytest.raises((TypeError, ValueError)):
        appender.append(broken)
    assert_holds_epochs(run_path, 1)
    assert not appender.spare.exists()
    appender.append(epoch_result(2))  # and the next flush starts over from a copy
    assert_holds_epochs(run_path, 2)


def test_without_reader_locks_every_flush_copies(run_path, monkeypatch):
    """Where a reader's lock cannot be seen, a spare could change under it: keep none."""
    monkeypatch.setenv("HDF5_USE_FILE_LOCKING", "FALSE")
    with EpochAppender(run_path) as appender:
        assert not appender.keep_spares
        for epoch in range(1, 4):
            appender.append(epoch_result(epoch))
            assert not appender.spare.exists()
    assert_holds_epochs(run_path, 3)
    assert sorted(p.name for p in run_path.parent.iterdir()) == ["run.h5"]


def test_a_run_file_reads_one_snapshot_while_training_appends(run_path):
    """A render reads several arrays; with a flush between two reads they once disagreed (IndexError)."""
    with EpochAppender(run_path) as appender:
        appender.append(epoch_result(1))
        with RunFile(run_path) as run:
            epochs_first = run.trajectory().epoch
            appender.append(epoch_result(2))
            appender.append(epoch_result(3))  # the held file is now the spare: the appender copies instead
            assert run.trajectory().batch.shape == epochs_first.shape == (1 + STEPS,)
            assert run.epochs_done == 1 and run.steps_recorded == 1 + STEPS
    assert_holds_epochs(run_path, 3)
    with RunFile(run_path) as run:
        assert run.epochs_done == 3
