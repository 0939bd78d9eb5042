"""Still figures for talks: one look (theme, projector-sized fonts, 300 dpi) and one safe way to save.

Every still renderer builds a `Figure` with `new_figure`, so fonts and colours match the videos,
and saves it with `save_figure`, which picks the format from the suffix and writes atomically.
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


def style_axes(ax, theme: Theme, grid: bool = True) -> None:
    ax.set_facecolor(theme.background)
    ax.tick_params(colors=theme.muted, labelsize=FONT_PT * 0.85, length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if grid:
        ax.grid(True, color=theme.grid, linewidth=0.8)
        ax.set_axisbelow(True)
    ax.xaxis.label.set_color(theme.foreground)
    ax.yaxis.label.set_color(theme.foreground)
    ax.xaxis.label.set_size(FONT_PT)
    ax.yaxis.label.set_size(FONT_PT)
    ax.title.set_color(theme.foreground)
    ax.title.set_size(FONT_PT)


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
