"""The report and the lecture page as a reader sees them, on the small lecture (one epoch, a net with
and one without sampling): the one-epoch test-loss plot shows its points on whole epochs, a value
that does not apply is a dash with its reason, the lecture page has its own title, and its videos
and figures are as wide as its text, each figure opening as large as the window on click
(headless Chromium through playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import cli
from lecture.lecture import HEADING


@pytest.fixture(scope="module")
def site(small_lecture, tmp_path_factory):
    out = tmp_path_factory.mktemp("pages") / "site"
    result = cli("report", str(small_lecture / "sweep"), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def open_page(chromium, path: Path, problems: list[str]):
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else (problems.append(route.request.url), route.abort()))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(path.as_uri())
    return page


def test_a_one_epoch_sweep_plots_its_points_on_whole_epochs(site):
    svg = (site / "plots" / "sweep-test-loss.svg").read_text()
    ticks = re.findall(r'<g id="xtick_\d+">.*?<!-- (.*?) -->', svg, flags=re.S)
    assert ticks == ["1"]  # it read 0.945 to 1.050
    plotted = svg[:svg.index('<g id="legend_1">')]  # the plot, without its legend
    markers = re.findall(r'<use xlink:href="#m[0-9a-f]+" x="[-\d.]+" y="[-\d.]+" style="fill: (#[0-9a-f]{6})', plotted)
    assert len(markers) == len(set(markers)) == 2  # a point for each configuration, in its own colour (a line of one point drew nothing)


def test_a_value_that_does_not_apply_is_a_dash_with_its_reason(site, chromium):
    problems: list[str] = []
    page = open_page(chromium, site / "index.html", problems)
    table = page.locator("table.numbers").first
    headers = table.locator("th").all_inner_texts()
    column = next(index for index, name in enumerate(headers) if name.startswith("active_encoder_variance"))
    rows = {row.locator("td").nth(1).inner_text(): row.locator("td").nth(column).inner_text() for row in table.locator("tbody tr").all()}
    assert rows["deterministic"] == "\u2013" and re.fullmatch(r"\d+\.\d{3}", rows["variational"])  # it read None
    assert "None" not in page.locator("main").inner_text()
    note = page.locator("p.note").first.inner_text()
    assert note.startswith(headers[column].replace("active_encoder_variance", "").strip() + " active_encoder_variance: \u2013") and "without sampling" in note
    assert problems == []


def test_the_lecture_page_has_its_own_title_and_media_as_wide_as_its_text(small_lecture, chromium):
    problems: list[str] = []
    page = open_page(chromium, small_lecture / "index.html", problems)
    assert page.locator("h1").inner_text() == HEADING and "report" not in page.title()
    page.evaluate("document.querySelectorAll('img').forEach((img) => { img.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every((img) => img.complete)", timeout=20_000)
    text = page.locator("p.text").first.bounding_box()
    media = page.locator("main .clips figure video, main .clips figure img").all()
    assert len(media) == 5
    for medium in media:
        box = medium.bounding_box()
        assert abs(box["width"] - text["width"]) <= 1 and abs(box["x"] - text["x"]) <= 1, box  # they were 460 px thumbnails
    assert text["width"] >= 0.6 * 1400
    # The claims at a glance, drawn for a 1920x1080 screen, take the window's width (less a margin), not the text's, and scroll nothing sideways.
    glance = page.locator("main figure.forest img").all()
    assert glance and all(1400 - 60 <= image.bounding_box()["width"] <= 1400 and image.bounding_box()["x"] >= 0 for image in glance)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    # So does the claims table; each row's per-seed numbers fold under it across the table, shut until asked for.
    table = page.locator("main table.claims").first
    assert 1400 - 60 <= table.bounding_box()["width"] <= 1400
    numbers = table.locator("tr.note details").first
    assert not numbers.evaluate("(d) => d.open")
    numbers.locator("summary").click()
    assert numbers.evaluate("(d) => d.open") and " s0 " in f" {numbers.inner_text()}" and numbers.bounding_box()["width"] > 0.6 * 1400

    figure = page.locator("main figure.still img").first
    natural = page.evaluate("(img) => [img.naturalWidth, img.naturalHeight]", figure.element_handle())
    figure.click()
    big = page.locator("#full-size img")
    page.wait_for_function("document.querySelector('#full-size img').getBoundingClientRect().width > 0", timeout=5_000)
    box = big.bounding_box()
    assert (abs(box["width"] - 1400) <= 1 and box["height"] <= 901) or (abs(box["height"] - 900) <= 1 and box["width"] <= 1401), box
    assert box["width"] / box["height"] == pytest.approx(natural[0] / natural[1], rel=0.01)
    page.keyboard.press("Escape")
    assert not page.is_visible("#full-size")
    figure.click()
    page.locator("#full-size").click()
    assert not page.is_visible("#full-size")
    assert problems == []
