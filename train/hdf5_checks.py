"""What an HDF5 file of ours may not hold, checked when it is opened for reading, before any object
in it is looked up by name.

h5py follows links when a name is looked up: a soft link, an external link (to an object in any
other HDF5 file the user can read), a dataset whose data lie in other files (external storage) or
that is a view of other files' datasets (a virtual dataset). Our writers make none of these, so a
run or snapshot file holding one is crafted, and a report built from it would carry someone
else's data. And HDF5 stores no chunk that was never written: a dataset may declare 300 million
rows in a file of 400 kB, and reading it would fill memory with its fill value. So a dataset must
store (at least) the bytes its shape declares, or a compressed form no smaller than deflate's best.
"""

from __future__ import annotations

import h5py

MOST_LINKS = 10_000  # a run file holds about 20; a file of more is none of ours (and would take long to check)
DEFLATE_MOST = 1032  # deflate (gzip) never compresses more than about 1032:1


def _link_kind(kind: int) -> str:
    return {h5py.h5l.TYPE_SOFT: "a soft link", h5py.h5l.TYPE_EXTERNAL: "an external link"}.get(kind, "a link of another kind")


def _shown(name: bytes) -> str:
    return name.decode("utf-8", "replace")


def foreign_contents(handle: h5py.File) -> str | None:
    """Why `handle` is not a file our writers made (a link, data kept in or taken from other files,
    a dataset declaring more data than it stores), in words, or None. Reads no data."""
    links: list[tuple[bytes, int]] = []

    def visit(name: bytes, info) -> bool | None:
        links.append((name, info.type))
        return True if info.type != h5py.h5l.TYPE_HARD or len(links) > MOST_LINKS else None

    handle.id.links.visit(visit, info=True)  # every link, followed through hard links only
    if len(links) > MOST_LINKS:
        return f"it holds more than {MOST_LINKS:,} objects, not a file this program wrote"
    for name, kind in links:
        if kind != h5py.h5l.TYPE_HARD:
            return f"{_shown(name)} is {_link_kind(kind)}; a run's files hold no links (refused: it could pull in another file's data)"
    for name, _ in links:
        found = handle.get(name)  # a hard link: stays inside this file
        if isinstance(found, h5py.Dataset):
            problem = _dataset_problem(found)
            if problem:
                return f"{_shown(name)} {problem}"
    return None


def _dataset_problem(dataset: h5py.Dataset) -> str | None:
    plist = dataset.id.get_create_plist()
    if plist.get_layout() == h5py.h5d.VIRTUAL:
        return "is a virtual dataset (a view of other files' data); a run's files hold their own data"
    if plist.get_external_count():
        return "keeps its data in another file (external storage); a run's files hold their own data"
    stored = dataset.id.get_storage_size()
    most = stored * (DEFLATE_MOST if plist.get_nfilters() else 1)
    if dataset.nbytes > most:
        return (f"declares shape {dataset.shape} ({dataset.nbytes:,} bytes) but the file stores {stored:,} bytes of it: "
                "a dataset never written, not a file this program wrote")
    return None
