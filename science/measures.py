"""What the lecture's claims measure in one run, read from its run file once.

Shape is measured after whitening, so that no scale can move it: the test encodings' means are
centred and whitened by their own covariance (in the directions they span), then compared with a
Gaussian's shape: Mardia's multivariate kurtosis (a Gaussian's is d(d+2)), the Kolmogorov-Smirnov
distance of their radii from chi_d (`scipy.stats.kstest`) and, in 2-d, Kuiper's distance of their
angles from uniform (the radii and the kurtosis are blind to angles: a 10-ray star with Gaussian radii
passes both). Sphericity is the ratio of the largest to the smallest eigenvalue of the covariance over
the directions the codes span, and, bounded, the geometric over the arithmetic mean of all its
eigenvalues (1 for a ball, 0 for a collapsed axis, however nearly: no jump as an axis flattens). The
scale (the root mean variance of the means) and the centre's offset stand beside them, never mixed in.

Coverage of the latent space, the lecture's hope for sampling ("each one pushing the others as far
away as possible ... a better coverage"), is measured where generation samples, on the prior: the
share of draws z ~ N(0, I) that land within COVERAGE_RADIUS of some test code (`prior_coverage`;
in 2-d and 3-d, where a tenth of the prior's deviation is a neighbourhood codes can fill).

Reconstruction losses sit on a floor no model removes: binary cross-entropy against grey pixels is at
least their own binary entropy (`entropy_floor`), so ratios of losses are taken above it.

A run whose encoder is dead (every test input at one code, as when a ReLU layer of the encoder died
whole) has no shape at all: it is flagged, and the claims count it as a total collapse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from train.describe import final_epoch
from train.latents import DEAD_SPREAD, encoder_dead, variance_radius
from train.runfile import RunFile
from train.runfolder import RunFolder

SLOPE_EPOCHS = 3  # the last epochs whose test-loss trend stands beside claims about final values
SPIKE_WINDOW, SPIKE_FACTOR = 100, 1.5  # a batch loss above 1.5x the median of the 100 batches before it
PRIOR_DRAWS, COVERAGE_RADIUS = 4000, 0.1  # prior_coverage: draws of N(0, I), and how near a code must lie (in the prior's deviations)


@dataclass(frozen=True)
class Shape:
    """The shape of a cloud of codes after whitening, and its scale beside it."""

    kurtosis: float  # Mardia's b_{2,d}; a Gaussian's is d(d+2)
    gaussian_kurtosis: int  # d(d+2), d the dimensions spanned
    radial_ks: float  # KS distance of the whitened radii from chi_d
    sphericity: float  # largest / smallest covariance eigenvalue, over the directions the codes span
    scale: float  # sqrt(trace(cov) / d)
    centre: float  # |mean| / scale
    dead_directions: int = 0  # directions the codes do not span (a collapsed variable): no shape there, and no ratio
    angular: float | None = None  # 2-d only: Kuiper distance of the whitened angles from uniform (rotation-free); None in other dimensions
    sphericity_index: float = 1.0  # geometric / arithmetic mean of all the covariance eigenvalues, in [0, 1]: 1 a ball, 0 an axis collapsed

    @property
    def distance(self) -> float:
        """The omnibus distance from a Gaussian's shape: the larger of the radial and the angular one."""
        return self.radial_ks if self.angular is None else max(self.radial_ks, self.angular)


def kuiper(u: np.ndarray) -> float:
    """Kuiper's V = D+ + D- of values in [0, 1) against uniform: like KS, but the same wherever the
    circle is cut (a distance between angular distributions)."""
    u = np.sort(np.asarray(u, dtype=np.float64))
    n = len(u)
    i = np.arange(1, n + 1)
    return float(np.max(i / n - u) + np.max(u - (i - 1) / n))


def sphericity_index(cov: np.ndarray) -> float:
    """Geometric over arithmetic mean of the eigenvalues of a covariance, over every axis: 1 for a ball,
    near 0 when any axis is (nearly) flat, never above 1 (the AM-GM inequality)."""
    eig = np.clip(np.linalg.eigvalsh(np.atleast_2d(cov)), 0.0, None)
    if eig.max() <= 0 or eig.min() <= 0:
        return 0.0
    return float(min(1.0, np.exp(np.mean(np.log(eig))) / np.mean(eig)))


def shape_of(mu: np.ndarray) -> Shape | None:
    """The whitened shape of (n, d) codes; None when they do not spread (a dead encoder)."""
    mu = mu.astype(np.float64)
    centred = mu - mu.mean(axis=0)
    cov = np.atleast_2d(np.cov(centred, rowvar=False, bias=True))
    eig, vectors = np.linalg.eigh(cov)
    if eig.max() <= 0 or np.ptp(mu, axis=0).max() < DEAD_SPREAD:
        return None
    spanned = eig > eig.max() * 1e-9  # a dead direction has no shape to whiten
    white = centred @ vectors[:, spanned] / np.sqrt(eig[spanned])
    d = int(spanned.sum())
    squared = np.einsum("ij,ij->i", white, white)
    scale = math.sqrt(eig.sum() / len(eig))
    angular = kuiper((np.arctan2(white[:, 1], white[:, 0]) + np.pi) / (2 * np.pi) % 1.0) if d == 2 else None
    return Shape(kurtosis=float(np.mean(squared ** 2)), gaussian_kurtosis=d * (d + 2),
                 radial_ks=float(stats.kstest(np.sqrt(squared), stats.chi(d).cdf).statistic),
                 sphericity=float(eig.max() / eig[spanned].min()), scale=scale,
                 centre=float(np.linalg.norm(mu.mean(axis=0)) / scale), dead_directions=len(eig) - d,
                 angular=angular, sphericity_index=sphericity_index(cov))


@dataclass(frozen=True)
class RunNumbers:
    """Everything the claims read of one finished run."""

    arch: str
    mode: str
    seed: int
    latent_size: int
    test_loss: np.ndarray  # (E,) total per image, per epoch
    reconstruction: float  # final test reconstruction per image (sampled for a VAE: what it trains on)
    inactive: int  # final inactive latent variables
    dead: bool  # the encoder maps every test input to one code
    shapes: tuple[Shape | None, ...]  # per epoch
    radius_start: float  # mean variance-circle radius of the tracked digits before training
    radius_epoch1: float  # ... at the end of epoch 1
    radius_final: float  # ... at the end of training
    rises: int  # epochs whose test loss rose over the epoch before
    spikes: int  # batches after epoch 1 whose loss jumped above SPIKE_FACTOR x the running median
    last_hidden: int = 0  # units of the encoder's last hidden layer (the heads read only these)
    live_last: int | None = None  # of those, the units some test input activates at the end; None: not recorded (schema < 3)
    prior_coverage: float | None = None  # share of the prior's draws near a final test code (`prior_coverage`); None beyond 3-d

    @property
    def rank(self) -> int:
        """The rank of the final codes' covariance (directions they span): 0 for a dead encoder."""
        return 0 if self.shape is None else self.latent_size - self.shape.dead_directions

    @property
    def forced_inactive(self) -> int | None:
        """Latent variables the dead units of the last hidden layer force to collapse: the means are a
        linear map of its live units, so at most that many directions can vary. None: not recorded."""
        return None if self.live_last is None else max(0, self.latent_size - self.live_last)

    @property
    def final_loss(self) -> float:
        return float(self.test_loss[-1])

    @property
    def shape(self) -> Shape | None:
        return self.shapes[-1]

    @property
    def slope(self) -> float | None:
        """Nats per epoch of the test loss over the last SLOPE_EPOCHS epochs (None with one epoch)."""
        tail = self.test_loss[-SLOPE_EPOCHS:]
        return float(stats.linregress(np.arange(len(tail)), tail).slope) if len(tail) > 1 else None


def prior_coverage(mu: np.ndarray, radius: float = COVERAGE_RADIUS, draws: int = PRIOR_DRAWS) -> float | None:
    """The share of PRIOR_DRAWS draws z ~ N(0, I) (a fixed seed: the same draws for every run) with a
    code of `mu` (n, d) within `radius`: how much of what generation samples the codes occupy. None
    beyond 3-d, where no ten thousand codes come near a fixed radius of most draws."""
    from scipy.spatial import cKDTree

    d = mu.shape[-1]
    if d > 3:
        return None
    z = np.random.default_rng(0).standard_normal((draws, d))
    distance, _ = cKDTree(mu.astype(np.float64)).query(z, k=1, distance_upper_bound=radius)
    return float(np.mean(np.isfinite(distance)))


def _spikes(batch_loss: np.ndarray, first: int) -> int:
    total = np.nansum(batch_loss, axis=1)
    if len(total) <= SPIKE_WINDOW:
        return 0
    medians = np.median(np.lib.stride_tricks.sliding_window_view(total[:-1], SPIKE_WINDOW), axis=1)  # of the batches before each
    later = np.arange(SPIKE_WINDOW, len(total)) >= first
    return int(np.sum((total[SPIKE_WINDOW:] > SPIKE_FACTOR * medians) & later))


def read_run(path: Path) -> RunNumbers | None:
    """A run's numbers, or None unless it finished the epochs it was asked for."""
    if not RunFolder(path).run_file.exists():
        return None
    with RunFile(path) as run:
        config = run.config
        if run.epochs_done < 1 or run.epochs_done != config.epochs:
            return None
        final = final_epoch(run)
        history = run.encoding_history()
        losses = run.losses().test.astype(np.float64)
        steps = run.trajectory()
        dead_units = run.dead_units()
    radius = variance_radius(steps.logvar).mean(axis=-1)  # per step, the tracked digits' mean radius over all d dimensions
    end_of_epoch1 = int(np.flatnonzero(steps.epoch == 1)[-1])
    test_total = losses.sum(axis=1)
    hidden = config.layers[1:-1]
    recorded = dead_units is not None and len(hidden) and dead_units.shape[-1] == len(hidden) and dead_units[-1, -1] >= 0
    return RunNumbers(arch=config.arch, mode=config.mode, seed=config.seed, latent_size=history.mu.shape[-1], test_loss=test_total,
                      reconstruction=float(losses[-1, 0]), inactive=final.stats.inactive_count,
                      dead=encoder_dead(final.encodings.mu),
                      shapes=tuple(shape_of(mu) for mu in history.mu), radius_start=float(radius[0]), radius_epoch1=float(radius[end_of_epoch1]),
                      radius_final=float(radius[-1]), rises=int(np.sum(np.diff(test_total) > 0)),
                      spikes=_spikes(steps.loss, first=end_of_epoch1 + 1), last_hidden=hidden[-1] if len(hidden) else 0,
                      live_last=int(hidden[-1] - dead_units[-1, -1]) if recorded else None, prior_coverage=prior_coverage(final.encodings.mu))


def ring_loss_curve(path: Path, ks=None, angles: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(ks, curve): the reconstruction loss on the ring k sigma around each tracked digit's mean (`angles`
    angles, the first two latent dimensions) over its loss at the mean, averaged over the tracked
    digits, at each k of `ks` (CLOSE_KS by default; the first k is 0, where the curve is 1)."""
    from science.evidence import CLOSE_KS
    from science.rings import encode_sigma, losses, ring_codes, ring_sizes
    from train.checkpoints import load_model

    ks = np.asarray(CLOSE_KS if ks is None else ks, dtype=np.float64)
    with RunFile(path) as run:
        folder, epoch, layers, images = Path(run.path).parent, run.epochs_done, run.config.layers, run.tracked().image
    model, _ = load_model(folder, epoch, layers=layers)
    mu, sigma = encode_sigma(model, images)
    loss, _ = losses(model, ring_codes(mu, sigma, (0, 1), ks, angles), images)  # (n, points): the centre once, then a ring per k
    edges = np.cumsum([0, *ring_sizes(ks, angles)])
    per_k = np.stack([loss[:, a:b].mean(axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1)  # (n, len(ks))
    return ks, (per_k / loss[:, :1]).mean(axis=0)


def close_distance(ks, curve, tolerance: float) -> float:
    """Where a ring-loss curve (1 at k = 0) first rises past 1 + tolerance, linearly interpolated
    between the ks around the crossing: the distance in sigmas at which reconstruction stops being
    close. inf when it never does within the ks (close as far as they look)."""
    ks, curve = np.asarray(ks, dtype=np.float64), np.asarray(curve, dtype=np.float64)
    limit = 1 + tolerance
    beyond = np.flatnonzero(curve > limit)
    if len(beyond) == 0:
        return math.inf
    i = int(beyond[0])
    if i == 0:
        return float(ks[0])
    k0, k1, c0, c1 = ks[i - 1], ks[i], curve[i - 1], curve[i]
    return float(k0 + (limit - c0) / (c1 - c0) * (k1 - k0))


def entropy_floor(images: np.ndarray) -> float:
    """The least binary cross-entropy any reconstruction can have, per image: the sum over pixels of
    the binary entropy H(p) of each pixel's own intensity p in [0, 1] (uint8 / 255), averaged over
    the images. No model removes it, so ratios of reconstruction losses are taken above it."""
    from scipy.special import entr

    p = np.asarray(images, dtype=np.float64).reshape(len(images), -1) / 255.0
    return float((entr(p) + entr(1 - p)).sum(axis=1).mean())


def mean_reconstruction(path: Path, images: np.ndarray) -> float:
    """The test reconstruction per image of the decoded mean (no sampling), with the run's last net:
    for a VAE the other of its two reconstructions (the run file holds the sampled one)."""
    import torch

    from train.checkpoints import load_model
    from train.model import reconstruction_loss

    model, _ = load_model(path)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(images), 2000):
            x = torch.as_tensor(images[start:start + 2000].reshape(-1, 784), dtype=torch.float32).div(255)
            mu, _ = model.encode(x)
            total += float(reconstruction_loss(model.decode(mu), x))
    return total / len(images)
