"""Trajectories video speed and memory, against what a user writes by hand.

Baseline: matplotlib `FuncAnimation` moving 60 `Circle` patches, saved with `FFMpegWriter` at
1920x1080, 30 fps, with exactly our encoder settings (libx264 High, yuv420p, CRF 18, preset medium).
Ours: `render trajectories` on the same steps. Floor: ffmpeg alone re-encoding our finished video
with the same settings. Ceilings: the same frames drawn beforehand and only streamed through our
writer (what ours would reach if drawing cost nothing), and the floor itself as a multiple of the
baseline (no renderer can beat it with these encoder settings on this machine).
Memory: peak RSS of a 300- and a 3,000-frame render, each in its own process.
Goals: >= 5x the baseline's frames/s; <= 1.5x the ffmpeg-alone time; 3,000 frames within 10% of 300.
Scatter3d: mplot3d + view_init in FuncAnimation (10,000 test means, 1080p) against `render scatter3d`; goal >= 5x.

    python bench/render_speed.py [--run outputs/runs/784-256-2-variational-s0] [--frames 300] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402

from render.style import theme  # noqa: E402
from render.video import VideoSpec, probe, write_video  # noqa: E402
from render.views.trajectories import TrajectoryScene, load_trajectory  # noqa: E402
from train.runfile import RunFile  # noqa: E402
from train.runfolder import RunFolder  # noqa: E402

DEFAULT_RUN = ROOT / "outputs" / "runs" / "784-256-2-variational-s0"
X264 = ["-profile:v", "high", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]  # the baseline's, as written
OURS = VideoSpec().encoder()[2]  # what our writer hands x264 (preset, CRF, tags), for "ffmpeg alone at our settings"


def _benched_steps(run: Path, frames: int):
    """The trajectory both of our measurements draw: the first `frames` steps from epoch 2."""
    traj = load_trajectory(RunFile(run), 2, 10, (0, 1))
    return traj, np.arange(min(frames, len(traj.epoch)))


def ours(run: Path, frames: int, out: Path) -> float:
    traj, shown = _benched_steps(run, frames)
    started = time.perf_counter()
    scene = TrajectoryScene(traj, shown, VideoSpec(), theme("light"), camera_mode="fixed")  # fixed axes, like the baseline's
    write_video(scene.frames(), out, VideoSpec(), total=len(shown), progress=False)
    return time.perf_counter() - started


def predrawn(run: Path, frames: int, out: Path) -> float:
    """Our writer alone: every frame (tile updates included) drawn before the clock starts."""
    traj, shown = _benched_steps(run, frames)
    drawn = list(TrajectoryScene(traj, shown, VideoSpec(), theme("light"), camera_mode="fixed").frames())
    started = time.perf_counter()
    write_video(iter(drawn), out, VideoSpec(), total=len(drawn), progress=False)
    return time.perf_counter() - started


def ours_quality(run: Path, frames: int, ours_video: Path, scratch: Path) -> tuple[float, float]:
    """SSIM and PSNR of our video against a lossless copy of the same frames (bench/encoder_settings.py)."""
    from bench.encoder_settings import lossless_copy, quality

    traj, shown = _benched_steps(run, frames)
    lossless = scratch / "lossless.mkv"
    lossless_copy(TrajectoryScene(traj, shown, VideoSpec(), theme("light"), camera_mode="fixed"), VideoSpec().size, lossless)
    return quality(ours_video, lossless)


def baseline(run: Path, frames: int, out: Path) -> float:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation
    from matplotlib.patches import Circle

    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    traj = load_trajectory(RunFile(run), 2, 10, (0, 1))
    started = time.perf_counter()
    fig, ax = plt.subplots(figsize=(19.2, 10.8), dpi=100)
    ax.set_xlim(-5, 5)
    ax.set_ylim(-4, 4)
    ax.set_aspect("equal")
    colors = plt.get_cmap("tab10").colors
    circles = [ax.add_patch(Circle(traj.mu[0, i], traj.radius[0, i], color=colors[label], alpha=0.3)) for i, label in enumerate(traj.labels)]
    title = ax.set_title("")

    def update(step):
        for i, circle in enumerate(circles):
            circle.set_center(traj.mu[step, i])
            circle.set_radius(traj.radius[step, i])
        title.set_text(f"step {step}")
        return circles

    animation = FuncAnimation(fig, update, frames=min(frames, len(traj.epoch)))
    animation.save(str(out), writer=FFMpegWriter(fps=30, codec="libx264", extra_args=X264), dpi=100)
    return time.perf_counter() - started


def ffmpeg_alone(source: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-c:v", "libx264", "-pix_fmt", "yuv420p", *OURS, str(out)],
                   check=True)
    return time.perf_counter() - started


def scatter_ours(run: Path, frames: int, out: Path) -> float:
    from render.views.scatter3d import ScatterScene, load_cloud

    started = time.perf_counter()
    run_file = RunFile(run)
    cloud = load_cloud(run_file, run_file.epochs_done, run_file.epochs_done, (0, 1, 2), "bench")
    scene = ScatterScene(cloud, VideoSpec(), theme("light"), frames)
    write_video(scene.frames(), out, VideoSpec(), total=frames, progress=False)
    return time.perf_counter() - started


def scatter_baseline(run: Path, frames: int, out: Path) -> float:
    """mplot3d scatter of the 10,000 test means, turned with view_init in FuncAnimation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation

    matplotlib.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    run_file = RunFile(run)
    final = run_file.encodings(run_file.epochs_done)
    mu, labels = final.mu, final.label
    started = time.perf_counter()
    fig = plt.figure(figsize=(19.2, 10.8), dpi=100)
    ax = fig.add_subplot(projection="3d")
    ax.scatter(mu[:, 0], mu[:, 1], mu[:, 2], c=labels, cmap="tab10", s=6)

    def update(i):
        ax.view_init(elev=18, azim=360 * i / frames)
        return []

    FuncAnimation(fig, update, frames=frames).save(str(out), writer=FFMpegWriter(fps=30, codec="libx264", extra_args=X264), dpi=100)
    plt.close(fig)
    return time.perf_counter() - started


def peak_memory_mib(run: Path, frames: int) -> float:
    """Peak RSS of a render of `frames` frames, in a fresh process.

    Read from the child's own VmHWM: on Linux, `ru_maxrss` of a spawned child also counts the
    parent's resident memory at the moment of the spawn (it survives exec), which made this
    figure follow the size of the benchmark process instead of the render.
    """
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; import tempfile, resource;"
            f"from bench.render_speed import ours; d = tempfile.TemporaryDirectory();"
            f"ours(Path({str(run)!r}), {frames}, Path(d.name) / 'm.mp4'); d.cleanup();"
            f"status = Path('/proc/self/status'); lines = status.read_text().splitlines() if status.exists() else [];"
            f"hwm = [int(line.split()[1]) for line in lines if line.startswith('VmHWM:')];"
            f"print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(result.stdout.split()[-1]) / 1024  # KiB (Linux) -> MiB


def _children(pid: int) -> list[int]:
    """Process ids whose parent is `pid`, from /proc (no psutil needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass  # the process ended while we looked
    return found


def gif_ffmpeg_peak_mib(run: Path, every: int) -> float | None:
    """Peak RSS of the ffmpeg processes behind a 720p GIF render (every `every`-th step of epoch 2),
    polled from /proc: the GIF palette is where an ffmpeg one-liner would hold the whole clip."""
    if not Path("/proc/self/status").exists():
        return None
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, str(ROOT / "cli.py"), "render", "trajectories", "--run", str(run), "--epochs", "2", "--every", str(every),
                   "--size", "720p", "--format", "gif", "--quiet", "--out", str(Path(scratch) / "m.gif")]
        process, peak = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), 0
        while process.poll() is None:
            for child in _children(process.pid):
                try:
                    lines = Path(f"/proc/{child}/status").read_text().splitlines()
                except OSError:
                    continue
                peak = max([peak, *(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))])
            time.sleep(0.02)
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=DEFAULT_RUN)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--run3d", type=Path, default=ROOT / "outputs" / "runs" / "784-256-3-variational-s0")
    parser.add_argument("--frames3d", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=1, help="repeat each comparison; medians are reported (this machine drifts)")
    args = parser.parse_args()
    if not RunFolder(args.run).run_file.exists():
        sys.exit(f"no run at {args.run}; train it first: python cli.py train")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        runs = []
        for _ in range(args.repeats):  # (baseline, ours, ffmpeg alone, pre-drawn) seconds, measured back to back
            runs.append((baseline(args.run, args.frames, scratch / "baseline.mp4"), ours(args.run, args.frames, scratch / "ours.mp4"),
                         ffmpeg_alone(scratch / "ours.mp4", scratch / "reencoded.mp4"), predrawn(args.run, args.frames, scratch / "predrawn.mp4")))
        info, base_info = probe(scratch / "ours.mp4"), probe(scratch / "baseline.mp4")
        ssim, psnr = ours_quality(args.run, args.frames, scratch / "ours.mp4", scratch)
    base_s, ours_s, floor_s, predrawn_s = (statistics.median(column) for column in zip(*runs))
    if args.repeats > 1:
        print("speedups: " + ", ".join(f"{b / o:.2f}x" for b, o, _, _ in runs) + "; vs ffmpeg alone: " + ", ".join(f"{o / f:.2f}x" for _, o, f, _ in runs))
        print("ceilings, pre-drawn: " + ", ".join(f"{b / p:.2f}x" for b, _, _, p in runs) + "; ffmpeg alone: " + ", ".join(f"{b / f:.2f}x" for b, _, f, _ in runs))
    frames = info.frames
    print(f"frames: {frames} at 1920x1080, 30 fps; ours: {info.describe()}; baseline: {base_info.describe()}")
    print(f"baseline (FuncAnimation + Circle patches + FFMpegWriter): {frames / base_s:6.1f} frames/s")
    print(f"ours (blitted collections, streamed to ffmpeg):          {frames / ours_s:6.1f} frames/s = {base_s / ours_s:.1f}x baseline (goal >= 5x)")
    print(f"ffmpeg alone re-encoding our video, same settings:       {frames / floor_s:6.1f} frames/s; ours takes {ours_s / floor_s:.2f}x its time (goal <= 1.5x)")
    print(f"ceiling, our frames drawn beforehand, only encoded:      {frames / predrawn_s:6.1f} frames/s = {base_s / predrawn_s:.1f}x baseline")
    print(f"ceiling, ffmpeg alone as a multiple of the baseline:                      {base_s / floor_s:.1f}x")
    print(f"ours against the lossless frames: SSIM {ssim:.5f}, PSNR {psnr:.2f} dB")
    if args.run3d.exists():
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            runs3 = [(scatter_baseline(args.run3d, args.frames3d, scratch / "b3.mp4"), scatter_ours(args.run3d, args.frames3d, scratch / "o3.mp4"),
                      ffmpeg_alone(scratch / "o3.mp4", scratch / "r3.mp4")) for _ in range(args.repeats)]
            n3 = probe(scratch / "o3.mp4").frames
        s_base, s_ours, s_floor = (statistics.median(column) for column in zip(*runs3))
        if args.repeats > 1:
            print("scatter3d speedups: " + ", ".join(f"{b / o:.2f}x" for b, o, _ in runs3) + "; ceiling, ffmpeg alone: " + ", ".join(f"{b / f:.2f}x" for b, _, f in runs3))
        print(f"scatter3d baseline (mplot3d + view_init + FFMpegWriter, 10,000 points): {n3 / s_base:6.1f} frames/s")
        print(f"scatter3d ours (numpy z-buffer rasteriser, streamed):                  {n3 / s_ours:6.1f} frames/s = {s_base / s_ours:.1f}x (goal >= 5x)")
        print(f"scatter3d ceiling, ffmpeg alone re-encoding ours:                      {n3 / s_floor:6.1f} frames/s = {s_base / s_floor:.1f}x; ours takes {s_ours / s_floor:.2f}x its time")
    else:
        print(f"scatter3d: no 3-D run at {args.run3d}; train one: python cli.py train --arch 784-256-3")
    short, long = peak_memory_mib(args.run, 300), peak_memory_mib(args.run, 3000)
    print(f"peak memory: 300 frames {short:.0f} MiB, 3000 frames {long:.0f} MiB ({100 * (long / short - 1):+.1f}%, goal within 10%)")
    gif_short, gif_long = gif_ffmpeg_peak_mib(args.run, 4), gif_ffmpeg_peak_mib(args.run, 1)
    if gif_short and gif_long:
        print(f"GIF, ffmpeg's peak memory at 720p: 150 frames {gif_short:.0f} MiB, 600 frames {gif_long:.0f} MiB ({100 * (gif_long / gif_short - 1):+.1f}%)")
    print(json.dumps({"baseline_fps": frames / base_s, "ours_fps": frames / ours_s, "speedup": base_s / ours_s, "ssim": ssim,
                      "vs_ffmpeg_alone": ours_s / floor_s,
                      "predrawn_speedup": base_s / predrawn_s, "ffmpeg_alone_speedup": base_s / floor_s, "mem_300_mib": short, "mem_3000_mib": long,
                      "gif_ffmpeg_150_mib": gif_short, "gif_ffmpeg_600_mib": gif_long}))


if __name__ == "__main__":
    main()
