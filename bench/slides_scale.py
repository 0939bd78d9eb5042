"""How `slides` scales: the time and peak memory of writing a deck of 100, 500 and 1,500 slides (a
small PNG figure and a line of notes each, as a run's figures give), and of a deck of one slide whose
video is large; each in a fresh process, one after the other.

The time is `export.deck.write_deck`'s alone (the deck's folders are not read: the slides are given
as the collector would make them); the peak is the process's maximum resident size (ru_maxrss),
imports included. `--plain` also times python-pptx's own part naming and lookup (the deck's
constant-time naming switched off), the quadratic cost the deck's naming removes.

    python bench/slides_scale.py [--slides 100,500,1500] [--video-mib 512] [--plain 100,500]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def figures(folder: Path, count: int) -> list[Path]:
    """`count` distinct 64x36 PNGs (made once, shared by every deck)."""
    from PIL import Image

    folder.mkdir(exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"figure{index}.png"
        if not path.exists():
            Image.new("RGB", (64, 36), (index % 256, index // 256 % 256, 99)).save(path)
        paths.append(path)
    return paths


def child(scratch: Path, slides: int, video_mib: int, plain: bool) -> None:
    """In a fresh process: write the deck, print its seconds and the peak resident MiB."""
    import export.deck
    from export.slides import Deck, Slide

    if plain:
        export.deck.name_parts_in_constant_time = lambda package: None
    if video_mib:
        video = scratch / "video.mp4"
        deck = Deck("video", [Slide("a large video", video.name, video, figures(scratch / "pngs", 1)[0], "notes")])
    else:
        deck = Deck("many", [Slide("784-256-2 · variational · seed 0 · epoch 1", path.name, path, None, f"run: {path.name}")
                             for path in figures(scratch / "pngs", slides)])
    out = scratch / f"deck-{os.getpid()}.pptx"
    started = time.perf_counter()
    export.deck.write_deck(deck, out, echo=lambda line: None)
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    out.unlink()
    print(f"{seconds:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {size}")


def measure(scratch: Path, slides: int, video_mib: int = 0, plain: bool = False) -> tuple[float, float, int]:
    command = [sys.executable, __file__, "--child", str(scratch), str(slides), str(video_mib), str(int(plain))]
    line = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
    return float(line[0]), float(line[1]), int(line[2])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        scratch, slides, video_mib, plain = sys.argv[2:6]
        child(Path(scratch), int(slides), int(video_mib), plain == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", default="100,500,1500")
    parser.add_argument("--video-mib", type=int, default=512)
    parser.add_argument("--plain", default="", help="slide counts to time with python-pptx's own naming too, e.g. 100,500")
    args = parser.parse_args()
    counts = [int(count) for count in args.slides.split(",")]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        figures(scratch / "pngs", max(counts + [int(count) for count in args.plain.split(",") if count]))
        print("| slides | seconds | ms a slide | peak MiB | deck MiB |")
        print("|---|---|---|---|---|")
        for count in counts:
            seconds, peak, size = measure(scratch, count)
            print(f"| {count:,} | {seconds:.1f} | {1000 * seconds / count:.0f} | {peak:.0f} | {size / (1 << 20):.1f} |")
        for count in [int(count) for count in args.plain.split(",") if count]:
            seconds, peak, size = measure(scratch, count, plain=True)
            print(f"| {count:,} (python-pptx's naming) | {seconds:.1f} | {1000 * seconds / count:.0f} | {peak:.0f} | {size / (1 << 20):.1f} |")
        if args.video_mib:
            with open(scratch / "video.mp4", "wb") as video:
                for _ in range(args.video_mib):
                    video.write(os.urandom(1 << 20))
            seconds, peak, size = measure(scratch, 1, args.video_mib)
            print(f"| 1, a {args.video_mib} MiB video | {seconds:.1f} | | {peak:.0f} | {size / (1 << 20):.1f} |")
        print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
