"""A run's numbers do not depend on torch's thread count: `train --threads 1` and `--threads 2` record the same."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from test_train import _train_process, kill_after_first_epoch

from helpers import cli
from train.sums import SERIAL, ordered_sum


@pytest.fixture
def threads():
    """Sets torch's threads for the test, and puts the count it found back after."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def _at(threads, count: int, work):
    threads(count)
    return work()


@pytest.mark.parametrize("shape", [(100, 784), (2000, 784), (70_000,), (1, 70_000), (1, 1, 70_000), (3, 5, 40_000), (SERIAL + 1,)])
@pytest.mark.parametrize("transposed", [False, True])
def test_a_sum_rounds_the_same_at_any_thread_count(threads, shape, transposed):
    values = torch.randn(*shape, generator=torch.Generator().manual_seed(0)).exp()
    values = values.transpose(0, -1) if transposed else values  # a view whose memory runs across its last dimension
    one = _at(threads, 1, lambda: ordered_sum(values))
    assert all(torch.equal(one, _at(threads, count, lambda: ordered_sum(values))) for count in (2, 3, 5))
    assert float(one) == pytest.approx(float(values.double().sum()), rel=1e-6)  # and it is the sum


def test_half_floats_are_summed_in_float32_and_rounded_once():
    values = torch.full((300, 784), 0.1, dtype=torch.float16)  # 23,520 in all; half a float16's ulp there is 8
    assert float(ordered_sum(values)) == float(values.float().sum().half()) == pytest.approx(23_520, rel=1e-3)


def test_a_sum_of_whole_numbers_is_exact_whatever_its_shape():
    for shape in [(100, 784), (70_001,), (7, 9_999)]:
        values = torch.arange(int(np.prod(shape)), dtype=torch.float32).remainder_(7).reshape(shape)  # 0..6: partial sums stay exact
        assert float(ordered_sum(values)) == float(values.double().sum())


def test_a_reduction_under_the_serial_size_runs_on_one_thread(threads):
    """What `ordered_sum` leaves to PyTorch: a sum of at most SERIAL elements, done on the calling thread
    (PyTorch's grain); were a newer torch to split it, runs would depend on their threads again."""
    values = torch.randn(SERIAL, generator=torch.Generator().manual_seed(1)).exp()
    assert all(torch.equal(_at(threads, 1, values.sum), _at(threads, count, values.sum)) for count in (2, 3, 4))


def _datasets(path) -> dict[str, np.ndarray]:
    with h5py.File(path) as run:
        names = []
        run.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)  # None: go on
        return {name: run[name][()] for name in names}


def test_a_run_records_the_same_numbers_at_one_and_two_threads_and_resumed_across_them(small_data_dir, tmp_path):
    """A lecture member's settings (batch 100, 6 digits a class): trained with one thread (a sweep's worker), with two
    (`train` alone, all cores), and killed at one thread then resumed at two: every dataset of the run file the same,
    bit for bit, but the epochs' seconds."""
    options = ("--arch", "784-64-8-2", "--track", "6-per-class", "--epochs", "3")
    for count in (1, 2):
        assert _train_process(small_data_dir, tmp_path / f"t{count}", *options, "--threads", str(count)).wait() == 0
    kill_after_first_epoch(small_data_dir, tmp_path / "resumed", *options, "--threads", "1")
    resumed = cli("train", "--resume", "--out", tmp_path / "resumed", "--data-dir", small_data_dir, "--quiet", "--threads", "2")
    assert resumed.exit_code == 0, resumed.output
    one = _datasets(tmp_path / "t1" / "run.h5")
    assert {"trajectory/mu", "trajectory/loss", "epochs/test_loss", "encodings/mu"} <= set(one) and len(one["epochs/test_loss"]) == 3
    for other in ("t2", "resumed"):
        got = _datasets(tmp_path / other / "run.h5")
        assert set(got) == set(one)
        for name in sorted(set(one) - {"epochs/seconds"}):
            assert np.array_equal(one[name], got[name], equal_nan=True), f"{other}: {name}"
