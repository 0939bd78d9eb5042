"""The data of the report's latent explorer (report/assets/explorer.js): one generated script per run.

Pages opened from disk cannot `fetch` local files in Chromium, so a run's data travel as a script the
page loads with `<script src>` (when the explorer scrolls into view): it adds one object to
`window.explorerData`. It holds the recorded steps' means and log-variances, losses, epoch and
batch; the tracked digits' classes, training-set indices and their images as one PNG sprite; and
what the runs must share to be stepped together (the videos' rule, `STEP_FOR_STEP`).

Means and log-variances go as float16 (base64 of a Uint16Array, decoded in the browser) when that
keeps the picture identical at 4k: every centre and radius, under any view the camera can take,
within `SAME_PICTURE_PX` of where float32 puts it; else as float32. A run is held to `BUDGET` bytes
(60 tracked digits over 10 epochs of 600 batches fit as float16); beyond that every k-th step is
kept, evenly, and the page says so.
"""

from __future__ import annotations

import base64
import io
import json
import math
from report import markup
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image

from atomic import write_text_atomically
from render.style import CLASS_COLORS, RUN_COLORS, THEMES
from render.views.trajectories.camera import extents
from render.views.trajectories.data import stepping_values
from render.views.trajectories.layout import ASPECT_RANGE, LayoutRequest, layout
from render.views.trajectories.plane import DOT_RADIUS, FILL_ALPHA, DOT_FILL_ALPHA, TRAIL_ALPHA, TRAIL_LEVELS
from train.latents import variance_radius
from train.runfile import RunFile

BUDGET = 4_000_000  # bytes of one run's data file
SAME_PICTURE_PX = 0.5  # float16 is used where it moves nothing by more than this at 4k
SPRITE_COLUMNS = 10
DATA_FILE = "explorer-data.js"


def _planes_4k() -> tuple[int, int]:
    """The widest and the tallest plane a 4k trajectories frame can have (the aspect is clamped)."""
    wide = layout(LayoutRequest(3840, 2160, 1, ASPECT_RANGE[1])).planes[0]
    tall = layout(LayoutRequest(3840, 2160, 1, ASPECT_RANGE[0])).planes[0]
    return wide.w, tall.h


MAX_CHECKED_DIMS = 16  # 120 pairs of dimensions, checked in about 2 s for 60 digits over 6,001 steps


def float16_keeps_picture(mu: np.ndarray, logvar: np.ndarray | None) -> tuple[bool, bool]:
    """Whether float16 means, and float16 log-variances, move no centre or radius by more than
    `SAME_PICTURE_PX` at 4k, on any pair of dimensions, under any view that holds the step's circles.

    A view holds every circle of its step, so a latent unit spans at most (plane width) / (x extent)
    and (plane height) / (y extent) pixels; the largest 4k plane bounds both."""
    if mu.shape[-1] > MAX_CHECKED_DIMS:  # too many pairs to check (256 dimensions: 32,640 pairs, minutes): keep float32
        return False, False
    width, height = _planes_4k()
    mu16 = mu.astype(np.float16).astype(np.float64)
    lv16 = None if logvar is None else logvar.astype(np.float16)
    mu_ok = logvar_ok = True
    for pair in combinations(range(mu.shape[-1]), 2):
        exact = mu[..., list(pair)].astype(np.float64)
        radius = np.zeros(mu.shape[:2]) if logvar is None else variance_radius(logvar, pair)
        low, high = extents(exact, radius)
        span = np.maximum(high - low, 1e-12)  # (steps, 2)
        units_per_px = np.maximum(span[:, 0] / width, span[:, 1] / height)[:, None]  # the closest any view gets
        mu_ok &= bool((np.abs(mu16[..., list(pair)] - exact).max(axis=-1) / units_per_px <= SAME_PICTURE_PX).all())
        if lv16 is not None:
            logvar_ok &= bool((np.abs(variance_radius(lv16, pair) - radius) / units_per_px <= SAME_PICTURE_PX).all())
    return mu_ok, logvar_ok


def _array(values: np.ndarray, half: bool) -> dict:
    """A typed array for the page: dtype, shape and the little-endian bytes in base64."""
    dtype = "<f2" if half else "<f4"
    return {"dtype": "float16" if half else "float32", "shape": list(values.shape),
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
    """The explorer's object for `run` (finished epochs only), named `name` on the page."""
    config = run.config
    variational = config.variational
    tracked = run.tracked()
    steps = run.trajectory(0, run.epochs_done)
    count, n, d = steps.mu.shape
    picture = sprite(tracked.image)
    # bytes a step costs (mu, logvar as float32 at worst, epoch, batch, loss) and the rest, in base64
    arrays_per_step = (1 + variational) * n * d
    fixed = 4096 + len(picture) + 40 * n + len(json.dumps(stepping_values(run)))
    mu_half, logvar_half = float16_keeps_picture(steps.mu, steps.logvar if variational else None)
    value_bytes = 2 if (mu_half and (logvar_half or not variational)) else 4
    kept = kept_steps(count, arrays_per_step * value_bytes + 2 + 2 + 2 * 2, fixed, budget)  # mu, logvar, epoch, batch, loss
    if len(kept) < count:  # the thinned steps alone decide precision now
        mu_half, logvar_half = float16_keeps_picture(steps.mu[kept], steps.logvar[kept] if variational else None)
    precision = ("float16" if mu_half and (logvar_half or not variational) else "float32" if not (mu_half or (logvar_half and variational))
                 else f"means float{16 if mu_half else 32}, log-variances float{16 if logvar_half else 32}")
    thinned = len(kept) < count
    stride = int(kept[1] - kept[0]) if thinned else 1
    ordinal = "th" if 10 <= stride % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(stride % 10, "th")
    note = (f"Every {stride}{ordinal} of the run's {count:,} recorded steps is shown "
            f"({len(kept):,}), so that its data stay under {budget / 1e6:.0f} MB." if thinned else "")
    dims_note = "" if d == 2 else f" · {d} latent variables"
    return {
        "version": 1,
        "name": name,
        "title": f"{config.arch} · {'variational' if variational else 'no sampling'} · seed {config.seed}{dims_note}",
        "variational": bool(variational),
        "latentDim": int(d),
        "steps": int(count),
        "kept": kept.tolist() if thinned else None,  # the recorded step of each step in the file
        "note": note,
        "precision": precision,
        "epoch": _ints(steps.epoch[kept]),
        "batch": _ints(steps.batch[kept]),
        "batchesPerEpoch": {str(e): b for e, b in run.batches_per_epoch().items()},
        "loss": _array(steps.loss[kept], half=True),  # shown to 3-4 digits; float16 has 11 bits
        "mu": _array(steps.mu[kept], mu_half),
        "logvar": _array(steps.logvar[kept], logvar_half) if variational else None,
        "labels": tracked.label.tolist(),
        "indices": tracked.index.tolist(),
        "sprite": picture,
        "spriteColumns": SPRITE_COLUMNS,
        "stepping": stepping_values(run),
        "look": {"colors": list(CLASS_COLORS), "fillAlpha": FILL_ALPHA, "dotFillAlpha": DOT_FILL_ALPHA, "edgeAlpha": 0.95,
                 "trailAlpha": TRAIL_ALPHA, "trailLevels": TRAIL_LEVELS, "dotRadius": DOT_RADIUS,
                 "runColors": list(RUN_COLORS),
                 "theme": {key: value for key, value in THEMES["light"].__dict__.items() if key != "name"}},
    }


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


def _written_before(path: Path, run_file: Path) -> ExplorerData | None:
    """The data file at `path` when it is newer than the run file it was made from (the lecture keeps
    what it rendered before), else None."""
    try:
        if path.stat().st_mtime_ns < run_file.stat().st_mtime_ns:
            return None
        text = path.read_text(encoding="utf-8")
        data = json.loads(text[text.index("] = ") + 4:].rstrip().rstrip(";"))
        return ExplorerData(path, len(text.encode("utf-8")), data["steps"], data["epoch"]["shape"][0], data["precision"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_explorer(folder: Path, name: str, root: Path, relative: str, epochs: str = "", keep: bool = False) -> str:
    """The explorer of the run in `folder` for a page in `root`: its data written to `root/relative`
    (with `keep`, a data file there newer than the run file is kept), and its HTML; a note instead
    where the run has no plane to show (latent size 1, no finished epoch) or its trajectory cannot be read."""

    from errors import ProjectError
    from train.runfile import resolve

    try:
        written = _written_before(root / relative, resolve(folder)) if keep else None
        with RunFile(folder) as run:
            if run.latent_dim < 2 or not run.epochs_done:
                return ""
            if written is None:
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                written = write_explorer_data(run, name, root / relative, relative)
    except ProjectError as exc:
        return f'<p class="missing">No explorer for {markup.text(name)}: {markup.text(str(exc))}</p>'
    size = f"{written.bytes / 1e6:.1f} MB" if written.bytes >= 100_000 else f"{written.bytes / 1e3:.0f} kB"
    thinned = f" of {written.steps:,} (thinned evenly)" if written.kept < written.steps else ""
    return explorer_html(relative, relative, name, f"{written.kept:,} steps{thinned}, {written.precision}, {size}", epochs)
