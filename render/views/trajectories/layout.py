"""Where the parts of a trajectories frame go, in pixels: title band, one plane per run, legend, panel.

The planes first take the data's aspect (equal units on both axes) and as much of the frame as that
allows. A 2-D VAE's cloud is tall, so on a 16:9 frame that leaves most of the width: the room goes
to what a lecturer wants on the slide, the tracked digits themselves as the legend of their classes
and the live panel, and what is still left to the planes, so the parts reach across the frame.
Plane boxes are snapped to the video tile grid, so a moving grid can be repainted tile by tile
(plane.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from errors import ProjectError
from render.video.tiles import TileGrid

TEXT = 0.028  # body text, of the frame height
GUTTER = 3.6  # text heights left of each plane, for its y tick labels
TITLE_BAND = 0.12  # of the frame height
TICK_BAND = 0.075  # below the planes, for the x tick labels
PANEL_SHARE = 0.30  # of the frame width, when the live panel is on
ASPECT_RANGE = (0.5, 2.4)  # a plane is never thinner or flatter than this
PANEL_MIN = 0.22  # of the frame width: the live panel joins the default frame when this much is free beside the planes
ROW_PANEL_MIN = 0.24  # of the frame height: the live panel goes under wide planes when this much is free
FILL = 0.9  # of the frame, width and height: the parts of a default frame reach at least this far across
PAD_RESERVE = 0.024  # of the frame height: the circles' pixel margins (dots, outlines), so a plane at the data's aspect is not cut short
GALLERY_PITCH = (2.0, 3.0)  # a row of the digits legend, in text heights: lower, and the compact legend instead; higher is not needed
GALLERY_LABEL = 2.7  # text heights for the class's dot and number before its digits
GALLERY_GAP = 0.14  # between two digits, of a digit's side
GALLERY_TITLE = 7.8  # text heights of its title, "tracked digits"


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
class Gallery:
    """The tracked digits as the legend of their classes: a title row, then one row per class, its
    coloured dot and number, then up to `per_row` of its tracked digits' MNIST images."""

    x: int
    y: int  # the top of the title row
    pitch: int  # the height of a row
    thumb: int  # an image's side
    per_row: int
    label_w: int  # the dot and number before the images
    gap: int  # between two images
    classes: tuple[int, ...]

    def row_top(self, row: int) -> int:
        """The top of class row `row` (0 = the first class, under the title)."""
        return self.y + (row + 1) * self.pitch


@dataclass(frozen=True)
class Layout:
    text_px: float  # body text height
    planes: tuple[Box, ...]
    gutter: int  # room left of each plane for its y tick labels
    legend_x: int  # the legend's left edge
    panel: Box | None
    title_y: int  # the bottom of the titles' line
    counter_y: int  # the bottom of the step counter's line, under the titles
    gallery: Gallery | None = None  # the digits legend, in place of the compact one at legend_x
    panel_row: bool = False  # the panel lies under the planes, its plots side by side
    unit_h: int = 0  # the frame height that text, lines and dots scale with


def panel_width(width: int) -> int:
    """The live panel's width."""
    return round(PANEL_SHARE * width)


def plane_height(height: int) -> int:
    """The height the planes (and a square side view) may take."""
    return height - round(TICK_BAND * height) - round(TITLE_BAND * height)


def _snap(value: float, step: int) -> int:
    """`value` rounded down to a whole number of `step`s, at least one."""
    return max(step, int(value // step) * step)


@dataclass(frozen=True)
class _Metrics:
    """The sizes every arrangement shares, from the frame and the height the text scales with."""

    text: float
    margin: int
    gap: int  # between planes
    gutter: int  # left of each plane, for its y tick labels
    legend_w: int  # the compact legend (coloured dots and numbers)
    legend_gap: int
    panel_gap: int
    top: int  # the planes' region, between the title band and the tick band
    bottom: int


def _metrics(width: int, height: int, unit: tuple[int, int], legend: bool, panel: bool, fit: bool = False) -> _Metrics:
    """`fit`: the frame is cut to the plot, so its side margins are thin."""
    grid = TileGrid(width, height)
    text = TEXT * unit[1]
    return _Metrics(text=text, margin=round(0.4 * text) if fit else round(0.02 * unit[0]), gap=max(round(1.2 * text), 3 * grid.tile_w),
                    gutter=round(GUTTER * text), legend_w=round(3.4 * text) if legend else 0, legend_gap=round(0.6 * text) if legend else 0,
                    panel_gap=round(1.5 * text) if panel else 0, top=round(TITLE_BAND * unit[1]),
                    bottom=height - round(TICK_BAND * unit[1]))


def _data_planes(width: int, planes: int, aspect: float, m: _Metrics, side_w: int, grid: TileGrid) -> tuple[int, int]:
    """The planes' (w, h) at the data's aspect, as large as fits beside `side_w` pixels of side parts."""
    avail_w = (width - 2 * m.margin - side_w - planes * m.gutter - (planes - 1) * m.gap) / planes
    avail_h = m.bottom - m.top
    plane_w = min(avail_w, aspect * avail_h)
    plane_h = min(avail_h, plane_w / aspect)
    return _snap(plane_w, grid.tile_w), _snap(plane_h, grid.tile_h)


def _row_of_planes(left: int, y: int, planes: int, plane_w: int, plane_h: int, m: _Metrics, grid: TileGrid) -> list[Box]:
    """The planes' boxes left to right from `left`, each after its gutter and on the tile grid."""
    boxes, x = [], left
    for _ in range(planes):
        x += m.gutter
        x_snapped = int(round(x / grid.tile_w)) * grid.tile_w
        boxes.append(Box(x_snapped, y, plane_w, plane_h))
        x = x_snapped + plane_w + m.gap
    return boxes


def _gallery_pitch(region_h: int, classes: int, text: float) -> int:
    """The height of one class's row in the digits legend: the rows and the title share the region."""
    return int(min(region_h / (classes + 1), GALLERY_PITCH[1] * text))


def _gallery_width(pitch: int, per_row: int, text: float) -> int:
    """The digits legend's width with `per_row` images a class; never narrower than its title."""
    thumb = _thumb_px(pitch)
    return max(round(GALLERY_LABEL * text) + per_row * thumb + (per_row - 1) * round(GALLERY_GAP * thumb), round(GALLERY_TITLE * text))


def _thumb_px(pitch: int) -> int:
    """An image's side in a row `pitch` high: whole multiples of 28 from twice the digits' size (crisp), else resampled."""
    side = round(0.88 * pitch)
    return side // 28 * 28 if side >= 56 else side


@dataclass(frozen=True)
class LayoutRequest:
    """What a trajectories frame is asked to hold: its planes, and beside them a side view of its own
    width, or the parts the room the planes leave goes to."""

    width: int
    height: int
    planes: int  # runs side by side
    aspect: float  # the data's width / height
    side_px: int = 0  # > 0: a side view this wide (the manifold's grid, or the live panel given room), the group centred
    legend: bool = True  # the compact class legend keeps its column
    digits: dict[int, int] | None = None  # class -> how many tracked: the tracked digits as the legend, where they fit
    auto_panel: bool = False  # the live panel, where it fits beside or under the planes
    unit: tuple[int, int] | None = None  # the frame text and margins scale with (default: this one)
    fit: bool = False  # this frame is already cut to the plot (`fit_size`): thin margins, the planes fill it

    @property
    def unit_size(self) -> tuple[int, int]:
        return self.unit or (self.width, self.height)


def layout(request: LayoutRequest) -> Layout:
    """Boxes for `request.planes` planes of data aspect `request.aspect` (width / height).

    With a side view (`side_px`), the planes at the data's aspect beside it, the group centred as it
    always was. Otherwise the planes are first as large as the data's aspect allows with the compact
    legend beside them; what that leaves of the frame then goes, in this order, to the tracked digits
    as the legend (`digits`; none: the compact legend), the live panel (`auto_panel`: where it fits,
    beside or below the planes, taking all that is left), or else the planes themselves, whose view
    then shows more of the plane around the data. So the planes are never smaller than the data's
    aspect made them, and the parts together reach across the frame. `unit` is the frame that text
    and margins scale with (`--aspect fit` keeps the requested frame's)."""
    request = replace(request, aspect=min(max(request.aspect, ASPECT_RANGE[0]), ASPECT_RANGE[1]))
    arrange = ARRANGEMENTS["side view" if request.side_px else "filled"]
    return arrange(request, TileGrid(request.width, request.height))


@dataclass(frozen=True)
class _Room:
    """The planes at the data's aspect, and the room they leave: what the other parts share."""

    plane_w: int
    plane_h: int
    room_w: int  # beside the planes, for legend, panel, or the planes' growth
    region_h: int  # the planes' region, less the panel's row under them
    reserve: int  # the planes keep this much beyond the data's aspect, where they can
    panel_min: int  # the live panel's least width beside the planes
    panel_row: bool  # wide data: the live panel lies under the planes' tick band


def _room(r: LayoutRequest, m: _Metrics, grid: TileGrid) -> _Room:
    unit = r.unit_size
    plane_w, plane_h = _data_planes(r.width, r.planes, r.aspect, m, m.legend_gap + m.legend_w, grid)
    planes_w = r.planes * (m.gutter + plane_w) + (r.planes - 1) * m.gap
    room_w = r.width - 2 * m.margin - planes_w
    room_h = m.bottom - m.top - plane_h  # below them, when the data are wide
    panel_min = round(PANEL_MIN * unit[0])
    region_h = m.bottom - m.top
    reserve = round(PAD_RESERVE * unit[1])
    panel_row = (r.auto_panel and room_w < m.legend_gap + m.legend_w + m.panel_gap + r.planes * reserve + panel_min
                 and room_h - reserve >= ROW_PANEL_MIN * unit[1])
    if panel_row:  # the panel takes the room under the planes' tick band; the planes keep their height
        region_h -= room_h - reserve
    return _Room(plane_w, plane_h, room_w, region_h, reserve, panel_min, panel_row)


def _gallery_row(r: LayoutRequest, m: _Metrics, room: _Room, counts: list[tuple[int, int]]) -> tuple[int, int]:
    """The digits legend's (row pitch, images a row): as many images as fit beside the planes, leaving
    the live panel its least width when it joins beside them; 0 images: the compact legend instead."""
    pitch = _gallery_pitch(room.region_h, len(counts), m.text) if counts else 0
    if not counts or pitch < GALLERY_PITCH[0] * m.text:
        return pitch, 0
    most = max(count for _, count in counts)
    fits = [k for k in range(1, most + 1) if m.legend_gap + _gallery_width(pitch, k, m.text) <= room.room_w]
    if not fits:
        return pitch, 0
    if r.auto_panel and not room.panel_row:  # the panel first needs its least width
        beside = [k for k in fits if m.legend_gap + _gallery_width(pitch, k, m.text) + m.panel_gap + room.panel_min <= room.room_w]
        return pitch, beside[-1] if beside else fits[-1]
    return pitch, fits[-1]


def _panel_beside(r: LayoutRequest, m: _Metrics, room: _Room, side_w: int) -> int | None:
    """The live panel's width beside the planes and the legend: all that is left; None where that is too little."""
    left = room.room_w - side_w - m.panel_gap - r.planes * room.reserve
    return left if r.auto_panel and not room.panel_row and left >= room.panel_min else None


def _grown_planes(r: LayoutRequest, m: _Metrics, room: _Room, side_w: int, grid: TileGrid) -> tuple[int, int, int]:
    """The planes' (w, h, top): grown into what is left (nothing when the panel is there) until the
    parts reach across FILL of the frame: wider or taller than the data, never smaller; no more,
    since under the following camera every pixel of plane is grid to repaint."""
    fill = 1.0 if r.fit else FILL
    used = r.planes * (m.gutter + room.plane_w) + (r.planes - 1) * m.gap + side_w
    grow = min(room.room_w - side_w, max(0.0, fill * r.width - used))
    plane_w = _snap(grow / r.planes + room.plane_w, grid.tile_w)
    wanted_h = min(room.region_h, max(room.plane_h + (room.reserve if room.panel_row else 0),
                                      round(fill * r.height) - m.top - (r.height - m.bottom)))
    y = (m.top + (room.region_h - wanted_h) // 2) // grid.tile_h * grid.tile_h  # on the tile grid: a few pixels up at most
    plane_h = _snap(min(wanted_h + grid.tile_h - 1, m.top + room.region_h - y), grid.tile_h)
    return plane_w, plane_h, y


def _gallery_at(legend_x: int, m: _Metrics, room: _Room, pitch: int, per_row: int, counts: list[tuple[int, int]]) -> Gallery:
    classes = tuple(label for label, _ in counts)
    rows_h = pitch * (len(classes) + 1)
    return Gallery(x=legend_x, y=m.top + (room.region_h - rows_h) // 2, pitch=pitch, thumb=_thumb_px(pitch), per_row=per_row,
                   label_w=round(GALLERY_LABEL * m.text), gap=round(GALLERY_GAP * _thumb_px(pitch)), classes=classes)


def _panel_box(r: LayoutRequest, m: _Metrics, room: _Room, panel_w: int | None, side_right: int, planes_bottom: int) -> Box | None:
    """The live panel's box: beside the legend to the frame's margin, or the row under the planes' tick labels."""
    unit = r.unit_size
    if panel_w:
        panel_x = side_right + m.panel_gap
        return Box(panel_x, m.top, max(r.width - m.margin - panel_x, 1), m.bottom - m.top)
    if room.panel_row:
        row_top = planes_bottom + round(TICK_BAND * unit[1])
        return Box(m.margin, row_top, r.width - 2 * m.margin, max(r.height - round(0.02 * unit[1]) - row_top, 1))
    return None


def _filled(r: LayoutRequest, grid: TileGrid) -> Layout:
    """The default frame: the planes, then the digits legend, the live panel, or the planes' growth (see `layout`)."""
    unit = r.unit_size
    m = _metrics(r.width, r.height, unit, r.legend, r.auto_panel, r.fit)
    room = _room(r, m, grid)
    counts = sorted((r.digits or {}).items())
    pitch, per_row = _gallery_row(r, m, room, counts)
    side_w = m.legend_gap + (_gallery_width(pitch, per_row, m.text) if per_row else m.legend_w)
    panel_w = _panel_beside(r, m, room, side_w)
    if panel_w is not None:
        side_w += m.panel_gap + panel_w
    plane_w, plane_h, y = _grown_planes(r, m, room, side_w, grid)
    used = r.planes * (m.gutter + plane_w) + (r.planes - 1) * m.gap + side_w
    boxes = _row_of_planes(max(m.margin, (r.width - used) // 2), y, r.planes, plane_w, plane_h, m, grid)
    if boxes[-1].right + m.legend_gap + m.legend_w > r.width or y + plane_h > m.top + room.region_h:
        raise _too_small(unit, r.planes)
    legend_x = boxes[-1].right + m.legend_gap
    gallery = _gallery_at(legend_x, m, room, pitch, per_row, counts) if per_row else None
    side_right = legend_x + (_gallery_width(pitch, per_row, m.text) if per_row else m.legend_w)
    return Layout(text_px=m.text, planes=tuple(boxes), gutter=m.gutter, legend_x=legend_x,
                  panel=_panel_box(r, m, room, panel_w, side_right, y + plane_h), title_y=round(0.068 * unit[1]),
                  counter_y=round(0.11 * unit[1]), gallery=gallery, panel_row=room.panel_row, unit_h=unit[1])


def largest_planes(width: int, height: int) -> tuple[int, int]:
    """The widest and the tallest plane a `width` x `height` frame of one run can have (the aspect is
    clamped to `ASPECT_RANGE`): how many pixels a latent unit can span there, at most."""
    wide = layout(LayoutRequest(width, height, 1, ASPECT_RANGE[1])).planes[0]
    tall = layout(LayoutRequest(width, height, 1, ASPECT_RANGE[0])).planes[0]
    return wide.w, tall.h


def _too_small(asked: tuple[int, int], planes: int, beside: str = "") -> ProjectError:
    """The refusal of a frame too small, naming the size the user asked for (`--aspect fit` lays out
    a frame cut from it, whose size the user never gave)."""
    what = f"{planes} runs side by side" if planes > 1 else "a run's plane"
    return ProjectError(f"--size {asked[0]}x{asked[1]} is too small for {what}{beside}; give a larger --size, like 720p")


READABLE_PLANE = 0.2  # of the frame height: a plane with a shorter side shows its circles as specks (144 px at 720p)


def unreadable(plan: Layout, title_px: float, width: int) -> str:
    """Why runs side by side in `plan` cannot be read on a slide ("" when they can): a plane too
    small, or titles (`title_px` wide) running into the next plane's."""
    side = min(min(box.w, box.h) for box in plan.planes)
    if side < READABLE_PLANE * plan.unit_h:
        return f"its planes would be {side} px, less than {READABLE_PLANE:.0%} of the frame's height"
    # Each title starts over its plane and must end a space before the next one; the last one, before the frame's edge.
    gaps = [after.x - before.x - plan.text_px for before, after in zip(plan.planes, plan.planes[1:])]
    if title_px > min([*gaps, width - plan.planes[-1].x]):
        return "each run's title would run into the next one's"
    return ""


def readable_width(plan_at: Callable[[int], Layout], width: int, title_px: float) -> int | None:
    """The least frame width (whole video tiles, up to 4 times `width`) at which `plan_at(width)` is
    readable; None if none is. Text scales with the frame's height, so a larger frame of the same
    shape does not help: a wider one does."""
    for wider in range(-(-width // 32) * 32, 4 * width + 1, 32):
        try:
            if not unreadable(plan_at(wider), title_px, wider):
                return wider
        except ProjectError:
            continue
    return None


def fit_size(width: int, height: int, planes: int, aspect: float) -> tuple[int, int]:
    """`--aspect fit`: the frame cut to the planes at the data's aspect, their titles, tick labels and
    legend, as large as fits in `width` x `height`; rounded up to whole video tiles (even sizes)."""
    aspect = min(max(aspect, ASPECT_RANGE[0]), ASPECT_RANGE[1])
    m = _metrics(width, height, (width, height), True, False, fit=True)
    plane_w, plane_h = _data_planes(width, planes, aspect, m, m.legend_gap + m.legend_w, TileGrid(width, height))
    fit_w = 2 * m.margin + planes * (m.gutter + plane_w) + (planes - 1) * m.gap + m.legend_gap + m.legend_w
    fit_h = m.top + plane_h + (height - m.bottom)
    return min(-(-fit_w // 32) * 32, width), min(-(-fit_h // 8) * 8, height)


def _centred(r: LayoutRequest, grid: TileGrid) -> Layout:
    """The planes at the data's aspect with a side view `side_px` wide, the group centred."""
    width, height, planes, aspect, panel_px, unit = r.width, r.height, r.planes, r.aspect, r.side_px, r.unit_size
    m = _metrics(width, height, unit, r.legend, True)
    text = m.text
    plane_w, plane_h = _data_planes(width, planes, aspect, m, m.legend_gap + m.legend_w + m.panel_gap + panel_px, grid)
    avail_h = m.bottom - m.top
    used = planes * (m.gutter + plane_w) + (planes - 1) * m.gap + m.legend_gap + m.legend_w + m.panel_gap + panel_px
    left = max(m.margin, (width - used) // 2)
    y = m.top + (avail_h - plane_h) // 2
    y = int(y // grid.tile_h) * grid.tile_h
    boxes = _row_of_planes(left, y, planes, plane_w, plane_h, m, grid)
    if boxes[-1].right + m.legend_w > width or plane_h > avail_h:
        raise _too_small(unit, planes, " with the panel")
    legend_x = boxes[-1].right + m.legend_gap
    panel_x = legend_x + m.legend_w + m.panel_gap
    panel_box = Box(panel_x, m.top, max(width - m.margin - panel_x, 1), avail_h)
    return Layout(text_px=text, planes=tuple(boxes), gutter=m.gutter, legend_x=legend_x, panel=panel_box,
                  title_y=round(0.068 * unit[1]), counter_y=round(0.11 * unit[1]), unit_h=unit[1])


# How a frame is arranged, by its case: a side view given its width, or the frame filled from what the planes leave.
ARRANGEMENTS: dict[str, Callable[[LayoutRequest, TileGrid], Layout]] = {"side view": _centred, "filled": _filled}
