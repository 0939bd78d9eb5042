"""Training with subnormal floats flushed to zero: the same weights, without the CPU's slow path.

A weight whose gradient is zero (every incoming weight of a dead ReLU unit: ~90 of 256 first-layer
units in 784-256-32-8-2) keeps an Adam first moment that decays by 0.9 a step into the subnormal
range and then sticks there, since a tenth of a few ulps rounds to nothing: 14-23% of the lecture's
nets' moments after a few epochs. x86 CPUs compute with subnormal operands far slower than with
normal ones, so every step's Adam paid for them (issue 31). Flushed, such a moment is zero instead
of ~1e-40; the update it made, lr * m / (sqrt(v) + eps), was below lr * 1.2e-30 and moved no weight
above ~1e-23 at lr <= 1, so runs train the very same weights (BENCHMARKS.md: whole runs and the
15-seed lecture compared bit for bit).

The flags (FTZ and DAZ) are the CPU thread's: they cover a run on one thread, as every sweep member
runs. With more threads, the pool's other threads keep the flags they started with (a pool begun
inside a flushed epoch flushes for good): a question of speed only, since the numbers are the same.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch


def flushing() -> bool:
    """Whether this thread flushes subnormal floats now: twice the float32 1e-39 is then 0."""
    return float(torch.full((1,), 1e-39) * 2) == 0.0


@contextmanager
def subnormals_flushed():
    """Flush subnormal floats to zero on this thread for the block, then put back what was before."""
    before = flushing()
    flushed = torch.set_flush_denormal(True)  # False where the CPU has no such mode: nothing changed
    try:
        yield
    finally:
        if flushed and not before:
            torch.set_flush_denormal(False)
