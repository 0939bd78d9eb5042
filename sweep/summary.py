"""A sweep's numbers over seeds, per configuration (arch, mode and the training options that differ
from their defaults: a sweep of betas has a row per beta), from its members' run files.

Inactive latent variables are those whose encoder mean varies less than 0.01 over the test set
(the "active units" measure of Burda et al., 2015); the mean encoder variance is taken over the
active ones (an inactive variable's sits near the prior's 1 and says nothing).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from atomic import Written, write_text_atomically
from errors import ProjectError
from sweep.plan import load_plan
from train.config import TRAINING_OPTIONS, RunConfig
from train.describe import final_epoch
from train.latents import encoder_dead
from train.runfile import RunFile
from train.runfolder import RunFolder

DEFAULTS = "defaults"  # the options cell of a configuration trained as the lecture trains


@dataclass(frozen=True)
class MemberNumbers:
    arch: str
    mode: str
    seed: int
    test_loss: float
    reconstruction: float
    penalty: float
    inactive: int
    active_variance: float | None  # mean encoder variance of the active variables (None: none active, or no sampling)
    seconds_per_epoch: float
    dead_units: tuple[int, ...] | None  # at the end, per hidden layer of the encoder (None: not recorded, before schema 3)
    dead_encoder: bool  # every test input at one code


def member_numbers(run_dir: Path) -> MemberNumbers | None:
    """The numbers of a finished member; None while it is not finished."""
    with RunFile(run_dir) as run:
        config = run.config
        if run.epochs_done < config.epochs:
            return None
        final = final_epoch(run)
        stats = final.stats
        active = ~stats.inactive
        variance = float(stats.mean_variance[active].mean()) if active.any() and config.variational else None
        reconstruction, penalty = (float(value) for value in final.test_loss)
        seconds = run.losses().seconds
        dead = run.dead_units()
        dead_units = tuple(int(count) for count in dead[-1]) if dead is not None and dead[-1].min(initial=0) >= 0 else None
        return MemberNumbers(config.arch, config.mode, config.seed, reconstruction + penalty, reconstruction, penalty,
                             stats.inactive_count, variance, float(np.mean(seconds)), dead_units, encoder_dead(final.encodings.mu))


@dataclass(frozen=True)
class Spread:
    """One number over a configuration's finished seeds."""

    mean: float
    std: float  # with ddof=1; 0 for one seed
    min: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> "Spread":
        array = np.asarray(values, dtype=np.float64)
        return cls(float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0, float(array.min()), float(array.max()))


@dataclass(frozen=True)
class SummaryRow:
    """One configuration of a sweep (arch, mode, training options) over its seeds. The numbers are None until a seed
    has finished; `active_encoder_variance` and `dead_units` also where they do not apply (see MemberNumbers)."""

    arch: str
    mode: str
    seeds_planned: int
    seeds_finished: int
    test_loss: Spread | None = None
    reconstruction: Spread | None = None
    penalty: Spread | None = None
    inactive: Spread | None = None  # a count: its std is not reported
    active_encoder_variance: float | None = None
    seconds_per_epoch: float | None = None
    dead_units: tuple[float, ...] | None = None  # mean per hidden layer of the encoder
    dead_encoders: int | None = None
    options: str = ""  # the training options that differ from their defaults, in words (RunConfig.options_label)
    option_values: dict = field(default_factory=dict)  # the options some configuration of the sweep varies, by name: {"beta": 0.5}

    @property
    def finished(self) -> bool:
        return self.seeds_finished > 0

    @property
    def label(self) -> str:
        return f"{self.arch} · {self.mode}" + (f" · {self.options}" if self.options else "")

    def as_record(self) -> dict:
        """The row as summary.json has held it since sweeps began (other tools read that file):
        only the counts while no seed has finished, spreads as objects, the inactive count without std."""
        row = {"arch": self.arch, "mode": self.mode, **self.option_values, "seeds_planned": self.seeds_planned,
               "seeds_finished": self.seeds_finished}  # a training option's column only in a sweep that varies it
        if not self.finished:
            return row
        spreads = {name: asdict(getattr(self, name)) for name in ("test_loss", "reconstruction", "penalty")}
        inactive = {key: getattr(self.inactive, key) for key in ("mean", "min", "max")}
        return row | spreads | {"inactive": inactive, "active_encoder_variance": self.active_encoder_variance,
                                "seconds_per_epoch": self.seconds_per_epoch,
                                "dead_units": list(self.dead_units) if self.dead_units is not None else None,
                                "dead_encoders": self.dead_encoders}


def _row(config: RunConfig, varied: list[str], planned: int, members: list[MemberNumbers]) -> SummaryRow:
    labels = dict(options=config.options_label, option_values={name: getattr(config, name) for name in varied})
    arch, mode = config.arch, config.mode
    if not members:
        return SummaryRow(arch, mode, planned, 0, **labels)
    variances = [m.active_variance for m in members if m.active_variance is not None]
    counted = [m.dead_units for m in members if m.dead_units is not None]
    return SummaryRow(
        arch, mode, planned, len(members),
        test_loss=Spread.of([m.test_loss for m in members]), reconstruction=Spread.of([m.reconstruction for m in members]),
        penalty=Spread.of([m.penalty for m in members]), inactive=Spread.of([m.inactive for m in members]),
        active_encoder_variance=float(np.mean(variances)) if variances else None,
        seconds_per_epoch=float(np.mean([m.seconds_per_epoch for m in members])),
        dead_units=tuple(float(mean) for mean in np.mean(counted, axis=0)) if counted else None,
        dead_encoders=sum(m.dead_encoder for m in members), **labels)


def summarize(folder: Path) -> list[SummaryRow]:
    """One row per configuration (arch, mode, training options) in plan order: seeds planned and finished,
    and the spread of each number."""
    planned = load_plan(folder)
    if not planned:
        raise ProjectError(f"{folder}: not a sweep folder (no plan.json); run python cli.py sweep first")
    planned_count: dict[tuple, int] = {}
    finished: dict[tuple, list[MemberNumbers]] = {}
    configs: dict[tuple, RunConfig] = {}
    for name, config in planned.items():
        key = (config.arch, config.mode, *config.training_options.items())
        configs.setdefault(key, config)
        planned_count[key] = planned_count.get(key, 0) + 1
        finished.setdefault(key, [])
        try:  # a member linked to a folder elsewhere is not this sweep's (report and sweep leave it out too)
            numbers = member_numbers(folder / name) if RunFolder(folder / name).run_file.exists() and not (folder / name).is_symlink() else None
        except ProjectError:  # damaged, or from a newer version: not among the finished (the sweep says which)
            numbers = None
        if numbers is not None:
            finished[key].append(numbers)
    varied = [name for name in TRAINING_OPTIONS if any(name in config.training_options for config in configs.values())]
    return [_row(configs[key], varied, planned_count[key], members) for key, members in finished.items()]


def _flat(row: dict) -> dict:
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{stat}": value[stat] for stat in value})
        elif isinstance(value, list):
            flat[key] = "-".join(f"{item:g}" for item in value)
        else:
            flat[key] = value
    return flat


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(rows: list[SummaryRow]) -> str:
    varied = any(row.options for row in rows)  # a column for the training options only where a row has some
    header = ["arch", "mode", *(["options"] if varied else []), "seeds", "test loss (mean ± std)", "min-max", "reconstruction", "penalty",
              "inactive (mean, min-max)", "encoder variance of active", "dead units (mean per hidden layer)", "dead encoders", "s/epoch"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if not row.finished:
            lines.append(f"| {row.arch} | {row.mode} |{f' {row.options or DEFAULTS} |' if varied else ''} 0 of {row.seeds_planned} |"
                         + " - |" * (len(header) - 3 - varied))
            continue
        loss, inactive = row.test_loss, row.inactive
        lines.append(" | ".join([
            f"| {row.arch}", row.mode, *([row.options or DEFAULTS] if varied else []), f"{row.seeds_finished} of {row.seeds_planned}",
            f"{loss.mean:.2f} ± {loss.std:.2f}", f"{loss.min:.2f}-{loss.max:.2f}",
            f"{row.reconstruction.mean:.2f}", f"{row.penalty.mean:.2f}",
            f"{inactive.mean:.1f} ({inactive.min:.0f}-{inactive.max:.0f})",
            _cell(row.active_encoder_variance),
            "-" if row.dead_units is None else "-".join(f"{mean:.1f}" for mean in row.dead_units), str(row.dead_encoders),
            f"{row.seconds_per_epoch:.2f} |"]))
    return "\n".join(lines) + "\n"


def write_summary(folder: Path, rows: list[SummaryRow]) -> list[Written]:
    """summary.csv, summary.md and summary.json beside the members."""
    saved = [row.as_record() for row in rows]
    flat = [_flat(row) for row in saved]
    columns = list(dict.fromkeys(key for row in flat for key in row))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns)
    writer.writeheader()
    writer.writerows({key: _cell(row.get(key)) if row.get(key) is None else row.get(key) for key in columns} for row in flat)
    texts = {"summary.csv": table.getvalue(), "summary.md": markdown(rows), "summary.json": json.dumps(saved, indent=1) + "\n"}
    return [write_text_atomically(folder / name, text) for name, text in texts.items()]
