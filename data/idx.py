"""Reading and writing the four MNIST IDX files.

Reading goes through torchvision's own IDX parser; this module only adds what it lacks: `.gz`
support, a strict size check, and errors that name the offending file instead of a bare
`AssertionError`.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import tempfile
from pathlib import Path

import numpy as np

from atomic import atomic_path
from errors import ProjectError

# Base names of the four files, by (split, kind).
IDX_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

# MD5 of the official, uncompressed files.
OFFICIAL_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def find_idx_file(directory: Path, base: str) -> Path | None:
    """The raw or gzipped file named `base` in `directory`, raw preferred."""
    for candidate in (directory / base, directory / f"{base}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """A uint8 IDX array of `ndim` dimensions, or a `ProjectError` naming `path`."""
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as packed, tempfile.NamedTemporaryFile(suffix=".idx") as raw:
                raw.write(packed.read())
                raw.flush()
                tensor = read_sn3_pascalvincent_tensor(raw.name, strict=True)
        else:
            tensor = read_sn3_pascalvincent_tensor(str(path), strict=True)
    except (OSError, EOFError, AssertionError, RuntimeError, KeyError, ValueError, IndexError) as exc:
        raise ProjectError(f"{path}: not a valid IDX file (corrupt or truncated: {exc or type(exc).__name__})") from exc
    array = tensor.numpy()
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise ProjectError(f"{path}: expected a {ndim}-D uint8 IDX array, found {array.ndim}-D {array.dtype}")
    return array


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an uncompressed IDX file, atomically."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX writer only handles uint8, got {array.dtype}")
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        out.write(header)
        out.write(np.ascontiguousarray(array).tobytes())


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
