"""Reading and writing the four MNIST IDX files.

Reading checks the header (magic, dimensions) before any data, reads raw or `.gz` files alike,
exactly as much as the header says, and names the offending file in every error.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
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


# IDX element types by their code (the magic number's third byte); MNIST's files are all uint8.
IDX_TYPES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}
MAX_IDX_BYTES = 60_000 * 28 * 28  # the largest MNIST file's data: a header that promises more is refused before reading


def _read_exactly(stream, size: int) -> bytes:
    """`size` bytes of `stream`, or EOFError: a short file is truncated."""
    data = stream.read(size)
    if len(data) != size:
        raise EOFError(f"{len(data):,} bytes where {size:,} were expected")
    return data


def read_idx(path: Path, ndim: int, most: int | None = None, what: str = "items") -> np.ndarray:
    """A uint8 IDX array of `ndim` dimensions, or a `ProjectError` naming `path`. The header (magic,
    dimensions) is read first and checked, against `most` items and MNIST's largest size, before
    any data: a huge file, or a small .gz that decompresses to gigabytes, is refused without
    filling the memory; the data read is exactly what the header says, nothing more."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as stream:
            magic = _read_exactly(stream, 4)
            if magic[:2] != b"\0\0" or magic[2] not in IDX_TYPES or magic[3] == 0:
                raise ValueError(f"bad magic number {magic.hex()}")
            dims = struct.unpack(f">{magic[3]}I", _read_exactly(stream, 4 * magic[3]))
            if IDX_TYPES[magic[2]] != "uint8" or len(dims) != ndim:
                raise ProjectError(f"{path}: expected a {ndim}-D uint8 IDX array, found {len(dims)}-D {IDX_TYPES[magic[2]]}")
            if most is not None and dims[0] > most:
                raise ProjectError(f"{path}: {dims[0]:,} {what}, more than MNIST's {most:,}")
            size = int(np.prod(dims, dtype=object))
            if size > MAX_IDX_BYTES:
                raise ProjectError(f"{path}: its header says {' x '.join(map(str, dims))} bytes, more than MNIST's largest file ({MAX_IDX_BYTES:,})")
            if path.suffix != ".gz" and os.fstat(stream.fileno()).st_size != 4 + 4 * len(dims) + size:
                raise EOFError(f"{os.fstat(stream.fileno()).st_size:,} bytes, the header says {4 + 4 * len(dims) + size:,}")
            data = _read_exactly(stream, size)
            if stream.read(1):
                raise ValueError("more data than the header says")
    except ProjectError:
        raise
    except (OSError, EOFError, ValueError, struct.error, zlib.error) as exc:
        raise ProjectError(f"{path}: not a valid IDX file (corrupt or truncated: {exc or type(exc).__name__})") from exc
    return np.frombuffer(data, np.uint8).reshape(dims).copy()


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
