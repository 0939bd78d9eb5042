"""The pages `python cli.py lecture` makes, by the kind of folder each lives in (owners.py): the
lecture, and the page beyond it. `slides` asks here which page a folder holds."""

from __future__ import annotations

from pathlib import Path

from owners import kind_of


def pages() -> dict:
    """{kind: lecture.lecture.Page}."""
    from lecture.beyond import BEYOND
    from lecture.lecture import LECTURE

    return {"lecture": LECTURE, "beyond": BEYOND}


def page_of(folder: Path):
    """The Page whose folder `folder` is, or None (not a lecture's nor a page beyond it)."""
    return pages().get(kind_of(folder))
