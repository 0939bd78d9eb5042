"""What a video should be: container, size, rate and quality, checked before any frame is drawn.

`VideoSpec` also knows the encoder settings that make each container play everywhere.
`VideoOptions` bundles it with what every video command shares (theme, output, length, progress),
so that the CLI declares those options once for all views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from errors import ProjectError
from render.style import Theme
from render.video.gif import LOSSLESS_STAGE
from render.video.yuv import COLOR_TAGS

FORMATS = ("mp4", "webm", "gif", "mov")
NAMED_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
FPS = 30.0  # frames a second unless --fps says otherwise (the explorer plays one step a frame at this rate)
DEFAULT_CRF = {"mp4": 18, "webm": 31}
# What each encoder accepts: x264's CRF tops at 51 and 0 is lossless, which the High profile (the
# one PowerPoint and Keynote play) refuses; VP9 takes 0-63. GIF and ProRes take no CRF.
CRF_RANGE = {"mp4": (1, 51), "webm": (0, 63)}
# Encoder speed (`--preset`), chosen by measurement on our own clips (bench/encoder_settings.py,
# BENCHMARKS.md): x264's veryfast encodes them in 0.45x medium's time, files within 2% of its size,
# SSIM within 0.002 of it on every clip. No faster VP9 setting kept WebM files within 1.1x, so WebM
# keeps libvpx's "good" quality at cpu-used 4; `--preset fast` trades 1.3x the size for 3x the speed.
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
VP9_PRESETS = {"best": ("good", 2), "good": ("good", 4), "fast": ("realtime", 5), "fastest": ("realtime", 8)}  # (-deadline, -cpu-used)
DEFAULT_PRESET = {"mp4": "veryfast", "webm": "good"}


def parse_size(text: str) -> tuple[int, int]:
    """`720p`, `1080p`, `4k` or `WxH` (both even, as H.264 in yuv420p requires)."""
    if text.lower() in NAMED_SIZES:
        return NAMED_SIZES[text.lower()]
    match = re.fullmatch(r"(\d+)x(\d+)", text.lower())
    if not match:
        raise ProjectError(f"--size {text!r}: use 720p, 1080p, 4k or WIDTHxHEIGHT (e.g. 1600x900)")
    width, height = int(match.group(1)), int(match.group(2))
    if width % 2 or height % 2 or not (64 <= width <= 7680 and 64 <= height <= 4320):
        raise ProjectError(f"--size {text!r}: width and height must be even and between 64x64 and 7680x4320")
    return width, height


@dataclass(frozen=True)
class VideoSpec:
    """Container, size and rate of a video, with the encoder settings that make it play everywhere."""

    format: str = "mp4"
    size: tuple[int, int] = (1920, 1080)
    fps: float = FPS
    crf: int | None = None
    preset: str | None = None  # encoder speed: x264's preset names for mp4, VP9_PRESETS for webm

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ProjectError(f"--format {self.format!r}: choose one of {', '.join(FORMATS)}")
        if not 1 <= self.fps <= 240:
            raise ProjectError(f"--fps {self.fps}: choose between 1 and 240")
        if self.crf is not None:
            if self.format not in CRF_RANGE:
                raise ProjectError(f"--crf sets the quality of mp4 and webm; --format {self.format} takes none")
            low, high = CRF_RANGE[self.format]
            if not low <= self.crf <= high:
                raise ProjectError(f"--crf {self.crf}: choose between {low} and {high} for {self.format} (lower is better quality)")
        if self.preset is not None:
            choices = {"mp4": X264_PRESETS, "webm": tuple(VP9_PRESETS)}.get(self.format)
            if choices is None:
                raise ProjectError(f"--preset sets the encoder speed of mp4 and webm; --format {self.format} takes none")
            if self.preset not in choices:
                raise ProjectError(f"--preset {self.preset!r}: choose one of {', '.join(choices)} for {self.format}")

    @property
    def transparent(self) -> bool:
        return self.format == "mov"

    def encoder(self) -> tuple[str, str, list[str]]:
        """(codec, output pixel format, extra ffmpeg output arguments)."""
        rate = ["-r", str(Fraction(self.fps).limit_denominator())]  # constant frame rate out
        if self.format == "mp4":  # H.264 High, yuv420p, moov atom first: PowerPoint, Keynote, QuickTime, browsers
            crf = self.crf if self.crf is not None else DEFAULT_CRF["mp4"]
            preset = self.preset or DEFAULT_PRESET["mp4"]
            return "libx264", "yuv420p", ["-profile:v", "high", "-preset", preset, "-crf", str(crf), "-movflags", "+faststart", *COLOR_TAGS, *rate]
        if self.format == "webm":
            crf = self.crf if self.crf is not None else DEFAULT_CRF["webm"]
            deadline, speed = VP9_PRESETS[self.preset or DEFAULT_PRESET["webm"]]
            return "libvpx-vp9", "yuv420p", ["-crf", str(crf), "-b:v", "0", "-row-mt", "1", "-deadline", deadline, "-cpu-used", str(speed),
                                             *COLOR_TAGS, *rate]
        if self.format == "gif":  # the lossless stage that render/gif.py turns into the GIF
            codec, pix_fmt, arguments = LOSSLESS_STAGE
            return codec, pix_fmt, [*arguments, *rate]
        # mov: ProRes 4444 with alpha, for compositing over slides
        return "prores_ks", "yuva444p10le", ["-profile:v", "4444", "-vendor", "apl0", "-qscale:v", "9", *rate]


@dataclass(frozen=True)
class VideoOptions:
    """The options every video command takes, parsed: see `cli.video_options`."""

    spec: VideoSpec
    theme: Theme
    out: Path | None = None  # None: the view's default name
    duration: float | None = None  # seconds of the whole clip; None: the view's own choice
    progress: bool = True
