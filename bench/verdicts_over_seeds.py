"""The same claims over two sets of seeds of one finished lecture (or beyond) folder, side by side (issue 32).

The page judges its claims over the seeds it was run with; this reads the same sweep twice, over a
quick look (seeds 0-4) and over all of them (0-14), and prints one markdown row per claim: each
estimate with its interval, the own and the Holm verdict, and whether either changed. Nothing is
trained and the page is not touched; the samples' scores come from the folder's own cache.

    python bench/verdicts_over_seeds.py --out outputs/lecture --seeds 0-4 --against 0-14
    python bench/verdicts_over_seeds.py --out outputs/beyond --beyond
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.mnist import load_mnist  # noqa: E402
from lecture.beyond import BEYOND  # noqa: E402
from lecture.lecture import LECTURE, SCORES_FILE  # noqa: E402
from science.classifier import load_scorer  # noqa: E402
from sweep.plan import parse_seeds  # noqa: E402


def cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/lecture"), help="the lecture's folder (its sweep/ is read)")
    parser.add_argument("--seeds", default="0-4", help="the quick look")
    parser.add_argument("--against", default="0-14", help="the full set")
    parser.add_argument("--beyond", action="store_true", help="the page beyond the lecture's claims")
    args = parser.parse_args()
    page = BEYOND if args.beyond else LECTURE
    mnist = load_mnist()
    scorer = load_scorer(mnist, lambda line: print(line, file=sys.stderr))
    scorer.keep_in(args.out / SCORES_FILE, lambda line: print(line, file=sys.stderr))
    few, many = parse_seeds(args.seeds), parse_seeds(args.against)
    quick = page.check(args.out / "sweep", few, scorer, mnist.test_images)
    full = page.check(args.out / "sweep", many, scorer, mnist.test_images)
    print(f"| # | claim | read | seeds {args.seeds}: estimate | own | Holm | seeds {args.against}: estimate | own | Holm | changed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    changed = 0
    for number, (a, b) in enumerate(zip(quick, full), 1):
        moved = [what for what, x, y in (("own", a.verdict, b.verdict), ("Holm", a.holm, b.holm)) if x != y]
        changed += bool(moved)
        print(f"| {number} | {cell(b.text)} | {'primary' if b.primary else 'secondary'} | {cell(a.effect_text())} | {a.verdict} | {a.holm} "
              f"| {cell(b.effect_text())} | {b.verdict} | {b.holm} | {', '.join(moved) or '-'} |")
    for name, claims in ((args.seeds, quick), (args.against, full)):
        primary = [claim for claim in claims if claim.primary]
        counts = {verdict: (sum(c.verdict == verdict for c in primary), sum(c.holm == verdict for c in primary))
                  for verdict in ("holds", "contradicted", "inconclusive")}
        print(f"\nseeds {name}: " + ", ".join(f"{verdict} {own} own / {holm} after Holm" for verdict, (own, holm) in counts.items())
              + f" (of {len(primary)} primary rows)")
    print(f"\n{changed} of {len(full)} rows changed a verdict")
    scorer.save_to(args.out / SCORES_FILE)


if __name__ == "__main__":
    main()
