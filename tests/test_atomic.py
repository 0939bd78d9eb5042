"""The one atomic-write helper: whole files or nothing, a temporary name per process, cleaned up on
exceptions, Ctrl-C and SIGTERM, and after a killed writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from atomic import Written, atomic_path, atomic_paths, remove_stale_temporaries, temporary_name, write_text_atomically
from helpers import ROOT


def test_a_file_appears_only_when_complete(tmp_path):
    final = tmp_path / "numbers.json"
    with atomic_path(final) as tmp:
        tmp.write_text("[1, 2]")
        assert not final.exists() and tmp.parent == final.parent and tmp.suffix == ".json"
    assert final.read_text() == "[1, 2]" and sorted(p.name for p in tmp_path.iterdir()) == ["numbers.json"]


def test_a_text_write_says_whether_it_replaced_a_file(tmp_path):
    final = tmp_path / "summary.md"
    assert write_text_atomically(final, "| run | loss |\n") == Written(final, False)
    assert write_text_atomically(final, "σ² → 0\n") == Written(final, True)
    assert final.read_bytes() == "σ² → 0\n".encode("utf-8") and sorted(p.name for p in tmp_path.iterdir()) == ["summary.md"]


def test_an_exception_leaves_the_old_file_and_no_temporary(tmp_path):
    final = tmp_path / "figure.png"
    final.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_paths(final, tmp_path / "other.png") as (tmp, other):
            tmp.write_text("new")
            other.write_text("new")
            raise RuntimeError("drawing failed")
    assert final.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["figure.png"]


def test_temporary_names_differ_between_calls_and_processes(tmp_path):
    final = tmp_path / "clip.mp4"
    names = {temporary_name(final) for _ in range(100)}
    other = subprocess.run([sys.executable, "-c", f"from atomic import temporary_name; from pathlib import Path; print(temporary_name(Path({str(final)!r})))"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert len(names) == 100 and Path(other) not in names
    assert all(name.suffix == ".mp4" and str(os.getpid()) in name.name for name in names)


WRITER = """
import sys, time
from atomic import atomic_path, sigterm_raises, Terminated
sigterm_raises()
try:
    with atomic_path(sys.argv[1]) as tmp:
        tmp.write_text("half")
        print("writing", flush=True)
        time.sleep(60)
except Terminated:
    sys.exit(143)
"""


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, -signal.SIGINT)])
def test_sigterm_and_ctrl_c_remove_the_temporary(tmp_path, signum, code):
    """A real process stopped while writing: neither the file nor its temporary is left."""
    final = tmp_path / "out.txt"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(final)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert writer.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 1  # the temporary, under its own name
    writer.send_signal(signum)
    assert writer.wait(timeout=30) == code
    assert list(tmp_path.iterdir()) == []


def test_temporaries_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    final = tmp_path / "out.txt"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(final)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    alive = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "busy.txt")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert alive.stdout.readline().strip() == "writing"
    writer.kill()
    writer.wait()
    try:
        dead, live = sorted(p.name for p in tmp_path.iterdir())  # .out.<pid>-..., .busy.<pid>-... sort after
        dead, live = (dead, live) if dead.startswith(".out.") else (live, dead)
        (tmp_path / ".notes.partial").write_text("x")  # not one of ours: kept
        remove_stale_temporaries(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live, ".notes.partial"])
        assert f".{alive.pid}-" in live and f".{writer.pid}-" in dead
    finally:
        alive.kill()
        alive.wait()
