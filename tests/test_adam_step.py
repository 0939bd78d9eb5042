"""AdamStep: the fused Adam update without the optimizer's Python, bit for bit the optimizer's own."""

from __future__ import annotations

import io

import pytest
import torch

from train.adam_step import AdamStep
from train.model import VAE


def _train(steps: int, lean: bool, reload_at: int | None = None) -> tuple[VAE, torch.optim.Adam]:
    """A small VAE trained `steps` Adam steps on fixed random data; with `reload_at`, the optimizer's
    state goes through torch.save and load_state_dict before that step, as a resumed run's does."""
    torch.manual_seed(0)
    model = VAE((784, 32, 8, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
    adam = AdamStep(optimizer)
    data = torch.Generator().manual_seed(1)
    for step in range(steps):
        if step == reload_at:
            saved = io.BytesIO()
            torch.save(optimizer.state_dict(), saved)
            saved.seek(0)
            optimizer.load_state_dict(torch.load(saved, weights_only=True))
        x = torch.rand(16, 784, generator=data)
        adam.zero_grad() if lean else optimizer.zero_grad(set_to_none=True)
        logits, _, _ = model(x, sample=True, generator=data)
        torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum").backward()
        adam.step() if lean else optimizer.step()
    return model, optimizer


@pytest.mark.parametrize("reload_at", [None, 3])
def test_adam_step_is_the_optimizers_step_bit_for_bit(reload_at):
    plain_model, plain = _train(6, lean=False, reload_at=reload_at)
    lean_model, lean = _train(6, lean=True, reload_at=reload_at)
    for (name, want), got in zip(plain_model.state_dict().items(), lean_model.state_dict().values()):
        assert torch.equal(want, got), name
    for want, got in zip(plain.state.values(), lean.state.values()):
        assert want.keys() == got.keys() and all(torch.equal(want[key], got[key]) for key in want)
    assert [float(state["step"]) for state in lean.state.values()] == [6.0] * len(lean.state)


def test_adam_step_refuses_an_optimizer_it_would_not_replay():
    model = VAE((784, 8, 2))
    with pytest.raises(ValueError, match="fused Adam"):
        AdamStep(torch.optim.Adam(model.parameters(), fused=False))
    with pytest.raises(ValueError, match="fused Adam"):
        AdamStep(torch.optim.Adam(model.parameters(), fused=True, amsgrad=True))
