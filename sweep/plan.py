"""What a sweep is: the product of its lists, named, saved beside its members, and checked against
what is already on disk.

A member is an ordinary run (a `RunConfig`) in `<sweep>/<run name>/`. The plan file (`plan.json`)
lists every member ever planned in that folder, so running the command again knows which members
are finished, which to resume, and which a changed plan would contradict.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from atomic import read_small_text, updating, write_text_atomically
from errors import ProjectError, check_name, make_folder, printable
from owners import PLAN_FILE, guard_out, home
from train.config import MAX_SEED, TRAINING_OPTIONS, RunConfig, check_fits_memory, option_name_part
from train.runfile import RunFile
from train.runfolder import RunFolder

SWEEPS_DIR = home("sweep")
MAX_MEMBERS = 1000  # a night of 784-256-2 runs on a big cluster; a typo like 0-1000000 is refused before it is built
MAX_CONFIG_BYTES = 1 << 20  # a sweep's TOML file is a few lines; /dev/zero is not one
LIST_OPTIONS = ("arch", "mode", "seeds", *TRAINING_OPTIONS)  # the options that take lists; the others hold one value for all members
SCALAR_OPTIONS = ("epochs", "batch_size", "lr", "device", "track", "loss_precision", "matmul_precision")
NUMBER_LISTS = {"beta": float, "kl_warmup": int, "free_bits": float}  # training options whose lists hold numbers (the others: names)


def parse_seeds(text: str) -> list[int]:
    """`0-4`, `3` or `0,2,7` -> the seeds, in order."""
    if isinstance(text, bool) or not isinstance(text, (str, int, list)):
        raise ProjectError(f"--seeds {text!r}: use a range like 0-4, or seeds like 0,2,7")
    parts = [str(part) for part in text] if isinstance(text, list) else str(text).split(",")
    seeds: dict[int, None] = {}
    for part in parts:
        match = re.fullmatch(r"\s*([0-9]{1,12})\s*(?:-\s*([0-9]{1,12})\s*)?", part)
        if not match:
            raise ProjectError(f"--seeds {printable(text)!r}: use a range like 0-4, or seeds like 0,2,7")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise ProjectError(f"--seeds {printable(text)}: the range {first}-{last} runs backwards; did you mean {last}-{first}?")
        if last > MAX_SEED:
            raise ProjectError(f"--seeds {printable(text)}: seeds go from 0 to {MAX_SEED}")
        if len(seeds) + (last - first + 1) > MAX_MEMBERS:  # counted before the list is built
            raise ProjectError(f"--seeds {printable(text)}: at most {MAX_MEMBERS} seeds a sweep")
        seeds.update(dict.fromkeys(range(first, last + 1)))
    return list(seeds)


def _listed(value) -> list[str]:
    """A TOML list or a comma-separated string -> its items."""
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def parse_option_list(name: str, value) -> tuple:
    """A training option's values: `--beta 0.5,1`, or in TOML `beta = [0.5, 1]` or `beta = 0.5`, typed
    as `train` takes them (numbers for beta, kl-warmup, free-bits; names for activation, init).
    Their ranges are checked where every member is built."""
    flag = f"--{name.replace('_', '-')}"
    kind = NUMBER_LISTS.get(name, str)
    items = value if isinstance(value, list) else value.split(",") if isinstance(value, str) else [value]
    values = []
    for item in items:
        if isinstance(item, str) and item.strip() and kind is not str:
            try:
                item = kind(item.strip())
            except ValueError:
                item = None
        elif isinstance(item, str):
            item = item.strip() or None
        wrong = item is None or isinstance(item, bool) or not isinstance(item, (int, float) if kind is float else kind)
        if wrong:
            what = {float: "numbers", int: "whole numbers", str: "names"}[kind]
            raise ProjectError(f"{flag} {printable(value)!r}: {what}, comma-separated (like {'0.5,1' if kind is float else '0,2' if kind is int else 'relu,elu'})")
        values.append(item)
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class SweepSpec:
    """The lists and shared options, before they are multiplied out. `groups` pairs architectures
    with modes: each group is multiplied out on its own (the lecture compares the two modes only
    for some nets), and every member takes every seed."""

    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # ((archs, modes), ...)
    seeds: tuple[int, ...]
    options: dict  # epochs, batch_size, lr, device, track: one value for every member
    name: str | None = None
    variants: tuple[tuple[str, tuple], ...] = ()  # ((training option, its values), ...): they multiply like arch and mode
    group_variants: tuple[tuple[tuple[str, tuple], ...], ...] = ()  # per group (or none): its own training options, over `variants`

    @property
    def archs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(arch for archs, _ in self.groups for arch in archs))

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(mode for _, modes in self.groups for mode in modes))

    def _variants_of(self, group: int) -> tuple[tuple[str, tuple], ...]:
        """The training options a group multiplies out: the sweep's, each replaced by the group's own
        (a [[group]] with `kl_warmup = 3`: one remedy beside the others, not their product)."""
        own = dict(self.group_variants[group]) if group < len(self.group_variants) else {}
        return tuple((name, values) for name, values in self.variants if name not in own) + tuple(own.items())

    def members(self) -> list[RunConfig]:
        """The product of the lists, group by group, each checked as `train` checks its options."""
        products = [list(itertools.product(*(values for _, values in self._variants_of(group)))) for group in range(len(self.groups))]
        count = sum(len(archs) * len(modes) * len(products[group]) for group, (archs, modes) in enumerate(self.groups)) * len(self.seeds)
        if count > MAX_MEMBERS:  # refused before a single config is built
            raise ProjectError(f"the sweep would have {count:,} members; at most {MAX_MEMBERS} a sweep (split it into several)")
        configs = [RunConfig(arch=arch, mode=mode, seed=seed, **self.options,
                             **dict(zip([name for name, _ in self._variants_of(group)], combination)))
                   for group, (archs, modes) in enumerate(self.groups) for arch, mode in itertools.product(archs, modes)
                   for combination in products[group] for seed in self.seeds]
        return list({config.run_name: config for config in configs}.values())

    def default_name(self) -> str:
        seeds = f"{self.seeds[0]}-{self.seeds[-1]}" if list(self.seeds) == list(range(self.seeds[0], self.seeds[-1] + 1)) \
            else ",".join(map(str, self.seeds))
        varied = "".join("_" + "+".join(option_name_part(name, value) for value in values)
                         for name, values in self.variants if values != (getattr(RunConfig, name),))  # as the members' names say them
        precision = "_bf16" if self.options.get("matmul_precision") == "bf16" else ""  # other runs than fp32's: another folder
        return f"{'+'.join(self.archs)}_{'+'.join(self.modes)}{varied}{precision}_s{seeds}_e{self.options.get('epochs', 10)}"


def spec_from(groups: list[tuple], seeds, options: dict, name: str | None = None) -> SweepSpec:
    """Lists from the command line or a config file ((archs, modes) pairs, each a list or a
    comma-separated string, or (archs, modes, the group's own training options)), checked: every
    member is built once here."""
    if name is not None:
        check_name(name, "--name")
    own = tuple(tuple((key, parse_option_list(key, group[2][key])) for key in TRAINING_OPTIONS if key in group[2])
                if len(group) > 2 else () for group in groups)
    groups = [group[:2] for group in groups]
    for archs, modes in groups:
        for value, option in ((archs, "--arch"), (modes, "--mode")):
            if value is not None and not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                raise ProjectError(f"{option} {value!r}: names, as text or a list of text")
    variants = tuple((key, parse_option_list(key, options[key])) for key in TRAINING_OPTIONS if options.get(key) is not None)
    shared = {key: value for key, value in options.items() if value is not None and key not in TRAINING_OPTIONS}
    spec = SweepSpec(groups=tuple((tuple(_listed(archs)), tuple(_listed(modes))) for archs, modes in groups),
                     seeds=tuple(parse_seeds(seeds)), options=shared, name=name, variants=variants, group_variants=own if any(own) else ())
    if not (spec.groups and all(archs and modes for archs, modes in spec.groups) and spec.seeds
            and all(values for _, values in variants + tuple(pair for group in own for pair in group))):
        raise ProjectError("a sweep needs at least one --arch, --mode and seed (and a value for each list it is given)")
    members = spec.members()  # a bad architecture or mode in any list: one line now, nothing trained
    for config in members:
        check_name(config.run_name, "member")  # one folder name each (a very long --arch would not be)
    from train.launch import machine_memory

    for config in {config.arch: config for config in members}.values():  # before a worker allocates it
        check_fits_memory(config.layers, config.batch_size, machine_memory(), "this machine")
    return spec


def spec_from_options(arch: str | None, mode: str | None, seeds: str | None, options: dict, config_file: Path | None = None,
                      name: str | None = None) -> SweepSpec:
    """`sweep`'s options over a --config file's: a list given on the command line replaces it in
    every group of the file; so does any shared option."""
    given = read_config(config_file) if config_file else {}
    groups = config_groups(given)
    if arch is not None or mode is not None:
        groups = [(arch if arch is not None else group[0], mode if mode is not None else group[1], *group[2:]) for group in groups or [(arch, mode)]]
    given_here = {key for key in TRAINING_OPTIONS if options.get(key) is not None}  # an option on the command line replaces the groups' own
    groups = [(*group[:2], {key: value for key, value in group[2].items() if key not in given_here}) if len(group) > 2 else group for group in groups]
    missing = [f"--{key}" for key, present in (("arch", groups and all(group[0] is not None for group in groups)),
                                               ("mode", groups and all(group[1] is not None for group in groups)),
                                               ("seeds", seeds is not None or "seeds" in given)) if not present]
    if missing:
        raise ProjectError(f"sweep needs {', '.join(missing)} (or a --config file that gives them)")
    options = {key: value if value is not None else given.get(key) for key, value in options.items()}
    return spec_from(groups, seeds if seeds is not None else given["seeds"], options, name=name if name is not None else given.get("name"))


def config_groups(given: dict) -> list[tuple]:
    """A config file's (archs, modes) groups: its [[group]] tables, or its top-level arch and mode; a
    group with training options of its own is (archs, modes, those options)."""
    if "group" in given:
        return [(group.get("arch", given.get("arch")), group.get("mode", given.get("mode")),
                 *([{key: value for key, value in group.items() if key in TRAINING_OPTIONS}] if set(group) - {"arch", "mode"} else []))
                for group in given["group"]]
    return [(given.get("arch"), given.get("mode"))] if given.get("arch") is not None and given.get("mode") is not None else []


def read_config(path: Path) -> dict:
    """A sweep's TOML file: its `arch`, `mode`, `seeds` lists, shared options and `name`."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    data = _parse_toml(path, tomllib)
    spelled = {name.replace("_", "-"): name for name in (*SCALAR_OPTIONS, *LIST_OPTIONS) if "_" in name}  # batch-size, kl-warmup, free-bits, ...
    known = {*LIST_OPTIONS, *SCALAR_OPTIONS, *spelled, "name", "group"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ProjectError(f"--config {path}: unknown key{'s' * (len(unknown) > 1)} {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for spelling, name in spelled.items():
        if spelling in data:
            data[name] = data.pop(spelling)
    if "name" in data:
        check_name(data["name"], f"--config {path}: name")
    for key in ("epochs", "batch_size"):  # the other options are checked by type where every member is built
        if key in data and (isinstance(data[key], bool) or not isinstance(data[key], int)):
            raise ProjectError(f"--config {path}: {key.replace('_', '-')} = {data[key]!r} is not a whole number")
    if "lr" in data and (isinstance(data["lr"], bool) or not isinstance(data["lr"], (int, float))):
        raise ProjectError(f"--config {path}: lr = {data['lr']!r} is not a number")
    for key in ("track", "device", "loss_precision", "matmul_precision"):
        if key in data and not isinstance(data[key], str):
            raise ProjectError(f"--config {path}: {key} = {data[key]!r} is not text")
    groups = data.get("group", [])
    in_group = {"arch", "mode", *TRAINING_OPTIONS}
    if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
        raise ProjectError(f"--config {path}: each [[group]] holds an arch list, a mode list and training options of its own, nothing else")
    for group in groups:
        for spelling, name in spelled.items():
            if spelling in group:
                group[name] = group.pop(spelling)
        if not set(group) <= in_group:
            raise ProjectError(f"--config {path}: each [[group]] holds an arch list, a mode list and training options of its own "
                               f"({', '.join(TRAINING_OPTIONS)}), nothing else")
    return data


def _parse_toml(path: Path, tomllib) -> dict:
    """The file's TOML, read only if it is a regular file of a config's size: a FIFO would block for
    ever, /dev/zero would fill the memory."""
    try:
        text = read_small_text(path, MAX_CONFIG_BYTES, "sweep config (a TOML file)")
    except ProjectError as exc:
        raise ProjectError(f"--config {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"--config {path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ProjectError(f"--config {path}: not a sweep config (nested too deep)") from None


@dataclass(frozen=True)
class Plan:
    """The members of a sweep folder, by run name."""

    folder: Path
    members: dict[str, RunConfig]

    def path_of(self, name: str) -> Path:
        return self.folder / name


# Options that do not make another run: where it trains, and how precisely its loss is recorded (the
# same weights either way, train/fast_loss.py). A member keeps the precision it started with.
_NOT_THE_RUN = ("extra", "device", "loss_precision")


def _comparable(config: RunConfig) -> dict:
    """What makes two members the same run: every option but the device, the loss's precision and provenance."""
    return {key: value for key, value in asdict(config).items() if key not in _NOT_THE_RUN}


def same_options(a: RunConfig, b: RunConfig) -> bool:
    """Whether two configs are the same run (every option but the device, the loss's precision and provenance)."""
    return _comparable(a) == _comparable(b)


def load_plan(folder: Path) -> dict[str, RunConfig]:
    """The members a folder's plan lists, by run name. A name is the run name of its config, one
    folder inside the sweep: a crafted plan cannot point a report or a summary anywhere else."""
    path = folder / PLAN_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    text = read_small_text(path, MAX_CONFIG_BYTES, "sweep plan")  # a plan of 1,000 members is about 250 kB
    try:
        saved = json.loads(text)
        if len(saved["members"]) > MAX_MEMBERS:
            raise ValueError(f"{len(saved['members']):,} members, more than the {MAX_MEMBERS} a sweep may have")
        members = {}
        for name, config in saved["members"].items():
            check_name(name, "member")
            members[name] = RunConfig.from_saved(config)
            if members[name].run_name != name:
                raise ValueError(f"member {printable(name)!r} holds the config of {members[name].run_name}")
        return members
    except RecursionError:
        raise ProjectError(f"{path}: not a sweep plan this program wrote (nested too deep)") from None
    except (ValueError, KeyError, TypeError, AttributeError, ProjectError, OSError) as exc:
        raise ProjectError(f"{path}: not a sweep plan this program wrote ({printable(exc)})") from None


OVERWRITE_HINT = "use --overwrite to train them again, or --name for a new sweep"


def merge(folder: Path, spec: SweepSpec, overwrite: bool, hint: str = OVERWRITE_HINT) -> tuple[Plan, list[str], set[str]]:
    """The plan of `folder` after adding `spec`'s members (saved), the names of the members this
    command runs, and those of them that change an existing member (refused, unless `overwrite`).

    Reading the plan, adding to it and writing it back happen under the folder's lock: two sweeps
    started at once in one folder each add their members, and neither loses the other's."""
    guard_out(folder, "sweep")
    make_folder(folder, "sweep folder")
    with updating(folder):
        return _merge_locked(folder, spec, overwrite, hint)


def _merge_locked(folder: Path, spec: SweepSpec, overwrite: bool, hint: str) -> tuple[Plan, list[str], set[str]]:
    planned = load_plan(folder)
    wanted = {config.run_name: config for config in spec.members()}
    if len(planned.keys() | wanted.keys()) > MAX_MEMBERS:
        raise ProjectError(f"{folder}: with these, the sweep would have {len(planned.keys() | wanted.keys()):,} members; at most "
                           f"{MAX_MEMBERS} a sweep (start another with --name)")
    changed = []
    for name, config in wanted.items():
        before = planned.get(name)
        on_disk = _config_on_disk(folder / name)
        for other in (before, on_disk):
            if other is not None and _comparable(other) != _comparable(config):
                changed.append((name, other, config))
                break
        else:  # the same run: one begun goes on recording its loss as it started (a run file of one precision)
            if on_disk is not None:
                wanted[name] = replace(config, loss_precision=on_disk.loss_precision)
    if changed and not overwrite:
        name, before, after = changed[0]
        differ = [f"--{key.replace('_', '-')} {after_value} (was {_comparable(before)[key]})"
                  for key, after_value in _comparable(after).items() if _comparable(before)[key] != after_value]
        more = f" and {len(changed) - 1} more member{'s' * (len(changed) > 2)}" if len(changed) > 1 else ""
        raise ProjectError(f"{folder}: member {name}{more} would change: {', '.join(differ)}; {hint}")
    members = {**planned, **wanted}
    precisions = sorted({config.matmul_precision for config in members.values()})
    if len(precisions) > 1:  # its summary, report and page would pool runs of two kinds
        kept = sorted({config.matmul_precision for name, config in planned.items() if name not in wanted} or precisions)
        asked = sorted({config.matmul_precision for config in wanted.values()})
        raise ProjectError(f"{folder}: its members were trained with {' and '.join(kept)} products, these would be {' and '.join(asked)}; "
                           f"a sweep holds one matmul precision: give --name or --out for another")
    record = {"members": {name: _comparable(config) | {"device": config.device, "loss_precision": config.loss_precision}
                          for name, config in members.items()}}
    write_text_atomically(folder / PLAN_FILE, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return Plan(folder, members), list(wanted), {name for name, _, _ in changed}


def _config_on_disk(run_dir: Path) -> RunConfig | None:
    if not RunFolder(run_dir).run_file.exists():
        return None
    try:
        with RunFile(run_dir) as run:
            return run.config
    except ProjectError:
        return None  # damaged: the member is trained again, by the rules of --overwrite


def member_state(run_dir: Path, config: RunConfig) -> str:
    """"finished", "resume" (a run file with fewer epochs), "new", "unreadable" (a run file this
    program cannot read: damaged, or from a newer version; it is never replaced but by --overwrite),
    or "linked" (the member's folder is a link to one elsewhere: never trained or replaced here)."""
    if run_dir.is_symlink():
        return "linked"
    run_file = RunFolder(run_dir).run_file
    if not run_file.exists() and not run_file.is_symlink():
        return "new"
    try:
        with RunFile(run_dir) as run:
            return "finished" if run.epochs_done >= config.epochs else "resume"
    except ProjectError:
        return "unreadable"


def unreadable_reason(run_dir: Path) -> str:
    """Why a member's run file cannot be read, in RunFile's words."""
    if run_dir.is_symlink():
        return f"{run_dir} is a link to a folder elsewhere; a sweep trains and replaces only folders of its own"
    try:
        with RunFile(run_dir):
            return ""
    except ProjectError as exc:
        return str(exc)
