"""The claims at a glance: a forest plot of the claims table, above it on the lecture page and on the
slide before it in the deck.

One line per row of the table, numbered as the table numbers them: the estimate (a marker) and its 95%
interval (a line) against what the words ask (a grey band from the threshold, a dark tick at it). One
panel per kind of effect, since their axes cannot be shared: ratios on a log scale, differences on a
symmetric log scale (their units differ from row to row: the sign against 0 is what is judged),
differences of counts in whole steps, shares from 0 to 100%. The verdict is a colour (Okabe-Ito:
safe for colour-blind readers), a marker shape and a word beside the row; a secondary row is hollow
and dashed. An interval that runs past the axis (or to infinity) ends in an arrow at the edge; a row
without one says so. Pages are 1920x1080 (a slide), as many as the rows need at a readable size.

Rows are `ForestRow`s, made from the `Claim` records or from claims.json's rows alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from atomic import atomic_paths, read_small_bytes
from errors import ProjectError
from lecture.record import ClaimRecord
from science.evidence import ABOVE, SIGN, WITHIN

WIDTH_PX, HEIGHT_PX = 1920, 1080  # a 16:9 slide at 1080p
FILE_STEM = "claims_forest"  # media/claims_forest_1.png, _2.png, ...: one per page
VERDICTS = ("holds", "contradicted", "inconclusive")


@dataclass(frozen=True)
class Look:
    """How a verdict is drawn: a colour, a marker shape, so that colour is never the only cue."""

    colour: str
    marker: str


LOOKS = {  # Okabe & Ito's colour-blind-safe palette: blue, vermillion, and a neutral grey for "undecided"
    "holds": Look("#0072B2", "o"),
    "contradicted": Look("#D55E00", "X"),
    "inconclusive": Look("#6F6F6F", "D"),
}
NOT_CHECKED = Look("#A0A0A0", "")
ASKED = "#E4E4E4"  # the band where the words ask the effect to lie
ZEBRA = "#F6F6F6"  # every other row, across the figure, so a row's label, line and verdict read as one


@dataclass(frozen=True)
class Panel:
    """One kind of effect: its title and the scale its axis is drawn on."""

    title: str
    scale: str  # log, symlog, linear, share


PANELS = {
    "ratio": Panel("Ratios (log scale: x2 and /2 equally far from x1)", "log"),
    "difference": Panel("Differences (symmetric log scale: units differ by row, the sign against 0 is judged)", "symlog"),
    "count": Panel("Differences of counts (median, whole steps)", "linear"),
    "share": Panel("Shares (of seeds, or a classifier's confidence)", "share"),
}


@dataclass(frozen=True)
class ForestRow:
    """One row of the claims table as the forest plot draws it."""

    number: int  # the table's row number, from 1
    text: str
    kind: str  # a key of PANELS
    estimate: float | None
    interval: tuple[float, float] | None
    threshold: float
    predicted: str  # above, below, within
    verdict: str  # holds, contradicted, inconclusive, not checked
    holm: str  # the verdict after Holm; "secondary" for a secondary row
    primary: bool

    @staticmethod
    def kind_of(scale: str, statistic: str) -> str:
        if scale in ("ratio", "share"):
            return scale
        return "count" if statistic == SIGN else "difference"

    @classmethod
    def from_claim(cls, number: int, claim) -> "ForestRow":
        """From a `lecture.claims.Claim`."""
        return cls(number, claim.text, cls.kind_of(claim.scale, claim.statistic), claim.estimate,
                   tuple(claim.interval) if claim.interval else None, claim.threshold, claim.predicted, claim.verdict, claim.holm, claim.primary)

    @classmethod
    def from_record(cls, number: int, record: ClaimRecord) -> "ForestRow":
        """From a row of claims.json, so that a deck could draw from the files alone."""
        return cls(number, record.text, cls.kind_of(record.scale or "difference", record.statistic), record.estimate, record.interval,
                   record.threshold or 0.0, record.predicted or ABOVE, record.verdict, record.holm_verdict, record.primary)

    @property
    def look(self) -> Look:
        return LOOKS.get(self.verdict, NOT_CHECKED)

    def verdict_text(self) -> str:
        """The word beside the row: its own verdict, and Holm's where that differs."""
        if not self.primary:
            return f"{self.verdict} (secondary)"
        if self.holm and self.holm != self.verdict:
            return f"{self.verdict}; {self.holm} after Holm"
        return self.verdict

    def asked(self) -> tuple[float, float]:
        """The range the words ask the effect to lie in (infinite on the open side)."""
        if self.predicted == WITHIN:
            return (1 / self.threshold, self.threshold) if self.kind == "ratio" else (-abs(self.threshold), abs(self.threshold))
        return (self.threshold, math.inf) if self.predicted == ABOVE else (-math.inf, self.threshold)


def verdict_counts(rows) -> dict[str, dict[str, int]]:
    """How many rows have each verdict: primary rows on their own and after Holm, secondary rows on
    their own; "not checked" (and any other word) counted under its own name."""
    counts = {"primary": {}, "holm": {}, "secondary": {}}
    for row in rows:
        verdict, holm = row.verdict.split(" (")[0], row.holm
        group = counts["primary" if row.primary else "secondary"]
        group[verdict] = group.get(verdict, 0) + 1
        if row.primary:
            counts["holm"][holm] = counts["holm"].get(holm, 0) + 1
    return counts


# -- pages ---------------------------------------------------------------------------------------
TITLE_PX, BOTTOM_PX = 96, 16  # the page's title and legend; the margin under the last panel
HEAD_PX, AXIS_PX, GAP_PX, ROW_PX = 34, 34, 18, 38  # a panel's title, its tick labels, the space after it; one row
LABEL_LEFT, AXES_LEFT, AXES_RIGHT = 0.012, 0.40, 0.775  # figure fractions: row labels, the axes, the verdicts after them


def pages_of(rows: list[ForestRow]) -> list[list[tuple[str, list[ForestRow]]]]:
    """The rows as pages of panels (kind, rows), in PANELS order and the table's order within a kind;
    a kind too long for the rest of a page goes on over the next."""
    room = HEIGHT_PX - TITLE_PX - BOTTOM_PX
    pages, page, used = [], [], 0
    for kind in PANELS:
        left = [row for row in rows if row.kind == kind]
        while left:
            fits = (room - used - HEAD_PX - AXIS_PX - GAP_PX) // ROW_PX
            if fits < min(3, len(left)) and page:
                pages.append(page)
                page, used = [], 0
                continue
            taken, left = left[:max(fits, 1)], left[max(fits, 1):]
            page.append((kind, taken))
            used += HEAD_PX + AXIS_PX + GAP_PX + ROW_PX * len(taken)
    if page or not pages:
        pages.append(page)
    return pages


def page_paths(media: Path, count: int) -> list[Path]:
    return [media / f"{FILE_STEM}_{number}.png" for number in range(1, count + 1)]


def forest_files(media: Path) -> list[Path]:
    """The forest plot's pages a lecture wrote into `media`, in order."""
    found = [path for path in media.glob(f"{FILE_STEM}_*.png") if re.fullmatch(rf"{FILE_STEM}_(\d+)\.png", path.name)]
    return sorted(found, key=lambda path: int(path.stem.rsplit("_", 1)[1]))


def write_forest(rows: list[ForestRow], media: Path, theme_name: str = "light") -> list[Path]:
    """Draw the rows' pages and write those that changed into `media` together (all or none, atomic;
    a page already there as drawn is kept, untouched, as the lecture keeps its media), removing pages
    of an earlier, longer table; returns the pages' paths."""
    import io

    drawn = []
    for pages in [pages_of(rows)]:
        for number, page in enumerate(pages, 1):
            figure, buffer = draw_page(page, number, len(pages), theme_name), io.BytesIO()
            figure.savefig(buffer, dpi=figure.dpi, facecolor=figure.get_facecolor(), format="png")
            drawn.append(buffer.getvalue())
    paths = page_paths(media, len(drawn))
    changed = [(path, png) for path, png in zip(paths, drawn) if not _holds(path, png)]
    if changed:
        with atomic_paths(*(path for path, _ in changed)) as temporaries:
            for (_, png), temporary in zip(changed, temporaries):
                temporary.write_bytes(png)
    for stale in forest_files(media)[len(paths):]:
        stale.unlink(missing_ok=True)
    return paths


def _holds(path: Path, png: bytes) -> bool:
    """Whether `path` is already a regular file of just these bytes: read no more than the page's own
    size (an 8 GB file there is not read into memory); anything else is rewritten."""
    try:
        return path.is_file() and path.stat().st_size == len(png) and read_small_bytes(path, len(png), "forest page") == png
    except (OSError, ProjectError):
        return False


# -- drawing -------------------------------------------------------------------------------------
def _fonts() -> dict[str, float]:
    from render.style import DPI, font_points

    return {name: font_points(HEIGHT_PX, DPI, fraction) for name, fraction in
            (("title", 0.026), ("head", 0.019), ("label", 0.0185), ("tick", 0.016), ("small", 0.0155))}


def draw_page(panels: list[tuple[str, list[ForestRow]]], number: int, of: int, theme_name: str = "light"):
    """One 1920x1080 page of the forest plot (a matplotlib Figure)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from render.figures import frame_figure, style_axes
    from render.style import theme

    look, fonts = theme(theme_name), _fonts()
    figure = frame_figure(WIDTH_PX, HEIGHT_PX, look.background)
    part = f" ({number} of {of})" if of > 1 else ""
    figure.text(LABEL_LEFT, 1 - 14 / HEIGHT_PX, f"The claims at a glance{part}: each estimate and its 95% interval against what the words ask",
                fontsize=fonts["title"], color=look.foreground, weight="bold", va="top")
    handles = [Line2D([], [], color=LOOKS[v].colour, marker=LOOKS[v].marker, markersize=11, lw=3, label=v) for v in VERDICTS]
    handles += [Line2D([], [], color=LOOKS["inconclusive"].colour, marker="D", markerfacecolor=look.background, markersize=11, lw=2,
                       ls="--", label="secondary read (hollow)"),
                Patch(facecolor=ASKED, label="where the words ask it to be"),
                Line2D([], [], color=look.foreground, marker="|", markersize=16, markeredgewidth=2.5, lw=0, label="threshold")]
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(LABEL_LEFT - 0.004, 1 - 50 / HEIGHT_PX), ncol=6, frameon=False,
                  fontsize=fonts["small"], handlelength=2.2, columnspacing=1.6, labelcolor=look.foreground)
    top = HEIGHT_PX - TITLE_PX
    for kind, rows in panels:
        height = ROW_PX * len(rows)
        top -= HEAD_PX
        ax = figure.add_axes((AXES_LEFT, (top - height) / HEIGHT_PX, AXES_RIGHT - AXES_LEFT, height / HEIGHT_PX))
        style_axes(ax, look, tick_pt=fonts["tick"], label_pt=fonts["head"])
        ax.grid(False, axis="y")
        figure.text(LABEL_LEFT, (top + 8) / HEIGHT_PX, PANELS[kind].title, fontsize=fonts["head"], color=look.foreground, weight="bold")
        figure.text(AXES_RIGHT + 0.01, (top + 8) / HEIGHT_PX, "verdict", fontsize=fonts["head"], color=look.muted)
        _draw_panel(figure, ax, kind, rows, look, fonts)
        top -= height + AXIS_PX + GAP_PX
    return figure


def _draw_panel(figure, ax, kind: str, rows: list[ForestRow], look, fonts) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
    from matplotlib.transforms import blended_transform_factory

    scale = PANELS[kind].scale
    low, high = _limits(rows, scale)
    if scale == "log":
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(_log_ticks(low, high)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"x{v:g}"))
    elif scale == "symlog":
        linthresh = _linthresh(rows)
        ax.set_xscale("symlog", linthresh=linthresh)
        ax.xaxis.set_major_locator(FixedLocator(_symlog_ticks(low, high, linthresh)))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}" if v else "0"))
    elif scale == "share":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(low, high)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks([])
    across = blended_transform_factory(figure.transFigure, ax.transData)
    for y, row in enumerate(rows):
        if y % 2 == 0:
            ax.fill_between([0, 1], y - 0.5, y + 0.5, transform=across, color=ZEBRA, lw=0, zorder=-3, clip_on=False)
        ax.text(LABEL_LEFT + 0.022, y, str(row.number), transform=across, ha="right", va="center", fontsize=fonts["label"],
                color=look.foreground, weight="bold")
        label = ax.text(LABEL_LEFT + 0.03, y, row.text, transform=across, ha="left", va="center", fontsize=fonts["label"], color=look.foreground)
        _fit(label, figure, AXES_LEFT - 0.012 - (LABEL_LEFT + 0.03))
        ax.text(AXES_RIGHT + 0.01, y, row.verdict_text(), transform=across, ha="left", va="center", fontsize=fonts["small"],
                color=row.look.colour, weight="bold")
        _draw_row(ax, y, row, (low, high), look, fonts)


def _draw_row(ax, y: float, row: ForestRow, limits: tuple[float, float], look, fonts) -> None:
    """The band the words ask for, the threshold, the interval and the estimate of one row."""
    low, high = limits
    asked = row.asked()
    ax.fill_betweenx([y - 0.36, y + 0.36], max(asked[0], low), min(asked[1], high), color=ASKED, lw=0, zorder=-1)
    for tick in {bound for bound in row.asked() if math.isfinite(bound)}:
        if low <= tick <= high:
            ax.plot([tick, tick], [y - 0.4, y + 0.4], color=look.foreground, lw=2.5, solid_capstyle="butt", zorder=1)
    colour, marker = row.look.colour, row.look.marker
    face = colour if row.primary else look.background
    if row.estimate is None or math.isnan(row.estimate):
        words = "not checked" if row.verdict.startswith("not checked") else "no estimate"
        ax.text(0.02, y, words, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=fonts["small"], color=look.muted,
                style="italic")
        return
    if row.interval is not None:
        start, end = (min(max(bound, low), high) for bound in row.interval)
        ax.plot([start, end], [y, y], color=colour, lw=3.5, ls="-" if row.primary else (0, (3, 1.5)), zorder=2, solid_capstyle="butt")
        for bound, edge, arrow in ((row.interval[0], low, "<"), (row.interval[1], high, ">")):
            if not low < bound < high:  # past the axis, or infinite: an arrow at the edge
                ax.plot([edge], [y], marker=arrow, color=colour, markersize=13, zorder=3, clip_on=False, linestyle="none")
    estimate = min(max(row.estimate, low), high)
    ax.plot([estimate], [y], marker=marker, markersize=15, markerfacecolor=face, markeredgecolor=colour, markeredgewidth=2.2,
            color=colour, zorder=4, clip_on=False, linestyle="none")
    if row.interval is None:  # the words on the side with room: an estimate near the right edge would run them into the verdict
        across = ax.transAxes.inverted().transform(ax.transData.transform((estimate, y)))[0]
        right = across < 0.7
        ax.annotate("no interval", (estimate, y), xytext=(14 if right else -14, 0), textcoords="offset points", va="center",
                    ha="left" if right else "right", fontsize=fonts["small"], color=look.muted, style="italic")


def _fit(label, figure, width: float) -> None:
    """Shorten a row's label to `width` (figure fraction), keeping its trailing "(...)"/"[...]" (what
    tells two reads of one sentence apart) and cutting the words before it."""
    renderer = figure.canvas.get_renderer()
    room = width * figure.bbox.width
    text = " ".join(label.get_text().split())
    if label.get_window_extent(renderer).width <= room:
        return
    found = re.search(r"(\s*[\(\[][^()\[\]]*[\)\]])+$", text)
    head, tail = (text[:found.start()], text[found.start():]) if found else (text, "")
    while True:
        if len(head) > 12 or not tail:
            head = head[:-1]
        else:
            tail = tail[1:]
        label.set_text(head.rstrip(" ,.;") + "…" + tail)
        if label.get_window_extent(renderer).width <= room or not head and not tail:
            return


def _log_ticks(low: float, high: float) -> list[float]:
    """x1, x2, x5, x10, ... where they are at least three; finer steps on a narrow axis."""
    from matplotlib.ticker import LogLocator, MaxNLocator

    for subs in ((1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0), (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)):
        ticks = [v for v in LogLocator(subs=subs).tick_values(low, high) if low <= v <= high]
        if len(ticks) >= 3:
            return ticks
    return [v for v in MaxNLocator(5).tick_values(low, high) if low <= v <= high and v > 0]


def _symlog_ticks(low: float, high: float, linthresh: float) -> list[float]:
    """0 and the powers of ten out from the linear part, every other one where they crowd."""
    first = math.ceil(math.log10(linthresh) - 1e-9)
    powers = [10.0 ** k for k in range(first, first + 40) if 10.0 ** k <= max(-low, high)]
    if len([p for p in powers if p <= high]) + len([p for p in powers if p <= -low]) > 8:
        powers = powers[::2]
    return sorted([0.0] + [p for p in powers if p <= high] + [-p for p in powers if p <= -low])


def _forward(scale: str, linthresh: float):
    if scale == "log":
        return math.log10
    if scale == "symlog":
        return lambda x: math.copysign(math.log10(1 + abs(x) / linthresh), x)
    return lambda x: x


def _inverse(scale: str, linthresh: float):
    if scale == "log":
        return lambda t: 10 ** t
    if scale == "symlog":
        return lambda t: math.copysign(linthresh * (10 ** abs(t) - 1), t)
    return lambda t: t


def _linthresh(rows: list[ForestRow]) -> float:
    """The symmetric log scale's linear part: as small as the smallest nonzero value drawn."""
    values = [abs(v) for v in _core(rows, "symlog") + _bounds(rows, "symlog") if v and math.isfinite(v)]
    return max(min(values), 1e-9) if values else 1.0


def _core(rows: list[ForestRow], scale: str) -> list[float]:
    """The values the axis must show: estimates and thresholds."""
    values = [row.estimate for row in rows if row.estimate is not None] + [b for row in rows for b in row.asked()]
    return [v for v in values if math.isfinite(v) and (v > 0 or scale != "log")]


def _bounds(rows: list[ForestRow], scale: str) -> list[float]:
    values = [b for row in rows if row.interval and row.estimate is not None for b in row.interval]
    return [v for v in values if math.isfinite(v) and (v > 0 or scale != "log")]


def _limits(rows: list[ForestRow], scale: str) -> tuple[float, float]:
    """The axis' range: every estimate and threshold, and the intervals as far as twice that span
    (or a decade) on either side; what lies beyond ends in an arrow at the edge."""
    if scale == "share":
        return -0.03, 1.03
    linthresh = _linthresh(rows) if scale == "symlog" else 1.0
    forward, inverse = _forward(scale, linthresh), _inverse(scale, linthresh)
    core = [forward(v) for v in _core(rows, scale)] or [forward(1.0 if scale == "log" else 0.0)]
    low, high = min(core), max(core)
    reach = max(2 * (high - low), 1.0)
    bounds = [forward(v) for v in _bounds(rows, scale)]
    low = min([low] + [b for b in bounds if b >= low - reach])
    high = max([high] + [b for b in bounds if b <= high + reach])
    least = 2.0 if scale == "linear" else 1e-9  # counts: at least the steps -1, 0, 1
    if high - low < least:
        low, high = (low + high - least) / 2, (low + high + least) / 2
    pad = 0.06 * (high - low)
    return inverse(low - pad), inverse(high + pad)


# -- the page ------------------------------------------------------------------------------------
def counts_html(rows: list[ForestRow]) -> str:
    """The verdicts counted, as a small table: primary rows on their own and after Holm, secondary rows."""
    from report.markup import text

    counts = verdict_counts(rows)
    words = list(VERDICTS) + sorted({word for group in counts.values() for word in group} - set(VERDICTS) - {"secondary"})
    lines = (("primary rows, on their own", counts["primary"]), ("primary rows, after Holm", counts["holm"]),
             ("secondary rows, on their own", counts["secondary"]))
    body = "".join(f"<tr><td>{text(name)}</td>" + "".join(f'<td class="{text(word.split()[0])}">{group.get(word, 0)}</td>' for word in words)
                   + "</tr>" for name, group in lines)
    return (f'<table class="numbers counts"><thead><tr><th>verdicts</th>{"".join(f"<th>{text(word)}</th>" for word in words)}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def glance_html(claims, page: Path, media: Path) -> str:
    """Above the claims table: the verdicts counted and the forest plot's pages, drawn from `claims`
    (lecture.claims.Claim, in the table's order) into `media`, linked from the page at `page`'s folder."""
    from report.markup import link, text

    rows = [ForestRow.from_claim(number, claim) for number, claim in enumerate(claims, 1)]
    paths = write_forest(rows, media)
    caption = ("Each row of the table below, by its number: the estimate (marker) and its 95% interval (line) against what the words "
               "ask (grey band, threshold as a dark tick), one panel per kind of effect. Colour, marker and the word at the right give "
               "the verdict; hollow markers and dashed lines are secondary reads; an arrow at an edge is an interval that runs past it.")
    figures = "".join(f'<figure class="still forest"><img src="{link(path.relative_to(page).as_posix())}" '
                      f'alt="{text(f"forest plot of the claims, page {number} of {len(paths)}")}">'
                      f"<figcaption>{text(caption if number == 1 else f'The claims at a glance, page {number} of {len(paths)}.')}</figcaption></figure>"
                      for number, path in enumerate(paths, 1))
    return f'<div class="glance">{counts_html(rows)}{figures}</div>'
