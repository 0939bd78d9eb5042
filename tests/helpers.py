"""What many test modules use: the CLI invoked in-process, a synthetic run written by the project's
own writer, videos decoded back, polling with a deadline, a browser page kept offline. Fixtures live
in conftest.py; these are plain functions, imported as `from helpers import ...`."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

import imageio_ffmpeg
import numpy as np
from click.testing import CliRunner

from cli import main
from train import runfile
from train.runfile import EpochResult, Steps

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def cli(*args, input: str | bytes | None = None, env: dict[str, str | None] | None = None):
    """`python cli.py ARGS` in this process (paths and numbers given as they are): the one way the
    tests call the CLI. `input` is its standard input; `env`, variables set (None: unset) while it runs."""
    return CliRunner().invoke(main, [str(arg) for arg in args], input=input, env=env)


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> None:
    """Poll `condition` until it holds, failing with `what` if it does not within `seconds`: a test
    that waits for an event says so when the event never comes, instead of going on regardless."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        time.sleep(0.01)


STEPS = 10  # per epoch
LABELS = np.array([0, 3, 7], np.uint8)
CENTERS = np.array([[-2.13, 1.17], [1.56, -1.29], [0.37, 2.21]])  # off the grid lines
START = np.array([4.0, 4.0])  # where every digit begins, outside the final circles
RADII = np.array([0.5, 0.3, 0.4])


def synthetic_run(directory: Path, epochs: int = 2, mode: str = "variational", start=START, centers=CENTERS, seed: int = 0,
                  tracked=(0, 1, 2), images=None, moved=None, rows=(0, 1, 2)) -> Path:
    """A run file through the project's own writer: 3 digits drifting from `start` to known circles at `centers`.

    `images`: the tracked digits' (3, 28, 28) pictures (default: blank); `moved(step, mu)`: changes the
    means of the recorded steps 1, 2, ... before they are written (an excursion, say); `rows`: which of
    the three digits the run tracks, in that order (the same digits as a run of all three would hold)."""
    rows = list(rows)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / runfile.RUN_FILE_NAME
    config = '{"arch": "784-16-2", "mode": "%s", "epochs": %d, "seed": %d}' % (mode, epochs, seed)
    logvar = np.repeat(np.log(RADII[rows] ** 2)[:, None], 2, axis=1)  # r^2 = sigma^2 on both axes
    images = (np.zeros((3, 28, 28), np.uint8) if images is None else images)[rows]
    centers, count = np.asarray(centers)[rows], len(rows)
    runfile.create(path, config, np.array(tracked)[rows], LABELS[rows], images, np.arange(5, dtype=np.uint8) % 10,
                   np.zeros((count, 2), np.float32), np.zeros((count, 2), np.float32))
    for epoch in range(1, epochs + 1):
        t = (np.arange(STEPS) + 1 + (epoch - 1) * STEPS) / (epochs * STEPS)  # 0 -> 1 over the run
        mu = (start + t[:, None, None] * (centers[None] - start)).astype(np.float32)
        if moved is not None:
            for row in range(STEPS):
                moved(1 + (epoch - 1) * STEPS + row, mu[row])
        lv = (t[:, None, None] * logvar[None]).astype(np.float32)
        steps = Steps(mu=mu, logvar=lv, epoch=np.full(STEPS, epoch, np.int32), batch=np.arange(STEPS, dtype=np.int32),
                      loss=np.c_[200 - t * 100, 5 + t].astype(np.float32))
        runfile.append_epoch(path, EpochResult(steps=steps, train_loss=np.ones(2, np.float32), test_loss=np.ones(2, np.float32),
                                               seconds=1.0, test_mu=np.zeros((5, 2), np.float32), test_logvar=np.zeros((5, 2), np.float32)))
    return path


def decoded_rgb(path: Path, width: int, height: int) -> np.ndarray:
    """Every frame of a video as (frames, H, W, 3) uint8, decoded by the bundled ffmpeg."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(command, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def offline_page(page) -> tuple[list[str], list[str]]:
    """Watch a playwright page as a reader opening the report from disk: any request that is not a
    local file (or inline data) is refused and listed, and so is every console or page error.
    Returns the two lists, filled as the page runs."""
    refused, errors = [], []

    def route(request_route):
        if request_route.request.url.startswith(("file://", "data:")):
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return refused, errors
