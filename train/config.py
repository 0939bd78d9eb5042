"""`RunConfig`: every option of a training run, parsed and checked once.

The CLI builds it, the loop reads it, and its JSON goes into the run file's root attributes so a
run can be rebuilt (or resumed) from its own file.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields

from errors import ProjectError
from train.digit_choice import Indices, PerClass, parse_choice
from train.runfolder import run_name

MODES = ("variational", "deterministic")
DEVICES = ("auto", "cpu", "cuda")
MAX_UNITS = 65_536  # per hidden layer: a 784 x 65,536 layer is already 51 million weights
MAX_LATENT = 256  # the test-set encodings alone take 10,000 x d floats an epoch
MAX_SEED = 2**32 - 1  # the per-(seed, epoch, purpose) generator seeds stay far below torch's 2^64
MAX_INDEX = 10**9  # tracked indices: any larger is outside every training set, and outside numpy's int range soon after


def parse_arch(text: str) -> tuple[int, ...]:
    """`"784-256-32-8-2"` -> (784, 256, 32, 8, 2); the first size is the 28x28 input, the last the latent size."""
    if not re.fullmatch(r"[0-9]+(-[0-9]+)+", text.strip()):  # ASCII digits: \d would take other scripts' too
        raise ProjectError(f"--arch {text!r}: expected layer sizes joined by '-', like 784-256-32-8-2")
    sizes = tuple(int(part) for part in text.strip().split("-"))
    if text != "-".join(map(str, sizes)):  # the name of every run folder: one spelling for one net
        raise ProjectError(f"--arch {text!r}: write it as {'-'.join(map(str, sizes))}")
    if sizes[0] != 784:
        raise ProjectError(f"--arch {text!r}: the first layer must be 784 (28x28 pixels), not {sizes[0]}")
    if min(sizes) < 1:
        raise ProjectError(f"--arch {text!r}: every layer needs at least one unit")
    if max(sizes[1:-1], default=0) > MAX_UNITS:
        raise ProjectError(f"--arch {text!r}: at most {MAX_UNITS:,} units a hidden layer")
    if sizes[-1] > MAX_LATENT:
        raise ProjectError(f"--arch {text!r}: the latent size (the last number) can be at most {MAX_LATENT}")
    return sizes


def parameter_count(sizes: tuple[int, ...]) -> int:
    """Weights and biases of the VAE of `sizes` (train/model.py): the encoder's dense layers, the
    two heads (mean and log-variance) on its last hidden layer, and the decoder, its mirror."""
    *body, latent = sizes
    encoder = sum(a * b + b for a, b in zip(body, body[1:]))
    decoder = sum(a * b + b for a, b in zip([latent, *reversed(body)], [*reversed(body)]))
    return encoder + body[-1] * 2 * latent + 2 * latent + decoder


def training_bytes(sizes: tuple[int, ...], batch_size: int = 100) -> int:
    """About what training the net takes in memory: float32 weights, their gradients and Adam's two
    moments (4 copies), plus a batch's activations forward and backward."""
    return 16 * parameter_count(sizes) + 8 * min(batch_size, 60_000) * 2 * sum(sizes)  # no batch is larger than the training set


def check_fits_memory(sizes: tuple[int, ...], batch_size: int, available: int, where: str) -> None:
    """Refuse a net that cannot be trained in `available` bytes before a byte of it is allocated
    (torch would take the machine's memory first, then fail or be killed)."""
    needed = training_bytes(sizes, batch_size)
    if needed > available:
        arch = "-".join(map(str, sizes))
        raise ProjectError(f"--arch {arch}: training it needs about {needed / 2**30:,.1f} GiB ({parameter_count(sizes):,} weights), "
                           f"more than {where}'s {available / 2**30:,.1f} GiB; choose smaller layers")


def parse_track(text: str) -> PerClass | Indices:
    """Which training digits to follow: `6-per-class`, `1-per-class`, or `indices:12,345,...`."""
    text = text.strip()
    choice = parse_choice(text, "--track")
    if isinstance(choice, PerClass):
        return choice
    if isinstance(choice, Indices):
        indices = choice.indices
        if max(indices) > MAX_INDEX:
            raise ProjectError(f"--track {text!r}: index {max(indices)} is outside the training set")
        if len(set(indices)) != len(indices):
            raise ProjectError(f"--track {text!r}: an index is listed twice")
        return choice
    raise ProjectError(f"--track {text!r}: expected N-per-class (e.g. 6-per-class) or indices:12,345,...")


def _check_types(config: "RunConfig") -> None:
    """Each option of the type it is: configs also come from TOML files and plans, where `epochs =
    "ten"` would fail deep inside training and `batch-size = true` would train at batch size 1."""
    for name in ("epochs", "batch_size", "seed", "snapshot_every"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProjectError(f"--{name.replace('_', '-')} {value!r}: a whole number, not {type(value).__name__}")
    if isinstance(config.lr, bool) or not isinstance(config.lr, (int, float)):
        raise ProjectError(f"--lr {config.lr!r}: a number, not {type(config.lr).__name__}")
    for name in ("arch", "mode", "device", "track", "tag"):
        value = getattr(config, name)
        if not isinstance(value, str):
            raise ProjectError(f"--{name} {value!r}: text, not {type(value).__name__}")
    if not isinstance(config.extra, dict):
        raise ProjectError(f"the config's provenance is a {type(config.extra).__name__}, not a table")


@dataclass(frozen=True)
class RunConfig:
    arch: str = "784-256-2"  # dense layer sizes, input first, latent last
    mode: str = "variational"  # "variational" samples z; "deterministic" uses z = mean
    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-3  # Adam
    seed: int = 0  # weights, shuffling, sampling noise and tracked digits all derive from it
    device: str = "auto"  # auto picks cuda when available
    track: str = "6-per-class"
    tag: str = ""  # optional suffix of the run directory name
    snapshot_every: int = 0  # save the decoder's weights every K batches (0: never); see train/snapshots.py
    extra: dict = field(default_factory=dict, compare=False)  # provenance: versions, start time, data source

    def __post_init__(self) -> None:
        _check_types(self)
        parse_arch(self.arch)
        parse_track(self.track)
        if self.mode not in MODES:
            raise ProjectError(f"--mode {self.mode!r}: choose one of {', '.join(MODES)}")
        if self.device not in DEVICES:
            raise ProjectError(f"--device {self.device!r}: choose one of {', '.join(DEVICES)}")
        if self.epochs < 1 or self.batch_size < 1 or not (self.lr > 0 and math.isfinite(self.lr)):
            raise ProjectError("--epochs and --batch-size must be >= 1 and --lr a finite number > 0")
        if not 0 <= self.seed <= MAX_SEED:
            raise ProjectError(f"--seed {self.seed}: choose between 0 and {MAX_SEED}")
        if isinstance(self.snapshot_every, bool) or not isinstance(self.snapshot_every, int) or not 0 <= self.snapshot_every <= MAX_INDEX:
            raise ProjectError(f"--snapshot-every {self.snapshot_every!r}: give a number of batches >= 1 (or 0 for none)")
        if self.tag and not re.fullmatch(r"[A-Za-z0-9_.-]+", self.tag):
            raise ProjectError(f"--tag {self.tag!r}: use letters, digits, '.', '_' or '-'")

    @classmethod
    def from_saved(cls, saved: dict) -> "RunConfig":
        """The config a run file holds; keys this version does not know are left out, and keys an
        early or hand-made file lacks take their defaults."""
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{key: value for key, value in saved.items() if key in known})
        except (TypeError, AttributeError, ValueError) as exc:  # a value of the wrong type
            raise ProjectError(f"a value of the wrong type ({exc})") from None

    @property
    def variational(self) -> bool:
        """Whether z is sampled (and so the variance head trained)."""
        return self.mode == "variational"

    @property
    def layers(self) -> tuple[int, ...]:
        return parse_arch(self.arch)

    @property
    def latent_dim(self) -> int:
        return self.layers[-1]

    @property
    def run_name(self) -> str:
        return run_name(self.arch, self.mode, self.seed, self.tag)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
