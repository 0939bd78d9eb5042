"""The hand-written training step trains the very net autograd trains: same gradients, same weights, bit for bit."""

from __future__ import annotations

import copy

import pytest
import torch

from train.adam_step import AdamStep
from train.dense_step import DenseStep
from train.model import VAE, Objective, loss_terms


def _autograd_step(model: VAE, adam: AdamStep, objective: Objective, mode: str, x: torch.Tensor, noise: torch.Generator, step: int):
    """The training step as the loop wrote it before the hand-written one: autograd through the net."""
    logits, mu, logvar = model(x, sample=mode == "variational", generator=noise)
    reconstruction, penalty = loss_terms(logits, x, mu, logvar, mode)
    adam.zero_grad()
    objective(reconstruction, penalty, mu, logvar, mode, step).backward()
    adam.step()
    return reconstruction.detach(), penalty.detach()


def _twins(layers, activation, init="default"):
    torch.manual_seed(0)
    model = VAE(layers, activation, init)
    twin = copy.deepcopy(model)
    adams = [AdamStep(torch.optim.Adam(net.parameters(), lr=1e-2, fused=True)) for net in (model, twin)]
    return (model, adams[0]), (twin, adams[1])


CASES = [((784, 32, 8, 2), "relu", Objective()), ((784, 2), "relu", Objective()), ((784, 16, 3), "leaky-relu", Objective()),
         ((784, 24, 8, 4), "elu", Objective()), ((784, 32, 8, 4), "relu", Objective(beta=0.3, warmup_steps=5, free_bits=0.4)),
         ((784, 32, 16), "leaky-relu", Objective(free_bits=0.25)), ((784, 16, 2), "relu", Objective(beta=2.0)),
         ((784, 16, 1), "relu", Objective()), ((784, 1, 2), "elu", Objective())]  # width 1: a 1-row batch is column-major there


@pytest.mark.parametrize("mode", ["variational", "deterministic"])
@pytest.mark.parametrize("layers, activation, objective", CASES)
def test_the_hand_written_step_trains_autograds_net_bit_for_bit(layers, activation, objective, mode):
    (model, adam), (twin, twin_adam) = _twins(layers, activation, init="glorot" if activation == "elu" else "default")
    step = DenseStep(model, adam, objective, mode, fast_loss=False)
    data = torch.Generator().manual_seed(1)
    for number in range(8):  # past the warm-up, so weights 0, fractions and 1 all occur
        rows = {6: 1, 7: 13}.get(number, 20)  # a batch of one digit, and a short last batch
        x = torch.rand(rows, 784, generator=data) * (torch.rand(1, 784, generator=data) > 0.5)
        seed = int(torch.randint(0, 1000, (), generator=data))
        got = step(x, torch.Generator().manual_seed(seed), number)
        want = _autograd_step(twin, twin_adam, objective, mode, x, torch.Generator().manual_seed(seed), number)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1]), number
        for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values()):
            assert torch.equal(a, b), f"step {number}: {name}"
    assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(), VAE(layers, activation).state_dict().values()))


def test_a_fast_step_trains_the_same_weights_and_records_the_loss_to_a_millionth():
    (model, adam), (twin, twin_adam) = _twins((784, 32, 8, 2), "relu")
    fast, exact = DenseStep(model, adam, Objective(), "variational", fast_loss=True), DenseStep(twin, twin_adam, Objective(), "variational", False)
    data = torch.Generator().manual_seed(2)
    for number in range(5):
        x = torch.rand(50, 784, generator=data)
        got, want = fast(x, torch.Generator().manual_seed(number), number), exact(x, torch.Generator().manual_seed(number), number)
        assert abs(got[0].item() - want[0].item()) <= 1e-6 * want[0].item() and torch.equal(got[1], want[1])
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)
