"""`train --loss-precision fast`: the same training, a reconstruction recorded to ~1e-6 of PyTorch's."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from cli import main
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
    members go on recording PyTorch's value, bit for bit as if never stopped; new ones are fast."""
    from helpers import cli

    def sweep(out, seeds, epochs, *extra):
        result = cli("sweep", "--arch", "784-32-2", "--mode", "variational", "--seeds", seeds, "--epochs", str(epochs), "--track",
                     "1-per-class", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", *extra)
        assert result.exit_code == 0, result.output
        return result.output

    sweep(tmp_path / "straight", "0", 2, "--loss-precision", "exact")
    sweep(tmp_path / "begun", "0", 1, "--loss-precision", "exact")
    output = sweep(tmp_path / "begun", "0-1", 2)  # one more epoch for seed 0, and a new member
    assert "would change" not in output
    member = "784-32-2-variational-s0"
    with h5py.File(tmp_path / "straight" / member / "run.h5") as want, h5py.File(tmp_path / "begun" / member / "run.h5") as got:
        assert '"loss_precision": "exact"' in got.attrs["config"]
        for name in ("trajectory/loss", "epochs/train_loss", "epochs/test_loss", "trajectory/mu"):
            assert np.array_equal(got[name][()], want[name][()], equal_nan=True), name
    with h5py.File(tmp_path / "begun" / "784-32-2-variational-s1" / "run.h5") as new:
        assert '"loss_precision": "fast"' in new.attrs["config"]


def test_a_run_file_from_before_the_option_reads_as_exact():
    from train.config import RunConfig

    assert RunConfig.from_saved({"arch": "784-32-2"}).loss_precision == "exact"
    assert RunConfig.from_saved({"arch": "784-32-2", "loss_precision": "fast"}).loss_precision == "fast"
    assert RunConfig().loss_precision == "fast"
