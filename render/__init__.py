"""Render stage: videos and figures from run files. `render.video` is the only ffmpeg writer."""
