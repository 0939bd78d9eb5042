"""The reconstruction's binary cross-entropy without its slowest kernel (`train --loss-precision fast`).

`F.binary_cross_entropy_with_logits` takes log(1 + e^-|x|) from SLEEF's single-precision log1p,
which on this project's CPUs costs 10-18 ns a pixel: 0.8 ms of a 4.6 ms 784-256-2 step at batch 100
on an idle core (1.1-1.5 ms under load), a third to a half of the step's matrix products (issue
31). Its gradient never reads that value: it is sigmoid(x) - t. So this loss computes the same sum with log1p(e) = log(u) - ((u - 1) - e) / u,
u = 1 + e (one single-precision log, a few ulps from log1p), and takes its gradient exactly as
PyTorch does. A run trained with it has the very same weights, codes and dead units as one trained
without; only the reconstruction it records differs, by about a millionth of itself (measured in
BENCHMARKS.md; tests/test_fast_loss.py holds it to 1e-6 a batch, 1e-5 a run).
"""

from __future__ import annotations

import torch


def _softplus_sum_minus_dot(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """sum(softplus(x) - t x) = sum(max(x, 0) - t x + log1p(e^-|x|)): the BCE of logits x, summed."""
    e = logits.abs().neg_().exp_()
    u = e + 1
    log1p = torch.log(u).sub_(torch.sub(u, 1).sub_(e).div_(u))  # log(u) corrected by the rounding of 1 + e
    return log1p.add_(torch.relu(logits)).sum() - torch.dot(target.reshape(-1), logits.reshape(-1))


class _BinaryCrossEntropySum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(logits, target)
        return _softplus_sum_minus_dot(logits, target)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, target = ctx.saved_tensors
        return (logits.sigmoid() - target).mul_(grad), None  # binary_cross_entropy_with_logits_backward, no weights


def binary_cross_entropy_sum(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """`F.binary_cross_entropy_with_logits(logits, target, reduction="sum")`, to ~1e-6 of it, with the same gradient."""
    return _BinaryCrossEntropySum.apply(logits, target)
