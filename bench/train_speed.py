"""Seconds per training epoch: ours with tracking on and off, against the classic PyTorch example.

Baseline (hand-written, as in pytorch/examples vae/main.py): torchvision `datasets.MNIST` with
`DataLoader(transform=ToTensor())`, the 784-400-20 VAE, batch 128, Adam 1e-3.
Ours: defaults (784-256-2 variational, batch 100, 60 tracked digits), full MNIST, CPU.
Goal: ours with tracking <= 0.6x the baseline epoch; tracking overhead <= 5%.

    python bench/train_speed.py [--repeats 3] [--pairs 25]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from data.idx import IDX_NAMES  # noqa: E402
from data.mnist import cache_dir, load_mnist  # noqa: E402
from train.config import RunConfig  # noqa: E402
from train.loop import Trainer  # noqa: E402


class ClassicVAE(nn.Module):
    """The 784-400-20 VAE of pytorch/examples, verbatim in structure."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def baseline_epoch_seconds(root: Path) -> float:
    from torchvision import datasets, transforms

    loader = torch.utils.data.DataLoader(datasets.MNIST(str(root), train=True, transform=transforms.ToTensor()), batch_size=128, shuffle=True)
    model = ClassicVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    started = time.perf_counter()
    for data, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(data)
        loss = F.binary_cross_entropy(recon, data.view(-1, 784), reduction="sum") - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


def median_interval(values: list[float], coverage: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval for the median: the k-th smallest and k-th largest of n values,
    with the widest k whose binomial coverage is still >= `coverage`.

    The overhead is a few percent and single pairs scatter by more than that, so a bare median of
    15 pairs moved by a point between runs; the interval says how far this run's figure can be trusted.
    """
    ordered, n = sorted(values), len(values)
    k = 1
    while k + 1 <= n // 2 and 1 - 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n >= coverage:
        k += 1
    return ordered[k - 1], ordered[n - k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="baseline epochs")
    parser.add_argument("--pairs", type=int, default=25, help="paired epochs of ours, tracking on and off")
    args = parser.parse_args()
    mnist = load_mnist()
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "MNIST" / "raw"  # torchvision's layout, pointing at our cache
        raw.mkdir(parents=True)
        for base in IDX_NAMES.values():
            (raw / base).symlink_to(cache_dir() / base)
        baseline = [baseline_epoch_seconds(Path(scratch)) for _ in range(args.repeats)]

        trainer = Trainer(RunConfig(device="cpu"), mnist, Path(scratch) / "run", progress=False)
        trainer.train_epoch(1)  # warm-up
        tracked, untracked = [], []
        for epoch in range(args.pairs):  # pairs in alternating order, so drift and warm-up hit both sides equally
            for track in (True, False) if epoch % 2 == 0 else (False, True):
                (tracked if track else untracked).append(trainer.train_epoch(epoch + 2, track=track).seconds)

    base, on, off = (statistics.median(values) for values in (baseline, tracked, untracked))
    # The overhead is judged pair by pair: this machine's speed drifts by more than the effect.
    overheads = [a / b - 1 for a, b in zip(tracked, untracked)]
    overhead, (low, high) = statistics.median(overheads), median_interval(overheads)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    print(f"baseline (torchvision DataLoader+ToTensor, 784-400-20, batch 128): {base:6.2f} s/epoch")
    print(f"ours, tracking on  (784-256-2, batch 100, 60 digits):          {on:6.2f} s/epoch  = {on / base:.2f}x baseline (goal <= 0.60x)")
    print(f"ours, tracking off:                                            {off:6.2f} s/epoch  = {off / base:.2f}x baseline")
    print(f"tracking overhead: {100 * overhead:+.1f}% (median of {args.pairs} paired epochs, 95% interval "
          f"{100 * low:+.1f}% to {100 * high:+.1f}%; goal <= 5%)")


if __name__ == "__main__":
    main()
