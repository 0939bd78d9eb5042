"""Which recorded steps become video frames, and for how long (`--epochs`, `--every`, `--duration`)."""

from __future__ import annotations

import re

import numpy as np

from errors import ProjectError

MAX_SECONDS = 3600.0  # 108,000 frames at 30 fps


def parse_epochs(text: str) -> tuple[int, int]:
    """`2-10`, `3` or `0` -> inclusive (first, last) epoch; 0 is the untrained step."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not match:
        raise ProjectError(f"--epochs {text!r}: use a range like 2-10, a single epoch like 3, or 0 for the untrained net")
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) is not None else first
    if last < first:
        raise ProjectError(f"--epochs {text}: the range runs backwards; did you mean {last}-{first}?")
    return first, last


def check_epoch_range(first: int, last: int, epochs_done: int) -> None:
    """Refuse an `--epochs` range past the run's finished epochs, saying which it has."""
    if last > epochs_done:
        asked = f"{first}-{last}" if last != first else f"{first}"
        raise ProjectError(f"--epochs {asked}: the run has {epochs_done} finished epoch{'s' * (epochs_done != 1)} (1-{epochs_done})")


def parse_duration(text: str) -> float:
    """`40s`, `40`, `1m30s` or `1:30` -> seconds."""
    text = text.strip().lower()
    if match := re.fullmatch(r"(\d+):(\d{1,2}(?:\.\d+)?)", text):
        seconds = int(match.group(1)) * 60 + float(match.group(2))
    elif match := re.fullmatch(r"(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?", text):
        seconds = int(match.group(1) or 0) * 60 + float(match.group(2) or 0)
    else:
        seconds = 0.0
    if seconds <= 0:
        raise ProjectError(f"--duration {text!r}: use seconds like 40s, or 1m30s")
    if seconds > MAX_SECONDS:
        raise ProjectError(f"--duration {text!r}: at most an hour ({MAX_SECONDS:g} s)")
    return seconds


def frame_steps(steps: np.ndarray, fps: float, every: int | None = None, duration: float | None = None) -> np.ndarray:
    """The steps shown, one per frame: every K-th, or evenly spread to last `duration` seconds."""
    if every is not None and duration is not None:
        raise ProjectError("--every and --duration both choose the frames; give one of them")
    if duration is not None:
        count = max(2, int(round(duration * fps)))
        return steps[np.round(np.linspace(0, len(steps) - 1, count)).astype(int)]
    every = 1 if every is None else every
    if every < 1:
        raise ProjectError("--every must be >= 1")
    chosen = steps[::every]
    return chosen if chosen[-1] == steps[-1] else np.append(chosen, steps[-1])  # always end on the last step
