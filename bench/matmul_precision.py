"""Is a bf16 lecture the fp32 lecture's equal? Final test loss and inactive variables, seed by seed (issue 31).

`train --matmul-precision bf16` trains other runs than fp32's. The issue asks that a change which
moves a run's numbers leave them statistically indistinguishable from today's: the final test loss
and the inactive latent variables over seeds 0-4 of the lecture's nets, with an interval for the
difference. This reads two finished lecture sweeps (nothing is trained), pairs each bf16 member
with the fp32 member of the same configuration and seed (the same initial weights, data order and
noise), and judges, with the page's own statistics (science/evidence.py):

- the final test loss (reconstruction + penalty, nats): the paired relative difference bf16 / fp32 - 1,
  Hodges-Lehmann estimate and Wilcoxon interval, as equivalence within +-1% (TOST: holds only when
  the whole 95% interval lies inside; the lecture's smallest claimed loss effect is ~5%);
- the inactive latent variables of the final epoch: the paired difference in their count, median
  and sign-test interval, as equivalence within +-0.5 (a median of 0 with no evident shift).

Both bands were fixed before any bf16 run was made, and every member counts (a member missing on
either side is named, not skipped in silence).

    python bench/matmul_precision.py --fp32 outputs/lecture/sweep --bf16 outputs/lecture-bf16/sweep [--seeds 0-4]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from science.evidence import equivalence, location_effect  # noqa: E402
from sweep.plan import load_plan, parse_seeds  # noqa: E402
from train.latents import latent_stats  # noqa: E402
from train.runfile import RunFile  # noqa: E402

LOSS_BAND = 0.01  # relative: +-1% of the final test loss
INACTIVE_BAND = 0.5  # latent variables


def final_numbers(run_dir: Path) -> tuple[float, int, float]:
    """(final test loss in nats, inactive latent variables at the final epoch, mean seconds an epoch)."""
    with RunFile(run_dir) as run:
        losses, last = run.losses(), run.epochs_done
        if last != run.config.epochs:
            raise ValueError(f"{last} of its {run.config.epochs} epochs")
        codes = run.encodings(last)
        return float(losses.test[-1].sum()), latent_stats(codes.mu, codes.logvar).inactive_count, float(losses.seconds.mean())


def _interval(effect, scale: float = 1.0, digits: int = 2) -> str:
    return f"{effect.estimate * scale:+.{digits}f} [{effect.low * scale:+.{digits}f}, {effect.high * scale:+.{digits}f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fp32", type=Path, default=Path("outputs/lecture/sweep"))
    parser.add_argument("--bf16", type=Path, default=Path("outputs/lecture-bf16/sweep"))
    parser.add_argument("--seeds", default="0-4")
    args = parser.parse_args()
    seeds = set(parse_seeds(args.seeds))
    fp32_plan, bf16_plan = load_plan(args.fp32), load_plan(args.bf16)
    rows, missing = defaultdict(list), []
    for name, config in sorted(bf16_plan.items()):
        if config.seed not in seeds:
            continue
        twin = args.fp32 / name
        if config.matmul_precision != "bf16" or name not in fp32_plan or fp32_plan[name].matmul_precision != "fp32":
            missing.append(name)
            continue
        try:
            rows[f"{config.arch} {config.mode}"].append((final_numbers(twin), final_numbers(args.bf16 / name)))
        except Exception as exc:  # a member that did not finish is an outcome: named below
            missing.append(f"{name} ({exc})")
    print(f"fp32: {args.fp32}, bf16: {args.bf16}, seeds {args.seeds}; bands fixed in advance: test loss +-{LOSS_BAND:.0%}, "
          f"inactive variables +-{INACTIVE_BAND}")
    print("| net | pairs | test loss fp32 (mean) | its spread over seeds (sd, %) | bf16 / fp32 - 1, % [95%] | inactive fp32 / bf16 (sums) "
          "| epoch s fp32 / bf16 (means) |")
    print("|---|---|---|---|---|---|---|")
    every_ratio, every_count = [], []
    for net, pairs in rows.items():
        ratios = [bf16[0] / fp32[0] - 1 for fp32, bf16 in pairs]
        every_ratio += ratios
        every_count += [bf16[1] - fp32[1] for fp32, bf16 in pairs]
        effect = location_effect(ratios, 0.0, "above")
        fp32_losses = np.array([fp32[0] for fp32, _ in pairs])
        spread = 100 * fp32_losses.std(ddof=1) / fp32_losses.mean() if len(pairs) > 1 else float("nan")
        print(f"| {net} | {len(pairs)} | {fp32_losses.mean():.2f} | {spread:.2f} | {_interval(effect, 100)} | "
              f"{sum(fp32[1] for fp32, _ in pairs)} / {sum(bf16[1] for _, bf16 in pairs)} | "
              f"{np.mean([fp32[2] for fp32, _ in pairs]):.2f} / {np.mean([bf16[2] for _, bf16 in pairs]):.2f} |")
    loss = equivalence(every_ratio, LOSS_BAND)
    inactive = location_effect(every_count, INACTIVE_BAND, "within", counts=True)
    more, fewer = sum(count > 0 for count in every_count), sum(count < 0 for count in every_count)
    shift = stats.binomtest(more, more + fewer, 0.5).pvalue if more + fewer else 1.0  # any shift at all, either way
    print(f"\nall {len(every_ratio)} pairs: test loss bf16 / fp32 - 1 = {_interval(loss, 100)} %, equivalent within "
          f"+-{LOSS_BAND:.0%}: **{loss.verdict}** (p {loss.p_value:.2g}); inactive variables bf16 - fp32: median {inactive.estimate:+.0f}, "
          f"{more} pairs more, {fewer} fewer, {len(every_count) - more - fewer} the same; within +-{INACTIVE_BAND} by the sign test: "
          f"**{inactive.verdict}** (p {inactive.p_value:.2g}); a shift either way, two-sided sign test on the untied pairs: p {shift:.2g}")
    if missing:
        print(f"not paired ({len(missing)}): {', '.join(missing)}")


if __name__ == "__main__":
    main()
