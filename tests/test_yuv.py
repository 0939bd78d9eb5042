"""Our RGB -> yuv420p conversion: BT.709 values, incremental updates, and colours that survive a real encode."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from render.style import CLASS_RGB
from render.video import VideoSpec, probe, write_video
from render.video.yuv import Yuv420Converter


def planes(buffer: np.ndarray, width: int, height: int):
    luma = width * height
    return (buffer[:luma].reshape(height, width), buffer[luma:luma * 5 // 4].reshape(height // 2, width // 2),
            buffer[luma * 5 // 4:].reshape(height // 2, width // 2))


def flat(rgb, width=64, height=32):
    frame = np.empty((height, width, 4), np.uint8)
    frame[..., :3], frame[..., 3] = rgb, 255
    return frame


@pytest.mark.parametrize("rgb, yuv", [
    ((255, 255, 255), (235, 128, 128)),  # white and black at the limited-range ends
    ((0, 0, 0), (16, 128, 128)),
    ((255, 0, 0), (63, 102, 240)),  # BT.709 red (BT.601 would give Y 81)
    ((0, 0, 255), (32, 240, 118)),
])
def test_bt709_limited_range_values(rgb, yuv):
    y, u, v = planes(Yuv420Converter(64, 32).convert(flat(rgb)), 64, 32)
    assert (int(y[5, 5]), int(u[3, 3]), int(v[3, 3])) == yuv
    assert y.min() == y.max() and u.min() == u.max() and v.min() == v.max()


def test_incremental_conversion_equals_converting_each_frame_whole():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (72, 96, 4), dtype=np.uint8)
    converter = Yuv420Converter(96, 72)
    converter.convert(frame)
    for _ in range(20):
        frame = frame.copy()
        y0, x0 = rng.integers(0, 70), rng.integers(0, 94)
        frame[y0:y0 + rng.integers(1, 9), x0:x0 + rng.integers(1, 9), :3] = rng.integers(0, 256, 3)  # a small change anywhere
        assert np.array_equal(converter.convert(frame), Yuv420Converter(96, 72).convert(frame))


def test_sizes_that_tiles_do_not_divide_are_converted_too():
    frame = np.random.default_rng(1).integers(0, 256, (70, 98, 4), dtype=np.uint8)
    converter = Yuv420Converter(98, 70)
    converter.convert(frame)
    changed = frame.copy()
    changed[69, 97] = 0
    assert np.array_equal(converter.convert(changed), Yuv420Converter(98, 70).convert(changed))


def test_class_colours_survive_encode_and_decode(tmp_path):
    """Frames tagged BT.709 decode back to the colours drawn (an untagged BT.601 stream would not)."""
    width, height = 320, 160
    frames = []
    for shift in range(6):
        frame = flat((255, 255, 255), width, height)
        for k, rgb in enumerate(CLASS_RGB):
            frame[40:120, 30 * k + shift:30 * k + shift + 24, :3] = rgb
        frames.append(frame)
    out = tmp_path / "colours.mp4"
    write_video(frames, out, VideoSpec(size=(width, height)), progress=False)
    assert probe(out).color == "tv, bt709"
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
    last = np.frombuffer(decoded, np.uint8).reshape(-1, height, width, 3)[-1]
    for k, rgb in enumerate(CLASS_RGB):
        centre = last[70:90, 30 * k + 5 + 8:30 * k + 5 + 16].reshape(-1, 3).mean(axis=0)
        assert np.abs(centre - rgb).max() < 4, (k, centre, rgb)
