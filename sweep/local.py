"""The local executor: members trained by a few long-lived worker processes on this machine.

Each worker sets torch's thread count once so that jobs x threads never exceeds the cores (two
processes at torch's default threads on 2 cores ran 17x slower than one: their threads spin-wait
for cores the other holds), and loads MNIST once for all the members it trains. Workers die with
the driver (Linux), so a killed sweep leaves no orphan training a member that the next run of the
command would then find locked.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from sweep.member import Member, Outcome, train_member
from sweep.plan import member_state

_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
_worker: dict = {}  # this worker process's MNIST and data folder


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_jobs(members: int) -> int:
    """One worker per core, as many as there are members: our nets are small, and two processes of
    one thread each train more per second than one process with two threads."""
    return max(1, min(cores(), members))


def threads_per_job(jobs: int) -> int:
    return max(1, cores() // jobs)


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: an orphan finishes its member and exits


def _start_worker(threads: int, data_dir: str | None) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle: it stops us with SIGTERM
    signal.signal(signal.SIGTERM, _exit_now)  # between members there is nothing to clean up
    from data.mnist import load_mnist
    from train.launch import set_threads

    set_threads(threads)
    _worker["data_dir"] = Path(data_dir) if data_dir else None
    _worker["mnist"] = load_mnist(_worker["data_dir"])


def _exit_now(signum, frame) -> None:
    os._exit(143)


def _run(member: Member) -> Outcome:
    from atomic import Terminated, sigterm_raises

    sigterm_raises()  # while a member trains, SIGTERM unwinds it: its run file whole, no spare, lock or temporary left
    try:
        return train_member(member, _worker["mnist"], _worker["data_dir"])
    except Terminated:  # the member has cleaned up on the way here; the pool would hand us the next one
        os._exit(143)
    finally:
        signal.signal(signal.SIGTERM, _exit_now)


def _stop(pool: ProcessPoolExecutor) -> None:
    """SIGTERM the workers (each cleans up as a stopped `train` does: its run file whole, no spare,
    lock or temporary file left), SIGKILL any still there after a few seconds."""
    processes = list(getattr(pool, "_processes", {}).values())  # the executor offers no public way
    # shutdown(wait=False) forgets the executor's manager thread, so a later shutdown(wait=True) no
    # longer joins it; left running, it closed its wake-up pipe while Python's exit hook wrote to it
    # ("OSError: Bad file descriptor" after our one line, now and then). Keep it to join it below.
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + 5
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    if manager is not None:
        manager.join(timeout=10)  # the workers are gone: it ends as soon as it sees that


def run_local(members: list[Member], jobs: int, data_dir: Path | None) -> Iterator[Outcome]:
    """Train `members` on `jobs` workers; yields outcomes as members end.
    A member whose worker dies is tried once more in a fresh pool, then reported as failed."""
    context = multiprocessing.get_context("spawn")  # a fork of a process that ran torch can hang
    # After Ctrl-C the tracker process that multiprocessing starts would print a warning that it is
    # cleaning up the pool's semaphores, after our one-line message; it takes its -W flags from ours.
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)
    pending = list(members)
    tries = {member.name: 0 for member in members}
    while pending:
        jobs_now = min(jobs, len(pending))
        broken: list[Member] = []
        pool = ProcessPoolExecutor(max_workers=jobs_now, mp_context=context, initializer=_start_worker,
                                   initargs=(threads_per_job(jobs_now), str(data_dir) if data_dir else None))
        try:
            futures = {}
            for member in pending:
                futures[pool.submit(_run, member)] = member
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    member = futures.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        tries[member.name] += 1
                        if tries[member.name] > 1:
                            yield Outcome(member.name, "failed", "its worker process died twice")
                        else:
                            broken.append(replace(member, state=member_state(member.folder, member.config)))
        except BaseException:  # Ctrl-C, SIGTERM: stop the workers now, not after their members
            _stop(pool)
            raise
        pool.shutdown()
        pending = broken
