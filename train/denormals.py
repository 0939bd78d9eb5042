"""Training with subnormal floats flushed to zero: the same weights, without the CPU's slow path.

A weight whose gradient is zero (every incoming weight of a dead ReLU unit: ~90 of 256 first-layer
units in 784-256-32-8-2) keeps an Adam first moment that decays by 0.9 a step into the subnormal
range and then sticks there, since a tenth of a few ulps rounds to nothing: 15-20% of that net's
moments after epoch 2. x86 CPUs compute with subnormal operands far slower than with normal ones,
so every step's Adam paid for them (issue 31). Flushed, such a moment is zero instead of ~1e-40;
the update it made, lr * m / (sqrt(v) + eps), was below lr * 1.2e-30 and moved no weight above ~1e-23 at lr <= 1,
so runs train the very same weights (BENCHMARKS.md: whole runs compared bit for bit).

The flag is the CPU thread's (MXCSR): it covers a run on one thread, as every sweep member runs;
with more threads, work done on the pool's other threads keeps the slow path, not other numbers.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def subnormals_flushed():
    """Flush subnormal floats to zero on this thread for the block, then restore PyTorch's default."""
    flushing = torch.set_flush_denormal(True)  # False where the CPU has no such mode: nothing changed
    try:
        yield
    finally:
        if flushing:
            torch.set_flush_denormal(False)
