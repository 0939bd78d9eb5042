"""The reconstruction's binary cross-entropy without its slowest kernels (`train --loss-precision fast`).

`F.binary_cross_entropy_with_logits` takes log(1 + e^-|x|) from SLEEF's single-precision log1p,
which on this project's CPUs costs 10-18 ns a pixel: ~0.8 ms of a 784-256-2 step at batch 100,
as long as a third of the step's matrix products (issue 31). Its gradient never reads that value:
it is sigmoid(x) - t, which training computes anyway. So this loss takes the value from that
sigmoid s: softplus(x) = max(x, 0) - log(max(s, 1 - s)) (the larger of s and 1 - s is e^-softplus(-|x|)),
and sums the logs of 112 pixels at a time as the log of their product (each factor is in [0.5, 1],
so a product of 112 stays a normal float): ~70 us a batch of 100 against ~790 us. Each pixel's term
is within ~1e-7 of the exact one (the rounding of s and of 1 - s), so a batch's sum is within ~1e-6
of itself (tests/test_fast_loss.py). A run trained with it has the very same weights, codes and dead
units as one trained without; only the reconstruction it records differs.
"""

from __future__ import annotations

import torch

_CHUNK = 112  # pixels whose log is taken as one product: 784 = 7 x 112, and 0.5^112 is still a normal float


def softplus_sum_minus_dot(logits: torch.Tensor, target: torch.Tensor, probabilities: torch.Tensor | None = None) -> torch.Tensor:
    """sum(softplus(x) - t x), the BCE of logits x summed, from `probabilities` = sigmoid(x) if given."""
    s = torch.sigmoid(logits) if probabilities is None else probabilities
    larger = torch.maximum(s, torch.rsub(s, 1)).reshape(-1)  # e^-log1p(e^-|x|), in [0.5, 1]
    if larger.numel() % _CHUNK == 0:
        log_larger = larger.view(-1, _CHUNK).prod(dim=1).log_().sum()
    else:
        log_larger = larger.log_().sum()
    return torch.relu(logits).sum() - log_larger - torch.dot(target.reshape(-1), logits.reshape(-1))


class _BinaryCrossEntropySum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, target)
        return softplus_sum_minus_dot(logits, target)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, target = ctx.saved_tensors
        return (logits.sigmoid() - target).mul_(grad), None  # binary_cross_entropy_with_logits_backward, no weights


def binary_cross_entropy_sum(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """`F.binary_cross_entropy_with_logits(logits, target, reduction="sum")`, to ~1e-6 of it, with the same gradient."""
    return _BinaryCrossEntropySum.apply(logits, target)
