"""The slide decks of a run, a sweep and a lecture folder, opened by a real client: LibreOffice Impress
converts them to PDF (all in one start, it is slow to start), poppler renders the pages, and each
video's poster and each figure is found on its slide by its pixels; the videos in the decks are the
rendered files' bytes; the lecture's deck has its paragraphs as notes, then the claims at a glance, and its claims table last.
Every refusal is one line."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import cli, synthetic_run
from lecture.forest import forest_files
from lecture.lecture import PAGE, paragraphs

DPI = 50
EMU_PER_INCH = 914400


@pytest.fixture(scope="module")
def sources(small_lecture, tmp_path_factory):
    """A run with a video (MP4, and the same clip as WebM) and a figure; the small lecture's sweep with
    a video in one member; the small lecture itself."""
    run = synthetic_run(tmp_path_factory.mktemp("slides") / "run").parent
    for fmt in ("mp4", "webm"):
        assert cli("render", "trajectories", "--run", run, "--epochs", "1-2", "--size", "320x180", "--format", fmt, "--quiet").exit_code == 0
    assert cli("render", "latent", "--run", run).exit_code == 0
    sweep = small_lecture / "sweep"
    member = sweep / "784-256-2-variational-s0"
    if not (member / "videos").exists():
        assert cli("render", "trajectories", "--run", member, "--size", "320x180", "--quiet").exit_code == 0
    return {"run": run, "sweep": sweep, "lecture": small_lecture}


@pytest.fixture(scope="module")
def decks(sources, tmp_path_factory):
    """Each source's deck, made by the command, with what it printed, its PDF's pages as images and their text."""
    for tool, package in (("soffice", "libreoffice-impress"), ("pdftoppm", "poppler-utils"), ("pdftotext", "poppler-utils")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package}): the decks cannot be opened by a real client here")
    root = tmp_path_factory.mktemp("decks")
    made = {}
    for name, source in sources.items():
        result = cli("slides", source, "--out", root / f"{name}.pptx")
        assert result.exit_code == 0, result.output
        made[name] = {"deck": root / f"{name}.pptx", "output": result.output}
    profile = root / "libreoffice-profile"  # a private profile: parallel runs do not share LibreOffice's lock
    converted = subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir", str(root),
                                *(str(entry["deck"]) for entry in made.values())], capture_output=True, text=True, timeout=300)
    for name, entry in made.items():
        pdf = root / f"{name}.pdf"
        assert pdf.exists(), converted.stdout + converted.stderr
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(root / name)], check=True)
        entry["pages"] = [np.asarray(Image.open(path).convert("RGB")) for path in sorted(root.glob(f"{name}-*.png"),
                                                                                                       key=lambda p: int(p.stem.split("-")[-1]))]
        entry["text"] = [subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True,
                                        check=True).stdout for page in range(1, len(entry["pages"]) + 1)]
    return made


def slide_parts(deck: Path, number: int) -> dict[str, list[str]]:
    """The parts slide `number` (from 1) links to, by kind (video, image), as paths in the zip."""
    with zipfile.ZipFile(deck) as archive:
        rels = archive.read(f"ppt/slides/_rels/slide{number}.xml.rels").decode()
    parts: dict[str, list[str]] = {}
    for relationship in re.findall(r"<Relationship [^>]*>", rels):
        kind, target = re.search(r'Type="[^"]*/(\w+)"', relationship)[1], re.search(r'Target="\.\./([^"]+)"', relationship)
        if target:
            parts.setdefault(kind, []).append(f"ppt/{target[1]}")
    return parts


def places(deck: Path, number: int) -> list[tuple[float, float, float, float]]:
    """Where (left, top, width, height, inches) the slide's pictures and videos stand, as the deck says."""
    with zipfile.ZipFile(deck) as archive:
        xml = archive.read(f"ppt/slides/slide{number}.xml").decode()
    found = []
    for picture in re.findall(r"<p:pic>.*?</p:pic>", xml, flags=re.S):
        offset, extent = re.search(r'<a:off x="(\d+)" y="(\d+)"/>', picture), re.search(r'<a:ext cx="(\d+)" cy="(\d+)"/>', picture)
        found.append(tuple(int(value) / EMU_PER_INCH for value in (*offset.groups(), *extent.groups())))
    return found


def find_on_page(page: np.ndarray, image: Path, place: tuple[float, float, float, float]) -> float:
    """How alike the page where `place` is and `image` shrunk to that place are: the correlation of
    their pixels (1: the same picture; a blank or another picture there is far below), both averaged
    over 3x3 blocks first, since LibreOffice resamples and compresses pictures in its PDFs."""
    left, top, width, height = (round(value * DPI) for value in place)
    expected = Image.open(image).convert("RGB").resize((width, height), Image.LANCZOS)
    seen = Image.fromarray(page[top:top + height, left:left + width].astype(np.uint8))
    coarse = [np.asarray(picture.crop((2, 2, width - 2, height - 2)).resize(((width - 4) // 3, (height - 4) // 3), Image.BOX), dtype=np.float64)
              for picture in (seen, expected)]  # edges fall between pixels
    return float(np.corrcoef(coarse[0].ravel(), coarse[1].ravel())[0, 1])


def embedded_videos(deck: Path) -> int:
    with zipfile.ZipFile(deck) as archive:
        return sum(name.startswith("ppt/media/") and name.endswith(".mp4") for name in archive.namelist())


def check_slide(entry: dict, number: int, medium: Path, poster: Path | None) -> None:
    deck, page = entry["deck"], entry["pages"][number - 1]
    (place,) = places(deck, number)
    assert place[2] >= 0.6 * 13.333 or place[3] >= 0.7 * 7.5, place  # the medium fills the slide's width or height
    likeness = find_on_page(page, poster or medium, place)
    assert likeness > 0.9, (number, medium.name, likeness)
    if poster is not None:
        (video,) = slide_parts(deck, number)["video"]
        with zipfile.ZipFile(deck) as archive:
            assert archive.read(video) == medium.read_bytes(), (number, medium.name)


def test_a_run_deck_plays_its_video_and_shows_its_figure(decks, sources):
    entry, run = decks["run"], sources["run"]
    video, figure = run / "videos" / "trajectories_e1-2.mp4", run / "figures" / "latent_e2.png"
    assert len(entry["pages"]) == 2 and embedded_videos(entry["deck"]) == 1
    check_slide(entry, 1, video, video.with_suffix(".png"))
    check_slide(entry, 2, figure, None)
    assert "784-16-2 · variational · seed 0 · epochs 1-2" in entry["text"][0] and "trajectories_e1-2.mp4" in entry["text"][0]
    assert "784-16-2 · variational · seed 0 · epoch 2" in entry["text"][1]
    webm = run / "videos" / "trajectories_e1-2.webm"
    assert f"left out {webm}: WebM does not play in Keynote (render it again with --format mp4)" in entry["output"]
    assert entry["output"].splitlines()[-1] == f"deck: {entry['deck']}  (2 slides, 1 video embedded)"


def test_a_sweep_deck_has_its_members_media(decks, sources):
    entry, sweep = decks["sweep"], sources["sweep"]
    video = sweep / "784-256-2-variational-s0" / "videos" / "trajectories_e1.mp4"
    assert len(entry["pages"]) == 1 and embedded_videos(entry["deck"]) == 1
    check_slide(entry, 1, video, video.with_suffix(".png"))
    assert "784-256-2 · variational · seed 0 · epoch 1" in entry["text"][0]
    assert entry["output"].splitlines()[-1] == f"deck: {entry['deck']}  (1 slide, 1 video embedded)"  # the member without media adds none


def test_a_lecture_deck_follows_the_page(decks, sources):
    from pptx import Presentation

    entry, lecture = decks["lecture"], sources["lecture"]
    text = paragraphs()
    expected = [(number, path) for number in sorted(PAGE) for medium in PAGE[number] for path in medium.files(lecture / "media") if path.exists()]
    assert len(expected) == 5  # the small lecture's two runs make the page's first five media
    notes = [slide.notes_slide.notes_text_frame.text for slide in Presentation(str(entry["deck"])).slides]
    assert len(entry["pages"]) == len(notes) and len(notes) > len(expected)  # the media, then the claims table (one slide or more)
    # One part per distinct video: at one epoch with one digit per class tracked, the page's two trajectories clips are the same bytes.
    assert embedded_videos(entry["deck"]) == len({path.read_bytes() for _, path in expected if path.suffix == ".mp4"})
    for slide, (number, path) in enumerate(expected, 1):
        check_slide(entry, slide, path, path.with_suffix(".png") if path.suffix == ".mp4" else None)
        assert notes[slide - 1].endswith(text[number - 1]), (slide, number)
    assert "784-256-2 · variational · seed 0 · epoch 1" in entry["text"][0]
    assert "784-256-2 · variational vs deterministic · seed 0 · 1 epoch trained" in entry["text"][1]
    # Then the claims at a glance, the forest plot's pages as the lecture drew them, just before the table.
    forest = forest_files(lecture / "media")
    assert forest and len(notes) > len(expected) + len(forest)
    for slide, path in enumerate(forest, len(expected) + 1):
        check_slide(entry, slide, path, None)
        assert "The claims at a glance" in entry["text"][slide - 1]
    shown = len(expected) + len(forest)
    # The claims table as the page has it: every row's cells, in order, on the last slides.
    page = (lecture / "index.html").read_text()
    table = page[page.index('<table class="numbers claims">'):]
    rows = [[html.unescape(re.sub(r"<br><small>.*?</small>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in re.findall(r'<tr>(<td class="row">.*?)</tr>', table)]
    rows = [row[:6] for row in rows]  # the number, claim, measure, estimate, threshold and verdict: what the deck's four columns hold
    assert len(rows) == len(json.loads((lecture / "claims.json").read_text())["claims"])

    def squeeze(text: str) -> str:  # pdftotext joins a word broken at a hyphen without it
        return re.sub(r"[\s-]+", "", text)

    assert squeeze("".join(entry["text"][shown:])).startswith(squeeze("The page's claims, checked over seeds 0"))
    # The cells as the deck holds them (a PDF's text interleaves the lines of cells that wrap): every row, in order, numbered.
    deck = Presentation(str(entry["deck"]))
    cells = [" ".join(cell.text for cell in row.cells) for slide in list(deck.slides)[shown:] for shape in slide.shapes
             if shape.has_table for row in list(shape.table.rows)[1:]]
    assert [cell.split(".")[0] for cell in cells] == [str(number) for number in range(1, len(rows) + 1)]
    assert len(cells) == len(rows)
    for row, shown in zip(rows, cells):
        assert all(squeeze(cell) in squeeze(shown) for cell in row), (row, shown)


def test_refusals_are_one_line_and_leave_files_as_they_were(sources, tmp_path):
    from pptx import Presentation

    def last(*args):
        result = cli("slides", *args)
        assert result.exit_code == 1, result.output
        return result.output.splitlines()[-1]

    run = sources["run"]
    assert last() == "Error: slides: give at least one run, sweep or lecture folder"
    assert last(tmp_path / "nothing") == f"Error: {tmp_path / 'nothing'}: no such run, sweep or lecture folder"
    (tmp_path / "notes").mkdir()
    assert last(tmp_path / "notes") == (f"Error: {tmp_path / 'notes'}: neither a run (no run.h5), a sweep (no plan.json) "
                                        "nor a lecture folder (no index.html beside sweep/)")
    bare = synthetic_run(tmp_path / "bare").parent
    assert last(bare, "--out", tmp_path / "bare.pptx").startswith("Error: slides: nothing to show: no MP4 video or PNG figure")
    assert not (tmp_path / "bare.pptx").exists()
    (bare / "figures").mkdir()
    (bare / "figures" / "latent_e2.png").write_bytes(b"\x89PNG\r\n")  # cut off: left out, and then there is nothing to show
    assert last(bare, "--out", tmp_path / "bare.pptx").startswith("Error: slides: nothing to show")
    assert f"left out {bare / 'figures' / 'latent_e2.png'}: not a readable PNG" in cli("slides", bare, "--out", tmp_path / "bare.pptx").output
    assert not (tmp_path / "bare.pptx").exists()
    assert last(run, "--out", tmp_path / "talk.ppt") == f"Error: --out {tmp_path / 'talk.ppt'}: a deck's name ends in .pptx"
    (tmp_path / "folder.pptx").mkdir()
    assert last(run, "--out", tmp_path / "folder.pptx") == f"Error: --out {tmp_path / 'folder.pptx'}: a folder, not a file"
    for name in ("thesis.pptx", "handmade.pptx"):  # a file that is not a deck, and a deck this command did not make
        if name == "thesis.pptx":
            (tmp_path / name).write_text("my thesis")
        else:
            Presentation().save(str(tmp_path / name))
        before = (tmp_path / name).read_bytes()
        assert last(run, "--out", tmp_path / name) == \
            f"Error: --out {tmp_path / name} is not a deck made by python cli.py slides, so it is not replaced; choose another --out"
        assert (tmp_path / name).read_bytes() == before
    first = cli("slides", run, "--out", tmp_path / "talk.pptx")
    again = cli("slides", run, "--out", tmp_path / "talk.pptx")
    assert first.exit_code == 0 and "replaced" not in first.output
    assert again.exit_code == 0 and again.output.splitlines()[-1].endswith("; replaced the earlier file)")
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []  # no temporary left


def test_a_full_disk_is_one_line_and_no_deck(sources, small_disk):
    disk = small_disk.path
    with open(disk / "filler", "wb") as filler:  # leave about 0.5 MiB of the 2 MiB
        filler.write(b"\0" * (1536 << 10))
    result = cli("slides", sources["run"], "--out", disk / "talk.pptx")
    assert result.exit_code == 1
    last = result.output.splitlines()[-1]
    assert last.startswith(f"Error: the disk holding {disk} is full") and "free some space" in last
    assert sorted(path.name for path in disk.iterdir()) == ["filler"]


def test_claims_json_rows_read_back_as_written_and_older_rows_read_too():
    """claims.json is written from ClaimRecord and read back into it: every field survives, an unbounded
    interval included; a row of an earlier lecture (its four table fields only) still reads, with the
    rest empty; a row of another shape is refused (the deck then leaves its table out, in one line)."""
    import math

    import pytest

    from lecture.record import ClaimRecord, ClaimsFile

    row = ClaimRecord("the radius is initially close to 1", "mean r", "x1.02 [0.98, inf]", "inconclusive", estimate=1.02,
                      interval=(0.98, math.inf), threshold=1.25, predicted="within", seeds=5, note="a note", primary=False,
                      statistic="Hodges-Lehmann", p_value=0.2, holm_verdict="secondary", flip="holds were the band x1.5", scale="ratio")
    written = ClaimsFile((0, 1, 2), (row,), True, "ab" * 32)
    assert ClaimsFile.from_json(json.loads(json.dumps(written.to_json()))) == written
    old = ClaimsFile.from_json({"seeds": [0], "claims": [{"text": "t", "measure": "m", "numbers": "n", "verdict": "holds"}]})
    assert old.claims[0] == ClaimRecord("t", "m", "n", "holds") and old.plan_sha256 == ""
    for bad in ({"seeds": [0], "claims": [["t"]]}, {"seeds": [-1], "claims": []}, {"seeds": [0], "claims": [{"text": 3, "measure": "m", "numbers": "n", "verdict": "v"}]},
                {"seeds": [0], "claims": [{"text": "t", "measure": "m", "numbers": "n", "verdict": "v", "interval": [1]}]}):
        with pytest.raises((ValueError, KeyError, TypeError)):
            ClaimsFile.from_json(bad)


@pytest.mark.parametrize("first, last", [(1, 1), (2, 10), (10, 2), (123, 4567)])
def test_the_epochs_a_name_carries_read_back_as_rendered(first, last):
    """A slide's title reads the epochs from the name the render gave its file: the label and its
    reading live side by side (render/sources.py), so any range written reads back the same."""
    from render.sources import epochs_in_name, epochs_label

    shown = (first, first) if first == last else (first, last)
    for name in (f"trajectories_{epochs_label(first, last)}.mp4", f"trajectories_{epochs_label(first, last)}_dark.mp4"):
        assert epochs_in_name(name) == shown
    assert epochs_in_name("latent_map.png") is None and epochs_in_name("trajectories_extra.mp4") is None
