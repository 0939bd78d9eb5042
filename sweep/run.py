"""Running a sweep: plan, skip what is finished, train the rest on an executor, report each member
as it ends and a table at the end. One member failing does not stop the others."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from errors import ProjectError, one_line
from sweep.local import cores, default_jobs, run_local, threads_per_job
from sweep.member import Member, Outcome, finished_numbers
from sweep.plan import OVERWRITE_HINT, Plan, SweepSpec, member_state, merge, unreadable_reason

EXECUTORS = ("local", "ray")


class MembersFailed(ProjectError):
    """Some members failed (each said why); the others finished."""


def check_request(executor: str, jobs: int | None, address: str | None) -> None:
    """Everything about how to run, refused before anything is planned or trained."""
    if executor not in EXECUTORS:
        raise ProjectError(f"--executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs is not None and jobs < 1:
        raise ProjectError(f"--jobs {jobs}: at least 1")
    if address and executor != "ray":
        raise ProjectError("--address joins a Ray cluster: give it with --executor ray")
    if executor == "ray":
        from sweep.ray_executor import check_address, ray_or_error

        ray_or_error()
        check_address(address)


def table(outcomes: list[Outcome]) -> list[str]:
    width = max(len(outcome.name) for outcome in outcomes)
    lines = [f"{'member':<{width}}  {'state':<9}  {'test loss':>9}  inactive"]
    for outcome in outcomes:
        loss = f"{outcome.test_loss:9.2f}" if outcome.test_loss is not None else f"{'-':>9}"
        inactive = f"{outcome.inactive} of {outcome.latent_size}" if outcome.inactive is not None else "-"
        lines.append(f"{outcome.name:<{width}}  {outcome.table_state:<9}  {loss}  {inactive}" + (f"  ({outcome.reason})" if outcome.reason else ""))
    return lines


def triage(members: list[Member], changed: set[str]) -> tuple[dict[str, Outcome], list[Member]]:
    """What each member needs before anything trains: the outcomes of those that train no further
    (finished before, a run file left unreadable, a folder linked elsewhere), and the members to train,
    in plan order: those whose options changed (allowed by --overwrite) start again ("replace"),
    the others go on where they are."""
    outcomes: dict[str, Outcome] = {}
    for member in members:
        if member.state == "finished" and member.name not in changed:
            outcomes[member.name] = Outcome(member.name, "skipped", **finished_numbers(member.folder))
        elif member.state == "linked":
            outcomes[member.name] = Outcome(member.name, "linked", unreadable_reason(member.folder))
        elif member.state == "unreadable" and member.name not in changed:
            outcomes[member.name] = Outcome(member.name, "kept", unreadable_reason(member.folder))
    to_train = [replace(member, state="replace") if member.name in changed else member for member in members if member.name not in outcomes]
    return outcomes, to_train


def worker_count(jobs: int | None, members: int, echo: Callable[[str], None]) -> int:
    """Local workers for `members` members: --jobs (never more than the cores, said so), or the default."""
    if jobs and jobs > cores():  # more processes than cores only makes each slower (and all of them, together)
        echo(f"--jobs {jobs} is more than this machine's {cores()} cores: {cores()} workers")
        jobs = cores()
    return max(1, min(jobs or default_jobs(members), members))


def _where(executor: str, jobs: int, address: str | None) -> str:
    if executor == "local":
        return f"{jobs} local worker{'s' * (jobs > 1)} x {threads_per_job(jobs)} thread{'s' * (threads_per_job(jobs) > 1)} ({cores()} cores)"
    return f"Ray at {address}" if address else "Ray, started here"


def _trained(to_train: list[Member], executor: str, jobs: int, address: str | None, data_dir: Path | None) -> Iterator[Outcome]:
    """The members' outcomes from the executor, as they end."""
    if executor == "local":
        return run_local(to_train, jobs, data_dir)
    from sweep.ray_executor import run_ray

    return run_ray(to_train, address, data_dir, threads=1, cpus=None if address else cores())


def check_outcomes(ordered: list[Outcome]) -> None:
    """MembersFailed, saying how many failed and how many were left as they were, if any."""
    failed = [outcome for outcome in ordered if outcome.state == "failed"]
    kept = [outcome for outcome in ordered if outcome.left_as_it_is]
    if failed or kept:
        said = [f"{len(failed)} of {len(ordered)} members failed (see above); run the same command again to retry them"] if failed else []
        said += [f"{len(kept)} member{'s' * (len(kept) > 1)} left as {'they were' if len(kept) > 1 else 'it was'} (see above)"
                 + ("; --overwrite trains again those whose run file cannot be read" if any(o.state == "kept" for o in kept) else "")
                 ] if kept else []
        raise MembersFailed("; ".join(said))


def _say_kept_precision(spec: SweepSpec, plan: Plan, names: list[str], echo: Callable[[str], None]) -> None:
    """One line where members begun before go on with another loss precision than the one asked
    (sweep/plan.py: a run file keeps one), so that the option is not dropped without a word."""
    asked = {config.run_name: config.loss_precision for config in spec.members()}
    kept = [plan.members[name].loss_precision for name in names if plan.members[name].loss_precision != asked[name]]
    if kept:
        precisions = " and ".join(sorted(set(kept)))
        echo(f"{len(kept)} member{'s' * (len(kept) != 1)} begun before keep{'s' * (len(kept) == 1)} the loss precision "
             f"{precisions} {'they' if len(kept) != 1 else 'it'} started with (--loss-precision sets new members')")


def run_sweep(spec: SweepSpec, folder: Path, executor: str = "local", jobs: int | None = None, address: str | None = None,
              data_dir: Path | None = None, overwrite: bool = False, progress: bool = True,
              echo: Callable[[str], None] = print, overwrite_hint: str | None = None) -> list[Outcome]:
    """Train the sweep's members in `folder`; returns every member's outcome, in plan order."""
    check_request(executor, jobs, address)
    if executor == "local":  # a Ray node's device is its own: its trainer refuses there
        from train.loop import check_device_here

        check_device_here(spec.options.get("device", "auto"), spec.options.get("matmul_precision", "fp32"))
    plan, names, changed = merge(folder, spec, overwrite, overwrite_hint or OVERWRITE_HINT)
    members = [Member(plan.members[name], plan.path_of(name), member_state(plan.path_of(name), plan.members[name])) for name in names]
    if overwrite:  # a run file this program cannot read is replaced only when asked
        changed |= {member.name for member in members if member.state == "unreadable"}
    outcomes, to_train = triage(members, changed)
    _say_kept_precision(spec, plan, names, echo)
    jobs = worker_count(jobs, len(to_train), echo)
    if to_train and executor == "local":
        from data.mnist import load_mnist

        load_mnist(data_dir)  # here, once: a missing or damaged data set is one line, and the cache is fetched once, not by every worker
    echo(f"sweep {folder}: {len(members)} member{'s' * (len(members) != 1)}, {len(outcomes)} finished before, "
         f"{len(to_train)} to train on {_where(executor, jobs, address)}")
    bar = tqdm(total=len(members), desc="sweep", unit="member", disable=not progress)

    def ended(outcome: Outcome) -> None:
        outcomes[outcome.name] = outcome
        bar.update()
        bar.write(one_line(outcome.line())) if progress else echo(outcome.line())

    for outcome in list(outcomes.values()):
        ended(outcome)
    if to_train:
        for outcome in _trained(to_train, executor, jobs, address, data_dir):
            ended(outcome)
    bar.close()
    ordered = [outcomes[name] for name in names]
    for line in ["", *table(ordered)]:
        echo(line)
    check_outcomes(ordered)
    return ordered
