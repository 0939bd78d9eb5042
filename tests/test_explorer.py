"""The report's latent explorer: its data files (size budget, 16 bits only where the picture stays the
same), and the explorer itself in a real browser (headless Chromium through playwright): the circles
it draws at a step against the run file, the slider, the arrow keys, hover and pin, runs stepped
together or refused in words, no request off the disk, no console error, and the time a step takes."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import statistics
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
import pytest
from PIL import Image

from helpers import cli, offline_page
from render.style import CLASS_RGB, THEMES
from render.views.trajectories import LOOK
from report.explorer import (
    VERSION,
    as_drawn,
    encodings,
    explorer_data,
    fixed16,
    run_explorer,
    worst_px,
)
from train import runfile
from train.runfile import EpochResult, RunFile, Steps

LABELS = np.array([0, 2, 3], np.uint8)  # blue, green, red: nothing else on the page has those colours
CENTERS = np.array([[-2.13, 1.17], [1.56, -1.29], [0.37, 2.21]])
START = np.array([4.0, 4.0])
RADII = np.array([0.5, 0.3, 0.4])
BATCHES = 10


def make_run(folder: Path, mode: str = "variational", tracked=(11, 22, 33), epochs: int = 2, labels=LABELS, mu=None, logvar=None,
             batches: int = BATCHES) -> Path:
    """A run file through the project's writer: three digits drifting from START to circles of RADII at
    CENTERS (the last step), or the given (steps, n, d) `mu` and `logvar` (step 0 included)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / runfile.RUN_FILE_NAME
    n = len(tracked)
    d = 2 if mu is None else mu.shape[2]
    images = (np.arange(n * 784).reshape(n, 28, 28) % 251).astype(np.uint8)
    runfile.create(path, '{"arch": "784-16-%d", "mode": "%s", "epochs": %d, "seed": 0}' % (d, mode, epochs), np.array(tracked),
                   np.asarray(labels, np.uint8), images, np.arange(5, dtype=np.uint8) % 10,
                   np.zeros((n, d), np.float32) if mu is None else mu[0], np.zeros((n, d), np.float32) if logvar is None else logvar[0])
    for epoch in range(1, epochs + 1):
        rows = slice(1 + (epoch - 1) * batches, 1 + epoch * batches)
        if mu is None:
            t = (np.arange(batches) + 1 + (epoch - 1) * batches) / (epochs * batches)
            mu_e = (START + t[:, None, None] * (CENTERS[None] - START)).astype(np.float32)
            lv_e = (t[:, None, None] * np.repeat(np.log(RADII ** 2)[:, None], 2, axis=1)[None]).astype(np.float32)
        else:
            mu_e, lv_e = mu[rows], logvar[rows]
        steps = Steps(mu=mu_e, logvar=lv_e, epoch=np.full(batches, epoch, np.int32), batch=np.arange(batches, dtype=np.int32),
                      loss=np.c_[200 - np.arange(batches), 5 + np.arange(batches) / 10].astype(np.float32))
        runfile.append_epoch(path, EpochResult(steps=steps, train_loss=np.ones(2, np.float32), test_loss=np.ones(2, np.float32), seconds=1.0,
                                               test_mu=np.zeros((5, d), np.float32), test_logvar=np.zeros((5, d), np.float32)))
    return folder


def lecture_sized(folder: Path, d: int = 2, digits: int = 60, epochs: int = 10, batches: int = 600, seed: int = 0,
                  excursion=None) -> Path:
    """A run of the issue's size: `digits` tracked digits spreading from the origin to clusters
    within about 3 units (a trained 784-256-2's spread), radii shrinking from 1 to about 0.1. With
    `excursion` (x, y), all digits first swing out together that far and back within about 100 steps,
    as a trained 784-256-2's do (x up to 10 by step 23 while its circles span 2 units)."""
    rng = np.random.default_rng(seed)
    steps = 1 + epochs * batches
    labels = np.repeat(np.arange(10), digits // 10).astype(np.uint8)
    target = rng.normal(0, 1.5, (digits, d)).clip(-3.2, 3.2)
    t = 1 - np.exp(-np.arange(steps) / (steps / 15))  # most steps after the first epoch: the trained spread
    mu = (t[:, None, None] * target[None] + rng.normal(0, 0.02, (steps, digits, d))).astype(np.float32)
    if excursion is not None:
        swing = np.arange(steps) / 23 * np.exp(1 - np.arange(steps) / 23)  # 0 at step 0, 1 at step 23, 0.03 by step 150
        mu += (swing[:, None, None] * np.resize(np.asarray(excursion, np.float64), d)).astype(np.float32)
    logvar = (np.log(1 - 0.99 * t)[:, None, None] + rng.normal(0, 0.05, (steps, digits, d))).astype(np.float32)
    return make_run(folder, tracked=tuple(range(100, 100 + digits)), epochs=epochs, labels=labels, mu=mu, logvar=logvar, batches=batches)


# -- the data files ---------------------------------------------------------------------------------
def written_data(path: Path) -> dict:
    """The object a data script adds to window.explorerData."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("] = ") + 4:].rstrip().rstrip(";"))


def decoded(array: dict) -> np.ndarray:
    """An array of the data file decoded as explorer.js decodes it (float64, fixed16's low + code * scale)."""
    raw = base64.b64decode(array["data"])
    if array["dtype"] == "fixed16":
        low, high = np.array(array["low"]), np.array(array["high"])
        return (low + np.frombuffer(raw, "<u2").reshape(array["shape"]) * ((high - low) / 65535)).astype(np.float64)
    return np.frombuffer(raw, {"float16": "<f2", "float32": "<f4"}[array["dtype"]]).reshape(array["shape"]).astype(np.float64)


def test_sixty_digits_over_ten_epochs_fit_the_budget_in_16_bits_every_step(tmp_path):
    folder = lecture_sized(tmp_path / "big")
    html_text = run_explorer(folder, "big", tmp_path / "site", "media/big/explorer-data.js")
    data_file = tmp_path / "site" / "media" / "big" / "explorer-data.js"
    print(f"\n60 digits, 10 epochs of 600 batches: {data_file.stat().st_size / 1e6:.2f} MB")
    assert data_file.stat().st_size <= 4_000_000
    assert "6,001 steps, 16-bit fixed point" in html_text and "thinned" not in html_text
    assert [p.name for p in data_file.parent.iterdir()] == ["explorer-data.js"]  # written whole: no temporary left


def test_the_default_run_keeps_every_step_within_half_a_pixel_at_4k(tmp_path):
    """The default run's size and extent (its digits swing out to x = 10 while their circles span two
    units): float16 moves centres there by over a pixel at 4k, so the explorer used to keep means in
    float32 and every 2nd step. In 16-bit fixed point over the run's extent every step fits 4 MB, and
    decoded as the page decodes it no centre or radius moves by half a pixel at 4k."""
    folder = lecture_sized(tmp_path / "default", excursion=(9.5, 5.0))
    html_text = run_explorer(folder, "default", tmp_path / "site", "media/default/explorer-data.js")
    data_file = tmp_path / "site" / "media" / "default" / "explorer-data.js"
    assert data_file.stat().st_size <= 4_000_000
    assert "6,001 steps, 16-bit fixed point" in html_text and "thinned" not in html_text
    data = written_data(data_file)
    assert data["kept"] is None and data["mu"]["shape"] == [6001, 60, 2] and data["mu"]["dtype"] == data["logvar"]["dtype"] == "fixed16"
    with RunFile(folder) as run:
        steps = run.trajectory(0, run.epochs_done)
    assert (steps.mu.min(axis=(0, 1)) < [-3, -3]).all() and (steps.mu.max(axis=(0, 1)) > [9, 4.5]).all()  # the extent of a real run
    mu, logvar = decoded(data["mu"]), decoded(data["logvar"])
    for page, exact in ((mu, steps.mu), (logvar, steps.logvar)):  # each value within half a code of its variable's range
        half_code = (exact.max(axis=(0, 1)).astype(np.float64) - exact.min(axis=(0, 1))) / 65535 / 2
        assert (np.abs(page - exact) <= half_code * (1 + 1e-9)).all()
    mu_px, logvar_px = worst_px(steps.mu, steps.logvar, {"page": mu, "float16": as_drawn(steps.mu, "float16")}, {"page": logvar})
    print(f"\ndefault-sized run: {data_file.stat().st_size / 1e6:.2f} MB, centres within {mu_px['page']:.3f} px, "
          f"radii within {logvar_px['page']:.3f} px at 4k (float16 centres: {mu_px['float16']:.2f} px)")
    assert mu_px["float16"] > 1.0  # why this run was thinned before
    assert mu_px["page"] <= 0.5 and logvar_px["page"] <= 0.5


def test_beyond_the_budget_steps_are_thinned_evenly_and_the_page_says_so(tmp_path):
    folder = lecture_sized(tmp_path / "wide", d=4, epochs=10, batches=600)
    html_text = run_explorer(folder, "wide", tmp_path / "site", "media/wide/explorer-data.js")
    assert (tmp_path / "site" / "media" / "wide" / "explorer-data.js").stat().st_size <= 4_000_000
    with RunFile(folder) as run:
        data = explorer_data(run, "wide")
    kept = np.array(data["kept"])
    assert kept[0] == 0 and kept[-1] == 6000 and len(set(np.diff(kept[:-1]))) == 1  # evenly, ending on the last step
    assert f"Every {kept[1]}nd of the run's 6,001 recorded steps is shown" in data["note"]
    assert "of 6,001 (thinned evenly)" in html_text


def test_16_bits_are_refused_where_they_would_move_the_circles(tmp_path):
    steps = 1 + 2 * BATCHES
    near = np.tile(np.array([[100.0, -50.0]]), (steps, 3, 1)) + np.linspace(0, 0.01, 3)[None, :, None]  # 0.01 apart, at 100
    tight = np.full((steps, 3, 2), -12.0, np.float32)  # radii of 0.0025
    with RunFile(make_run(tmp_path / "near", mu=near.astype(np.float32), logvar=tight)) as run:
        data = explorer_data(run, "near")
    # float16 steps by 0.0625 at 100 (the three digits would fall on one point); over the run's
    # extent of 0.01, 16 bits step by 1.5e-7
    assert data["mu"]["dtype"] == "fixed16"
    assert np.abs(decoded(data["mu"]) - near.astype(np.float32)).max() <= 0.01 / 65535
    far = near.copy()
    far[7, 0] = -1000.0  # one step far away: the run's extent grows to 1,100, a code to 0.017
    with RunFile(make_run(tmp_path / "far", mu=far.astype(np.float32), logvar=tight)) as run:
        data = explorer_data(run, "far")
    assert data["mu"]["dtype"] == "float32" and data["precision"] == "means float32, log-variances 16-bit fixed point"
    with RunFile(make_run(tmp_path / "plain")) as run:
        assert explorer_data(run, "plain")["logvar"]["dtype"] == "fixed16"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30])
def test_values_that_are_not_finite_are_carried_in_float32_or_refused_by_the_reader(tmp_path, bad):
    """The run file's reader refuses them (one line on the page, no data file); the encoding itself
    never puts them in fixed point, where they have no code."""
    mu = np.random.default_rng(0).normal(size=(1 + 2 * BATCHES, 3, 2)).astype(np.float32)
    mu[5, 1, 0] = bad
    assert encodings(mu, np.zeros_like(mu))[0] == "float32" and encodings(mu, None) == ("float32", None)
    logvar = np.zeros_like(mu)
    logvar[5, 1, 0] = bad
    assert encodings(np.nan_to_num(mu, posinf=0, neginf=0), logvar)[1] in ("float16", "float32")
    if np.isfinite(bad):
        return
    assert fixed16(mu) is None
    html_text = run_explorer(make_run(tmp_path / "bad", mu=mu, logvar=np.zeros_like(mu)), "bad", tmp_path / "site", "media/bad.js")
    assert html_text == '<p class="missing">No explorer for bad: ' + html.escape(str(tmp_path / "bad" / "run.h5"), quote=False) \
        + ": trajectory/mu holds values that are not finite numbers (epochs 0-2)</p>"
    assert not (tmp_path / "site" / "media" / "bad.js").exists()


# -- the browser ----------------------------------------------------------------------------------------
# A run of latent size 3 whose digits sit, on z1 and z3, at CENTERS with circles of RADII (z2 is
# something else entirely, with other variances): what the dimension menu must show.
DEEP_MU = np.repeat(np.c_[CENTERS[:, 0], [5.0, -6.0, 7.0], CENTERS[:, 1]][None], 1 + 2 * BATCHES, axis=0).astype(np.float32)
DEEP_LOGVAR = np.repeat(np.c_[np.log(RADII ** 2) - 1.0, [2.0, 2.0, 2.0], np.log(RADII ** 2) + 1.0][None], 1 + 2 * BATCHES, axis=0).astype(np.float32)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("explorer")
    runs = [make_run(root / "run #1 & <b>"), make_run(root / "flat", mode="deterministic"), make_run(root / "other", tracked=(11, 22, 44)),
            lecture_sized(root / "sixty", epochs=2, batches=100), make_run(root / "deep", mu=DEEP_MU, logvar=DEEP_LOGVAR)]
    result = cli("report", *runs, "--out", root / "site")
    assert result.exit_code == 0, result.output
    return root / "site", runs


def test_the_page_names_are_escaped_and_every_link_is_a_file_of_the_report(site):
    folder, runs = site
    page = (folder / "index.html").read_text()
    assert "run #1 &amp; &lt;b&gt;" in page and "<b>" not in page
    links = re.findall(r'(?:src|href|data-src)="([^"]+)"', page)
    assert 'data-src="media/run%20%231%20%26%20%3Cb%3E/explorer-data.js"' in page
    for link in links:
        assert (folder / unquote(html.unescape(link))).is_file(), link


@pytest.fixture(scope="module")
def browser(site, chromium):
    folder, runs = site
    page = chromium.new_page(viewport={"width": 2100, "height": 1300})
    refused, errors = offline_page(page)
    page.goto((folder / "index.html").as_uri())
    for figure in page.query_selector_all("figure.explorer"):  # each loads when it comes into view
        figure.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('figure.explorer')].every((f) => f.dataset.state === 'ready')", timeout=30_000)
    yield page, runs
    page.close()
    assert refused == [], refused  # nothing left the disk
    assert errors == [], errors  # and no console error, over every test that used the page


def explorer_of(page, name: str) -> str:
    """A JavaScript expression for the explorer of run `name`."""
    return f"[...document.querySelectorAll('figure.explorer')].find((f) => f.dataset.src.includes({name!r})).explorer"


def canvas_image(page, expression: str, plane: int = 0) -> np.ndarray:
    url = page.evaluate(f"{expression}.planes[{plane}].canvas.toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")).astype(int)


def rings(image: np.ndarray, labels) -> list[tuple[float, float, float]]:
    """(centre x, centre y, radius) in pixels of each circle's outline, found by its class colour:
    the outline is the class colour at 95% opacity, darker than anything else of that colour."""
    found = []
    for label in labels:
        edge = 0.95 * np.array(CLASS_RGB[label]) + 0.05 * 255
        ys, xs = np.nonzero(np.abs(image - edge).max(axis=2) <= 18)
        assert len(xs) > 20, f"no outline of class {label}"
        x, y = xs + 0.5, ys + 0.5  # pixel centres
        # the circle through them (least squares of x^2 + y^2 + Dx + Ey + F = 0): a trail passing under
        # the outline tints a few of its pixels, and a fit does not care which arc they leave out
        (d, e, f), *_ = np.linalg.lstsq(np.c_[x, y, np.ones_like(x)], -(x ** 2 + y ** 2), rcond=None)
        found.append((-d / 2, -e / 2, float(np.sqrt(d * d / 4 + e * e / 4 - f))))
    return found


def truth(folder: Path, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Means and radii r = (sigma_x^2 sigma_y^2)^(1/4) of a run at a recorded step, from its file."""
    with RunFile(folder) as run:
        steps = run.trajectory(0, run.epochs_done)
    return steps.mu[step].astype(np.float64), np.exp(steps.logvar[step].astype(np.float64).sum(axis=-1) / 4)


@pytest.mark.parametrize("step, camera", [(20, "fit"), (12, "fit"), (12, "follow")])
def test_the_circles_at_a_step_are_where_the_run_file_puts_them(browser, step, camera):
    page, runs = browser
    explorer = explorer_of(page, "run%20%231")
    page.evaluate(f"(() => {{ const e = {explorer}; e.size(1920, 1080); e.cameraMenu.value = {camera!r}; "
                  f"e.cameraMenu.dispatchEvent(new Event('change')); e.trail = 12; e.show({step}); }})()")
    centres = np.array(rings(canvas_image(page, explorer), LABELS))
    mu, radius = truth(runs[0], step)
    # One scale for both axes (equal units) and a shift: pixels = offset + scale * (x, -y).
    a = np.zeros((6, 4))
    a[0::2, 0], a[0::2, 2], a[1::2, 1], a[1::2, 2] = 1, mu[:, 0], 1, -mu[:, 1]
    solution, *_ = np.linalg.lstsq(a, centres[:, :2].ravel(), rcond=None)
    scale = solution[2]
    print(f"\nstep {step}, camera {camera}: centres within {np.abs(a @ solution - centres[:, :2].ravel()).max():.2f} px, "
          f"radii within {np.abs(centres[:, 2] - scale * radius).max():.2f} px")
    assert np.abs(a @ solution - centres[:, :2].ravel()).max() <= 1.0
    assert np.abs(centres[:, 2] - scale * radius).max() <= 1.0
    units = page.evaluate(f"{explorer}.view(0, {step})[2]")
    assert np.abs(centres[:, 2] - radius / units).max() <= 1.0  # drawn at the scale of the explorer's camera
    assert 0 < centres[:, 0].min() and centres[:, 0].max() < 1920 and 0 < centres[:, 1].min() and centres[:, 1].max() < 1080
    page.evaluate(f"(() => {{ const e = {explorer}; e.cameraMenu.value = 'fit'; e.cameraMenu.dispatchEvent(new Event('change')); }})()")


def test_the_page_decodes_the_data_files_to_the_numbers_they_hold(browser, site):
    """Means and log-variances in 16-bit fixed point, decoded by explorer.js to the same float64 numbers,
    to the last bit, as `decoded` (low + code * ((high - low) / 65535)) gives here; float32 where 16
    bits would move a dot (the run without sampling starts with its three dots on one point)."""
    page, _ = browser
    folder, _ = site
    for name in ("run #1 & <b>", "flat", "sixty", "deep"):
        data = written_data(folder / "media" / name / "explorer-data.js")
        run = f"{explorer_of(page, quote(name))}.runs[0]"
        for array in ("mu", "logvar") if data["variational"] else ("mu",):
            assert data[array]["dtype"] == ("float32" if name == "flat" else "fixed16"), (name, array)
            shown = np.array(page.evaluate(f"Array.from({run}.{array})"))
            assert shown.shape == (np.prod(data[array]["shape"]),) and np.array_equal(shown, decoded(data[array]).ravel()), (name, array)


def test_a_run_without_sampling_is_drawn_as_dots_of_one_size(browser):
    page, runs = browser
    explorer = explorer_of(page, "flat")
    page.evaluate(f"(() => {{ const e = {explorer}; e.size(1920, 1080); e.show(20); }})()")
    found = rings(canvas_image(page, explorer), LABELS)
    assert [round(r) for _, _, r in found] == [round(0.006 * 1080)] * 3  # the video's dot: 0.6% of the frame height


def counter(page, explorer: str) -> str:
    return page.evaluate(f"{explorer}.counter.textContent")


def test_the_slider_and_the_arrow_keys_step_through_the_batches(browser):
    page, _ = browser
    explorer = explorer_of(page, "run%20%231")
    figure = page.locator("figure.explorer[data-src*='run%20%231']")
    figure.locator(".explorer-slider").fill("12")
    assert counter(page, explorer).startswith("epoch 2 · batch 2/10 · step 12 of 20")
    figure.locator(".explorer-body").focus()
    page.keyboard.press("ArrowRight")
    assert counter(page, explorer).startswith("epoch 2 · batch 3/10")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert counter(page, explorer).startswith("epoch 1 · batch 10/10 · step 10")
    page.keyboard.press("Shift+ArrowRight")
    assert counter(page, explorer).startswith("epoch 2 · batch 10/10 · step 20")
    page.keyboard.press("Home")
    assert counter(page, explorer).startswith("before training")
    assert figure.locator(".explorer-slider").input_value() == "0"
    figure.locator(".explorer-play").click()  # plays from the start, one step a frame at 30 steps a second
    # Pause pressed in the frame the 5th step shows: on a busy machine a click sent from here could
    # land after the 21 steps had played to the end, and start them again.
    page.wait_for_function(f"(() => {{ const e = {explorer}; if (e.position < 5) return false; e.playButton.click(); return true; }})()",
                           timeout=10_000)
    assert figure.locator(".explorer-play").text_content() == "Play"
    stopped = page.evaluate(f"{explorer}.position")
    page.wait_for_function("new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))))")
    assert page.evaluate(f"{explorer}.position") == stopped
    # the live losses under the slider follow the step: the run file's losses, smoothed
    figure.locator(".explorer-slider").fill("1")
    assert page.evaluate(f"{explorer}.readout.textContent").startswith("reconstruction 200.0 · penalty 5.000")


def test_hover_shows_the_digit_and_click_pins_its_whole_path(browser):
    page, runs = browser
    explorer = explorer_of(page, "run%20%231")
    figure = page.locator("figure.explorer[data-src*='run%20%231']")
    page.evaluate(f"(() => {{ const e = {explorer}; e.size(1920, 1080); e.show(20); }})()")
    canvas = figure.locator("canvas").first
    box = canvas.bounding_box()
    x, y, _ = page.evaluate(f"{explorer}.drawn(0, 1)")  # the second tracked digit: class 2, training index 22
    scale = box["width"] / 1920
    page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
    tip = figure.locator(".explorer-tip")
    tip.wait_for(state="visible")
    mu, radius = truth(runs[0], 20)
    text = tip.inner_text()
    assert "digit 2" in text and "training-set index 22" in text
    assert f"mean ({mu[1, 0]:.3f}, {mu[1, 1]:.3f})".replace("-", "\u2212") in text
    shown = float(re.search(r"radius r ([\d.]+)", text).group(1))
    assert shown == pytest.approx(radius[1], abs=0.002)
    image = page.evaluate(f"Array.from({explorer}.planes[0].tipImage.getContext('2d').getImageData(0, 0, 28, 28).data.filter((_, j) => j % 4 === 0))")
    expected = (np.arange(3 * 784).reshape(3, 28, 28) % 251).astype(np.uint8)[1]  # the pixels make_run stored
    assert np.array_equal(np.array(image).reshape(28, 28), expected)
    # Before the pin, the digit's position at step 4 (far behind its trail) is background; after, its path.
    mu4, _ = truth(runs[0], 4)
    probe = page.evaluate(f"(() => {{ const e = {explorer}; return e.planes[0].toPx({mu4[1, 0]}, {mu4[1, 1]}, e.view(0, 20)); }})()")
    before = canvas_image(page, explorer)[round(probe[1]), round(probe[0])]
    page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)
    assert "(pinned)" in tip.inner_text()
    after = canvas_image(page, explorer)[round(probe[1]), round(probe[0])]
    assert before.min() >= 200  # paper (or grid)
    assert np.abs(after - (0.95 * np.array(CLASS_RGB[2]) + 0.05 * 255)).max() <= 40
    page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)  # unpin
    page.mouse.move(0, 0)


def test_runs_are_stepped_together_or_refused_in_words(browser):
    page, _ = browser
    for name in ("run%20%231", "flat"):
        page.locator(f"figure.explorer[data-src*='{name}'] input.explore-together").check()
    page.wait_for_selector("#explore-together[data-state=ready]")
    together = "window.latentExplorer.together()"
    assert page.evaluate(f"{together}.planes.length") == 2
    page.locator("#explore-together .explorer-slider").fill("15")
    assert page.evaluate(f"{together}.counter.textContent").startswith("epoch 2 · batch 5/10")
    assert page.evaluate(f"[0, 1].map((p) => {together}.planes[p].k)") == [15, 15]
    page.locator("figure.explorer[data-src*='flat'] input.explore-together").uncheck()
    page.locator("figure.explorer[data-src*='other'] input.explore-together").check()
    page.wait_for_selector("#explore-together[data-state=refused]")
    assert page.inner_text("#explore-together .refused") == \
        "run #1 & <b> and other have different tracked digits, so they cannot be stepped together."
    for name in ("run%20%231", "other"):
        page.locator(f"figure.explorer[data-src*='{name}'] input.explore-together").uncheck()
    assert page.is_hidden("#explore-together")


def test_a_step_of_sixty_digits_with_trails_draws_in_a_few_milliseconds_at_1080p(browser):
    """The issue's goal is 4 ms a step; what this asserts is that scrubbing never stalls: a step drawn
    within one display frame (16 ms at 60 Hz), even on a loaded machine. The numbers are printed."""
    page, _ = browser
    explorer = explorer_of(page, "sixty")
    page.evaluate(f"(() => {{ const e = {explorer}; e.size(1920, 1080); e.trail = 12; }})()")
    assert page.evaluate(f"{explorer}.lead.n") == 60
    for epochs in ((2, 2), (1, 1)):  # the trained spread (as the lecture's epochs 2-10), then the first epoch's large circles
        for camera in ("fit", "follow"):
            page.evaluate(f"(() => {{ const e = {explorer}; e.fromMenu.value = '{epochs[0]}'; e.toMenu.value = '{epochs[1]}'; "
                          f"e.cameraMenu.value = {camera!r}; e.cameraMenu.dispatchEvent(new Event('change')); "
                          "e.fromMenu.dispatchEvent(new Event('change')); })()")
            # every step of the epoch, each flushed to pixels, the least of three draws (other processes share the cores)
            times = page.evaluate(f"{explorer}.timeDraws(0, {explorer}.length, 3)")
            median, p95 = statistics.median(times), sorted(times)[int(0.95 * len(times))]
            print(f"\nexplorer, 60 digits, trails of 12, 1920x1080, epoch {epochs[0]}, camera {camera}: "
                  f"median {median:.2f} ms, 95th percentile {p95:.2f} ms a step ({len(times)} steps)")
            assert median <= 16.0, times


def test_kept_data_are_reused_only_while_newer_than_the_run(tmp_path):
    folder = make_run(tmp_path / "run")
    first = run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True)
    data = tmp_path / "page" / "media" / "run.js"
    stamp = data.stat().st_mtime_ns
    assert run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True) == first and data.stat().st_mtime_ns == stamp
    make_run(tmp_path / "run2", epochs=3)
    shutil.copy(tmp_path / "run2" / "run.h5", folder / "run.h5")  # the run went on: a newer run file, more steps
    again = run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True)
    assert "31 steps" in again and data.stat().st_mtime_ns != stamp


def test_a_kept_data_file_of_another_version_is_written_again(tmp_path):
    folder = make_run(tmp_path / "run")
    run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True)
    data = tmp_path / "page" / "media" / "run.js"
    data.write_text(data.read_text().replace(f'"version":{VERSION},', '"version":1,'))  # as the first version wrote it; newer than the run
    assert written_data(data)["version"] == 1
    run_explorer(folder, "run", tmp_path / "page", "media/run.js", keep=True)
    assert written_data(data)["version"] == VERSION and written_data(data)["mu"]["dtype"] == "fixed16"


def test_above_latent_size_two_a_menu_chooses_the_pair_of_dimensions(browser):
    page, runs = browser
    explorer = explorer_of(page, "deep")
    figure = page.locator("figure.explorer[data-src*='deep']")
    menu = figure.locator("label", has_text="dims").locator("select")
    assert [o.strip() for o in menu.locator("option").all_inner_texts()] == ["z1, z2", "z1, z3", "z2, z3"]
    page.evaluate(f"{explorer}.size(1920, 1080)")
    menu.select_option(label="z1, z3")
    page.evaluate(f"{explorer}.show(20)")
    centres = np.array(rings(canvas_image(page, explorer), LABELS))
    units = page.evaluate(f"{explorer}.view(0, 20)[2]")
    # r = (sigma_1^2 sigma_3^2)^(1/4): the -1 and +1 of the two log-variances cancel, leaving RADII
    assert np.abs(centres[:, 2] - RADII / units).max() <= 1.0
    offsets = centres[:, :2] - np.c_[CENTERS[:, 0], -CENTERS[:, 1]] / units  # one shift for all three: the same picture
    assert np.ptp(offsets, axis=0).max() <= 1.5


# -- the look: the view's, carried by the data --------------------------------------------------------
EXPLORER_JS = Path(__file__).resolve().parent.parent / "report" / "assets" / "explorer.js"
# The explorer's own numbers that happen to equal one of the look's: its canvas's right margin (text
# heights), its tallest plane (of the window) and its narrowest aspect; none of them is the video's.
EXPLORERS_OWN = ("right = Math.round(0.8 * text)", "0.8 * window.innerHeight", "Math.max(data, 0.8)")


def look_numbers(value) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, (list, tuple, dict)):
        return [n for item in (value.values() if isinstance(value, dict) else value) for n in look_numbers(item)]
    return []


def test_explorer_js_copies_none_of_the_views_constants():
    """Every constant of the view's look reaches explorer.js through the data: the script reads each
    of the look's names, keeps none of the view's constants under its own name, and holds none of the
    look's distinctive numbers (fractions other than a half, and 1080, 99) as a literal; small whole
    numbers and halves are its arithmetic, and named look values are caught by name instead."""
    look = LOOK.data(THEMES["light"])
    code = re.sub(r"//[^\n]*", "", EXPLORER_JS.read_text(encoding="utf-8"))
    for name in look:
        assert re.search(rf"\blook\.{name}\b", code), f"explorer.js does not read look.{name}"
    for field in LOOK.__dataclass_fields__:
        assert not re.search(rf"\b{field.upper()}\b", code), f"explorer.js keeps its own {field.upper()}"
    for snippet in EXPLORERS_OWN:
        assert snippet in code, snippet
        code = code.replace(snippet, "")
    distinctive = {n for n in look_numbers(look) if n != 0.5 and (n != int(n) or n in (1080, 99))}
    assert {0.1, 0.28, 0.55, 0.006, 0.95, 0.028, 3.6, 5.5, 1.4, 1.6, 2.4, 0.02, 0.08, 1080} <= distinctive  # what it used to copy
    literals = [(m.group(0), float(m.group(0))) for m in re.finditer(r"(?<![\w.])\d+\.?\d*(?:e-?\d+)?(?![\w.])", code)]
    copied = sorted({text for text, value in literals if value in distinctive})
    assert copied == [], f"explorer.js copies the view's {copied}"
    assert len(json.dumps(look, separators=(",", ":"))) <= 1000  # a data file's share of its budget


def test_a_look_changed_in_the_data_is_what_the_page_draws(browser, site):
    """The same run with another margin (the camera's room around the circles) and another outline alpha
    in its data's look: the page's fit camera shows (1 + 0.3) / (1 + 0.1) as many units per pixel, and
    the outlines are drawn in the new alpha's colour, none in the old one's."""
    page, _ = browser
    folder, _ = site
    data = written_data(folder / "media" / "run #1 & <b>" / "explorer-data.js")
    assert data["look"] == json.loads(json.dumps(LOOK.data(THEMES["light"])))  # the view's look, as the data carry it
    data["look"].update(margin=0.3, edgeAlpha=0.6)
    original = explorer_of(page, "run%20%231")
    changed = "document.querySelector('figure.explorer[data-explorer=changed-look]').explorer"
    page.evaluate("""(data) => {
        const figure = document.querySelector('figure.explorer').cloneNode(true);
        delete figure.dataset.state;
        figure.dataset.explorer = 'changed-look';
        figure.dataset.src = 'changed-look.js';
        window.explorerData['changed-look'] = data;
        document.body.append(figure);
        window.latentExplorer.start(figure);
    }""", data)
    page.wait_for_function("document.querySelector('figure.explorer[data-explorer=changed-look]').dataset.state === 'ready'")
    try:
        for explorer in (original, changed):
            page.evaluate(f"(() => {{ const e = {explorer}; e.size(1920, 1080); e.cameraMenu.value = 'fit'; "
                          "e.cameraMenu.dispatchEvent(new Event('change')); e.trail = 0; e.show(20); })()")
        units = [page.evaluate(f"{explorer}.view(0, 20)[2]") for explorer in (original, changed)]
        assert units[1] / units[0] == pytest.approx(1.3 / 1.1, rel=1e-12)
        image = canvas_image(page, changed)
        for label in LABELS:
            rgb = np.array(CLASS_RGB[label])
            near = lambda alpha: int((np.abs(image - (alpha * rgb + (1 - alpha) * 255)).max(axis=2) <= 6).sum())  # noqa: E731
            assert near(0.6) > 50 and near(0.95) == 0, (label, near(0.6), near(0.95))
    finally:
        page.evaluate("document.querySelector('figure.explorer[data-explorer=changed-look]').remove()")
