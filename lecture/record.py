"""The lecture's claims as `claims.json` holds them: one frozen row type that the lecture writes and
the deck and the forest plot read back, so no module spells the file's keys but this one.

The first four fields are what the deck's table shows (text, measure, numbers, verdict); the rest
are the numbers behind them, for anyone reading the file. Rows written before a field existed read
with it empty, so a lecture folder made by an earlier version still gives its deck a table.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

CLAIMS_FILE = "claims.json"  # {"seeds": [...], "quick_look": bool, "plan_sha256": str, "claims": [ClaimRecord, ...]}
MAX_SEED = 2**32 - 1


def _text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _number(value) -> float | None:
    """A number as JSON holds it (None, or a finite or infinite float: intervals may be unbounded)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _whole(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    return value


@dataclass(frozen=True)
class ClaimRecord:
    text: str
    measure: str
    numbers: str  # the effect with its interval, what the words ask, and what would decide it, as the table shows them
    verdict: str  # holds, contradicted, inconclusive, not checked
    estimate: float | None = None
    interval: tuple[float, float] | None = None
    threshold: float | None = None
    predicted: str = ""  # the side the page predicts (science.evidence: above, below, within)
    seeds: int | None = None
    seeds_needed: int | None = None
    note: str = ""
    primary: bool = True  # the primary read of its sentence (in the Holm family)
    statistic: str = ""
    p_value: float | None = None
    holm_verdict: str = ""
    holm_p: float | None = None
    flip: str = ""  # at which threshold the verdict would flip, in words
    flip_threshold: float | None = None
    scale: str = ""  # ratio, difference, share
    p_other: float | None = None  # one-sided, toward the other side of the threshold (the test of "contradicted")
    holm_p_other: float | None = None  # its Holm-adjusted p-value: Holm runs over both sides of every primary row

    @classmethod
    def of(cls, claim) -> "ClaimRecord":
        """The row of a checked `lecture.claims.Claim`."""
        numbers = "; ".join(part for part in (claim.effect_text(), f"the words ask {claim.threshold_text()}",
                                              f"to decide: {claim.needed_text()}" if claim.needed_text() else "") if part)
        flip = claim.flip()
        return cls(text=claim.text, measure=claim.measure, numbers=numbers, verdict=claim.verdict, estimate=claim.estimate,
                   interval=tuple(claim.interval) if claim.interval else None, threshold=claim.threshold, predicted=claim.predicted,
                   seeds=claim.seeds, seeds_needed=claim.seeds_needed, note=claim.note, primary=claim.primary, statistic=claim.statistic,
                   p_value=claim.p_value, holm_verdict=claim.holm, holm_p=claim.holm_p, flip=claim.flip_text(),
                   flip_threshold=flip[1] if flip else None, scale=claim.scale, p_other=claim.p_other, holm_p_other=claim.holm_p_other)

    def to_json(self) -> dict:
        row = asdict(self)
        row["interval"] = list(self.interval) if self.interval else None
        return row

    @classmethod
    def from_json(cls, row) -> "ClaimRecord":
        """A row of claims.json; ValueError (or KeyError, TypeError) for any other shape."""
        if not isinstance(row, dict):
            raise ValueError("a claim is not a JSON object")
        given = {field.name: row[field.name] for field in fields(cls) if field.name in row}
        interval = given.get("interval")
        if interval is not None and (not isinstance(interval, list) or len(interval) != 2):
            raise ValueError(f"{interval!r} is not an interval")
        return cls(text=_text(row["text"]), measure=_text(row["measure"]), numbers=_text(row["numbers"]), verdict=_text(row["verdict"]),
                   estimate=_number(given.get("estimate")), interval=(_number(interval[0]), _number(interval[1])) if interval else None,
                   threshold=_number(given.get("threshold")), predicted=_text(given.get("predicted", "")), seeds=_whole(given.get("seeds")),
                   seeds_needed=_whole(given.get("seeds_needed")), note=_text(given.get("note", "")),
                   primary=bool(given.get("primary", True)), statistic=_text(given.get("statistic", "")), p_value=_number(given.get("p_value")),
                   holm_verdict=_text(given.get("holm_verdict", "")), holm_p=_number(given.get("holm_p")), flip=_text(given.get("flip", "")),
                   flip_threshold=_number(given.get("flip_threshold")), scale=_text(given.get("scale", "")),
                   p_other=_number(given.get("p_other")), holm_p_other=_number(given.get("holm_p_other")))


@dataclass(frozen=True)
class ClaimsFile:
    """The whole file: the seeds checked over, whether that is a quick look, the plan's fingerprint, the rows."""

    seeds: tuple[int, ...]
    claims: tuple[ClaimRecord, ...]
    quick_look: bool = False
    plan_sha256: str = ""

    def to_json(self) -> dict:
        return {"seeds": list(self.seeds), "quick_look": self.quick_look, "plan_sha256": self.plan_sha256,
                "claims": [claim.to_json() for claim in self.claims]}

    @classmethod
    def from_json(cls, data) -> "ClaimsFile":
        if not isinstance(data, dict) or not isinstance(data.get("claims"), list) or not isinstance(data.get("seeds"), list):
            raise ValueError("not the claims a lecture writes")
        seeds = tuple(_whole(seed) for seed in data["seeds"])
        if not all(seed is not None and 0 <= seed <= MAX_SEED for seed in seeds):
            raise ValueError("seeds are whole numbers")
        return cls(seeds, tuple(ClaimRecord.from_json(row) for row in data["claims"]), bool(data.get("quick_look", False)),
                   _text(data.get("plan_sha256", "")))
