"""The project's one video writer: a scene in, a finished, playable video and its poster out.

Frames (H, W, 4) uint8 RGBA arrays come from any iterable and are streamed to the ffmpeg
bundled with imageio-ffmpeg, so memory stays flat however long the video is. After the first,
a frame may also come as a `TileUpdate` (only the tiles a scene redrew), which spares copying
and comparing whole frames. For mp4 and webm the frames are handed over as BT.709 yuv420p that
we convert ourselves (yuv.py), for gif and mov as rgba (a GIF is made afterwards from a lossless
intermediate, gif.py, so not even its palette holds the clip in memory). A writer thread feeds
ffmpeg while the caller draws the next frame, so drawing and encoding use both cores.
A video appears under its name only when complete and verified (its frames counted), together
with its poster; a failure, Ctrl-C or SIGTERM kills ffmpeg and leaves nothing behind.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import imageio_ffmpeg
import numpy as np
from tqdm import tqdm

from atomic import atomic_path, atomic_paths, disk_full, disk_full_error, signals_at_safe_points
from errors import ProjectError
from render.outputs import ensure_output_dir
from render.video.gif import STAGE_SUFFIX, gif_from_stage
from render.video.probe import count_frames
from render.video.spec import VideoSpec
from render.video.tiles import TileGrid, TileUpdate
from render.video.yuv import Yuv420Converter

QUEUE_FRAMES = 3  # frames in flight between the drawing thread and ffmpeg
# ffmpeg writes to our terminal, where its lines would stand around our one-line errors (a full disk
# printed six); set VAE_TRAJECTORIES_FFMPEG_LOG=error to see them when ffmpeg fails for another reason.
FFMPEG_LOG_LEVEL = os.environ.get("VAE_TRAJECTORIES_FFMPEG_LOG", "quiet")


class Scene(Protocol):
    """What every video view gives the writer: its frames, how many, and a name for the progress bar.

    `frames()` yields the first frame whole, then whole frames or `TileUpdate`s."""

    frame_count: int
    label: str

    def frames(self) -> Iterable[np.ndarray | TileUpdate]: ...


class WholeFrames:
    """A scene that draws every frame whole with `frame(index)`: the `frames()` of such scenes."""

    frame_count: int

    def frame(self, index: int) -> np.ndarray:
        raise NotImplementedError

    def frames(self) -> Iterator[np.ndarray]:
        for index in range(self.frame_count):
            yield self.frame(index)


@dataclass(frozen=True)
class Rendered:
    video: Path
    poster: Path  # the last frame, as PNG
    replaced: bool  # a video of that name was there before


def poster_path(video: Path) -> Path:
    """The poster beside its video: the same name with .png (`clip.mp4` -> `clip.png`)."""
    return video.with_suffix(".png")


def check_destination(path: Path, spec: VideoSpec) -> None:
    """Refuse a name that does not match the format, and a folder we cannot write, before any work."""
    if path.suffix.lower() != f".{spec.format}":
        raise ProjectError(f"{path}: the file name must end in .{spec.format} for --format {spec.format}")
    ensure_output_dir(path)


def render_video(scene: Scene, out: Path, spec: VideoSpec, progress: bool = True) -> Rendered:
    """The one entry of the pipeline: encode `scene` into `out`, and publish the video and its
    poster (the last frame) together, or neither."""
    out = Path(out)
    check_destination(out, spec)
    poster = poster_path(out)
    replaced = out.exists()
    with atomic_paths(out, poster) as (video_tmp, poster_tmp):
        last = encode(scene.frames(), video_tmp, spec, total=scene.frame_count, progress=progress, description=scene.label,
                      name=out.name)
        write_png(poster_tmp, last)
    return Rendered(out, poster, replaced)


def write_png(path: Path, rgba: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(rgba).save(path, format="PNG")


def write_video(frames: Iterable[np.ndarray | TileUpdate], path: Path, spec: VideoSpec, total: int | None = None,
                progress: bool = True, description: str = "rendering") -> np.ndarray:
    """Encode RGBA `frames` into `path` (atomically, no poster); returns the last frame."""
    path = Path(path)
    check_destination(path, spec)
    with atomic_path(path) as tmp:
        return encode(frames, tmp, spec, total=total, progress=progress, description=description, name=path.name)


def encode(frames: Iterable[np.ndarray | TileUpdate], path: Path, spec: VideoSpec, total: int | None = None,
           progress: bool = True, description: str = "rendering", name: str = "") -> np.ndarray:
    """Encode RGBA `frames` into `path` and check that every frame is in it; returns the last frame.

    `path` is the caller's to publish or remove; errors call the video `name`. The arrays handed over belong to the writer from
    then on: a `TileUpdate` is pasted into the frame before it.
    """
    # -- Input args -----------------------------------------------------------------------
    path = Path(path)
    name = name or path.name
    width, height = spec.size
    codec, pix_fmt_out, output_params = spec.encoder()
    staged = spec.format == "gif"  # frames go to a lossless stage first, the GIF is made from it
    encoded = path.with_suffix(STAGE_SUFFIX) if staged else path

    # -- Prepare ----------------------------------------------------------------------------
    # yuv420p outputs get frames already converted (see yuv.py); the others get rgba.
    to_yuv = Yuv420Converter(width, height).convert if pix_fmt_out == "yuv420p" else None
    grid = TileGrid(width, height)
    writer = imageio_ffmpeg.write_frames(str(encoded), (width, height), pix_fmt_in="yuv420p" if to_yuv else "rgba",
                                         pix_fmt_out=pix_fmt_out, fps=spec.fps,
                                         quality=None, codec=codec, macro_block_size=1, ffmpeg_log_level=FFMPEG_LOG_LEVEL,
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
        with signals_at_safe_points() as stop_if_asked:  # Ctrl-C and SIGTERM stop between two frames
            for frame in tqdm(frames, total=total, desc=description, unit="frame", disable=not progress, leave=False):
                stop_if_asked()
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
            try:
                writer.close()  # waits for ffmpeg to finish the file
            except Exception as exc:  # ffmpeg could not finish it (a full disk, say)
                failure.append(exc)
        else:
            try:
                writer.throw(KeyboardInterrupt)  # imageio-ffmpeg's signal to kill ffmpeg at once
            except BaseException:
                pass
        full = bool(failure) and disk_full(failure[0], path.parent)  # before the partial file frees its space
        if failure or not finished:
            encoded.unlink(missing_ok=True)
    if failure:
        if full:
            raise disk_full_error(path.parent, name)
        raise ProjectError(f"ffmpeg failed while writing {name}: {str(failure[0]).splitlines()[0]}")
    if count == 0:
        encoded.unlink(missing_ok=True)
        raise ProjectError(f"{name}: no frames to write")
    if staged:
        try:
            gif_from_stage(encoded, path, spec.fps)
        except ProjectError as exc:
            if disk_full(exc, path.parent):
                raise disk_full_error(path.parent, name) from None
            raise
        finally:
            encoded.unlink(missing_ok=True)
    _verify(path, count, name)
    return latest[0]


def _check_frame(frame: np.ndarray | TileUpdate, index: int, grid: TileGrid) -> None:
    if isinstance(frame, TileUpdate):
        expected = (len(frame.rows), grid.tile_h, grid.tile_w, 4)
        if index == 0 or frame.tiles.shape != expected or frame.tiles.dtype != np.uint8:
            raise ValueError(f"frame {index}: a tile update needs a whole frame before it and {expected} uint8 tiles")
    elif frame.shape != (grid.height, grid.width, 4) or frame.dtype != np.uint8:
        raise ValueError(f"frame {index} is {frame.shape} {frame.dtype}, expected ({grid.height}, {grid.width}, 4) uint8")


def _verify(path: Path, expected_frames: int, name: str) -> None:
    """Check ffmpeg really wrote every frame (its exit status is not reported)."""
    try:
        frames = count_frames(path) if path.exists() else 0
    except (ValueError, OSError):
        frames = 0
    if frames != expected_frames:
        if disk_full(OSError(), path.parent):
            raise disk_full_error(path.parent, name)
        raise ProjectError(f"ffmpeg produced {frames} of {expected_frames} frames for {name}; nothing was written")
