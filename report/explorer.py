"""The data of the report's latent explorer (report/assets/explorer.js): one generated script per run.

Pages opened from disk cannot `fetch` local files in Chromium, so a run's data travel as a script the
page loads with `<script src>` (when the explorer scrolls into view): it adds one object to
`window.explorerData`. It holds the recorded steps' means and log-variances, losses, epoch and
batch; the tracked digits' classes, training-set indices and their images as one PNG sprite; and
what the runs must share to be stepped together (the videos' rule, `STEP_FOR_STEP`).

Means and log-variances go in 16 bits where that keeps the picture identical at 4k: every centre and
radius, under any view the camera can take, within `SAME_PICTURE_PX` of where float32 puts it.
First as 16-bit fixed point over the run's extent in each latent variable (`fixed16`: the page
reads low + code * (high - low) / 65535), else as float16, else as float32. A run is held to
`BUDGET` bytes (60 tracked digits over 10 epochs of 600 batches fit in 16 bits, every step); beyond
that every k-th step is kept, evenly, and the page says so.
"""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from atomic import write_text_atomically
from render.style import THEMES
from render.views.trajectories import LOOK, extents, largest_planes, stepping_values
from report import markup
from train.latents import variance_radius
from train.runfile import RunFile, Steps, Tracked

BUDGET = 4_000_000  # bytes of one run's data file
SAME_PICTURE_PX = 0.5  # 16 bits are used where they move nothing by more than this at 4k
SPRITE_COLUMNS = 10
DATA_FILE = "explorer-data.js"
VERSION = 3  # 2: means and log-variances may be fixed16; 3: the look carries every constant explorer.js draws with; a kept data file of another version is written again
FIXED16_STEPS = 65535  # codes 0..65535 span [low, high] of each latent variable
ENCODINGS = ("fixed16", "float16")  # tried in this order; float32 where neither keeps the picture
PRECISION_NAMES = {"fixed16": "16-bit fixed point", "float16": "float16", "float32": "float32"}


def fixed16(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`values` (..., d) as uint16 codes over [low, high] of each of the d variables (the last axis),
    and low, high (float64, exact copies of values); None where a value is not finite."""
    values = values.astype(np.float64)
    if not np.isfinite(values).all() or values.size == 0:
        return None
    # one variable at a time: numpy reduces a (..., 2) array over its first axes 25x slower
    low = np.array([values[..., j].min() for j in range(values.shape[-1])])
    high = np.array([values[..., j].max() for j in range(values.shape[-1])])
    scale = (high - low) / FIXED16_STEPS
    codes = np.rint((values - low) / np.where(scale > 0, scale, 1.0))
    return np.clip(codes, 0, FIXED16_STEPS).astype(np.uint16), low, high


def from_fixed16(codes: np.ndarray, low, high) -> np.ndarray:
    """The values the page decodes from fixed16 codes: low + code * ((high - low) / 65535), in float64
    with explorer.js's operations in its order, so the same numbers to the last bit."""
    low, high = np.asarray(low, np.float64), np.asarray(high, np.float64)
    return low + codes.astype(np.float64) * ((high - low) / FIXED16_STEPS)


def as_drawn(values: np.ndarray, encoding: str) -> np.ndarray | None:
    """`values` as the page draws them after `encoding` (float64), or None where it cannot carry them."""
    if encoding == "fixed16":
        coded = fixed16(values)
        return None if coded is None else from_fixed16(*coded)
    if encoding == "float16":
        with np.errstate(over="ignore"):  # beyond 65504: inf, which moves the circle by inf pixels
            return values.astype(np.float16).astype(np.float64)
    return values.astype(np.float32).astype(np.float64)


MAX_CHECKED_DIMS = 16  # 120 pairs of dimensions, checked in about 2 s for 60 digits over 6,001 steps


def worst_px(mu: np.ndarray, logvar: np.ndarray | None, mu_drawn: dict, logvar_drawn: dict) -> tuple[dict, dict]:
    """For each candidate of the means (`mu_drawn`: name -> values as drawn) and of the log-variances,
    the most pixels it moves a centre or a radius at 4k, on any pair of dimensions, under any view that
    holds the step's circles (inf where it cannot carry the values).

    A view holds every circle of its step, so a latent unit spans at most (plane width) / (x extent)
    and (plane height) / (y extent) pixels; the largest 4k plane bounds both."""
    width, height = largest_planes(3840, 2160)
    mu_px = {name: 0.0 if drawn is not None else math.inf for name, drawn in mu_drawn.items()}
    logvar_px = {name: 0.0 if drawn is not None else math.inf for name, drawn in logvar_drawn.items()}
    with np.errstate(invalid="ignore", over="ignore"):
        for pair in combinations(range(mu.shape[-1]), 2):
            exact = mu[..., list(pair)].astype(np.float64)
            radius = np.zeros(mu.shape[:2]) if logvar is None else variance_radius(logvar, pair)
            low, high = extents(exact, radius)
            span = np.maximum(high - low, 1e-12)  # (steps, 2)
            units_per_px = np.maximum(span[:, 0] / width, span[:, 1] / height)[:, None]  # the closest any view gets
            for name, drawn in mu_drawn.items():
                if drawn is not None:
                    mu_px[name] = _most(mu_px[name], np.abs(drawn[..., list(pair)] - exact).max(axis=-1) / units_per_px)
            for name, drawn in logvar_drawn.items():
                if drawn is not None:
                    logvar_px[name] = _most(logvar_px[name], np.abs(variance_radius(drawn, pair) - radius) / units_per_px)
    return mu_px, logvar_px


def _most(so_far: float, moved: np.ndarray) -> float:
    """The larger of `so_far` and the most of `moved`; inf where anything is not a number."""
    return math.inf if not np.isfinite(moved).all() else max(so_far, float(moved.max(initial=0.0)))


def encodings(mu: np.ndarray, logvar: np.ndarray | None) -> tuple[str, str | None]:
    """The first of `ENCODINGS` that keeps the picture for the means, and for the log-variances
    (None without them), else "float32"; float32 too above `MAX_CHECKED_DIMS` (too many pairs to
    check: 256 dimensions, 32,640 pairs, minutes)."""
    chosen = {"mu": "float32", "logvar": None if logvar is None else "float32"}
    if mu.shape[-1] > MAX_CHECKED_DIMS:
        return chosen["mu"], chosen["logvar"]
    undecided = {"mu"} | (set() if logvar is None else {"logvar"})
    for name in ENCODINGS:  # the next candidate only for what the last one could not keep
        mu_px, logvar_px = worst_px(mu, logvar, {name: as_drawn(mu, name)} if "mu" in undecided else {},
                                    {name: as_drawn(logvar, name)} if "logvar" in undecided else {})
        for what, px in (("mu", mu_px), ("logvar", logvar_px)):
            if what in undecided and px[name] <= SAME_PICTURE_PX:
                chosen[what] = name
                undecided.discard(what)
        if not undecided:
            break
    return chosen["mu"], chosen["logvar"]


def _array(values: np.ndarray, encoding: str) -> dict:
    """A typed array for the page: dtype, shape and the little-endian bytes in base64 (fixed16: the
    codes, with low and high of each variable of the last axis)."""
    if encoding == "fixed16":
        codes, low, high = fixed16(values)
        return {"dtype": "fixed16", "shape": list(values.shape), "low": low.tolist(), "high": high.tolist(),
                "data": base64.b64encode(np.ascontiguousarray(codes, "<u2").tobytes()).decode("ascii")}
    dtype = "<f2" if encoding == "float16" else "<f4"
    if encoding == "float16":  # a value beyond float16's range (a loss of 1e6) is kept at its largest, not cast to infinity
        largest = float(np.finfo(np.float16).max)
        values = np.clip(values, -largest, largest)
    return {"dtype": encoding, "shape": list(values.shape),
            "data": base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")}


def _ints(values: np.ndarray) -> dict:
    return {"dtype": "uint16", "shape": list(values.shape), "data": base64.b64encode(np.ascontiguousarray(values, "<u2").tobytes()).decode("ascii")}


def sprite(images: np.ndarray) -> str:
    """The tracked digits' 28x28 images, `SPRITE_COLUMNS` a row, as one PNG data URL."""
    count = len(images)
    rows = max(1, math.ceil(count / SPRITE_COLUMNS))
    sheet = np.zeros((rows * 28, SPRITE_COLUMNS * 28), np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, SPRITE_COLUMNS)
        sheet[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28] = image
    buffer = io.BytesIO()
    Image.fromarray(sheet, "L").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _b64_size(raw_bytes: int) -> int:
    return 4 * math.ceil(raw_bytes / 3)


_BYTES = {"fixed16": 2, "float16": 2, "float32": 4}


def kept_steps(steps: int, per_step_bytes: int, fixed_bytes: int, budget: int = BUDGET) -> np.ndarray:
    """Every step when the file fits `budget`, else every k-th (the first and the last always).
    `per_step_bytes` are raw (they go as base64); a thinned file also lists its steps (JSON)."""
    def size(stride: int) -> int:
        kept = len(_every(steps, stride))
        listed = 0 if stride == 1 else kept * (len(str(steps)) + 1)
        return fixed_bytes + _b64_size(per_step_bytes * kept) + listed

    stride = 1
    while size(stride) > budget and stride < steps:
        stride += 1
    return _every(steps, stride)


def _every(steps: int, stride: int) -> np.ndarray:
    kept = np.arange(0, steps, stride)
    return kept if kept[-1] == steps - 1 else np.append(kept, steps - 1)


@dataclass(frozen=True)
class ExplorerData:
    """What `write_explorer_data` wrote, for the page."""

    path: Path
    bytes: int
    steps: int  # recorded
    kept: int  # in the file
    precision: str  # e.g. "float16"


def explorer_data(run: RunFile, name: str, budget: int = BUDGET) -> dict:
    """The explorer's object for `run` (finished epochs only), named `name` on the page: what it says
    of the run, its steps in the encoding that keeps the picture within `budget`, its tracked digits,
    and the view's look (`LOOK`), which explorer.js draws with."""
    steps, tracked = run.trajectory(0, run.epochs_done), run.tracked()
    variational = bool(run.config.variational)
    picture = sprite(tracked.image)
    kept, mu_as, logvar_as = choose_encoding(steps, variational, _fixed_bytes(run, picture, steps.mu.shape), budget)
    return {**_about(run, name, steps.mu.shape, kept, budget, _precision(mu_as, logvar_as, variational)),
            **_arrays(steps, kept, mu_as, logvar_as if variational else None),
            **_digits(tracked, picture),
            "stepping": stepping_values(run),
            "look": LOOK.data(THEMES["light"])}


def _fixed_bytes(run: RunFile, picture: str, shape: tuple[int, int, int]) -> int:
    """What all but the steps cost in the data file, in bytes (base64 and JSON; the look is under 1 kB)."""
    _, n, d = shape
    return 4096 + len(picture) + 40 * n + 100 * d + len(json.dumps(stepping_values(run)))


def _step_bytes(n: int, d: int, variational: bool, mu_as: str, logvar_as: str | None) -> int:
    """Raw bytes of one step in the file: mu, logvar, epoch, batch, loss."""
    return n * d * (_BYTES[mu_as] + (_BYTES[logvar_as] if variational else 0)) + 2 + 2 + 2 * 2


def choose_encoding(steps: Steps, variational: bool, fixed: int, budget: int = BUDGET) -> tuple[np.ndarray, str, str | None]:
    """The steps kept (the most that fit `budget` in 16 bits) and the encodings of the means and the
    log-variances (None without sampling) that keep their picture; fewer steps where 32 bits are needed."""
    count, n, d = steps.mu.shape
    step_bytes = partial(_step_bytes, n, d, variational)
    kept = kept_steps(count, step_bytes("fixed16", "fixed16"), fixed, budget)  # the most steps that fit
    mu_as, logvar_as = encodings(steps.mu[kept], steps.logvar[kept] if variational else None)  # only those are checked
    if step_bytes(mu_as, logvar_as) > step_bytes("fixed16", "fixed16"):  # 32 bits somewhere: fewer steps fit
        kept = kept_steps(count, step_bytes(mu_as, logvar_as), fixed, budget)
        mu_as, logvar_as = encodings(steps.mu[kept], steps.logvar[kept] if variational else None)
    return kept, mu_as, logvar_as


def _precision(mu_as: str, logvar_as: str | None, variational: bool) -> str:
    """The encodings in words, as the page's caption gives them."""
    if not variational or logvar_as == mu_as:
        return PRECISION_NAMES[mu_as]
    return f"means {PRECISION_NAMES[mu_as]}, log-variances {PRECISION_NAMES[logvar_as]}"


def _thinning_note(count: int, kept: np.ndarray, budget: int) -> str:
    """What the page says of a thinned run ("" when every step is kept)."""
    if len(kept) == count:
        return ""
    stride = int(kept[1] - kept[0])
    ordinal = "th" if 10 <= stride % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(stride % 10, "th")
    return (f"Every {stride}{ordinal} of the run's {count:,} recorded steps is shown "
            f"({len(kept):,}), so that its data stay under {budget / 1e6:.0f} MB.")


def _about(run: RunFile, name: str, shape: tuple[int, int, int], kept: np.ndarray, budget: int, precision: str) -> dict:
    """What the page says of the run: its name and title, its steps (and which are kept), the precision."""
    config = run.config
    variational = config.variational
    count, _, d = shape
    dims_note = "" if d == 2 else f" · {d} latent variables"
    thinned = len(kept) < count
    return {
        "version": VERSION,
        "name": name,
        "title": f"{config.arch} · {'variational' if variational else 'no sampling'}{config.options_note()} · seed {config.seed}{dims_note}",
        "variational": bool(variational),
        "latentDim": int(d),
        "steps": int(count),
        "kept": kept.tolist() if thinned else None,  # the recorded step of each step in the file
        "note": _thinning_note(count, kept, budget),
        "precision": precision,
        "batchesPerEpoch": {str(e): b for e, b in run.batches_per_epoch().items()},
    }


def _arrays(steps: Steps, kept: np.ndarray, mu_as: str, logvar_as: str | None) -> dict:
    """The kept steps' arrays: epoch, batch, losses, means and (`logvar_as` None: without sampling, none) log-variances."""
    return {
        "epoch": _ints(steps.epoch[kept]),
        "batch": _ints(steps.batch[kept]),
        "loss": _array(steps.loss[kept], "float16"),  # shown to 3-4 digits; float16 has 11 bits
        "mu": _array(steps.mu[kept], mu_as),
        "logvar": _array(steps.logvar[kept], logvar_as) if logvar_as is not None else None,
    }


def _digits(tracked: Tracked, picture: str) -> dict:
    """The tracked digits: classes, training-set indices, and their images as one sprite (`picture`)."""
    return {"labels": tracked.label.tolist(), "indices": tracked.index.tolist(), "sprite": picture, "spriteColumns": SPRITE_COLUMNS}


def write_explorer_data(run: RunFile, name: str, path: Path, key: str, budget: int = BUDGET) -> ExplorerData:
    """Write the data script of `run` to `path` (whole or not at all); `key` is how the page finds it."""
    data = explorer_data(run, name, budget)
    text = ("(window.explorerData = window.explorerData || {})[" + json.dumps(key) + "] = "
            + json.dumps(data, separators=(",", ":")) + ";\n")
    write_text_atomically(path, text)
    return ExplorerData(path, len(text.encode("utf-8")), data["steps"], data["epoch"]["shape"][0], data["precision"])


def explorer_html(key: str, src: str, name: str, note: str = "", epochs: str = "") -> str:
    """The placeholder explorer.js fills: `src` is the data script's relative path (URL-encoded here)."""

    attributes = f'data-explorer="{markup.text(key)}" data-src="{markup.link(src)}"'
    if epochs:
        attributes += f' data-epochs="{markup.text(epochs)}"'
    return (f'<figure class="explorer" {attributes}><div class="explorer-body"><p class="explorer-wait">The explorer of '
            f"{markup.text(name)} loads when it comes into view.</p></div>"
            f"<figcaption>explorer · {markup.text(name)}{(' · ' + markup.text(note)) if note else ''}</figcaption>"
            '<label class="pick"><input type="checkbox" class="explore-together"> step together</label></figure>')


def _kept_data(path: Path, data: bytes) -> ExplorerData | None:
    """What `write_explorer_data` wrote at `path`, from its bytes; ValueError (or another of
    kept.SHAPE_ERRORS) for any other shape."""
    from kept import whole

    text = data.decode("utf-8")
    saved = json.loads(text[text.index("] = ") + 4:].rstrip().rstrip(";"))
    if not isinstance(saved, dict) or not isinstance(saved["epoch"], dict) or not isinstance(saved["precision"], str):
        raise ValueError("not the explorer's data")
    if saved.get("version") != VERSION:  # written by another version of this module: written again, without a word
        return None
    return ExplorerData(path, len(data), whole(saved["steps"]), whole(saved["epoch"]["shape"][0]), saved["precision"])


def _written_before(path: Path, run_file: Path, echo: Callable[[str], None] | None = None) -> ExplorerData | None:
    """The data file at `path` when it is newer than the run file it was made from (the lecture keeps
    what it rendered before), else None; one that is not the explorer's data (a pipe, a device, another
    shape) is written again, saying so to `echo`."""
    import stat

    from kept import read_kept

    try:
        info = path.stat()
        if stat.S_ISREG(info.st_mode) and info.st_mtime_ns < run_file.stat().st_mtime_ns:  # older: written again without a word
            return None
    except OSError:
        return None
    return read_kept(path, 4 * BUDGET, "explorer data", partial(_kept_data, path), "writing it again", echo or (lambda _: None))


def run_explorer(folder: Path, name: str, root: Path, relative: str, epochs: str = "", keep: bool = False,
                 echo: Callable[[str], None] | None = None) -> str:
    """The explorer of the run in `folder` for a page in `root`: its data written to `root/relative`
    (with `keep`, a data file there newer than the run file is kept), and its HTML; a note instead
    where the run has no plane to show (latent size 1, no finished epoch) or its trajectory cannot be read."""

    from errors import ProjectError
    from train.runfile import resolve

    try:
        written = _written_before(root / relative, resolve(folder), echo) if keep else None
        with RunFile(folder) as run:
            if run.latent_dim < 2 or not run.epochs_done:
                return ""
            if written is None:
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                written = write_explorer_data(run, markup.shown(name), root / relative, markup.url(relative))
    except ProjectError as exc:
        return f'<p class="missing">No explorer for {markup.text(name)}: {markup.text(str(exc))}</p>'
    size = f"{written.bytes / 1e6:.1f} MB" if written.bytes >= 100_000 else f"{written.bytes / 1e3:.0f} kB"
    thinned = f" of {written.steps:,} (thinned evenly)" if written.kept < written.steps else ""
    return explorer_html(markup.url(relative), relative, name, f"{written.kept:,} steps{thinned}, {written.precision}, {size}", epochs)
