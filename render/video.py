"""The project's one video writer: frames in, a finished, playable file out.

Frames (H, W, 4) uint8 RGBA arrays come from any iterable and are streamed to the ffmpeg
bundled with imageio-ffmpeg, so memory stays flat however long the video is. After the first,
a frame may also come as a `TileUpdate` (only the tiles a scene redrew), which spares copying
and comparing whole frames. For mp4 and webm the frames are handed over as BT.709 yuv420p that
we convert ourselves (render/yuv.py), for gif and mov as rgba (a GIF is made afterwards from a
lossless intermediate, render/gif.py, so not even its palette holds the clip in memory). A writer
thread feeds ffmpeg while the caller draws the next frame, so drawing and encoding use both cores.
The file appears under its final name only when complete and verified (frame count checked);
a failure or Ctrl-C kills ffmpeg and leaves nothing behind.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import imageio_ffmpeg
import numpy as np
from tqdm import tqdm

from errors import ProjectError
from render.gif import LOSSLESS_STAGE, STAGE_SUFFIX, gif_from_stage
from render.outputs import ensure_output_dir
from render.probe import count_frames
from render.tiles import TileGrid, TileUpdate
from render.yuv import COLOR_TAGS, Yuv420Converter

FORMATS = ("mp4", "webm", "gif", "mov")
NAMED_SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
DEFAULT_CRF = {"mp4": 18, "webm": 31}
QUEUE_FRAMES = 3  # frames in flight between the drawing thread and ffmpeg


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
    fps: float = 30.0
    crf: int | None = None

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ProjectError(f"--format {self.format!r}: choose one of {', '.join(FORMATS)}")
        if not 1 <= self.fps <= 240:
            raise ProjectError(f"--fps {self.fps}: choose between 1 and 240")
        if self.crf is not None and not 0 <= self.crf <= 63:
            raise ProjectError(f"--crf {self.crf}: choose between 0 and 63 (lower is better quality)")

    @property
    def transparent(self) -> bool:
        return self.format == "mov"

    def encoder(self) -> tuple[str, str, list[str]]:
        """(codec, output pixel format, extra ffmpeg output arguments)."""
        rate = ["-r", str(Fraction(self.fps).limit_denominator())]  # constant frame rate out
        if self.format == "mp4":  # H.264 High, yuv420p, moov atom first: PowerPoint, Keynote, QuickTime, browsers
            crf = self.crf if self.crf is not None else DEFAULT_CRF["mp4"]
            return "libx264", "yuv420p", ["-profile:v", "high", "-preset", "medium", "-crf", str(crf), "-movflags", "+faststart", *COLOR_TAGS, *rate]
        if self.format == "webm":
            crf = self.crf if self.crf is not None else DEFAULT_CRF["webm"]
            return "libvpx-vp9", "yuv420p", ["-crf", str(crf), "-b:v", "0", "-row-mt", "1", "-deadline", "good", "-cpu-used", "4", *COLOR_TAGS, *rate]
        if self.format == "gif":  # the lossless stage that render/gif.py turns into the GIF
            codec, pix_fmt, arguments = LOSSLESS_STAGE
            return codec, pix_fmt, [*arguments, *rate]
        # mov: ProRes 4444 with alpha, for compositing over slides
        return "prores_ks", "yuva444p10le", ["-profile:v", "4444", "-vendor", "apl0", "-qscale:v", "9", *rate]


def _check_destination(path: Path, spec: VideoSpec) -> None:
    if path.suffix.lower() != f".{spec.format}":
        raise ProjectError(f"{path}: the file name must end in .{spec.format} for --format {spec.format}")
    ensure_output_dir(path)


def atomic_write_png(path: Path, rgba: np.ndarray) -> None:
    """A PNG that appears only once complete."""
    from PIL import Image

    tmp = path.with_name(f".{path.stem}.partial.png")
    Image.fromarray(rgba).save(tmp)
    os.replace(tmp, path)


def write_video(frames: Iterable[np.ndarray | TileUpdate], path: Path, spec: VideoSpec, total: int | None = None,
                progress: bool = True, description: str = "rendering") -> np.ndarray:
    """Encode RGBA `frames` into `path`; returns the last frame (for a poster image).

    The arrays handed over belong to the writer from then on: a `TileUpdate` is pasted into
    the frame before it.
    """
    # -- Input args -----------------------------------------------------------------------
    path = Path(path)
    _check_destination(path, spec)
    width, height = spec.size
    codec, pix_fmt_out, output_params = spec.encoder()
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    staged = spec.format == "gif"  # frames go to a lossless stage first, the GIF is made from it
    encoded = tmp.with_suffix(STAGE_SUFFIX) if staged else tmp

    # -- Prepare ----------------------------------------------------------------------------
    # yuv420p outputs get frames already converted (see render/yuv.py); the others get rgba.
    to_yuv = Yuv420Converter(width, height).convert if pix_fmt_out == "yuv420p" else None
    grid = TileGrid(width, height)
    writer = imageio_ffmpeg.write_frames(str(encoded), (width, height), pix_fmt_in="yuv420p" if to_yuv else "rgba",
                                         pix_fmt_out=pix_fmt_out, fps=spec.fps,
                                         quality=None, codec=codec, macro_block_size=1, ffmpeg_log_level="error",
                                         output_params=output_params)
    writer.send(None)  # starts ffmpeg
    pending: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
    failure: list[BaseException] = []

    latest: list[np.ndarray] = []  # the whole current frame, for rgba formats and the poster

    def feed_ffmpeg() -> None:
        while (item := pending.get()) is not None:
            if not failure:
                try:
                    changed = None
                    if isinstance(item, TileUpdate):
                        changed = item.rows, item.cols
                        grid.put(latest[0], item.rows, item.cols, item.tiles)
                    else:
                        latest[:] = [item]
                    writer.send(to_yuv(latest[0], changed) if to_yuv else latest[0])
                except BaseException as exc:  # ffmpeg died: remember why, keep draining the queue
                    failure.append(exc)

    feeder = threading.Thread(target=feed_ffmpeg, name="ffmpeg-feeder", daemon=True)
    feeder.start()

    # -- Write frames -------------------------------------------------------------------------
    count, finished = 0, False
    try:
        for frame in tqdm(frames, total=total, desc=description, unit="frame", disable=not progress, leave=False):
            _check_frame(frame, count, grid)
            if failure:
                break
            pending.put(frame)
            count += 1
        finished = not failure
    finally:
        pending.put(None)
        feeder.join()
        if finished:
            writer.close()  # waits for ffmpeg to finish the file
        else:
            try:
                writer.throw(KeyboardInterrupt)  # imageio-ffmpeg's signal to kill ffmpeg at once
            except BaseException:
                pass
            encoded.unlink(missing_ok=True)
    if failure:
        raise ProjectError(f"ffmpeg failed while writing {path.name}: {str(failure[0]).splitlines()[0]}")
    if count == 0:
        encoded.unlink(missing_ok=True)
        raise ProjectError(f"{path.name}: no frames to write")
    if staged:
        try:
            gif_from_stage(encoded, tmp, spec.fps)
        finally:
            encoded.unlink(missing_ok=True)
    _verify_and_publish(tmp, path, count)
    return latest[0]


def _check_frame(frame: np.ndarray | TileUpdate, index: int, grid: TileGrid) -> None:
    if isinstance(frame, TileUpdate):
        expected = (len(frame.rows), grid.tile_h, grid.tile_w, 4)
        if index == 0 or frame.tiles.shape != expected or frame.tiles.dtype != np.uint8:
            raise ValueError(f"frame {index}: a tile update needs a whole frame before it and {expected} uint8 tiles")
    elif frame.shape != (grid.height, grid.width, 4) or frame.dtype != np.uint8:
        raise ValueError(f"frame {index} is {frame.shape} {frame.dtype}, expected ({grid.height}, {grid.width}, 4) uint8")


def _verify_and_publish(tmp: Path, path: Path, expected_frames: int) -> None:
    """Check ffmpeg really wrote every frame (its exit status is not reported), then rename."""
    try:
        frames = count_frames(tmp) if tmp.exists() else 0
    except (ValueError, OSError):
        frames = 0
    if frames != expected_frames:
        tmp.unlink(missing_ok=True)
        raise ProjectError(f"ffmpeg produced {frames} of {expected_frames} frames for {path.name}; nothing was written")
    os.replace(tmp, path)
