"""Per-dimension statistics of test-set encodings, and which latent variables have collapsed.

A latent variable is inactive when its mean barely varies over the inputs (variance of the mean
below 0.01): the decoder cannot read anything from it, and the encoder variance sits near 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INACTIVE_THRESHOLD = 0.01
DEAD_SPREAD = 1e-6  # the widest range of any latent mean over the test set below which the encoder is dead


@dataclass(frozen=True)
class LatentStats:
    mean_of_mu: np.ndarray  # (d,)
    variance_of_mu: np.ndarray  # (d,) over the test set
    mean_variance: np.ndarray  # (d,) mean encoder variance exp(logvar)

    @property
    def inactive(self) -> np.ndarray:
        return self.variance_of_mu < INACTIVE_THRESHOLD

    @property
    def inactive_count(self) -> int:
        return int(self.inactive.sum())


def latent_stats(mu: np.ndarray, logvar: np.ndarray) -> LatentStats:
    """Statistics over axis -2 (the test images) of (..., n, d) encodings."""
    mu64, logvar64 = mu.astype(np.float64), logvar.astype(np.float64)
    return LatentStats(mean_of_mu=mu64.mean(axis=-2), variance_of_mu=mu64.var(axis=-2), mean_variance=np.exp(logvar64).mean(axis=-2))


def variance_radius(logvar: np.ndarray, dims=None) -> np.ndarray:
    """The radius a tracked digit is drawn with, from (..., d) log-variances: r^2 is the geometric mean
    of the variances (the lecture's "r^2 is the geometric average of the two variances"), so
    r = (sigma_1^2 ... sigma_d^2)^(1/(2d)) = exp(sum(logvar) / 2d); in float64. `dims` picks the
    dimensions it is taken over (a pair: the circle on that plane, r = (sigma_x^2 sigma_y^2)^(1/4));
    default every one given. The one definition: the views, the explorer and the lecture's numbers use it."""
    chosen = logvar if dims is None else logvar[..., list(dims)]
    return np.exp(chosen.astype(np.float64).sum(axis=-1) / (2 * chosen.shape[-1]))


def encoder_dead(mu: np.ndarray) -> bool:
    """Whether every input of (n, d) means sits at one code: the encoder passes nothing on (a whole
    hidden layer of ReLUs died), a total collapse of every latent variable at once."""
    return bool(np.ptp(mu.astype(np.float64), axis=0).max() < DEAD_SPREAD)


def encode(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 digits -> the encoder's means and log-variances, (N, d) float64 each."""
    import torch

    with torch.no_grad():
        mu, logvar = model.encode(torch.as_tensor(images.reshape(len(images), -1), dtype=torch.float32) / 255)
    return mu.numpy().astype(np.float64), logvar.numpy().astype(np.float64)
