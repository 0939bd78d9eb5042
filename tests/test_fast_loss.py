"""`train --loss-precision fast`: the same training, a reconstruction recorded to ~1e-6 of PyTorch's."""

from __future__ import annotations

import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from test_sweep import alive, worker_pids

from cli import main
from helpers import ROOT, cli, wait_until
from train.fast_loss import binary_cross_entropy_sum


@pytest.mark.parametrize("scale", [0.01, 1.0, 8.0, 40.0])
def test_the_fast_sum_is_pytorchs_to_a_millionth_with_the_very_same_gradient(scale):
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(64, 784, generator=generator) * scale - scale / 2).requires_grad_()
    target = torch.rand(64, 784, generator=generator) * (torch.rand(64, 784, generator=generator) > 0.7)
    exact = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
    fast = binary_cross_entropy_sum(logits, target)
    assert abs(fast.item() - exact.item()) <= 1e-6 * exact.item()
    (exact_grad,) = torch.autograd.grad(exact + 1.0, logits)
    (fast_grad,) = torch.autograd.grad(fast + 1.0, logits)
    assert torch.equal(fast_grad, exact_grad)


@pytest.mark.parametrize("pixels", [1, 784])  # a lone pixel takes the plain log, an image the log of products
def test_each_pixels_term_is_off_by_the_rounding_of_its_logit_at_most(pixels):
    """Saturated logits included: a term's error is the rounding of sigmoid(x), of 1 - sigmoid(x) and of
    max(x, 0) - t x (a few of a float's ulps, 6e-8 of |x| + 1 each), never more: no term is lost or blown up."""
    generator = torch.Generator().manual_seed(3)
    logits = torch.cat([torch.tensor([30.0, -30.0, 17.0, -17.0, 0.0, 1e-3, -1e-3, 88.0, -88.0]),
                        torch.randn(775, generator=generator) * 20])
    target = torch.rand(784, generator=generator).round()
    want = F.binary_cross_entropy_with_logits(logits.double(), target.double(), reduction="none")
    for start in range(0, 784, pixels):
        part = slice(start, start + pixels)
        got = binary_cross_entropy_sum(logits[part][None], target[part][None]).item()
        exact, scale = want[part].sum().item(), (logits[part].abs() + 1).sum().item()
        assert abs(got - exact) <= 2.5e-7 * scale, (start, got, exact)  # ~4 roundings: sigmoid is within ~2 ulp


def test_a_fast_run_trains_the_same_net_and_records_nearly_the_same_loss(small_data_dir, tmp_path):
    for precision in ("exact", "fast"):
        result = CliRunner().invoke(main, ["train", "--data-dir", str(small_data_dir), "--out", str(tmp_path / precision), "--quiet",
                                           "--arch", "784-32-8-2", "--epochs", "2", "--track", "1-per-class", "--loss-precision", precision])
        assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "exact" / "run.h5") as exact, h5py.File(tmp_path / "fast" / "run.h5") as fast:
        for name in ("trajectory/mu", "trajectory/logvar", "encodings/mu", "encodings/logvar", "epochs/dead_units"):
            assert np.array_equal(exact[name][()], fast[name][()]), name
        for name in ("trajectory/loss", "epochs/train_loss", "epochs/test_loss"):
            want, got = exact[name][()], fast[name][()]
            assert np.allclose(got, want, rtol=1e-5, atol=0, equal_nan=True), name
        assert not np.array_equal(exact["trajectory/loss"][1:, 0], fast["trajectory/loss"][1:, 0])  # it is another computation
        assert '"loss_precision": "fast"' in fast.attrs["config"]


def test_a_sweep_gives_every_member_the_precision_its_file_names(tmp_path):
    from errors import ProjectError
    from sweep.plan import config_groups, read_config, spec_from

    plan = tmp_path / "fast.toml"
    plan.write_text('arch = ["784-32-2", "784-32-8-2"]\nmode = ["variational"]\nseeds = "0-1"\nloss-precision = "fast"\n')
    given = read_config(plan)
    spec = spec_from(config_groups(given), given["seeds"], {"loss_precision": given["loss_precision"]})
    assert [member.loss_precision for member in spec.members()] == ["fast"] * 4
    plan.write_text('arch = ["784-32-2"]\nmode = ["variational"]\nseeds = "0"\nloss-precision = 1\n')
    with pytest.raises(ProjectError, match="loss_precision = 1 is not text"):
        read_config(plan)
    with pytest.raises(ProjectError, match="--loss-precision 'rough': choose one of exact, fast"):
        spec_from([("784-32-2", "variational")], "0", {"loss_precision": "rough"})


def test_a_member_started_exact_keeps_its_precision_when_the_sweep_runs_again(small_data_dir, tmp_path):
    """The default became fast (issue 31): a sweep begun before is neither refused nor mixed. Its
    killed members go on recording PyTorch's value, bit for bit as if never stopped; a new one is fast."""
    def args(out, seeds, *extra):
        return ["sweep", "--arch", "784-32-2", "--mode", "variational", "--seeds", seeds, "--epochs", "3", "--batch-size", "20",
                "--track", "1-per-class", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", *extra]

    # Two members a sweep, so every run trains on 2 workers x 1 thread (a lone member gets both cores' threads, and the
    # test set's larger products then round otherwise)
    result = cli(*args(tmp_path / "straight", "0-1", "--loss-precision", "exact"))
    assert result.exit_code == 0, result.output
    begun = tmp_path / "begun"
    driver = subprocess.Popen([sys.executable, "cli.py", *args(begun, "0-1", "--loss-precision", "exact")], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: len(list(begun.glob("*/checkpoints/model-e001.pt"))) == 2, 120, "both members' first epoch")
    workers = worker_pids(driver.pid)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    wait_until(lambda: not any(map(alive, workers)), 60, "the workers ending with their driver")
    done = []
    for run_file in begun.glob("*/run.h5"):
        with h5py.File(run_file) as run:
            done.append(run["epochs/test_loss"].shape[0])
    assert min(done) < 3  # a member was stopped part-way
    result = cli(*args(begun, "0-2"))  # the default precision now: fast
    assert result.exit_code == 0 and "would change" not in result.output, result.output
    assert "2 members begun before keep the loss precision exact they started with" in result.output
    for member in ("784-32-2-variational-s0", "784-32-2-variational-s1"):
        with h5py.File(tmp_path / "straight" / member / "run.h5") as want, h5py.File(begun / member / "run.h5") as got:
            assert '"loss_precision": "exact"' in got.attrs["config"]
            for name in ("trajectory/loss", "epochs/train_loss", "epochs/test_loss", "trajectory/mu"):
                assert np.array_equal(got[name][()], want[name][()], equal_nan=True), (member, name)
    with h5py.File(begun / "784-32-2-variational-s2" / "run.h5") as new:
        assert '"loss_precision": "fast"' in new.attrs["config"]


def test_a_run_file_from_before_the_option_reads_as_exact():
    from train.config import RunConfig

    assert RunConfig.from_saved({"arch": "784-32-2"}).loss_precision == "exact"
    assert RunConfig.from_saved({"arch": "784-32-2", "loss_precision": "fast"}).loss_precision == "fast"
    assert RunConfig().loss_precision == "fast"
