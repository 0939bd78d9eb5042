"""The Ray executor: each member is a Ray task on a cluster's workers, which share no file system
with the driver.

A task trains its member in a folder local to its worker (from the driver's copy of it, when the
member was interrupted before, so that it resumes) and streams the finished run folder back as a tar
archive in chunks (a Ray generator: no whole run in memory anywhere); the driver collects members
as they finish (`ray.wait`) and puts each in the sweep folder atomically. A task whose worker dies
is retried by Ray, from the driver's copy: epochs it had finished on the dead worker are trained again.
"""

from __future__ import annotations

import io
import os
import re
import socket
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from atomic import atomic_folder
from errors import ProjectError
from sweep.member import Member, Outcome

CHUNK = 4 << 20  # bytes of the tar stream per yielded object
ROOT = Path(__file__).resolve().parent.parent


def ray_or_error():
    try:
        import ray
    except ImportError:
        raise ProjectError("--executor ray needs Ray: pip install '.[ray]' (or pip install 'ray>=2.9')") from None
    return ray


def check_address(address: str | None) -> None:
    """An explicit host:port must answer before anything is planned: Ray itself waits a minute or
    more for an address where nothing listens."""
    if not address or address == "auto":
        return
    match = re.fullmatch(r"(?:ray://)?\[?([^\]]+?)\]?:(\d+)", address.strip())
    if not match:
        raise ProjectError(f"--address {address!r}: use auto, or HOST:PORT of a running cluster's head (ray start --head prints it)")
    try:
        socket.create_connection((match.group(1), int(match.group(2))), timeout=5).close()
    except OSError as exc:
        raise ProjectError(f"--address {address}: no Ray cluster answers there ({exc.strerror or exc}); start one with "
                           "ray start --head, or leave --address out to start one here") from None


def _pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(folder, arcname=".")
    return buffer.getvalue()


def _train_remote(member: Member, data_dir: str | None, threads: int, earlier: bytes | None):
    """Runs on a worker: yields the tar stream of the member's run folder in chunks, then its Outcome."""
    from data.mnist import load_mnist
    from sweep.member import train_member
    from train.launch import set_threads

    set_threads(threads)
    name = member.name
    with tempfile.TemporaryDirectory(prefix="vae-sweep-") as scratch:
        run_dir = Path(scratch) / name
        run_dir.mkdir()
        if earlier:
            with tarfile.open(fileobj=io.BytesIO(earlier)) as archive:
                archive.extractall(run_dir, filter="data")
        local = Path(data_dir) if data_dir and Path(data_dir).is_dir() else None  # the driver's folder may not exist here
        try:
            mnist = load_mnist(local)
        except ProjectError as exc:
            yield Outcome(name, "failed", f"no MNIST on the worker: {exc}")
            return
        outcome = train_member(replace(member, folder=run_dir), mnist, local)  # trained in the worker's own folder
        if outcome.state == "finished":
            packed = Path(scratch) / "member.tar"
            with tarfile.open(packed, "w") as archive:
                archive.add(run_dir, arcname=".")
            with open(packed, "rb") as stream:
                while chunk := stream.read(CHUNK):
                    yield chunk
        yield outcome


def _receive(packed: Path, folder: Path) -> None:
    """Put a member's folder (from its tar archive) in place of `folder`, whole."""
    with atomic_folder(folder) as staging, tarfile.open(packed) as archive:
        archive.extractall(staging, filter="data")


def _start_ray(ray, address: str | None, cpus: int | None) -> None:
    """Join the cluster at `address`, or start one here with `cpus` CPUs; the project's code travels
    to the workers (they may share no file system with us). A cluster that cannot be joined is one line."""
    code = {"working_dir": str(ROOT), "excludes": [".venv/", "outputs/", ".git/", "**/__pycache__/", ".pytest_cache/", "*.h5", "*.pt"]}
    try:
        if address:
            ray.init(address=address, runtime_env=code, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        else:
            ray.init(num_cpus=cpus, runtime_env=code, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ProjectError(f"--address {address}: cannot join a Ray cluster there ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def _submit(ray, members: list[Member], data_dir: Path | None, threads: int) -> dict:
    """One task a member: {its generator: (the member's folder, the tar file its chunks go to)}."""
    remote = ray.remote(num_cpus=threads, max_retries=2)(_train_remote)
    running = {}
    for member in members:
        run_dir = member.folder
        earlier = _pack(run_dir) if member.state == "resume" and run_dir.is_dir() else None
        options = {"num_gpus": 1} if member.config.device == "cuda" else {}
        generator = remote.options(**options).remote(member, str(data_dir) if data_dir else None, threads, earlier)
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        running[generator] = (run_dir, run_dir.with_name(f".{run_dir.name}.{os.getpid()}.tar"))
    return running


TASK_ENDED = object()  # what `_next_outcome` says of a task whose generator has nothing more


def _next_outcome(ray, generator, run_dir: Path, packed: Path):
    """The task's next object: a chunk (appended to `packed`: None, the task goes on), its Outcome (a
    finished member's folder put in place first), or TASK_ENDED. A task failed for good (its retries
    spent) is a failed Outcome."""
    try:
        item = ray.get(next(generator))
    except StopIteration:
        return TASK_ENDED
    except Exception as exc:  # the task failed for good (its retries spent)
        packed.unlink(missing_ok=True)
        return Outcome(run_dir.name, "failed", f"its Ray task failed ({type(exc).__name__})")
    if isinstance(item, bytes):
        with open(packed, "ab") as stream:  # chunk by chunk to disk: never the whole run in memory
            stream.write(item)
        return None
    try:
        if item.state == "finished":
            _receive(packed, run_dir)
    finally:
        packed.unlink(missing_ok=True)
    return item


def run_ray(members: list[Member], address: str | None, data_dir: Path | None, threads: int = 1,
            cpus: int | None = None) -> Iterator[Outcome]:
    """Train `members` as Ray tasks; yields outcomes as members end."""
    ray = ray_or_error()
    _start_ray(ray, address, cpus)
    running = {}
    try:
        running = _submit(ray, members, data_dir, threads)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            for generator in ready:
                run_dir, packed = running[generator]
                outcome = _next_outcome(ray, generator, run_dir, packed)
                if outcome is TASK_ENDED:
                    running.pop(generator)
                elif outcome is not None:
                    running.pop(generator)
                    yield outcome
    finally:
        for _, packed in running.values():
            packed.unlink(missing_ok=True)
        ray.shutdown()
