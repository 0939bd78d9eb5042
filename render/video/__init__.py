"""The video pipeline: a scene's RGBA frames in, a verified video that plays everywhere and its poster out.

`render_video(scene, out, spec)` is its one entry; `VideoSpec` says what to make. Inside: the writer
that owns ffmpeg (writer.py), the BT.709 conversion of only what changed (yuv.py, tiles.py), the
GIF made from a lossless stage (gif.py), and what a finished file really holds (probe.py).
"""

from render.video.probe import VideoInfo, probe
from render.video.spec import VideoOptions, VideoSpec, parse_size
from render.video.tiles import TileUpdate
from render.video.writer import Rendered, Scene, WholeFrames, check_destination, poster_path, render_video, write_video

__all__ = ["Rendered", "Scene", "TileUpdate", "VideoInfo", "VideoOptions", "VideoSpec", "WholeFrames", "check_destination", "parse_size",
           "poster_path", "probe", "render_video", "write_video"]
