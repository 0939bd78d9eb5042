"""Render stage: videos and figures from run files.

`views/` holds one module per view (what is drawn); `video/` is the pipeline every video view
goes through (the only ffmpeg writer); the modules here are what views share: which run and
epoch (sources), frame timing (steps), looks (style, figures, text_stamp) and decoded digits.
"""
