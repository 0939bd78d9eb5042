"""Decoded digits: latent codes through a run's trained decoder, laid out as crisp mosaics.

Digits are 28x28 and shown large, so they are enlarged here by whole pixels (each pixel a square
block) rather than left to a resampler that would blur or unevenly stretch them.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from render.style import Theme
from train.latents import encode  # noqa: F401 (the views' encoder of digits, beside the radius it feeds)

SIDE = 28


def decode(model, codes: np.ndarray) -> np.ndarray:
    """(N, d) latent codes -> (N, 28, 28) uint8 intensities (255 = ink)."""
    import torch  # here, not at the top: views that only lay digits out (the trajectories legend) never load torch's ~470 MiB

    with torch.no_grad():
        images = model.generate(torch.as_tensor(np.asarray(codes, dtype=np.float32)))
    return np.rint(images.numpy() * 255).astype(np.uint8)


def reconstruct(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 digits through the encoder mean and the decoder (no sampling)."""
    return decode(model, encode(model, images)[0])


def grid_values(count: int, span: float | None = None) -> np.ndarray:
    """`count` values along one latent axis: Gaussian quantiles at (i + 1/2)/count (the prior's
    own spacing, as in Kingma & Welling's manifold figure), or a plain linear span [-span, span]."""
    if span is not None:
        return np.linspace(-span, span, count)
    normal = NormalDist()
    return np.array([normal.inv_cdf((i + 0.5) / count) for i in range(count)])


def mosaic(images: np.ndarray, gap: int = 2) -> np.ndarray:
    """(rows, cols, h, w) tiles (digits: 28 x 28) -> one (rows*h + gaps, cols*w + gaps) image; gaps are 0 (paper)."""
    rows, cols, height, width = images.shape
    out = np.zeros((rows * height + (rows - 1) * gap, cols * width + (cols - 1) * gap), np.uint8)
    for r in range(rows):
        for c in range(cols):
            top, left = r * (height + gap), c * (width + gap)
            out[top:top + height, left:left + width] = images[r, c]
    return out


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor: every pixel becomes a factor x factor block."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def grid_picture(digits: np.ndarray, theme: Theme, scale: int, side: int, gap: int, resample: str) -> np.ndarray:
    """(rows, cols, 28, 28) uint8 digits -> the (side, side, 3) picture of their mosaic (`gap` apart):
    enlarged by whole pixels (`scale`), then resampled only where `side` is no whole multiple, with
    Pillow's filter `resample` ("LANCZOS", "BOX": a box filter averages when it shrinks)."""
    picture = enlarge(ink_to_rgb(mosaic(digits, gap=gap), theme), scale)
    if picture.shape[0] != side:
        from PIL import Image

        picture = np.asarray(Image.fromarray(picture).resize((side, side), Image.Resampling[resample]))
    return picture


def ink_to_rgb(ink: np.ndarray, theme: Theme) -> np.ndarray:
    """Intensity (255 = ink) -> RGB: dark ink on the light theme's paper, light ink on the dark one."""
    from matplotlib.colors import to_rgb

    paper = np.array(to_rgb(theme.background)) * 255
    pen = np.array(to_rgb(theme.foreground)) * 255
    weight = ink[..., None].astype(np.float32) / 255
    return np.rint(paper + (pen - paper) * weight).astype(np.uint8)
