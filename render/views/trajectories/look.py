"""The look of the trajectories view, as one record: what anything that draws a run as the video does
(the report's explorer, report/assets/explorer.js) needs to draw it alike.

The values stay where the view uses them (camera.py's camera, plane.py's shapes and grid, layout.py's
text, panel.py's losses, the video's rate and scale): `LOOK` is built from them, so there is one
source, and a page that draws from `LOOK.data(theme)` follows the video when the view changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from render.style import AA_PAD_PX, CLASS_COLORS, DPI, REFERENCE_HEIGHT, RUN_COLORS, Theme
from render.video.spec import FPS
from render.views.trajectories import camera, layout, panel, plane


@dataclass(frozen=True)
class Look:
    """Colours, alphas, sizes and the camera's rules of the trajectories view. Sizes in text heights
    are of the body text (`text`, of the frame height); lines are at `reference_height` and scale
    with the frame's height, in points of a `dpi` figure where so noted."""

    colors: tuple[str, ...]  # one per class
    run_colors: tuple[str, ...]  # one per run side by side
    fill_alpha: float  # a variance circle's inside
    dot_fill_alpha: float  # a dot's, for a run without sampling
    edge_alpha: float  # the circles' outlines
    dot_radius: float  # of the frame height
    trail_alpha: float  # the newest segment of a trail
    trail_levels: int  # the trail fades in this many steps
    aa_pad_px: int  # antialiasing's reach past a shape's edge
    margin: float  # the camera's room around the circles, of the view's half-size
    smooth_seconds: float  # the follow camera's smoothing (a Gaussian's sigma)
    max_zoom_per_second: float  # the follow camera's fastest change of size
    fps: float  # one recorded step a frame at this rate
    smooth_share: float  # the losses' exponential average spans this share of the steps
    losses_top: float  # percentile of a losses plot's values at its top
    losses_pad: float  # of the span shown, above and below
    losses_least_span: float  # of the top value
    aspect_range: tuple[float, float]  # a plane's width / height, at least and at most
    text: float  # body text, of the frame height
    gutter: float  # text heights left of a plane, for its y tick labels
    tick_spacing: float  # text heights between grid lines, at least
    tick_steps: tuple[float, ...]  # a grid line every one of these times a power of ten
    tick_text: float  # a tick label's height, of the body text's
    tick_gap: float  # text heights between a tick label and its plane
    grid_line: float  # px
    edge_line: float  # points
    trail_line: float  # points
    reference_height: int  # the frame height the lines are given for
    dpi: int  # points to pixels: * dpi / 72

    def data(self, theme: Theme) -> dict:
        """The look as JSON for a page drawn in `theme`: camelCase names, tuples as lists."""
        out = {_camel(field.name): _plain(getattr(self, field.name)) for field in fields(self)}
        out["theme"] = {"background": theme.background, "foreground": theme.foreground, "muted": theme.muted, "grid": theme.grid}
        return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


LOOK = Look(
    colors=tuple(CLASS_COLORS), run_colors=tuple(RUN_COLORS),
    fill_alpha=plane.FILL_ALPHA, dot_fill_alpha=plane.DOT_FILL_ALPHA, edge_alpha=plane.EDGE_ALPHA, dot_radius=plane.DOT_RADIUS,
    trail_alpha=plane.TRAIL_ALPHA, trail_levels=plane.TRAIL_LEVELS, aa_pad_px=AA_PAD_PX,
    margin=camera.MARGIN, smooth_seconds=camera.SMOOTH_SECONDS, max_zoom_per_second=camera.MAX_ZOOM_PER_SECOND, fps=FPS,
    smooth_share=panel.SMOOTH_SHARE, losses_top=panel.LOSSES_TOP, losses_pad=panel.LOSSES_PAD, losses_least_span=panel.LOSSES_LEAST_SPAN,
    aspect_range=layout.ASPECT_RANGE, text=layout.TEXT, gutter=layout.GUTTER,
    tick_spacing=plane.TICK_SPACING, tick_steps=plane.TICK_STEPS, tick_text=plane.TICK_TEXT, tick_gap=plane.TICK_GAP,
    grid_line=plane.GRID_LINE, edge_line=plane.EDGE_LINE, trail_line=plane.TRAIL_LINE, reference_height=REFERENCE_HEIGHT, dpi=DPI,
)
