"""A full disk, on a real small file system: one line saying so, nothing half-written, and a run
that continues once space is freed."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from helpers import cli

TRAIN = ["--arch", "784-64-2", "--track", "1-per-class", "--epochs", "8", "--quiet"]


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_training_on_a_full_disk_stops_with_one_line_and_resumes_once_there_is_room(small_disk, small_data_dir, tmp_path):
    """It once ended in tracebacks from torch.save and h5py, and its --resume in a segmentation fault."""
    disk = small_disk.path
    run = disk / "run"
    result = cli("train", "--data-dir", str(small_data_dir), "--out", str(run), *TRAIN)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    last = result.output.splitlines()[-1]
    assert last.startswith(f"Error: the disk holding {run}") and "is full" in last and "free some space" in last
    kept = files_under(disk)
    assert all(name == "run" or name.startswith("run/") for name in kept)  # no lock, spare or temporary left
    assert not [name for name in kept if "partial" in name or name.endswith((".spare", ".retiring"))]
    info = cli("info", str(run))
    assert info.exit_code == 0 and "stopped; continue with" in info.output  # the run file is whole

    small_disk.resize("64M")
    resumed = cli("train", "--resume", "--out", str(run), "--data-dir", str(small_data_dir), "--quiet")
    assert resumed.exit_code == 0, resumed.output
    clean = cli("train", "--data-dir", str(small_data_dir), "--out", str(tmp_path / "clean"), *TRAIN)
    assert clean.exit_code == 0, clean.output
    with h5py.File(run / "run.h5", "r") as first, h5py.File(tmp_path / "clean" / "run.h5", "r") as second:
        for name in ("trajectory/mu", "trajectory/loss", "encodings/mu", "epochs/test_loss"):
            assert np.array_equal(first[name][:], second[name][:], equal_nan=True), name


def test_rendering_on_a_full_disk_is_one_line_and_leaves_nothing(small_disk, tmp_path):
    from helpers import synthetic_run

    run, disk = synthetic_run(tmp_path / "run"), small_disk.path
    (disk / "filler").write_bytes(bytes(2_040_000))  # ~55 KiB left
    for args, name in ((["trajectories", "--epochs", "1-2", "--size", "1920x1080", "--duration", "20s", "--quiet"], "clip.mp4"),
                       (["trajectories", "--epochs", "1-2", "--size", "1920x1080", "--duration", "20s", "--quiet", "--format", "gif"], "clip.gif"),
                       (["latent"], "latent.png")):
        result = cli("render", *args, "--run", str(run), "--out", str(disk / name))
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.output.splitlines()[-1] == (f"Error: the disk holding {disk} is full: {name} could not be written, and "
                                                  "nothing half-written was kept; free some space and run the command again")
        assert files_under(disk) == ["filler"]
