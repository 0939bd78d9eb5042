"""A sweep's numbers over seeds, per configuration (arch, mode), from its members' run files.

Inactive latent variables are those whose encoder mean varies less than 0.01 over the test set
(the "active units" measure of Burda et al., 2015); the mean encoder variance is taken over the
active ones (an inactive variable's sits near the prior's 1 and says nothing).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atomic import Written, atomic_path
from errors import ProjectError
from sweep.plan import load_plan
from train.describe import final_epoch
from train.latents import encoder_dead
from train.runfile import RunFile
from train.runfolder import RunFolder

STATS = ("mean", "std", "min", "max")


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


def _spread(values: list[float]) -> dict:
    array = np.asarray(values, dtype=np.float64)
    return {"mean": float(array.mean()), "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
            "min": float(array.min()), "max": float(array.max())}


def summarize(folder: Path) -> list[dict]:
    """One row per (arch, mode) in plan order: seeds planned and finished, and the spread of each number."""
    planned = load_plan(folder)
    if not planned:
        raise ProjectError(f"{folder}: not a sweep folder (no plan.json); run python cli.py sweep first")
    groups: dict[tuple[str, str], dict] = {}
    for name, config in planned.items():
        group = groups.setdefault((config.arch, config.mode), {"planned": 0, "members": []})
        group["planned"] += 1
        try:  # a member linked to a folder elsewhere is not this sweep's (report and sweep leave it out too)
            numbers = member_numbers(folder / name) if RunFolder(folder / name).run_file.exists() and not (folder / name).is_symlink() else None
        except ProjectError:  # damaged, or from a newer version: not among the finished (the sweep says which)
            numbers = None
        if numbers is not None:
            group["members"].append(numbers)
    rows = []
    for (arch, mode), group in groups.items():
        members = group["members"]
        row = {"arch": arch, "mode": mode, "seeds_planned": group["planned"], "seeds_finished": len(members)}
        if members:
            row["test_loss"] = _spread([m.test_loss for m in members])
            row["reconstruction"] = _spread([m.reconstruction for m in members])
            row["penalty"] = _spread([m.penalty for m in members])
            inactive = _spread([m.inactive for m in members])
            row["inactive"] = {key: inactive[key] for key in ("mean", "min", "max")}
            variances = [m.active_variance for m in members if m.active_variance is not None]
            row["active_encoder_variance"] = float(np.mean(variances)) if variances else None
            row["seconds_per_epoch"] = float(np.mean([m.seconds_per_epoch for m in members]))
            counted = [m.dead_units for m in members if m.dead_units is not None]
            row["dead_units"] = [float(mean) for mean in np.mean(counted, axis=0)] if counted else None  # mean per hidden layer
            row["dead_encoders"] = sum(m.dead_encoder for m in members)
        rows.append(row)
    return rows


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


def markdown(rows: list[dict]) -> str:
    header = ["arch", "mode", "seeds", "test loss (mean ± std)", "min-max", "reconstruction", "penalty", "inactive (mean, min-max)",
              "encoder variance of active", "dead units (mean per hidden layer)", "dead encoders", "s/epoch"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if "test_loss" not in row:
            lines.append(f"| {row['arch']} | {row['mode']} | 0 of {row['seeds_planned']} |" + " - |" * (len(header) - 3))
            continue
        loss, inactive = row["test_loss"], row["inactive"]
        lines.append(" | ".join([
            f"| {row['arch']}", row["mode"], f"{row['seeds_finished']} of {row['seeds_planned']}",
            f"{loss['mean']:.2f} ± {loss['std']:.2f}", f"{loss['min']:.2f}-{loss['max']:.2f}",
            f"{row['reconstruction']['mean']:.2f}", f"{row['penalty']['mean']:.2f}",
            f"{inactive['mean']:.1f} ({inactive['min']:.0f}-{inactive['max']:.0f})",
            _cell(row["active_encoder_variance"]),
            "-" if row["dead_units"] is None else "-".join(f"{mean:.1f}" for mean in row["dead_units"]), str(row["dead_encoders"]),
            f"{row['seconds_per_epoch']:.2f} |"]))
    return "\n".join(lines) + "\n"


def write_summary(folder: Path, rows: list[dict]) -> list[Written]:
    """summary.csv, summary.md and summary.json beside the members."""
    flat = [_flat(row) for row in rows]
    columns = list(dict.fromkeys(key for row in flat for key in row))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns)
    writer.writeheader()
    writer.writerows({key: _cell(row.get(key)) if row.get(key) is None else row.get(key) for key in columns} for row in flat)
    written = []
    for name, text in (("summary.csv", table.getvalue()), ("summary.md", markdown(rows)), ("summary.json", json.dumps(rows, indent=1) + "\n")):
        path = folder / name
        replaced = path.exists()
        with atomic_path(path) as tmp:
            tmp.write_text(text)
        written.append(Written(path, replaced))
    return written
