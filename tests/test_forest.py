"""The claims at a glance (lecture/forest.py), drawn from hand-made rows whose right picture is known:
each row where its numbers say, in its verdict's colour and shape, read back from the PNG's pixels;
intervals that run to infinity or are missing drawn as such; pages of 1920x1080, as many as the rows need."""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.colors import to_rgb
from PIL import Image

from lecture.forest import HEIGHT_PX, LOOKS, WIDTH_PX, ForestRow, draw_page, forest_files, pages_of, verdict_counts, write_forest


def row(number, kind="ratio", estimate=3.0, interval=(2.5, 3.6), threshold=2.0, predicted="above", verdict="holds", holm=None, primary=True,
        text=None):
    return ForestRow(number, text or f"claim {number}", kind, estimate, interval, threshold, predicted, verdict,
                     holm or (verdict if primary else "secondary"), primary)


ROWS = [
    row(1),  # holds: the whole interval past x2
    row(2, estimate=1.5, interval=(1.2, 1.8), verdict="contradicted"),  # wholly below x2
    row(3, estimate=2.4, interval=(0.7, math.inf), verdict="inconclusive"),  # an open interval: an arrow at the right edge
    row(4, estimate=1.3, interval=None, verdict="inconclusive"),  # one seed: no interval
    row(5, estimate=None, interval=None, verdict="not checked"),
    row(6, estimate=2.6, interval=(2.2, 3.1), primary=False),  # a secondary read: hollow
    row(7, kind="share", estimate=0.6, interval=(0.32, 0.84), threshold=0.2),
]


def rendered(panels):
    figure = draw_page(panels, 1, 1)
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=figure.dpi, facecolor=figure.get_facecolor(), format="png")
    return figure, np.asarray(Image.open(buffer).convert("RGB")).astype(int)


def pixel(ax, x: float, y: float) -> tuple[int, int]:
    """The PNG's (column, row) of data point (x, y) of `ax`."""
    column, height = ax.transData.transform((x, y))
    return int(round(column)), int(round(HEIGHT_PX - height))


def is_colour(rgb, colour: str, tolerance: int = 12) -> bool:
    return bool(np.all(np.abs(np.asarray(rgb) - np.array(to_rgb(colour)) * 255) <= tolerance))


def test_each_row_stands_where_its_numbers_say_in_its_verdicts_colour():
    panels = pages_of(ROWS)
    assert len(panels) == 1 and [kind for kind, _ in panels[0]] == ["ratio", "share"]
    figure, image = rendered(panels[0])
    assert image.shape == (HEIGHT_PX, WIDTH_PX, 3)
    ratios = figure.axes[0]
    assert ratios.get_xscale() == "log"
    holds, contradicted = LOOKS["holds"].colour, LOOKS["contradicted"].colour
    # Row 1 holds: its marker's centre is the holds colour at x3, right of the threshold x2, and its line
    # (the holds colour on that row) runs from x2.5 to x3.6.
    column, line = pixel(ratios, 3.0, 0)
    assert is_colour(image[line, column], holds)
    painted = [x for x in range(WIDTH_PX) if is_colour(image[line, x], holds)]
    painted = [x for x in painted if x > WIDTH_PX * 0.3 and x < WIDTH_PX * 0.78]  # the axes, not the verdict word at the right
    assert abs(min(painted) - pixel(ratios, 2.5, 0)[0]) <= 3 and abs(max(painted) - pixel(ratios, 3.6, 0)[0]) <= 3
    assert min(painted) > pixel(ratios, 2.0, 0)[0]
    # On a log scale x1 to x2 is as long as x2 to x4.
    assert abs((pixel(ratios, 2, 0)[0] - pixel(ratios, 1, 0)[0]) - (pixel(ratios, 4, 0)[0] - pixel(ratios, 2, 0)[0])) <= 1
    # Row 2 is contradicted: its colour at x1.5, its marker an X.
    column, line = pixel(ratios, 1.5, 1)
    assert is_colour(image[line, column], contradicted)
    markers = {(line.get_marker(), tuple(np.round(line.get_xydata()[0], 6))) for line in ratios.lines if len(line.get_xydata()) == 1}
    assert ("o", (3.0, 0.0)) in markers and ("X", (1.5, 1.0)) in markers and ("D", (2.4, 2.0)) in markers
    # Row 3's interval runs to infinity: an arrow at the axis' right edge.
    assert (">", (round(ratios.get_xlim()[1], 6), 2.0)) in markers
    texts = [text.get_text() for text in ratios.texts]
    assert "no interval" in texts and "not checked" in texts
    assert "holds" in texts and "contradicted" in texts and "holds (secondary)" in texts
    # Row 6 is secondary: hollow (the page's background inside its marker).
    (secondary,) = [line for line in ratios.lines if tuple(line.get_xydata()[0]) == (2.6, 5.0) and line.get_marker() == "o"]
    assert secondary.get_markerfacecolor() in ("#ffffff", (1.0, 1.0, 1.0, 1.0)) and secondary.get_markeredgecolor() == holds
    column, line = pixel(ratios, 2.6, 5)
    assert is_colour(image[line, column], "#ffffff")
    # Shares are on a linear axis from 0 to 100%.
    shares = figure.axes[1]
    assert shares.get_xscale() == "linear" and shares.get_xlim()[0] < 0 < 1 < shares.get_xlim()[1]
    column, line = pixel(shares, 0.6, 0)
    assert is_colour(image[line, column], holds)


def test_many_rows_make_several_pages_each_row_once_and_stale_pages_go(tmp_path):
    rows = [row(number, kind=("ratio", "difference", "count", "share")[number % 4], estimate=1.0 + number / 100,
                interval=(0.5, 1.5 + number), threshold=1.0, verdict="inconclusive") for number in range(1, 61)]
    paths = write_forest(rows, tmp_path)
    assert len(paths) >= 3 and forest_files(tmp_path) == paths
    for path in paths:
        with Image.open(path) as image:
            assert image.size == (WIDTH_PX, HEIGHT_PX)
    shown = sorted(shown.number for page in pages_of(rows) for _, panel in page for shown in panel)
    assert shown == list(range(1, 61))
    assert write_forest(rows[:3], tmp_path) == forest_files(tmp_path) == [tmp_path / "claims_forest_1.png"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["claims_forest_1.png"]  # no temporary left either


def test_rows_without_numbers_still_draw():
    """Nothing to draw (every row not checked, infinite estimates, an interval from 0) draws, never crashes."""
    rows = [row(1, estimate=None, interval=None, verdict="not checked"), row(2, estimate=math.inf, interval=(0.0, math.inf), verdict="inconclusive"),
            row(3, kind="difference", estimate=None, interval=None, threshold=0.0, predicted="below", verdict="not checked"),
            row(4, kind="count", estimate=0.0, interval=(0.0, 0.0), threshold=0.0, verdict="inconclusive")]
    for page in pages_of(rows):
        rendered(page)
    assert pages_of([]) == [[]]
    rendered([])


def test_verdicts_are_counted_own_and_after_holm():
    rows = [row(1), row(2, holm="inconclusive"), row(3, verdict="contradicted"), row(4, verdict="inconclusive", primary=False),
            row(5, verdict="not checked")]
    counts = verdict_counts(rows)
    assert counts["primary"] == {"holds": 2, "contradicted": 1, "not checked": 1}
    assert counts["holm"] == {"holds": 1, "inconclusive": 1, "contradicted": 1, "not checked": 1}
    assert counts["secondary"] == {"inconclusive": 1}


def test_a_page_drawn_alike_is_kept_untouched(tmp_path):
    """A lecture made again keeps its media: a page whose pixels did not change is not written again."""
    (first,) = write_forest(ROWS, tmp_path)
    made = first.stat().st_mtime_ns
    assert write_forest(ROWS, tmp_path) == [first] and first.stat().st_mtime_ns == made
    write_forest([row(1, estimate=3.3)] + ROWS[1:], tmp_path)
    assert first.stat().st_mtime_ns != made


def test_a_huge_file_in_a_pages_place_is_replaced_without_being_read(tmp_path):
    page = tmp_path / "claims_forest_1.png"
    with open(page, "wb") as handle:
        handle.truncate(8 << 30)  # 8 GB, sparse: reading it whole to compare would fill the memory
    (written,) = write_forest(ROWS, tmp_path)
    assert written == page and page.stat().st_size < 1 << 20 and page.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
