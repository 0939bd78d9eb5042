"""The reconstruction's binary cross-entropy without its slowest kernels (`train --loss-precision fast`).

`F.binary_cross_entropy_with_logits` takes log(1 + e^-|x|) from SLEEF's single-precision log1p,
which on this project's CPUs costs 10-18 ns a pixel: ~0.8 ms of a 784-256-2 step at batch 100,
as long as a third of the step's matrix products (issue 31). Its gradient never reads that value:
it is sigmoid(x) - t, which training computes anyway. So this loss takes the value from that
sigmoid s: softplus(x) = max(x, 0) - log(max(s, 1 - s)) (the larger of s and 1 - s is e^-softplus(-|x|)),
and sums the logs of 112 pixels at a time as the log of their product (each factor is in [0.5, 1],
so a product of 112 stays a normal float): ~70 us a batch of 100 against ~790 us. The rest,
max(x, 0) - t x, is summed per pixel: both sums add non-negative terms, so nothing cancels, and a
batch's sum is as close to the exact one as PyTorch's own float sum is (~1e-7 of itself on MNIST,
within ~1e-6 near a perfect fit; each pixel's term within a few ulps of |x| + 1: tests/test_fast_loss.py). A run trained with it has the very same weights, codes and dead
units as one trained without; only the reconstruction it records differs.
"""

from __future__ import annotations

import torch

from train.sums import ordered_sum

_CHUNK = 112  # pixels whose log is taken as one product: 784 = 7 x 112, and 0.5^112 is still a normal float


def softplus_sum_minus_dot(logits: torch.Tensor, target: torch.Tensor, probabilities: torch.Tensor | None = None) -> torch.Tensor:
    """sum(softplus(x) - t x), the BCE of logits x summed, from `probabilities` = sigmoid(x) if given."""
    s = torch.sigmoid(logits) if probabilities is None else probabilities
    larger = torch.maximum(s, torch.rsub(s, 1)).reshape(-1)  # e^-log1p(e^-|x|), in [0.5, 1]
    if larger.numel() % _CHUNK == 0 and torch.finfo(larger.dtype).tiny < 0.5 ** _CHUNK:
        log_larger = ordered_sum(larger.view(-1, _CHUNK).prod(dim=1).log_())
    else:  # a half float's product of 112 would underflow
        log_larger = ordered_sum(larger.log_())
    # max(x, 0) - t x is >= 0 for t in [0, 1], as -log(larger) is: two sums of non-negative terms, nothing cancels
    linear = ordered_sum(torch.relu(logits).addcmul_(target, logits, value=-1))
    return linear - log_larger


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
