"""Training flushes subnormal floats: Adam's stuck moments become zero, and no weight moves differently."""

from __future__ import annotations

import torch

from data.mnist import read_directory
from train.adam_step import AdamStep
from train.config import RunConfig
from train.denormals import flushing, subnormals_flushed
from train.loop import Trainer

SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


def _a_unit_that_dies(steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights whose gradient is 1e-3 for one step and zero ever after, as a ReLU unit's incoming
    weights are once it is dead: their weights and Adam's first moment after `steps` steps."""
    weight = torch.nn.Parameter(torch.tensor([0.25, -0.031, 1.5e-3, -7.0]))
    adam = AdamStep(torch.optim.Adam([weight], lr=1e-3, fused=True))
    for step in range(steps):
        adam.grads[0].fill_(1e-3 if step == 0 else 0.0)
        adam.step()
    return weight.detach().clone(), adam.optimizer.state[weight]["exp_avg"].clone()


def test_a_dead_units_moment_sticks_below_the_normal_floats_and_flushing_it_moves_no_weight():
    plain_weight, plain_moment = _a_unit_that_dies(1_000)  # 0.9^1000 * 1e-4 is far below the smallest float
    with subnormals_flushed():
        flushed_weight, flushed_moment = _a_unit_that_dies(1_000)
    # what makes Adam slow: a tenth of a few ulps rounds to nothing, so the moment never reaches zero
    assert ((plain_moment != 0) & (plain_moment.abs() < SMALLEST_NORMAL)).all(), plain_moment
    assert torch.equal(flushed_moment, torch.zeros(4))
    assert torch.equal(flushed_weight, plain_weight)


def test_an_epoch_flushes_while_it_trains_and_puts_back_what_was_before(small_data_dir, tmp_path):
    config = RunConfig(arch="784-16-2", epochs=1, track="1-per-class", seed=0)
    trainer = Trainer(config, read_directory(small_data_dir), tmp_path / "run", progress=False)
    step, seen = trainer.train_step, []
    trainer.train_step = lambda *args: (seen.append(flushing()), step(*args))[1]  # asked at every step
    trainer.train_epoch(1)
    assert len(seen) == 20 and all(seen)  # 2,000 digits in batches of 100
    assert not flushing()  # the rest of the process computes with subnormals as before
    with subnormals_flushed():
        with subnormals_flushed():
            assert flushing()
        assert flushing()  # an inner block leaves the outer one flushing
    assert not flushing()
    assert 0 < float(torch.full((1,), 1e-39)) < SMALLEST_NORMAL  # the probe's premise: 1e-39 is a float32 subnormal
