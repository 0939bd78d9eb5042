"""One grammar for naming digits, read by `train --track` and by the renderers' `--digits`.

`N-per-class` (N of every class), `indices:12,345` (training-set indices) and, for choosing among
digits already tracked, classes `3,8` (`3:2` the second 3). `parse_choice` reads the spelling once;
each option then takes the forms it supports and says in its own words what it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from errors import ProjectError


@dataclass(frozen=True)
class PerClass:
    """`N-per-class`."""

    count: int


@dataclass(frozen=True)
class Indices:
    """`indices:12,345`: training-set indices, in the order given."""

    indices: tuple[int, ...]


@dataclass(frozen=True)
class ClassPick:
    """One part of `3,8:2`: the `nth` (from 1) digit of class `digit`, and the part as written."""

    text: str
    digit: int
    nth: int


@dataclass(frozen=True)
class Classes:
    """`3,8` or `3:2,0`: digits by class, in the order given."""

    picks: tuple[ClassPick, ...]


DigitChoice = PerClass | Indices | Classes


def parse_choice(text: str, option: str) -> DigitChoice | None:
    """The form `text` is written in, or None when it is none of them; errors name `option`."""
    text = text.strip()
    if match := re.fullmatch(r"(\d+)-per-class", text):
        count = int(match.group(1))
        if count < 1:
            raise ProjectError(f"{option}: N-per-class needs N >= 1")
        return PerClass(count)
    if match := re.fullmatch(r"indices:(\d+(?:,\d+)*)", text):
        return Indices(tuple(int(part) for part in match.group(1).split(",")))
    if re.fullmatch(r"\d(?::\d+)?(?:,\d(?::\d+)?)*", text):
        picks = []
        for part in text.split(","):
            digit, _, nth = part.partition(":")
            picks.append(ClassPick(part, int(digit), int(nth or 1)))
        return Classes(tuple(picks))
    return None
