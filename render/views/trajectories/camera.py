"""Where each frame of a trajectories video looks: a fixed view, or a camera that follows the digits.

A view is (centre x, centre y, latent units per pixel): equal aspect always, so a circle stays a
circle. The follow camera knows the whole trajectory before the first frame, so it can look ahead:

1. per frame, the units per pixel that hold every circle (plus a margin) around a smoothed centre;
2. a running maximum over a window, so the camera zooms out *before* the digits spread, not after;
3. a bound on the rate of zoom (at most `MAX_ZOOM_PER_SECOND` either way), so nothing is faster
   than a viewer can follow;
4. a Gaussian smoothing of the log-zoom over a window no wider than step 2's, which removes jitter
   and keeps step 2's guarantee: every value averaged at frame t is at least what t needs, so the
   circles never leave the view.

The fixed view serves the whole clip rather than its outliers: a digit that flies far out for a
few early batches would otherwise set the scale of every frame. Each edge of the view is placed
so that at most `EXCURSION_SHARE` of the frames reach past it; when holding every frame as well
costs that edge at most `HOLD_ALL_COST` of the view's span, it holds them all (a clip that just
drifts keeps all of its steps in view).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MARGIN = 0.10  # room around the circles, as a fraction of the view's half-size
SMOOTH_SECONDS = 0.5  # the Gaussian's sigma: the zoom and centre drift, never twitch
MAX_ZOOM_PER_SECOND = 2.0  # the view changes size by at most this factor per second
EXCURSION_SHARE = 0.15  # a fixed view's edge may leave out this share of the frames...
HOLD_ALL_COST = 0.25  # ...unless holding them all too moves it by at most this share of the span


def extents(mu: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the lowest and highest (x, y) any circle reaches: (frames, 2) each."""
    return (mu - radius[..., None]).min(axis=1), (mu + radius[..., None]).max(axis=1)


def fixed_bounds(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) lows and highs a fixed view holds, from per-frame extents (frames, 2), or
    (runs, frames, 2) for runs that share one view (the union of each run's own bounds)."""
    if low.ndim == 3:
        bounds = [fixed_bounds(one_low, one_high) for one_low, one_high in zip(low, high)]
        return np.min([b[0] for b in bounds], axis=0), np.max([b[1] for b in bounds], axis=0)
    every_low, every_high = low.min(axis=0), high.max(axis=0)
    robust_low, robust_high = np.quantile(low, EXCURSION_SHARE, axis=0), np.quantile(high, 1 - EXCURSION_SHARE, axis=0)
    span = np.maximum(robust_high - robust_low, 1e-6)
    return (np.where(robust_low - every_low <= HOLD_ALL_COST * span, every_low, robust_low),
            np.where(every_high - robust_high <= HOLD_ALL_COST * span, every_high, robust_high))


def fixed_views(low: np.ndarray, high: np.ndarray, box: tuple[float, float], frames: int, pad_px: float = 0.0) -> np.ndarray:
    """One view for every frame that holds the bounds `low`, `high` (2,) (see `fixed_bounds`): (frames, 3)."""
    view = _holding(low, high, box, pad_px)
    return np.repeat(view[None], frames, axis=0)


def _holding(low: np.ndarray, high: np.ndarray, box: tuple[float, float], pad_px: float) -> np.ndarray:
    center = (low + high) / 2
    half = np.maximum((high - low) / 2, 1e-3) * (1 + MARGIN)
    return np.array([*center, _units_per_px(half, box, pad_px)])


def _units_per_px(half: np.ndarray, box: tuple[float, float], pad_px: float) -> np.ndarray:
    """Units per pixel that fit half-sizes `half` (..., 2) in a `box` of (w, h) pixels, `pad_px`
    of it kept free at each side (for the circles' outlines and dots drawn in pixels)."""
    usable = np.maximum(np.array(box, float) / 2 - pad_px, 1.0)
    return (half / usable).max(axis=-1)


def follow_views(low: np.ndarray, high: np.ndarray, box: tuple[float, float], fps: float, pad_px: float = 0.0) -> np.ndarray:
    """Per frame, a view that holds that frame's circles and moves smoothly: (frames, 3)."""
    frames = len(low)
    sigma = max(SMOOTH_SECONDS * fps, 1.0)
    reach = int(math.ceil(3 * sigma))
    center = np.stack([_gaussian(axis, sigma, reach) for axis in ((low + high) / 2).T], axis=1)
    half = np.maximum(np.maximum(high - center, center - low), 1e-3) * (1 + MARGIN)
    needed = np.log(_units_per_px(half, box, pad_px))
    ahead = _running_max(needed, reach)
    bounded = _rate_bounded(ahead, math.log(MAX_ZOOM_PER_SECOND) / fps)
    zoom = np.exp(_gaussian(bounded, sigma, reach))
    return np.c_[center, zoom] if frames else np.zeros((0, 3))


def _running_max(values: np.ndarray, reach: int) -> np.ndarray:
    """max(values[t - reach : t + reach + 1]) for every t."""
    padded = np.pad(values, reach, mode="edge")
    return sliding_window_view(padded, 2 * reach + 1).max(axis=1)


def _rate_bounded(values: np.ndarray, rate: float) -> np.ndarray:
    """The smallest series >= `values` that changes by at most `rate` from one frame to the next."""
    out = values.copy()
    for t in range(1, len(out)):
        out[t] = max(out[t], out[t - 1] - rate)
    for t in range(len(out) - 2, -1, -1):
        out[t] = max(out[t], out[t + 1] - rate)
    return out


def _gaussian(values: np.ndarray, sigma: float, reach: int) -> np.ndarray:
    """A Gaussian average over +-`reach` frames; the ends repeat the first and last value."""
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, reach, mode="edge")
    return np.convolve(padded, kernel, mode="valid")
