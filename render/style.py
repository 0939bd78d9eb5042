"""Looks shared by every renderer: class colours, light/dark themes, projector-sized fonts."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless, and the rasteriser every renderer draws with
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from errors import ProjectError  # noqa: E402

# One colour per digit 0-9 (matplotlib's tab10), the same in every video and figure.
CLASS_COLORS = tuple(mcolors.to_hex(c) for c in plt.get_cmap("tab10").colors)
CLASS_RGB = tuple(tuple(int(round(255 * v)) for v in mcolors.to_rgb(c)) for c in CLASS_COLORS)
# One colour per run where runs are compared (the live panel's curves, occupancy's two runs, the
# explorer): seaborn's muted "deep" colours, told apart from the classes' tab10.
RUN_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#c44e52", "#937860")


def run_color(index: int) -> str:
    """Run `index`'s colour (they repeat after six runs)."""
    return RUN_COLORS[index % len(RUN_COLORS)]


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str  # text, spines
    muted: str  # counter, secondary text
    grid: str


THEMES = {
    "light": Theme("light", background="#ffffff", foreground="#1a1a1a", muted="#666666", grid="#e3e3e3"),
    "dark": Theme("dark", background="#101214", foreground="#f0f0f0", muted="#a0a0a0", grid="#2c3035"),
}


def theme(name: str) -> Theme:
    if name not in THEMES:
        raise ProjectError(f"--theme {name!r}: choose one of {', '.join(THEMES)}")
    return THEMES[name]


DPI = 100  # every video frame's figure: one pixel is 0.01 inch, so sizes in pixels divide by 100
REFERENCE_HEIGHT = 1080  # lines and dots are drawn for 1080p and scale with the frame's height


def px_scale(height_px: float) -> float:
    """How much thicker than at 1080p a line or dot is drawn in a frame `height_px` high."""
    return height_px / REFERENCE_HEIGHT


def points(px: float) -> float:
    """A length in pixels of a `DPI` figure as points, the unit of matplotlib's font sizes and line widths."""
    return px * 72 / DPI


def pixels(pt: float) -> float:
    """A length in points as pixels of a `DPI` figure (what a stamped or pasted shape is measured in)."""
    return pt * DPI / 72


# How far antialiasing can paint past a shape's geometric edge or centre line, in pixels (and then
# some): the margin around every region redrawn per frame (the plane's circles and trails, the live
# panel's curves, cursor and dots) and the room the layout leaves around the plane's data.
AA_PAD_PX = 2


def font_points(height_px: int, dpi: float, fraction: float) -> float:
    """A font size (points) that is `fraction` of the frame height, so text scales with --size."""
    return fraction * height_px * 72.0 / dpi
