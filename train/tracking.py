"""Choosing the training digits whose latent codes are recorded after every step."""

from __future__ import annotations

import numpy as np

from errors import ProjectError
from train.digit_choice import Indices, PerClass


def select_tracked(labels: np.ndarray, spec: PerClass | Indices, seed: int) -> np.ndarray:
    """Training-set indices to track, grouped by class (0..9), ascending within a class.

    Per-class picks come from `seed` alone, so two runs with the same seed (a variational one
    and its no-sampling twin, say) follow the very same digits.
    """
    if isinstance(spec, Indices):
        indices = np.asarray(spec.indices, dtype=np.int64)
        out_of_range = indices[(indices < 0) | (indices >= len(labels))]
        if out_of_range.size:
            raise ProjectError(f"--track: index {int(out_of_range[0])} is outside the training set (0..{len(labels) - 1})")
        return indices[np.lexsort((indices, labels[indices]))]
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        if len(members) < spec.count:
            raise ProjectError(f"--track {spec.count}-per-class: class {digit} has only {len(members)} training images")
        chosen.append(np.sort(rng.choice(members, size=spec.count, replace=False)))
    return np.concatenate(chosen).astype(np.int64)
