"""The trajectories video: one run, or two or more side by side, under a fixed or a following camera.

data.py reads what a video shows of a run, camera.py chooses each frame's view, layout.py places
the parts, plane.py, legend.py and panel.py draw them, scene.py streams the frames; `render_trajectories`
below is the entry the CLI, the report and the lecture call. look.py gathers what the report's explorer
needs to draw a run alike (`LOOK`), with the extents, plane sizes and stepping values it checks against.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from errors import ProjectError
from render.outputs import shared_video
from render.sources import choose_digits, epochs_label, parse_dims, require_latent_size, run_folder, video_path
from render.steps import frame_steps, parse_epochs
from render.video import Rendered, VideoOptions, render_video
from render.views.trajectories.camera import extents
from render.views.trajectories.data import Trajectory, check_step_for_step, load_trajectory, short_title, stepping_values
from render.views.trajectories.layout import largest_planes
from render.views.trajectories.look import LOOK, Look
from render.views.trajectories.scene import ASPECTS, CAMERAS, TrajectoryScene
from train.runfile import RunFile

__all__ = ["CAMERAS", "LOOK", "Look", "Trajectory", "TrajectoryScene", "extents", "largest_planes", "load_trajectory", "render_trajectories",
           "stepping_values"]


def render_trajectories(runs: RunFile | list[RunFile], video: VideoOptions, epochs: str | None = None, dims: str = "0,1",
                        every: int | None = None, trail: int = 12, digits: str | None = None, camera: str = "follow",
                        panel: bool | None = None, aspect: str = "frame") -> Rendered:
    """The trajectories video of `epochs` (text like 2-10; default: every finished epoch) for the
    tracked digits `digits` picks (default: all), and its poster. `panel`: the live panel always,
    never, or (None) where the frame has room; `aspect` "fit": the video takes the planes' own shape
    inside the size asked for. By default
    <run>/videos/trajectories_e<epochs>.<format>, or outputs/videos/<run>+<run>_trajectories_... for
    two or more runs."""
    runs = runs if isinstance(runs, list) else [runs]
    if camera not in CAMERAS:
        raise ProjectError(f"--camera {camera!r}: choose {' or '.join(CAMERAS)}")
    if aspect not in ASPECTS:
        raise ProjectError(f"--aspect {aspect!r}: choose {' or '.join(ASPECTS)}")
    if aspect == "fit" and panel:
        raise ProjectError("--aspect fit cuts the video to the planes' shape, with no room for --panel; leave one of them out")
    names = [run_folder(run).name for run in runs]
    if len(set(Path(run.path).resolve() for run in runs)) < len(runs):
        raise ProjectError("--run: the same run is given twice")
    for run in runs:
        require_latent_size(run, 2, "trajectories")
    if len(runs) > 1:
        check_step_for_step(runs)
    first_run = runs[0]
    first, last = parse_epochs(epochs) if epochs else (1, max(first_run.epochs_done, 1))
    tracked = first_run.tracked()
    rows = choose_digits(digits, tracked.label, tracked.index)
    chosen_dims = parse_dims(dims, first_run.latent_dim, 2)
    trajs = [load_trajectory(run, first, last, chosen_dims, rows) for run in runs]
    name = f"trajectories_{epochs_label(first, last)}.{video.spec.format}"
    if len(runs) == 1:
        out = video_path(first_run, video.out, name)
    else:
        out = Path(video.out) if video.out is not None else shared_video(f"{'+'.join(names)}_{name}")
    shown = frame_steps(np.arange(len(trajs[0].epoch)), video.spec.fps, every=every, duration=video.duration)
    titles = None if len(runs) == 1 else [short_title(run) for run in runs]
    scene = TrajectoryScene(trajs, shown, video.spec, video.theme, trail=trail, camera_mode=camera, panel=panel, titles=titles,
                            aspect=aspect)
    return render_video(scene, out, replace(video.spec, size=scene.size), progress=video.progress)
