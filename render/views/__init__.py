"""The views: each module turns a run into one kind of picture, and has one `render_*` function
that the CLI calls. Video views hand a scene (`render.video.Scene`) to `render.video.render_video`;
still views hand a figure to `render.figures.save_figure`."""
