"""What a variance circle means, in numbers: codes on rings at k sigma around a digit's mean, decoded
and scored by their reconstruction loss against the digit (binary cross-entropy summed over the 784
pixels, the training loss's first term). The occupancy view draws these; the lecture's claims test them."""

from __future__ import annotations

import numpy as np

from train.latents import encode


def ring_offsets(ks, angles: int) -> np.ndarray:
    """Unit offsets (points, 2) of the rings: the centre once for k = 0, then `angles` points a ring."""
    theta = 2 * np.pi * np.arange(angles) / angles
    unit = np.c_[np.cos(theta), np.sin(theta)]
    return np.concatenate([np.zeros((1, 2)) if k == 0 else k * unit for k in ks])


def ring_sizes(ks, angles: int) -> list[int]:
    return [1 if k == 0 else angles for k in ks]


def ring_codes(mu: np.ndarray, sigma: np.ndarray, dims: tuple[int, int], ks, angles: int) -> np.ndarray:
    """(n, points, d): each digit's mean moved by k x its sigma along the two `dims`."""
    offsets = ring_offsets(ks, angles)  # (p, 2)
    codes = np.repeat(mu[:, None, :], len(offsets), axis=1).astype(np.float64)
    for column, dim in enumerate(dims):
        codes[:, :, dim] += offsets[None, :, column] * sigma[:, None, dim]
    return codes


def losses(model, codes: np.ndarray, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reconstruction loss of every code (n, p, d) against its digit's image (n, 28, 28), and the
    decodes as uint8: ((n, p), (n, p, 28, 28))."""
    import torch

    from train.model import reconstruction_loss

    n, p, d = codes.shape
    with torch.no_grad():
        logits = model.decode(torch.as_tensor(codes.reshape(-1, d), dtype=torch.float32)).reshape(n, p, -1)
        target = torch.as_tensor(images.reshape(n, 1, -1), dtype=torch.float32).div(255).expand(n, p, -1)
        loss = reconstruction_loss(logits, target, per_image=True)
        pixels = torch.sigmoid(logits).mul(255).round().to(torch.uint8)
    return loss.numpy().astype(np.float64), pixels.numpy().reshape(n, p, *images.shape[1:])


def encode_sigma(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard deviations of (n, 28, 28) uint8 images."""
    mu, logvar = encode(model, images)
    return mu, np.exp(0.5 * logvar)
