"""A sum of many floats whose rounding does not depend on how many threads torch has.

PyTorch sums a large tensor into one number in as many pieces as it has threads and then adds the
pieces, so a batch's recorded loss (78,400 pixels) and the test loss came out a few ulps apart
between `train --threads 1` and `--threads 2`, and between a sweep's member (one thread a worker)
and the same run trained alone. Summing one dimension at a time keeps every output's order fixed:
PyTorch shares such a reduction among its outputs and never splits one output's sum. What is left
is a vector short enough for PyTorch to sum on one thread. A reduction that already ran on one
thread is left as it was, so its numbers stay bit for bit what they were.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# PyTorch sums fewer elements than its grain (at::internal::GRAIN_SIZE, 32,768) on the calling thread:
# tests/test_sums.py checks that this still holds for the torch installed.
SERIAL = 32_767
_WIDTH = 1024  # a long vector is summed in rows of this many (zero-padded: adding 0 rounds nothing)


def ordered_sum(values: torch.Tensor) -> torch.Tensor:
    """The sum of every element of `values`, rounded the same at any thread count (half floats summed in float32)."""
    if values.dtype in (torch.float16, torch.bfloat16):
        return ordered_sum(values.float()).to(values.dtype)
    values = values.contiguous()  # a transposed view's sum is split among threads inside its outputs' columns
    while values.numel() > SERIAL:
        rows = values.reshape(-1, values.shape[-1])
        if len(rows) < 2:  # one output: PyTorch would split its sum among threads; rows of _WIDTH instead
            rows = F.pad(rows.reshape(-1), (0, -values.numel() % _WIDTH)).view(-1, _WIDTH)
        values = rows.sum(-1)
    return values.sum()
