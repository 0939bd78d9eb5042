"""Where the parts of a trajectories frame go, in pixels: title band, one plane per run, legend, panel.

The planes take the data's aspect (equal units on both axes) and as much of the frame as that
allows, instead of a fixed box that leaves half of a wide frame to an empty grid; the legend and
the live panel follow them, and the whole group is centred. Plane boxes are snapped to the video
tile grid, so a moving grid can be repainted tile by tile (plane.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from errors import ProjectError
from render.video.tiles import TileGrid

TEXT = 0.028  # body text, of the frame height
TITLE_BAND = 0.12  # of the frame height
TICK_BAND = 0.075  # below the planes, for the x tick labels
PANEL_SHARE = 0.30  # of the frame width, when the live panel is on
ASPECT_RANGE = (0.5, 2.4)  # a plane is never thinner or flatter than this


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def fractions(self, width: int, height: int) -> tuple[float, float, float, float]:
        """matplotlib's (left, bottom, width, height) in figure fractions."""
        return self.x / width, 1 - self.bottom / height, self.w / width, self.h / height


@dataclass(frozen=True)
class Layout:
    text_px: float  # body text height
    planes: tuple[Box, ...]
    gutter: int  # room left of each plane for its y tick labels
    legend_x: int  # the legend's left edge
    panel: Box | None
    title_y: int  # the bottom of the titles' line
    counter_y: int  # the bottom of the step counter's line, under the titles


def panel_width(width: int) -> int:
    """The live panel's width."""
    return round(PANEL_SHARE * width)


def plane_height(height: int) -> int:
    """The height the planes (and a square side view) may take."""
    return height - round(TICK_BAND * height) - round(TITLE_BAND * height)


def layout(width: int, height: int, planes: int, aspect: float, panel_px: int = 0, legend: bool = True) -> Layout:
    """Boxes for `planes` planes of data aspect `aspect` (width / height), a side panel `panel_px`
    wide (none when 0), and room for the class legend unless `legend` is False."""
    grid = TileGrid(width, height)
    text = TEXT * height
    aspect = min(max(aspect, ASPECT_RANGE[0]), ASPECT_RANGE[1])
    margin = round(0.02 * width)
    # Between planes: room enough that no plane's tick strips (plane.py) reach into another's.
    gap = max(round(1.2 * text), 3 * grid.tile_w)
    gutter = round(3.6 * text)
    legend_w = round(3.4 * text) if legend else 0
    panel_w = panel_px
    top, bottom = round(TITLE_BAND * height), height - round(TICK_BAND * height)
    legend_gap = round(0.6 * text) if legend else 0
    panel_gap = round(1.5 * text) if panel_px else 0
    avail_w = (width - 2 * margin - legend_gap - legend_w - panel_gap - panel_w - planes * gutter - (planes - 1) * gap) / planes
    avail_h = bottom - top
    plane_w = min(avail_w, aspect * avail_h)
    plane_h = min(avail_h, plane_w / aspect)
    plane_w = max(grid.tile_w, int(plane_w // grid.tile_w) * grid.tile_w)
    plane_h = max(grid.tile_h, int(plane_h // grid.tile_h) * grid.tile_h)
    used = planes * (gutter + plane_w) + (planes - 1) * gap + legend_gap + legend_w + panel_gap + panel_w
    left = max(margin, (width - used) // 2)
    y = top + (avail_h - plane_h) // 2
    y = int(y // grid.tile_h) * grid.tile_h
    boxes = []
    x = left
    for _ in range(planes):
        x += gutter
        x_snapped = int(round(x / grid.tile_w)) * grid.tile_w
        boxes.append(Box(x_snapped, y, plane_w, plane_h))
        x = x_snapped + plane_w + gap
    if boxes[-1].right + legend_w > width or plane_h > avail_h:
        raise ProjectError(f"--size {width}x{height} is too small for {planes} runs side by side"
                           f"{' with the panel' if panel_px else ''}; give a larger --size, like 720p")
    legend_x = boxes[-1].right + legend_gap
    panel_box = None
    if panel_px:
        panel_x = legend_x + legend_w + panel_gap
        panel_box = Box(panel_x, top, max(width - margin - panel_x, 1), avail_h)
    return Layout(text_px=text, planes=tuple(boxes), gutter=gutter, legend_x=legend_x, panel=panel_box,
                  title_y=round(0.068 * height), counter_y=round(0.11 * height))
