"""The video writer's ends: a failed encode says ffmpeg's own reason and the encoder's arguments, and
no ffmpeg process outlives a Ctrl-C (imageio-ffmpeg's test_terminate, for our writer)."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from errors import ProjectError
from helpers import ROOT, synthetic_run, wait_until
from render.video.spec import VideoSpec
from render.video.writer import write_video


class ProfileNobodyHas(VideoSpec):
    """An encoder argument that x264 refuses when ffmpeg opens it."""

    def encoder(self):
        codec, pix_fmt, params = super().encoder()
        return codec, pix_fmt, [*params, "-profile:v", "nosuch"]


def test_a_failed_encode_says_ffmpegs_reason_and_the_arguments(tmp_path):
    logs_before = set(Path(tempfile.gettempdir()).glob("vae-trajectories-ffmpeg-*"))
    frames = [np.zeros((64, 64, 4), np.uint8)] * 30
    with pytest.raises(ProjectError) as refused:
        write_video(frames, tmp_path / "clip.mp4", ProfileNobodyHas(size=(64, 64)), progress=False)
    message = str(refused.value)
    assert "Error setting profile nosuch" in message  # ffmpeg's words, from its report
    assert "-profile:v nosuch" in message and "-c:v libx264" in message
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    # No log of its own left behind (another worker's encode may end, and take its own log, meanwhile).
    assert not set(Path(tempfile.gettempdir()).glob("vae-trajectories-ffmpeg-*")) - logs_before


def _ffmpeg_writing(name: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"imageio_ffmpeg/binaries/ffmpeg.*{name}"], capture_output=True, text=True).stdout.split()
    return found


def test_no_ffmpeg_outlives_a_ctrl_c(tmp_path):
    run = synthetic_run(tmp_path / "run").parent
    out = tmp_path / "long-clip-for-ctrl-c.mp4"
    render = subprocess.Popen([sys.executable, "cli.py", "render", "trajectories", "--run", str(run), "--duration", "120s", "--size",
                               "320x180", "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: _ffmpeg_writing("long-clip-for-ctrl-c") or render.poll() is not None, 60, "ffmpeg starting")
    assert render.poll() is None, render.communicate()
    render.send_signal(signal.SIGINT)
    _, err = render.communicate(timeout=60)
    assert render.returncode == 130 and "interrupted; nothing partial was kept" in err
    assert _ffmpeg_writing("long-clip-for-ctrl-c") == []  # ended with the render, not after it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["run"]
