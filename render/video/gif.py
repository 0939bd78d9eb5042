"""GIFs with one palette for the whole clip, built without holding the clip in memory.

A GIF looks best with a palette chosen from all of its frames, but ffmpeg's one-command recipe
(`split`, `palettegen`, `paletteuse`) keeps every frame in memory until the palette exists: 1.25 GB
for 300 frames at 720p, ~50 GB for a full 1080p trajectories clip. So the frames are first
streamed into a lossless, compact intermediate (RGB H.264 at qp 0: our mostly still frames cost
little), then ffmpeg reads that file twice: once to build the palette, once to apply it.
"""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

from errors import ProjectError

# What `write_video` encodes the frames into first: (codec, pixel format, ffmpeg output arguments).
LOSSLESS_STAGE = ("libx264rgb", "rgb24", ["-preset", "ultrafast", "-qp", "0"])
STAGE_SUFFIX = ".mkv"


def _ffmpeg(*arguments: str) -> None:
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", *arguments], capture_output=True, text=True, errors="replace")
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        raise ProjectError(f"ffmpeg failed while making a GIF: {reason}")


def gif_from_stage(stage: Path, out: Path, fps: float) -> None:
    """Write `out` from the lossless `stage` video: palette from every frame, then Bayer dithering.

    `out` is removed again if anything fails (Ctrl-C included); the caller owns `stage`.
    """
    palette = out.with_name(f"{out.stem}.palette.png")
    try:
        _ffmpeg("-i", str(stage), "-vf", "palettegen=stats_mode=diff", "-frames:v", "1", str(palette))
        _ffmpeg("-i", str(stage), "-i", str(palette), "-lavfi", "[0:v][1:v]paletteuse=dither=bayer",
                "-r", str(Fraction(fps).limit_denominator()), "-f", "gif", str(out))
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        palette.unlink(missing_ok=True)
