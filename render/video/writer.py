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
import re
import subprocess
import threading
from dataclasses import dataclass
from fractions import Fraction
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
    staged = spec.format == "gif"  # frames go to a lossless stage first, the GIF is made from it
    encoded = path.with_suffix(STAGE_SUFFIX) if staged else path

    # -- Prepare: ffmpeg and the thread that feeds it -----------------------------------------
    feed = FfmpegFeed(encoded, spec)
    try:
        # -- Write frames ---------------------------------------------------------------------
        count, finished = 0, False
        try:
            count = _write_frames(frames, feed, total, progress, description)
            finished = not feed.failure
        finally:
            feed.close() if finished else feed.kill()
            full = bool(feed.failure) and disk_full(feed.failure[0], path.parent)  # before the partial file frees its space
            if feed.failure or not finished:
                encoded.unlink(missing_ok=True)
        if feed.failure:
            if full:
                raise disk_full_error(path.parent, name)
            raise ProjectError(f"ffmpeg failed while writing {name}: {feed.reason()}")
        if count == 0:
            encoded.unlink(missing_ok=True)
            raise ProjectError(f"{name}: no frames to write")

        # -- Finish: the GIF from its stage, then every frame counted ----------------------------
        if staged:
            _gif_from(encoded, path, spec, name)
        _verify(path, count, name, feed)
        return feed.latest[0]
    finally:
        feed.forget_log()


def _write_frames(frames: Iterable[np.ndarray | TileUpdate], feed: "FfmpegFeed", total: int | None, progress: bool,
                  description: str) -> int:
    """Hand every frame to `feed`, checked; returns how many. Ctrl-C and SIGTERM stop between two frames."""
    count = 0
    with signals_at_safe_points() as stop_if_asked:
        for frame in tqdm(frames, total=total, desc=description, unit="frame", disable=not progress, leave=False):
            stop_if_asked()
            _check_frame(frame, count, feed.grid)
            if feed.failure:
                break
            feed.put(frame)
            count += 1
    return count


def _gif_from(stage: Path, path: Path, spec: VideoSpec, name: str) -> None:
    try:
        gif_from_stage(stage, path, spec.fps)
    except ProjectError as exc:
        if disk_full(exc, path.parent):
            raise disk_full_error(path.parent, name) from None
        raise
    finally:
        stage.unlink(missing_ok=True)


def ffmpeg_command(encoded: Path, size: tuple[int, int], pix_fmt_in: str, pix_fmt_out: str, fps: float, codec: str,
                   output_params: list[str]) -> list[str]:
    """ffmpeg reading raw `pix_fmt_in` frames from its stdin and encoding them into `encoded`: the
    command imageio_ffmpeg.write_frames (0.8) runs for these arguments with quality=None and
    macro_block_size=1 (no scaling, no quality flag of its own), so the encodes are the same bytes."""
    width, height = size
    rate = str(Fraction(fps).limit_denominator())  # a rational, so 24000/1001 is not rounded
    return [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{width:d}x{height:d}",
            "-pix_fmt", pix_fmt_in, "-r", rate, "-i", "-", "-an", "-vcodec", codec, "-pix_fmt", pix_fmt_out,
            "-v", FFMPEG_LOG_LEVEL, *map(str, output_params), str(encoded)]


class FfmpegFeed:
    """ffmpeg writing one file, fed by a thread of its own while the caller draws the next frame.

    The feed starts ffmpeg itself (`subprocess.Popen`, the bundled ffmpeg), so it holds the process
    and can wait for it after a kill: a killed ffmpeg not waited for could still create its output
    after we removed it. ffmpeg runs in a process group of its own, so a Ctrl-C reaches us, not it:
    we stop it, and remove what it wrote. Its own error messages go to a log file of this feed
    (ffmpeg's FFREPORT), not the terminal, so that a failed encode can say why in one line, with
    the encoder's arguments."""

    def __init__(self, encoded: Path, spec: VideoSpec):
        width, height = spec.size
        codec, pix_fmt_out, output_params = spec.encoder()
        self.arguments = " ".join(["-c:v", codec, "-pix_fmt", pix_fmt_out, *map(str, output_params)])
        # yuv420p outputs get frames already converted (see yuv.py); the others get rgba.
        self.to_yuv = Yuv420Converter(width, height).convert if pix_fmt_out == "yuv420p" else None
        self.grid = TileGrid(width, height)
        self.latest: list[np.ndarray] = []  # the whole current frame, for rgba formats and the poster
        self.failure: list[BaseException] = []
        self.log = _ffmpeg_log_path()
        command = ffmpeg_command(encoded, (width, height), "yuv420p" if self.to_yuv else "rgba", pix_fmt_out, spec.fps, codec, output_params)
        self.process: subprocess.Popen | None = None
        self.pending, self.feeder = queue.Queue(maxsize=QUEUE_FRAMES), None
        try:
            # Ctrl-C while ffmpeg starts waits until it can be stopped: a feed interrupted half-made
            # left ffmpeg running on, to create its output after the render had removed it.
            with signals_at_safe_points():
                # ffmpeg reads FFREPORT as it starts: errors (level 16) go to the log, even under -v quiet.
                self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                env={**os.environ, "FFREPORT": f"file={self.log}:level=16"}, start_new_session=True)
                self.feeder = threading.Thread(target=self._feed, name="ffmpeg-feeder", daemon=True)
                self.feeder.start()
        except BaseException:
            self.kill()
            self.forget_log()
            raise

    def put(self, frame: np.ndarray | TileUpdate) -> None:
        self.pending.put(frame)

    def _feed(self) -> None:
        while (item := self.pending.get()) is not None:
            if not self.failure:
                try:
                    changed = None
                    if isinstance(item, TileUpdate):
                        changed = item.rows, item.cols
                        self.grid.put(self.latest[0], item.rows, item.cols, item.tiles)
                    else:
                        self.latest[:] = [item]
                    self.process.stdin.write(self.to_yuv(self.latest[0], changed) if self.to_yuv else self.latest[0])
                except BaseException as exc:  # ffmpeg died: remember why, keep draining the queue
                    self.failure.append(exc)

    def _stop_feeder(self) -> None:
        if self.feeder is not None:
            self.pending.put(None)
            self.feeder.join()

    def close(self) -> None:
        """Every frame is in: tell ffmpeg (end of its input) and wait for it to finish the file. A file
        it could not finish (a full disk, say) is found by counting its frames (`_verify`)."""
        self._stop_feeder()
        try:
            self.process.stdin.close()
        except OSError:  # ffmpeg has gone already
            pass
        try:
            self.process.wait()
        except BaseException:  # Ctrl-C while it finishes: end it at once
            self._end_at_once()
            raise

    def kill(self) -> None:
        """Stopped half-way (an error, Ctrl-C): end ffmpeg at once, and wait until it has gone."""
        self._stop_feeder()
        if self.process is not None:
            self._end_at_once()

    def _end_at_once(self) -> None:
        self.process.kill()
        try:
            self.process.stdin.close()  # what is still buffered has nowhere to go
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except Exception:  # stuck in the kernel: nothing more we can do
            pass

    def reason(self) -> str:
        """ffmpeg's last words, else the exception's first line; and the encoder's arguments."""
        said = _ffmpeg_said(self.log) or (str(self.failure[0]).strip().splitlines() or [type(self.failure[0]).__name__])[0]
        return f"{said} (ffmpeg {self.arguments})"

    def forget_log(self) -> None:
        self.log.unlink(missing_ok=True)


def _ffmpeg_log_path() -> Path:
    """A log file of this process's own, in a folder FFREPORT can name (no ':' or quotes in it)."""
    import tempfile

    handle, name = tempfile.mkstemp(prefix="vae-trajectories-ffmpeg-", suffix=".log")
    os.close(handle)
    return Path(name)


def _ffmpeg_said(log: Path) -> str:
    """The error lines ffmpeg wrote to its report, after the command line it starts with."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    said = [re.sub(r" @ 0x[0-9a-f]+", "", line) for line in lines[2:] if not line.startswith(("Command line:", "Report written", "ffmpeg started"))]
    return "; ".join(said[:2])[:300]  # the first errors are the cause; those after them, its consequences


def _check_frame(frame: np.ndarray | TileUpdate, index: int, grid: TileGrid) -> None:
    if isinstance(frame, TileUpdate):
        expected = (len(frame.rows), grid.tile_h, grid.tile_w, 4)
        if index == 0 or frame.tiles.shape != expected or frame.tiles.dtype != np.uint8:
            raise ValueError(f"frame {index}: a tile update needs a whole frame before it and {expected} uint8 tiles")
    elif frame.shape != (grid.height, grid.width, 4) or frame.dtype != np.uint8:
        raise ValueError(f"frame {index} is {frame.shape} {frame.dtype}, expected ({grid.height}, {grid.width}, 4) uint8")


def _verify(path: Path, expected_frames: int, name: str, feed: FfmpegFeed) -> None:
    """Check ffmpeg really wrote every frame (its exit status is not reported)."""
    try:
        frames = count_frames(path) if path.exists() else 0
    except (ValueError, OSError):
        frames = 0
    if frames != expected_frames:
        if disk_full(OSError(), path.parent):
            raise disk_full_error(path.parent, name)
        said = _ffmpeg_said(feed.log)
        raise ProjectError(f"ffmpeg produced {frames} of {expected_frames} frames for {name}" + (f" ({said})" if said else "")
                           + f"; nothing was written (ffmpeg {feed.arguments})")
