"""The slides as a 16:9 PowerPoint deck (python-pptx): each video embedded as it was rendered (the
same bytes) with its poster as the frame shown before it plays, each figure as a picture, the
lecture's claims as a table; written whole or not at all.

`--out` replaces a deck only where nothing of it can be lost: a deck this command made and nobody
changed since (its fingerprint, `export.deckzip`, still matches its parts), or, with `--overwrite`,
any deck this command made; the CLI says it replaced it. Anything else under that name is refused
in one line, so a talk a user edited or made by hand is never lost.

Every text that reaches the deck's XML (titles, captions, notes, table cells, the deck's title and
shape names) goes through `xml_safe`; a poster or figure that does not decode whole, or has more
pixels than a slide's picture may, leaves its slide out with a line, as does a video that cannot be
read.
"""

from __future__ import annotations

import errno
import io
import os
import re
import warnings
import zipfile
from pathlib import Path

from atomic import Written, atomic_path, ensure_free_space, temporary_name
from errors import ProjectError, make_folder, printable
from export.deckzip import (
    FINGERPRINT,
    UNSET,
    Media,
    is_unchanged,
    name_parts_in_constant_time,
    write_zip,
)
from export.slides import ClaimsTable, Deck, Slide, nothing_to_show
from lecture.record import ClaimRecord
from owners import home, refuse_file_inside

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
MAX_PIXELS = 7680 * 4320  # an 8K frame: more than any poster or figure this project renders, and a bounded decode
CORE_LIMIT = 1 << 20  # bytes: the most of a deck's core properties read to tell whose it is


def xml_safe(text) -> str:
    """`text` as the deck's XML may hold it and a reader can read it: each byte of a name that is not
    UTF-8 (kept by Python as a surrogate) as `\\xff`, and control (ESC), text-reordering and other
    characters XML forbids or hides as escapes, as `errors.printable` writes them for the terminal."""
    return printable(re.sub("[\udc80-\udcff]", lambda byte: f"\\x{ord(byte.group()) - 0xdc00:02x}", str(text)))


def default_out(deck: Deck) -> Path:
    return home("slides") / f"{deck.name}{SUFFIX}"


def is_earlier_deck(path: Path) -> bool:
    """A .pptx zip of the presentation content type whose category says this command made it."""
    try:
        with zipfile.ZipFile(path) as archive:
            if any(archive.getinfo(name).file_size > CORE_LIMIT for name in ("[Content_Types].xml", "docProps/core.xml")):
                return False
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, ValueError, EOFError):
        return False
    return MAIN_TYPE in types and f">{MARKER}<" in core


def check_out(out: Path, overwrite: bool = False) -> bool:
    """Refuse an `--out` that is not a .pptx, or would replace anything but a deck this command made
    and nobody changed since (any deck it made, with `overwrite`); returns whether it replaces one."""
    if out.suffix.lower() != SUFFIX:
        raise ProjectError(f"--out {out}: a deck's name ends in {SUFFIX}")
    if out.is_dir():
        raise ProjectError(f"--out {out}: a folder, not a file")
    refuse_file_inside(out)  # a deck inside a run, a sweep, a report or a lecture would block its next replacement
    if out.exists() or out.is_symlink():
        if not out.is_file() or not is_earlier_deck(out):
            raise ProjectError(f"--out {out} is not a deck made by python cli.py slides, so it is not replaced; choose another --out")
        if not overwrite and not is_unchanged(out):
            raise ProjectError(f"--out {out} is a deck python cli.py slides made, but not as it wrote it (changed since, or written before "
                               "decks kept a fingerprint), so it is not replaced; choose another --out, or give --overwrite to replace it")
        return True
    return False


def _check_writable(out: Path) -> None:
    """Create and remove a file beside `out`: a folder that takes no files (/proc, /sys, read-only)
    is one line saying so, before any medium is read (its free space, 0, would read as a full disk)."""
    probe = temporary_name(out)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        reason = "it takes no new files" if exc.errno == errno.ENOENT else exc.strerror
        raise ProjectError(f"--out {out}: cannot write a file in {out.parent} ({reason}); choose another --out") from None
    probe.unlink(missing_ok=True)


def _bytes_to_embed(deck: Deck) -> int:
    """The bytes of the media the deck embeds, each file once however many links or slides name it."""
    sizes = {}
    for path in (path for slide in deck.slides for path in (slide.medium, slide.poster) if path):
        try:
            info = os.stat(path)
        except OSError:  # left out when its slide is made
            continue
        sizes[info.st_dev, info.st_ino] = info.st_size
    return sum(sizes.values())


def _inches(value: float):
    from pptx.util import Inches

    return Inches(value)


def _text(frame, text: str, size: float, bold: bool = False, gray: bool = False) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.word_wrap = True
    frame.text = xml_safe(text)
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


class Unreadable(Exception):
    """Why a picture cannot go on a slide, in words."""


def png_size(path: Path) -> tuple[int, int]:
    """The (width, height) of the PNG at `path`, after decoding all of it: a truncated or damaged
    file, or one of more than MAX_PIXELS pixels (a decompression bomb), raises `Unreadable`."""
    import zlib

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG"]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Unreadable(f"{width}x{height} pixels, more than a slide's picture may have ({MAX_PIXELS:,})")
                image.verify()  # every chunk there, its checksum right
            with Image.open(path, formats=["PNG"]) as image:
                image.load()  # every pixel decodes
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unreadable(f"more pixels than a slide's picture may have ({MAX_PIXELS:,})") from None
    except UnidentifiedImageError:
        raise Unreadable("not a readable PNG (cut off before its header ends, or another format)") from None
    except OSError as exc:
        raise Unreadable(f"not a readable PNG ({exc.strerror or exc})") from None
    except (ValueError, SyntaxError, EOFError, zlib.error, MemoryError) as exc:
        raise Unreadable(f"not a readable PNG ({exc})") from None
    return width, height


def _medium_slide(presentation, slide: Slide, media: Media, echo) -> bool:
    """The slide of a video or figure; False (and one line) where its picture or video cannot be read."""
    picture = slide.poster or slide.medium
    try:
        size = png_size(picture)
        image = media.stand_in(picture, picture=True)
        video = media.stand_in(slide.medium, picture=False) if slide.is_video else None
    except Unreadable as why:
        echo(f"left out {slide.medium}: {f'its poster {picture.name} is ' if slide.poster else ''}{why}; render it again")
        return False
    except OSError as exc:
        echo(f"left out {slide.medium}: cannot be read ({exc.strerror})")
        return False
    page = _titled(presentation, slide.title, slide.caption)
    where = tuple(_inches(value) for value in placement(size))
    if video is not None:
        movie = page.shapes.add_movie(video, *where, poster_frame_image=image, mime_type="video/mp4")
        movie.name = xml_safe(slide.medium.name)  # as the selection pane lists it
    else:
        figure = page.shapes.add_picture(image, *where)
        figure._element._nvXxPr.cNvPr.set("descr", xml_safe(slide.medium.name))  # its alternative text: the file, as before stand-ins
    if slide.notes:
        page.notes_slide.notes_text_frame.text = xml_safe(slide.notes)
    return True


def _cells(row: ClaimRecord) -> tuple[str, str, str, str]:
    """What a claims row shows, column by column (TABLE_COLUMNS)."""
    return row.text, row.measure, row.numbers, row.verdict


def _row_lines(row: ClaimRecord) -> int:
    """Lines a claims row takes, at about 13 characters per inch of column at TABLE_PT."""
    return max(max(1, -(-len(cell) // int(13 * width))) for cell, (_, width) in zip(_cells(row), TABLE_COLUMNS))


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
            for column, cell in enumerate(_cells(row)):
                _text(grid.cell(index, column).text_frame, cell, TABLE_PT, bold=column == len(TABLE_COLUMNS) - 1)  # the verdict
    return len(pages)


def write_deck(deck: Deck, out: Path, overwrite: bool = False, echo=print) -> tuple[Written, int, int]:
    """The deck at `out`, whole or not at all; returns it, its number of slides and of videos."""
    from pptx import Presentation

    check_out(out, overwrite)
    make_folder(out.parent, "deck's folder")
    _check_writable(out)
    ensure_free_space(out.parent, _bytes_to_embed(deck) + (1 << 20), out.name)
    presentation = Presentation()
    name_parts_in_constant_time(presentation.part.package)
    presentation.slide_width, presentation.slide_height = _inches(WIDTH), _inches(HEIGHT)
    presentation.core_properties.title = xml_safe(deck.name)[:255]  # python-pptx's limit
    presentation.core_properties.category = MARKER
    presentation.core_properties.identifier = FINGERPRINT + UNSET  # set when the zip is written
    media = Media()
    made = [slide for slide in deck.slides if _medium_slide(presentation, slide, media, echo)]
    if not made:
        raise nothing_to_show()
    for table in deck.claims:
        _claims_slides(presentation, table)
    built = io.BytesIO()  # the slides' XML, with stand-ins for the media
    presentation.save(built)
    replaced = check_out(out, overwrite)  # again: the deck there may have been edited while this one was built
    try:
        with atomic_path(out) as tmp:
            write_zip(built, media, tmp)
    except OSError as exc:  # not a full disk (atomic_path says that): a medium gone, the folder gone
        raise ProjectError(f"cannot write the deck {out}: {exc.strerror or exc}; nothing was written") from None
    return Written(out, replaced), len(presentation.slides), sum(slide.is_video for slide in made)


def make_slides(folders: list[Path], out: Path | None, overwrite: bool = False, echo=print) -> Written:
    """`slides`: collect what the folders show, write the deck, say where it went and what it holds."""
    from export.slides import collect_deck

    if out is not None:
        check_out(Path(out), overwrite)  # before anything is read: a wrong --out is the first thing to hear
    deck = collect_deck(list(folders), echo)
    written, count, videos = write_deck(deck, Path(out) if out is not None else default_out(deck), overwrite, echo)
    echo(f"deck: {written.path}  ({count} slide{'s' * (count != 1)}, {videos} video{'s' * (videos != 1)} embedded"
         f"{'; replaced the earlier file' if written.replaced else ''})")
    return written
