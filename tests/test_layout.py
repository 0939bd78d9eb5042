"""How the code is held together: the run-file schema and the run folder each spelled in one module,
and one set of video options that behaves the same on every video command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT, cli

VIDEO_COMMANDS = [["render", "trajectories"], ["render", "scatter3d"], ["render", "slices", "--video"]]
VIDEO_OPTIONS = ["--size", "--fps", "--crf", "--preset", "--format", "--theme", "--out", "--quiet", "--duration"]


def modules_but(*owners: str):
    """(path from the root, text) of each module of the project but the `owners`; tests are left out,
    as they may spell what they check independently (or damage on purpose)."""
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in (".venv", "tests", "outputs") and relative not in {Path(owner) for owner in owners}:
            yield relative, path.read_text()


def test_no_module_but_the_run_file_spells_a_dataset_path():
    """Other code reads a run through RunFile's typed readers."""
    spelled = re.compile(r"""["'](trajectory|encodings|epochs|tracked)/""")
    offenders = []
    for relative, text in modules_but("train/runfile.py"):
        offenders += [f"{relative}:{number}" for number, line in enumerate(text.splitlines(), 1) if spelled.search(line)]
    assert offenders == []


def test_no_module_but_the_run_folder_spells_a_file_of_a_run():
    """Other code asks train/runfolder.py for the run file, checkpoints, resume state, snapshots,
    videos and figures of a run, and for a run's name (owners.py names the run file, which is what makes
    a folder a run's, and runfolder takes it from there). Only code counts: docstrings may name the
    files, and so may help texts (a string that only mentions `<run>/videos/...` is not a path)."""
    path_part = re.compile(r"(.*/)?(run\.h5|checkpoints|videos|figures)/?")  # the whole string: "videos", "*/run.h5"
    inside = re.compile(r"model-e|resume\.pt|decoder-e")
    run_name = re.compile(r"\}-s\{")  # f"{arch}-{mode}-s{seed}"
    offenders = []
    for relative, text in modules_but("train/runfolder.py", "owners.py"):
        tree = ast.parse(text)
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node) is not None}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                spelled = path_part.fullmatch(node.value) or inside.search(node.value)
            elif isinstance(node, ast.JoinedStr):
                spelled = run_name.search(ast.unparse(node))
            else:
                continue
            offenders += [f"{relative}:{node.lineno}"] if spelled else []
    assert offenders == []


@pytest.mark.parametrize("command", VIDEO_COMMANDS, ids=lambda command: command[1])
def test_every_video_command_has_the_same_video_options(command):
    text = cli(*command[:2], "--help").output
    assert all(re.search(rf"^\s+{option}\b", text, re.MULTILINE) for option in VIDEO_OPTIONS), text


@pytest.mark.parametrize("args, message", [
    (["--crf", "99"], "--crf 99: choose between 1 and 51 for mp4 (lower is better quality)"),
    (["--crf", "0"], "--crf 0: choose between 1 and 51 for mp4 (lower is better quality)"),  # x264's lossless: not in the High profile
    (["--crf", "64", "--format", "webm"], "--crf 64: choose between 0 and 63 for webm (lower is better quality)"),
    (["--crf", "20", "--format", "gif"], "--crf sets the quality of mp4 and webm; --format gif takes none"),
    (["--fps", "nan"], "--fps nan: choose between 1 and 240"),
    (["--preset", "turbo"], "--preset 'turbo': choose one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow for mp4"),
    (["--preset", "medium", "--format", "webm"], "--preset 'medium': choose one of best, good, fast, fastest for webm"),
    (["--preset", "fast", "--format", "mov"], "--preset sets the encoder speed of mp4 and webm; --format mov takes none"),
    (["--fps", "0"], "--fps 0.0: choose between 1 and 240"),
    (["--format", "avi"], "--format 'avi': choose one of mp4, webm, gif, mov"),
    (["--size", "huge"], "--size 'huge': use 720p, 1080p, 4k or WIDTHxHEIGHT (e.g. 1600x900)"),
    (["--theme", "neon"], "--theme 'neon': choose one of light, dark"),
    (["--duration", "soon"], "--duration 'soon': use seconds like 40s, or 1m30s"),
    (["--duration", "2s", "--seconds", "2"], "--seconds is the old name of --duration; give one of them"),
])
@pytest.mark.parametrize("command", VIDEO_COMMANDS, ids=lambda command: command[1])
def test_a_bad_video_option_is_the_same_line_on_every_video_command(command, args, message, tmp_path):
    """Checked before the run is even looked for: the run given here does not exist."""
    result = cli(*command, "--run", str(tmp_path / "no-run"), *args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines()[-1] == f"Error: {message}"


def test_the_video_views_without_a_decoder_do_not_load_torch():
    """torch costs ~470 MiB of memory to import; trajectories and scatter3d never decode, so a render
    of them must not pay it (it once did, through a module-level import of the checkpoint loader)."""
    code = "import sys, cli, render.views.trajectories, render.views.scatter3d; print('torch' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"


@pytest.mark.parametrize("args, code, message", [  # 2: click refuses the value as it parses it; 1: the project's check does
    (["render", "slices", "--range", "nan"], 2, "nan is not a finite number"),
    (["render", "slices", "--range", "inf"], 2, "inf is not in the range 0<x<=100"),
    (["render", "scatter3d", "--seconds", "inf"], 2, "inf is not a finite number"),
    (["render", "trajectories", "--fps", "inf"], 1, "--fps inf: choose between 1 and 240"),
    (["render", "trajectories", "--duration", "99999999s"], 1, "--duration '99999999s': at most an hour"),
])
def test_float_options_of_the_views_refuse_values_that_are_not_finite(args, code, message, tmp_path):
    result = cli(*args, "--run", str(tmp_path / "no-run"))
    assert result.exit_code == code and isinstance(result.exception, SystemExit)
    assert message in result.output.splitlines()[-1]


def test_info_on_a_run_whose_datasets_disagree_is_one_line(tmp_path):
    import h5py

    from helpers import synthetic_run

    path = synthetic_run(tmp_path / "run")
    with h5py.File(path, "a") as handle:
        handle["encodings/mu"].resize(1, axis=0)
    result = cli("info", str(path))
    assert result.exit_code == 1 and result.output.splitlines() == [
        f"Error: {path}: datasets disagree in length: encodings/mu has 1 epochs, epochs/train_loss has 2"]


def test_a_new_command_answers_user_errors_in_one_line_without_a_decorator():
    """The rule lives in the group (cli.Commands), so a command added without `user_errors` gets it too."""
    import click

    from cli import main
    from errors import ProjectError

    @main.command("test-only-refusal")
    @click.option("--size", type=int, default=1)
    def refusal(size):
        raise ProjectError(f"--size {size}: a refusal with \x1b[2J in it")

    try:
        result = cli("test-only-refusal", "--size", "3")
    finally:
        main.commands.pop("test-only-refusal")
    assert result.exit_code == 1 and result.output == "Error: --size 3: a refusal with \\x1b[2J in it\n"


# The rooms of the house, lowest first: a module imports only from its own room or rooms below it.
# The ground (errors, atomic, owners, kept) says what an error is, how a file is written and read back, and where outputs
# go; data and train make runs; science measures them (no drawing, no HTML) and sweep runs many;
# render draws; report pages runs and sweeps; lecture is the product built on all of them; export
# turns what the others wrote into talk formats; cli calls them all.
ROOMS = {"errors": 0, "atomic": 1, "owners": 2, "kept": 2, "data": 2, "train": 3, "science": 4, "sweep": 4, "render": 5,
         "report": 6, "lecture": 7, "export": 8, "cli": 9}


def project_imports() -> dict[str, set[str]]:
    """Each project module ('report.page') -> the project modules it imports, at any depth of the
    code (an import inside a function is an arrow too: it runs when the function does)."""
    graph = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in ROOMS and relative.parts[0].removesuffix(".py") not in ROOMS:
            continue
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}  # a submodule, or a name in the module
        graph[module] = {name for name in found if name.split(".")[0] in ROOMS}
    return {module: {name if name in graph else name.rsplit(".", 1)[0] for name in names} for module, names in graph.items()}


def test_every_import_points_down_the_rooms():
    upward = [f"{module} imports {target}" for module, targets in project_imports().items() for target in targets
              if ROOMS[target.split(".")[0]] > ROOMS[module.split(".")[0]]
              or (ROOMS[target.split(".")[0]] == ROOMS[module.split(".")[0]] and target.split(".")[0] != module.split(".")[0])]
    assert upward == []


def test_science_draws_nothing():
    """What a sentence means in numbers does not depend on how a view draws it."""
    drawn = [f"{module} imports {target}" for module, targets in project_imports().items() if module.startswith("science")
             for target in targets if target.split(".")[0] in ("render", "report", "lecture", "export", "sweep")]
    assert drawn == []


def test_no_module_imports_itself_back():
    """No cycle among modules: a module that needs another's names never lends that one its own."""
    resolved = project_imports()
    modules = set(resolved) | {target for targets in resolved.values() for target in targets}
    cycles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(resolved.get(module, ())):
            if target == module:
                continue
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_lecture_toml_is_the_lecture_s_own_sweep():
    """`sweep --config sweeps/lecture.toml` trains what `lecture` trains: the nets are named once, in
    lecture/nets.py, and the file users read lists the same groups, epochs and tracked digits."""
    from lecture.nets import SWEEP
    from sweep.plan import read_config

    given = read_config(ROOT / "sweeps" / "lecture.toml")
    assert {key: value for key, value in given.items() if key != "seeds"} == SWEEP


def test_one_out_guard():
    """owners.guard_out is the one check of a folder a command fills: no other module words its refusals."""
    spelled = [f"{relative}" for relative, text in modules_but("owners.py") if "is the folder you are in" in text or "a file, not a folder" in text]
    assert spelled == []
