"""Training one member of a sweep, wherever it runs (a local worker process or a Ray task), and
what comes back: its state and the numbers the progress line shows."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from errors import ProjectError
from train.config import RunConfig

# What a member's folder holds before it trains (plan.member_state), and "replace": start it again
# over whatever it holds (its options changed, or its run file is unreadable, under --overwrite).
MEMBER_STATES = ("new", "resume", "finished", "unreadable", "linked", "replace")
# How a member ended: trained now, finished before, failed (in one line), kept (its run file
# cannot be read, and --overwrite was not given: left as it is), or linked (its folder is a link to
# one elsewhere: left as it is, --overwrite or not, since a sweep replaces only folders of its own).
OUTCOME_STATES = ("finished", "skipped", "failed", "kept", "linked")
LEFT_AS_IT_IS = ("kept", "linked")


@dataclass(frozen=True)
class Member:
    """One member handed to an executor: its config, its folder, and what that folder holds."""

    config: RunConfig
    folder: Path
    state: str  # one of MEMBER_STATES

    def __post_init__(self) -> None:
        if self.state not in MEMBER_STATES:
            raise ValueError(f"member state {self.state!r} is not one of {MEMBER_STATES}")

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass(frozen=True)
class Outcome:
    name: str
    state: str  # one of OUTCOME_STATES
    reason: str = ""  # why it failed, in one line
    test_loss: float | None = None  # final, per image
    inactive: int | None = None  # inactive latent variables at the end
    latent_size: int | None = None
    seconds: float = 0.0  # wall time of this attempt

    def __post_init__(self) -> None:
        if self.state not in OUTCOME_STATES:
            raise ValueError(f"outcome state {self.state!r} is not one of {OUTCOME_STATES}")

    @property
    def left_as_it_is(self) -> bool:
        return self.state in LEFT_AS_IT_IS

    @property
    def table_state(self) -> str:
        """The state as the sweep's table shows it: a linked member is kept, as an unreadable one is."""
        return "kept" if self.left_as_it_is else self.state

    def line(self) -> str:
        if self.state == "failed":
            return f"{self.name}: failed: {self.reason}"
        if self.state == "linked":
            return f"{self.name}: left as it is: {self.reason}"
        if self.state == "kept":
            return f"{self.name}: left as it is: {self.reason}; --overwrite trains it again"
        numbers = f"test loss {self.test_loss:.2f}, {self.inactive} of {self.latent_size} latent variables inactive"
        if self.state == "skipped":
            return f"{self.name}: already finished, {numbers}"
        return f"{self.name}: finished, {numbers}, {self.seconds:.1f} s"


def finished_numbers(run_dir: Path) -> dict:
    """Final test loss and inactive latent variables of a run, from its run file."""
    from train.describe import final_epoch
    from train.runfile import RunFile

    with RunFile(run_dir) as run:
        final = final_epoch(run)
        return {"test_loss": float(final.test_loss.sum()), "inactive": final.stats.inactive_count, "latent_size": run.latent_dim}


def train_member(member: Member, mnist, data_dir: Path | None = None) -> Outcome:
    """Train one member: "replace" starts it again over whatever run its folder holds (a member whose
    options the plan changed, under --overwrite's rules); otherwise it goes on from where its folder
    is now, looked at again here, since another sweep in the same folder may have trained it meanwhile.
    Any failure is its outcome, in one line, not an exception."""
    from sweep.plan import member_state, unreadable_reason
    from train import launch

    started = time.perf_counter()
    config, run_dir, name = member.config, member.folder, member.name
    try:
        now = "replace" if member.state == "replace" else member_state(run_dir, config)
        if now == "finished":
            return Outcome(name, "skipped", **finished_numbers(run_dir))
        if now in ("unreadable", "linked"):  # became so since the driver looked: never replaced without --overwrite
            return Outcome(name, "linked" if now == "linked" else "kept", unreadable_reason(run_dir), seconds=time.perf_counter() - started)
        options = {key: value for key, value in asdict(config).items() if key != "extra"}
        planned = launch.plan(options, set(), run_dir, resume=now == "resume", overwrite=now in ("new", "replace"))
        launch.train(planned, data_dir, progress=False, echo=lambda _: None, mnist=mnist)
        return Outcome(name, "finished", seconds=time.perf_counter() - started, **finished_numbers(run_dir))
    except ProjectError as exc:
        return Outcome(name, "failed", str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # a bug, or torch running out of memory: this member fails, the others go on
        from atomic import disk_full, disk_full_error

        if disk_full(exc, run_dir.parent):
            return Outcome(name, "failed", str(disk_full_error(run_dir.parent, name)), seconds=time.perf_counter() - started)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return Outcome(name, "failed", f"{type(exc).__name__}: {first}"[:300], seconds=time.perf_counter() - started)
