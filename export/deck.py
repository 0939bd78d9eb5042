"""The slides as a 16:9 PowerPoint deck (python-pptx): each video embedded as it was rendered (the
same bytes) with its poster as the frame shown before it plays, each figure as a picture, the
lecture's claims as a table; written whole or not at all.

`--out` follows the rules of every other output: a deck this command made earlier is replaced (and
the CLI says so), anything else under that name is refused, so a hand-made talk is never lost.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from atomic import Written, atomic_path, ensure_free_space
from errors import ProjectError, make_folder
from export.slides import ClaimsTable, Deck, Slide

SUFFIX = ".pptx"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
MARKER = "vae-trajectories slides"  # the deck's category (File > Properties): what makes a file an earlier deck

# Inches on a 13.333 x 7.5 in (16:9) slide.
WIDTH, HEIGHT, MARGIN = 13.333, 7.5, 0.4
TITLE_TOP, TITLE_HEIGHT, CAPTION_HEIGHT = 0.25, 0.7, 0.55
MEDIA_TOP = TITLE_TOP + TITLE_HEIGHT + CAPTION_HEIGHT + 0.1
TABLE_COLUMNS = (("claim", 4.0), ("measure", 3.6), ("numbers", 3.0), ("verdict", 1.93))
TABLE_TOP = TITLE_TOP + TITLE_HEIGHT + 0.1
TABLE_PT, LINE_IN, PADDING = 11, 0.18, 0.6  # claims table: font size, the height of a line (Impress: 0.17 in), cell margins in lines


def default_out(deck: Deck) -> Path:
    return Path("outputs") / "slides" / f"{deck.name}{SUFFIX}"


def is_earlier_deck(path: Path) -> bool:
    """A .pptx zip of the presentation content type whose category says this command made it."""
    try:
        with zipfile.ZipFile(path) as archive:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError):
        return False
    return MAIN_TYPE in types and f">{MARKER}<" in core


def check_out(out: Path) -> bool:
    """Refuse an `--out` that is not a .pptx or would replace anything but an earlier deck; returns
    whether it replaces one."""
    if out.suffix.lower() != SUFFIX:
        raise ProjectError(f"--out {out}: a deck's name ends in {SUFFIX}")
    if out.is_dir():
        raise ProjectError(f"--out {out}: a folder, not a file")
    if out.exists() or out.is_symlink():
        if not out.is_file() or not is_earlier_deck(out):
            raise ProjectError(f"--out {out} is not a deck made by python cli.py slides, so it is not replaced; choose another --out")
        return True
    return False


def _inches(value: float):
    from pptx.util import Inches

    return Inches(value)


def _text(frame, text: str, size: float, bold: bool = False, gray: bool = False) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    from export.slides import shown

    frame.word_wrap = True
    frame.text = shown(text)
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold = Pt(size), bold
            if gray:
                run.font.color.rgb = RGBColor(0x5F, 0x5F, 0x5F)


def _titled(presentation, title: str, caption: str):
    slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # "Title Only": the title is the slide's name in outlines
    heading = slide.shapes.title
    heading.left, heading.top, heading.width, heading.height = (_inches(v) for v in (MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT))
    _text(heading.text_frame, title, 24 if len(title) <= 56 else 20, bold=True)  # one line across the slide
    if caption:
        box = slide.shapes.add_textbox(*(_inches(v) for v in (MARGIN, TITLE_TOP + TITLE_HEIGHT, WIDTH - 2 * MARGIN, CAPTION_HEIGHT)))
        _text(box.text_frame, caption, 14, gray=True)
    return slide


def placement(pixels: tuple[int, int]) -> tuple[float, float, float, float]:
    """Left, top, width, height (inches) of a medium of `pixels` (width, height): as large as the
    space under the title allows, its own shape kept, centred."""
    room_w, room_h = WIDTH - 2 * MARGIN, HEIGHT - MEDIA_TOP - MARGIN / 2
    scale = min(room_w / pixels[0], room_h / pixels[1])
    width, height = pixels[0] * scale, pixels[1] * scale
    return MARGIN + (room_w - width) / 2, MEDIA_TOP + (room_h - height) / 2, width, height


def _medium_slide(presentation, slide: Slide) -> None:
    from PIL import Image

    page = _titled(presentation, slide.title, slide.caption)
    picture = slide.poster or slide.medium
    try:
        with Image.open(picture) as image:
            where = tuple(_inches(value) for value in placement(image.size))
    except (OSError, ValueError) as exc:  # a damaged or truncated PNG
        raise ProjectError(f"{picture}: not a readable PNG ({exc}); render it again, or move it out of the folder") from None
    if slide.is_video:
        page.shapes.add_movie(str(slide.medium), *where, poster_frame_image=str(slide.poster), mime_type="video/mp4")
    else:
        page.shapes.add_picture(str(slide.medium), *where)
    if slide.notes:
        page.notes_slide.notes_text_frame.text = slide.notes


def _row_lines(row: dict) -> int:
    """Lines a claims row takes, at about 13 characters per inch of column at TABLE_PT."""
    return max(max(1, -(-len(row[key]) // int(13 * width))) for key, width in
               zip(("text", "measure", "numbers", "verdict"), (width for _, width in TABLE_COLUMNS)))


def _claims_slides(presentation, table: ClaimsTable) -> int:
    """The claims table on as few slides as it fits (one for the lecture's ten); returns how many."""
    room = (HEIGHT - TABLE_TOP - MARGIN / 2) / LINE_IN - 1 - PADDING  # lines, less the header's
    pages, page, used = [], [], 0.0
    for row in table.rows:
        lines = _row_lines(row) + PADDING
        if page and used + lines > room:
            pages.append(page)
            page, used = [], 0.0
        page.append(row)
        used += lines
    pages.append(page)
    seeds = ", ".join(map(str, table.seeds))
    for number, rows in enumerate(pages, 1):
        part = f" ({number} of {len(pages)})" if len(pages) > 1 else ""
        slide = _titled(presentation, f"The page's claims, checked over seeds {seeds}{part}", "")
        heights = [1 + PADDING] + [_row_lines(row) + PADDING for row in rows]
        shape = slide.shapes.add_table(len(rows) + 1, len(TABLE_COLUMNS), *(_inches(v) for v in (MARGIN, TABLE_TOP, WIDTH - 2 * MARGIN, LINE_IN * sum(heights))))
        grid = shape.table
        for row, lines in zip(grid.rows, heights):  # each row as tall as its text, so the table's height is known
            row.height = _inches(LINE_IN * lines)
        for column, (name, width) in enumerate(TABLE_COLUMNS):
            grid.columns[column].width = _inches(width)
            _text(grid.cell(0, column).text_frame, name, TABLE_PT + 1, bold=True)
        for index, row in enumerate(rows, 1):
            for column, key in enumerate(("text", "measure", "numbers", "verdict")):
                _text(grid.cell(index, column).text_frame, row[key], TABLE_PT, bold=key == "verdict")
    return len(pages)


def write_deck(deck: Deck, out: Path) -> tuple[Written, int]:
    """The deck at `out`, whole or not at all; returns it and its number of slides."""
    from pptx import Presentation

    replaced = check_out(out)
    make_folder(out.parent, "deck's folder")
    media_bytes = sum(path.stat().st_size for slide in deck.slides for path in (slide.medium, slide.poster) if path)
    ensure_free_space(out.parent, media_bytes + (1 << 20), out.name)
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = _inches(WIDTH), _inches(HEIGHT)
    presentation.core_properties.title = deck.name
    presentation.core_properties.category = MARKER
    for slide in deck.slides:
        _medium_slide(presentation, slide)
    for table in deck.claims:
        _claims_slides(presentation, table)
    with atomic_path(out) as tmp:
        presentation.save(str(tmp))
    return Written(out, replaced), len(presentation.slides)


def make_slides(folders: list[Path], out: Path | None, echo=print) -> Written:
    """`slides`: collect what the folders show, write the deck, say where it went and what it holds."""
    from export.slides import collect_deck

    if out is not None:
        check_out(Path(out))  # before anything is read: a wrong --out is the first thing to hear
    deck = collect_deck(list(folders), echo)
    written, count = write_deck(deck, Path(out) if out is not None else default_out(deck))
    videos = sum(slide.is_video for slide in deck.slides)
    echo(f"deck: {written.path}  ({count} slide{'s' * (count != 1)}, {videos} video{'s' * (videos != 1)} embedded"
         f"{'; replaced the earlier file' if written.replaced else ''})")
    return written
