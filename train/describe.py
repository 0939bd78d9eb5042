"""A run in words: the summary printed after training and what `info` reports.

Both read a run only through `RunFile`, so they describe a run the same way while it trains,
after it finished, or after it was stopped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from train.latents import LatentStats, encoder_dead, latent_stats
from train.lock import training_pid
from train.runfile import Encodings, RunFile


@dataclass(frozen=True)
class FinalEpoch:
    """Where a run ended: its last epoch's test loss, test-set encodings and their latent statistics."""

    test_loss: np.ndarray  # (2,) reconstruction, penalty per image
    encodings: Encodings  # (n_test, d)
    stats: LatentStats


def final_epoch(run: RunFile) -> FinalEpoch:
    """What the summary, `info`, sweeps and the lecture's claims read of a run's end, read one way."""
    last = run.encodings(run.epochs_done)
    return FinalEpoch(run.losses().test[-1], last, latent_stats(last.mu, last.logvar))


def run_state(run: RunFile) -> str:
    """Training now (by which process), finished, or stopped (and how to continue it)."""
    pid = training_pid(run.path.parent)
    if pid:
        return f"training now, pid {pid}"
    if run.epochs_done == run.config.epochs:
        return "finished"
    return f"stopped; continue with: python cli.py train --resume --out {run.path.parent}"


def summary_lines(run: RunFile) -> Iterator[str]:
    """The final test loss, and per latent variable its statistics and whether it is inactive."""
    final = final_epoch(run)
    test_loss, stats = final.test_loss, final.stats
    yield ""
    yield f"final test loss per image: {test_loss.sum():.2f} = reconstruction {test_loss[0]:.2f} + penalty {test_loss[1]:.2f}"
    if run.config.options_label:
        unweighted = "; the loss above is unweighted all the same: reconstruction + the whole penalty" if run.config.training_options else ""
        yield f"  (trained with {run.config.options_label}{unweighted})"
    # Without sampling nothing trains the log-variance head: its output would only look like data.
    variational = run.config.variational
    yield "  dim   mean(mu)   var(mu)   mean(sigma^2)" + ("" if variational else " (untrained without sampling)")
    for dim in range(len(stats.variance_of_mu)):
        flag = "  inactive" if stats.inactive[dim] else ""
        sigma2 = f"{stats.mean_variance[dim]:>12.3f}" if variational else f"{'-':>12}"
        yield f"  {dim:>3}  {stats.mean_of_mu[dim]:>9.3f} {stats.variance_of_mu[dim]:>9.3f} {sigma2}{flag}"
    yield f"inactive latent variables: {stats.inactive_count} of {len(stats.inactive)}"
    yield from dead_lines(run, final)


def dead_lines(run: RunFile, final: FinalEpoch) -> Iterator[str]:
    """The encoder's dead units at the end, and a warning when the whole encoder is dead."""
    dead = run.dead_units()
    hidden = run.config.layers[1:-1]
    if dead is not None and len(hidden) and dead[-1].min() >= 0:
        yield "dead units (no test input activates them) per hidden layer: " + ", ".join(
            f"{count} of {size}" for count, size in zip(dead[-1], hidden))
    if encoder_dead(final.encodings.mu):
        yield ("the encoder is dead: every test input maps to one code (a total collapse"
               + ("; every unit of a hidden layer died" if dead is not None and any(c == s for c, s in zip(dead[-1], hidden)) else "")
               + f"): {Path(run.path).parent.name} learned nothing from its inputs; train it again with another --seed")


def info_lines(run: RunFile) -> Iterator[str]:
    """Config, provenance, sizes, state, per-epoch losses and inactive latent variables."""
    config = run.config
    options = {key: value for key, value in asdict(config).items() if key != "extra"}
    yield f"run file: {run.path}  (schema {run.schema_version})"
    yield "config: " + json.dumps(options, sort_keys=True)
    if config.options_label:
        unweighted = " (the losses below are unweighted, as for every run: reconstruction + the whole penalty)" if config.training_options else ""
        yield f"trained with: {config.options_label}{unweighted}"
    extra = config.extra
    if extra:
        yield f"started {extra.get('started', '?')}; data {extra.get('data_source', '?')}; versions {json.dumps(extra.get('versions', {}))}"
    steps = run.steps_recorded
    yield f"tracked digits: {run.tracked_count}, latent size {run.latent_dim}, steps recorded: {steps} (step 0 + {max(0, steps - 1)} batches)"
    epochs = run.epochs_done
    yield f"epochs completed: {epochs} of {config.epochs}  ({run_state(run)})"
    if run.snapshots:
        folder = Path(run.path).parent
        files = [folder / run.snapshots.format(epoch=epoch) for epoch in range(1, epochs + 1)]
        present = [path for path in files if path.exists()]
        size = sum(path.stat().st_size for path in present) / 2**20
        yield (f"decoder snapshots: every {config.snapshot_every} batches, {len(present)} of {epochs} epoch files ({size:.1f} MiB)"
               + ("" if len(present) == len(files) else "; render manifold falls back to the per-epoch checkpoints"))
    if epochs:
        losses = run.losses()
        dead = run.dead_units()
        hidden = "-".join(map(str, config.layers[1:-1]))
        shown = dead is not None and len(config.layers) > 2
        yield "  epoch     train      test   (test recon + penalty)" + (f"   dead units of {hidden}" if shown else "")
        for epoch in range(epochs):
            test, train = losses.test[epoch], losses.train[epoch]
            units = ("   " + "-".join("?" if count < 0 else str(count) for count in dead[epoch])) if shown else ""
            yield f"  {epoch + 1:>5}  {train.sum():8.2f}  {test.sum():8.2f}   ({test[0]:.2f} + {test[1]:.2f}){units}"
        final = final_epoch(run)
        stats = final.stats
        yield f"inactive latent variables (var of mean < 0.01): {stats.inactive_count} of {len(stats.inactive)}"
        if encoder_dead(final.encodings.mu):
            yield "the encoder is dead: every test input maps to one code (a total collapse)"
