"""Appending epochs to the run file: whole epochs only, no copy of the run per flush, and never a
change under a reader."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import h5py
import numpy as np
import pytest

from errors import ProjectError
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


# -- the schema table and the checks made at open ---------------------------------------------
def test_every_dataset_of_the_table_is_created_with_its_dtype_and_shape(run_path):
    sizes = {"steps": 1, "epochs": 0, "n": N_TRACKED, "d": LATENT, "n_test": N_TEST, "h": 1}  # "{}": the default 784-256-2
    with h5py.File(run_path, "r") as handle:
        names = set()
        handle.visititems(lambda name, item: names.add(name) if isinstance(item, h5py.Dataset) else None)
        assert names == {dataset.name for dataset in runfile.DATASETS}
        for dataset in runfile.DATASETS:
            assert handle[dataset.name].dtype == np.dtype(dataset.dtype), dataset.name
            assert handle[dataset.name].shape == tuple(sizes.get(axis, axis) for axis in dataset.shape), dataset.name
            if dataset.grows:
                assert handle[dataset.name].maxshape[0] is None, dataset.name


def test_typed_readers_return_what_was_appended(run_path):
    append_epoch = runfile.append_epoch
    for epoch in (1, 2):
        append_epoch(run_path, epoch_result(epoch))
    with RunFile(run_path) as run:
        assert (run.epochs_done, run.steps_recorded, run.latent_dim, run.tracked_count) == (2, 1 + 2 * STEPS, LATENT, N_TRACKED)
        second = run.trajectory(2, 2)  # from the last step of epoch 1 to the end of epoch 2
        assert second.epoch.tolist() == [1] + [2] * STEPS and np.array_equal(second.mu[1:], epoch_result(2).steps.mu)
        assert run.trajectory(0, 0).epoch.tolist() == [0] and np.isnan(run.trajectory(0, 0).loss).all()
        assert run.batches_per_epoch() == {1: STEPS, 2: STEPS}
        assert np.array_equal(run.encodings(2).mu, epoch_result(2).test_mu)
        assert run.encoding_history().mu.shape == (2, N_TEST, LATENT)
        assert np.array_equal(run.losses().test[0], epoch_result(1).test_loss)
        assert run.tracked().index.tolist() == list(range(N_TRACKED))
        assert run.config.arch == "784-256-2" and run.config.variational  # "{}": every option at its default


def _damage(path, how) -> None:
    with h5py.File(path, "a") as handle:
        how(handle)


def _resize(name, rows):
    return lambda handle: handle[name].resize(rows, axis=0)


def _replace(name, value):
    def how(handle):
        del handle[name]
        handle[name] = value
    return how


def _set_attr(name, value):
    def how(handle):
        handle.attrs[name] = value
    return how


@pytest.mark.parametrize("how, message", [
    (_set_attr("schema_version", 99), "schema_version 99 is newer than this program (5); update it"),
    (_set_attr("schema_version", "one"), "schema_version 'one' is not a whole number"),
    (_set_attr("config", "[1, 2]"), "its config attribute is not a JSON object (found list)"),
    (_set_attr("config", "{not json"), "its config attribute is not JSON"),
    (_set_attr("config", '{"epochs": "many"}'), "its config is not valid"),
    (_set_attr("config", '{"arch": "784-16-5"}'), "its config says latent size 5 (--arch 784-16-5), its datasets hold 2"),
    (_resize("trajectory/batch", 0), "datasets disagree in length: trajectory/batch has 0 steps, trajectory/mu has 6"),
    (_resize("epochs/seconds", 3), "datasets disagree in length: epochs/seconds has 3 epochs"),
    (_replace("encodings/label", np.zeros(N_TEST + 1, np.uint8)), "datasets disagree in length: encodings/label has 8 test images, encodings/mu has 7"),
    (_replace("tracked/image", np.zeros((N_TRACKED, 28), np.uint8)), "tracked/image has 2 axes, expected 3"),
    (_replace("tracked/label", np.zeros(N_TRACKED, np.float64)), "tracked/label is float64, expected uint8"),
    (lambda handle: handle.__delitem__("epochs/test_loss"), "the run file holds no per-epoch losses (epochs/test_loss missing)"),
])
def test_a_damaged_structure_is_one_line_naming_the_file(run_path, how, message):
    runfile.append_epoch(run_path, epoch_result(1))
    _damage(run_path, how)
    with pytest.raises(ProjectError) as error:
        RunFile(run_path)
    assert str(error.value).startswith(f"{run_path}: ") and message in str(error.value), str(error.value)
    assert "\n" not in str(error.value)


def test_a_file_cut_short_is_one_line(run_path):
    runfile.append_epoch(run_path, epoch_result(1))
    data = run_path.read_bytes()
    run_path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ProjectError, match=f"^{run_path}: "):
        RunFile(run_path)


def test_files_of_an_older_schema_stay_readable(run_path, monkeypatch):
    """A later schema adds a dataset (with the version that added it): a file of today's version,
    which lacks it, still opens and reads, and a new file is created with it."""
    newer = runfile.Dataset("epochs/grad_norm", np.float32, (runfile.EPOCHS,), since=6)
    monkeypatch.setattr(runfile, "SCHEMA_VERSION", 6)
    monkeypatch.setattr(runfile, "DATASETS", (*runfile.DATASETS, newer))
    monkeypatch.setattr(runfile, "SCHEMA", {**runfile.SCHEMA, newer.name: newer})
    with RunFile(run_path) as run:  # written as version 5 by the fixture
        assert run.schema_version == 5 and run.steps_recorded == 1
    fresh = run_path.with_name("fresh.h5")
    runfile.create(fresh, "{}", np.arange(N_TRACKED), np.zeros(N_TRACKED, np.uint8), np.zeros((N_TRACKED, 28, 28), np.uint8),
                   np.zeros(N_TEST, np.uint8), np.zeros((N_TRACKED, LATENT), np.float32), np.zeros((N_TRACKED, LATENT), np.float32))
    with h5py.File(fresh, "r") as handle:
        assert handle.attrs["schema_version"] == 6 and handle["epochs/grad_norm"].shape == (0,)
    _damage(fresh, lambda handle: handle.__delitem__("epochs/grad_norm"))
    with pytest.raises(ProjectError, match="epochs/grad_norm missing"):
        RunFile(fresh)  # a version-6 file must have it


def test_version_1_files_read_as_runs_without_snapshots(run_path):
    """Version 2 added the `snapshots` attribute (where decoder snapshots lie); a version-1 file has none."""
    runfile.append_epoch(run_path, epoch_result(1))
    with RunFile(run_path) as run:
        assert run.schema_version == 5 and run.snapshots is None  # created without snapshots: empty
    _damage(run_path, lambda handle: (handle.attrs.__setitem__("schema_version", 1), handle.attrs.__delitem__("snapshots")))
    with RunFile(run_path) as run:
        assert run.schema_version == 1 and run.snapshots is None and run.epochs_done == 1
        assert run.trajectory().mu.shape[0] == run.steps_recorded
    _damage(run_path, lambda handle: (handle.attrs.__setitem__("schema_version", 2), handle.attrs.__setitem__("snapshots", "../../etc/{epoch}")))
    with pytest.raises(ProjectError, match="is not the pattern this program writes"):
        RunFile(run_path).snapshots


def test_dead_units_are_kept_per_epoch_and_older_files_go_on_without_them(run_path):
    """Version 3 added epochs/dead_units; a version-2 file reads (no dead units) and a resumed run
    appends to it as version 2."""
    measured = epoch_result(1)
    runfile.append_epoch(run_path, replace(measured, dead_units=np.array([7], np.int32)))  # the fixture's 784-256-2: one hidden layer
    runfile.append_epoch(run_path, epoch_result(2))  # not measured
    with RunFile(run_path) as run:
        assert run.dead_units().tolist() == [[7], [-1]]
    _damage(run_path, lambda handle: (handle.attrs.__setitem__("schema_version", 2), handle.__delitem__("epochs/dead_units")))
    runfile.append_epoch(run_path, replace(epoch_result(3), dead_units=np.array([9], np.int32)))
    runfile.truncate_to_epochs(run_path, 2)
    with RunFile(run_path) as run:
        assert run.schema_version == 2 and run.dead_units() is None and run.epochs_done == 2


@pytest.mark.parametrize("name, reader, where", [
    ("trajectory/mu", lambda run: run.trajectory(2, 2), "epoch 2"),
    ("encodings/logvar", lambda run: run.encodings(2), "epoch 2"),
    ("epochs/test_loss", lambda run: run.losses(), "epochs 1-2"),
])
def test_values_that_are_not_finite_are_refused_where_they_are_read(run_path, name, reader, where):
    for epoch in (1, 2):
        runfile.append_epoch(run_path, epoch_result(epoch))
    with h5py.File(run_path, "a") as handle:
        handle[name][-1] = np.inf  # the last row: in epoch 2
    with RunFile(run_path) as run:  # opening reads no values
        assert run.trajectory(1, 1).mu.shape[0] == 1 + STEPS and run.encodings(1).mu.shape == (N_TEST, LATENT)
        assert np.isnan(run.trajectory(0, 1).loss[0]).all()  # step 0's loss is NaN by design: no error
        with pytest.raises(ProjectError, match=f"^{run_path}: {name} holds values that are not finite numbers \\({where}\\)$"):
            reader(run)
