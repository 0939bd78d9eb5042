"""The tracked digits as the legend of their classes: per class its colour, its number and the
MNIST images of the digits tracked from it, so the audience sees what the circles are.

Drawn once: the title, dots and numbers are figure artists of the first draw, and the images are
pasted into the still background after it, so they cost no time per frame.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from render.digits import SIDE, enlarge
from render.style import CLASS_COLORS, DPI, Theme, points
from render.views.trajectories.data import Trajectory
from render.views.trajectories.layout import Gallery


def tinted(image: np.ndarray, color: str, theme: Theme, side: int, transparent: bool) -> np.ndarray:
    """A (28, 28) uint8 digit as (side, side, 4) RGBA: ink in the class colour on the background
    (transparent: the colour, its ink as alpha). Whole-pixel enlargement where `side` allows."""
    from PIL import Image

    if side % SIDE == 0:
        ink = enlarge(image, side // SIDE)
    else:
        ink = np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.LANCZOS))
    weight = ink[..., None].astype(np.float32) / 255
    pen = np.array(to_rgb(color), np.float32) * 255
    out = np.empty((side, side, 4), np.uint8)
    if transparent:
        out[..., :3] = np.rint(pen).astype(np.uint8)
        out[..., 3] = ink
    else:
        paper = np.array(to_rgb(theme.background), np.float32) * 255
        out[..., :3] = np.rint(paper + (pen - paper) * weight).astype(np.uint8)
        out[..., 3] = 255
    return out


class DigitsLegend:
    def __init__(self, figure: Figure, gallery: Gallery, traj: Trajectory, theme: Theme, text_px: float, transparent: bool):
        self.gallery = gallery
        width, height = figure.get_size_inches() * DPI
        text_pt = points(text_px)
        figure.text(gallery.x / width, 1 - (gallery.y + gallery.pitch / 2) / height, "tracked digits", color=theme.muted,
                    fontsize=text_pt, va="center", ha="left")
        self.images = []  # (x, y, rgba)
        for row, label in enumerate(gallery.classes):
            middle = gallery.row_top(row) + gallery.pitch / 2
            color = CLASS_COLORS[label]
            figure.add_artist(Line2D([(gallery.x + 0.45 * text_px) / width], [1 - middle / height], linestyle="", marker="o",
                                     markersize=text_pt * 0.9, markerfacecolor=color, markeredgecolor=color, alpha=0.85,
                                     transform=figure.transFigure))
            figure.text((gallery.x + 1.2 * text_px) / width, 1 - middle / height, str(label), color=theme.foreground, fontsize=text_pt,
                        va="center", ha="left")
            top = round(middle - gallery.thumb / 2)
            chosen = np.flatnonzero(traj.labels == label)[:gallery.per_row]
            for slot, digit in enumerate(chosen):
                x = gallery.x + gallery.label_w + slot * (gallery.thumb + gallery.gap)
                self.images.append((x, top, tinted(traj.images[digit], color, theme, gallery.thumb, transparent)))

    def paste(self, pixels: np.ndarray) -> None:
        """Put the images into the drawn frame (before the scene keeps it as its still background)."""
        for x, y, rgba in self.images:
            h, w = rgba.shape[:2]
            pixels[y:y + h, x:x + w] = rgba
