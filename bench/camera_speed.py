"""The following camera, the live panel and runs side by side: what they cost against the fixed view.

Goal (issue 15): a `--camera follow` render at most 1.6x the time of the same `--camera fixed`
render at 1080p. Each render is the whole pipeline (scene + our writer + x264 at the defaults) of
the same frames: epochs 1-3 of the reference run squeezed into --duration 20 s (600 frames),
where the camera zooms the most. Renders run one after the other, alone on the machine.

    python bench/camera_speed.py [--run outputs/runs/784-256-2-variational-s0] [--pair outputs/runs/784-256-2-deterministic-s0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from render.steps import frame_steps  # noqa: E402
from render.style import theme  # noqa: E402
from render.video import VideoSpec, probe, write_video  # noqa: E402
from render.views.trajectories import TrajectoryScene, load_trajectory  # noqa: E402
from train.runfile import RunFile  # noqa: E402
from train.runfolder import RunFolder  # noqa: E402

RUNS = ROOT / "outputs" / "runs"


def timed(trajs, camera: str, panel: bool, out: Path, seconds: float) -> tuple[float, int]:
    spec = VideoSpec()
    shown = frame_steps(np.arange(len(trajs[0].epoch)), spec.fps, duration=seconds)
    started = time.perf_counter()
    scene = TrajectoryScene(trajs, shown, spec, theme("light"), camera_mode=camera, panel=panel)
    write_video(scene.frames(), out, spec, total=len(shown), progress=False)
    return time.perf_counter() - started, probe(out, decode=False).frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=RUNS / "784-256-2-variational-s0")
    parser.add_argument("--pair", type=Path, default=RUNS / "784-256-2-deterministic-s0")
    parser.add_argument("--epochs", default="1-3")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    first, last = (int(part) for part in args.epochs.split("-"))
    trajs = [load_trajectory(RunFile(args.run), first, last, (0, 1))]
    cases = [("fixed", False, trajs), ("follow", False, trajs), ("follow", True, trajs)]
    if RunFolder(args.pair).run_file.exists():
        pair = trajs + [load_trajectory(RunFile(args.pair), first, last, (0, 1))]
        cases += [("fixed", False, pair), ("follow", False, pair)]
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeats):
            for camera, panel, runs in cases:
                name = f"{camera}{' + panel' if panel else ''}{', 2 runs' if len(runs) > 1 else ''}"
                seconds, frames = timed(runs, camera, panel, Path(scratch) / "clip.mp4", args.seconds)
                times.setdefault(name, []).append(seconds)
    fixed = statistics.median(times["fixed"])
    print(f"{frames} frames at 1920x1080, epochs {args.epochs} of {args.run.name}; medians of {args.repeats}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median:6.2f} s  {frames / median:6.1f} frames/s  {median / fixed:5.2f}x fixed"
              + ("  (goal <= 1.6x)" if name == "follow" else ""))


if __name__ == "__main__":
    main()
