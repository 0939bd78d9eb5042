"""Figures for talks: one look (theme, projector-sized fonts, 300 dpi) and one safe way to save.

Every still renderer builds a `Figure` with `new_figure`, so fonts and colours match the videos,
and saves it with `save_figure`, which picks the format from the suffix and writes atomically.
A video's frame is drawn on `frame_figure`, exactly the frame's size in pixels; axes on either
take the theme's look from `style_axes`.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from atomic import Written, atomic_path
from errors import ProjectError
from render.outputs import ensure_output_dir
from render.style import DPI, Theme

STILL_DPI = 300
STILL_FORMATS = (".png", ".svg", ".pdf")
FONT_PT = 15  # body text at the figure's own size; a 10-inch-wide figure fills a slide


def new_figure(theme: Theme, width_in: float, height_in: float) -> Figure:
    """A figure styled by the theme; axes added to it pick the style up through `style_axes`."""
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(figure)
    return figure


def frame_figure(width_px: int, height_px: int, facecolor: str | None = None) -> Figure:
    """A figure `width_px` x `height_px` pixels at `DPI`, with its Agg canvas (`figure.canvas`): what
    a video frame is drawn on, and read back from with `figure.canvas.buffer_rgba()`."""
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor=facecolor)
    FigureCanvasAgg(figure)
    return figure


def style_axes(ax, theme: Theme, grid: bool = True, *, tick_pt: float = FONT_PT * 0.85, label_pt: float = FONT_PT,
               label_color: str | None = None, grid_width: float = 0.8, tick_pad: float | None = None,
               facecolor: str | None = None) -> None:
    """The theme's look: no spines or tick marks, muted tick labels, a light grid behind the data.

    Stills keep the defaults; a video frame passes sizes that scale with its height (`tick_pt`,
    `label_pt` for axis labels and title, `grid_width`), and may mute its labels or see through
    its background (`facecolor="none"`)."""
    ax.set_facecolor(theme.background if facecolor is None else facecolor)
    ax.tick_params(colors=theme.muted, labelsize=tick_pt, length=0, **({} if tick_pad is None else {"pad": tick_pad}))
    for spine in ax.spines.values():
        spine.set_visible(False)
    if grid:
        ax.grid(True, color=theme.grid, linewidth=grid_width)
        ax.set_axisbelow(True)
    for label in (ax.xaxis.label, ax.yaxis.label):
        label.set_color(label_color or theme.foreground)
        label.set_size(label_pt)
    ax.title.set_color(theme.foreground)
    ax.title.set_size(label_pt)


def check_still_path(path: Path) -> None:
    """Refuse a suffix we cannot write, and an output directory we cannot write to, before any work."""
    if path.suffix.lower() not in STILL_FORMATS:
        raise ProjectError(f"{path}: the file name must end in {', '.join(STILL_FORMATS)}")
    ensure_output_dir(path)


def save_figure(figure: Figure, path: Path) -> Written:
    """PNG at 300 dpi, or SVG/PDF (vector, digits kept as crisp images), by the suffix; atomic."""
    path = Path(path)
    check_still_path(path)
    replaced = path.exists()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=STILL_DPI, facecolor=figure.get_facecolor(), format=path.suffix[1:].lower())
    return Written(path, replaced)
