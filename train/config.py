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
ACTIVATIONS = ("relu", "leaky-relu", "elu")  # between the dense layers; train/model.py builds them
INITS = ("default", "glorot")  # PyTorch's own, or Glorot uniform with zero biases (Keras's)
LOSS_PRECISIONS = ("exact", "fast")  # the recorded reconstruction: PyTorch's BCE, or train/fast_loss.py's (same training)
MATMUL_PRECISIONS = ("fp32", "bf16")  # the training step's large matrix products: float32, or bfloat16 (another run; train/dense_step.py)
BF16_MIN_WIDTH = 64  # bf16 products for the dense layers at least this wide in and out (train/dense_step.py)
MAX_UNITS = 65_536  # per hidden layer: a 784 x 65,536 layer is already 51 million weights
MAX_LATENT = 256  # the test-set encodings alone take 10,000 x d floats an epoch
MAX_SEED = 2**32 - 1  # the per-(seed, epoch, purpose) generator seeds stay far below torch's 2^64
MAX_INDEX = 10**9  # tracked indices: any larger is outside every training set, and outside numpy's int range soon after
# Ceilings far above any useful value, so that a value beyond float32 (1e39) is one line, not a
# torch overflow after the run folder is made: an image's whole KL is a few hundred nats (free bits),
# a weight of 1e6 already drowns the reconstruction (beta), and --lr 1e6 already diverges at once.
MAX_NUMBERS = {"lr": 1e6, "beta": 1e6, "free_bits": 1e4}


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
    for name in ("lr", "beta", "free_bits"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProjectError(f"--{name.replace('_', '-')} {value!r}: a number, not {type(value).__name__}")
    if isinstance(config.kl_warmup, bool) or not isinstance(config.kl_warmup, int):
        raise ProjectError(f"--kl-warmup {config.kl_warmup!r}: a whole number of epochs, not {type(config.kl_warmup).__name__}")
    for name in ("arch", "mode", "device", "track", "tag", "activation", "init", "loss_precision", "matmul_precision"):
        value = getattr(config, name)
        if not isinstance(value, str):
            raise ProjectError(f"--{name.replace('_', '-')} {value!r}: text, not {type(value).__name__}")
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
    # What training optimises and the net it starts from (train/model.py: `Objective`, `VAE`). The run
    # file's losses stay the true negative ELBO whatever these are, so runs compare.
    beta: float = 1.0  # weight of the penalty (the KL term) in the objective
    kl_warmup: int = 0  # epochs over which that weight rises linearly from 0 to beta, step by step
    free_bits: float = 0.0  # nats per latent variable: its batch-mean KL counts as at least this much
    activation: str = "relu"  # one of ACTIVATIONS
    init: str = "default"  # one of INITS
    # How the recorded reconstruction is computed: "fast" (from the sigmoid its gradient needs) trains the
    # same weights and codes as "exact" (PyTorch's BCE) and records a reconstruction within ~1e-6 of
    # it, a step ~0.7 ms sooner (train/fast_loss.py). Runs from before the option recorded "exact".
    loss_precision: str = "fast"  # one of LOSS_PRECISIONS
    # The training step's large matrix products: "fp32", or "bf16" (bfloat16 operands, float32 weights,
    # optimizer, tracking and test pass; an epoch in ~3/4 of the time where the CPU multiplies bfloat16 natively). Unlike
    # the loss's precision, bf16 trains other weights: another run. Runs from before the option are fp32.
    matmul_precision: str = "fp32"  # one of MATMUL_PRECISIONS
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
        for name in ("beta", "free_bits"):
            if not (getattr(self, name) >= 0 and math.isfinite(getattr(self, name))):
                raise ProjectError(f"--{name.replace('_', '-')} {getattr(self, name)!r}: a finite number >= 0")
            object.__setattr__(self, name, float(getattr(self, name)) + 0.0)  # 1 from a TOML file is 1.0, -0.0 is 0.0: one name, one JSON
        for name, ceiling in MAX_NUMBERS.items():
            if getattr(self, name) > ceiling:
                raise ProjectError(f"--{name.replace('_', '-')} {getattr(self, name)!r}: at most {ceiling:,.0f} "
                                   f"(far beyond any useful value; larger ones overflow the float32 training)")
        if not 0 <= self.kl_warmup <= MAX_INDEX:
            raise ProjectError(f"--kl-warmup {self.kl_warmup}: a whole number of epochs >= 0")
        if self.activation not in ACTIVATIONS:
            raise ProjectError(f"--activation {self.activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise ProjectError(f"--init {self.init!r}: choose one of {', '.join(INITS)}")
        if self.loss_precision not in LOSS_PRECISIONS:
            raise ProjectError(f"--loss-precision {self.loss_precision!r}: choose one of {', '.join(LOSS_PRECISIONS)}")
        if self.matmul_precision not in MATMUL_PRECISIONS:
            raise ProjectError(f"--matmul-precision {self.matmul_precision!r}: choose one of {', '.join(MATMUL_PRECISIONS)}")
        if self.matmul_precision == "bf16" and not wide_layers(self.layers):
            raise ProjectError(f"--matmul-precision bf16: no layer of {self.arch} is {BF16_MIN_WIDTH} wide in and out, so every product "
                               "would stay fp32; train this net with fp32")

    @classmethod
    def from_saved(cls, saved: dict) -> "RunConfig":
        """The config a run file holds; keys this version does not know are left out, and keys an
        early or hand-made file lacks take their defaults, but the loss's precision: a file without
        it is from before the option, when PyTorch's BCE ("exact") was the only one."""
        known = {f.name for f in fields(cls)}
        if isinstance(saved, dict):
            saved = {"loss_precision": "exact", **saved}
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
    def training_options(self) -> dict:
        """The options of TRAINING_OPTIONS that differ from their defaults (none: the lecture's training)."""
        return {name: getattr(self, name) for name in TRAINING_OPTIONS if getattr(self, name) != _DEFAULTS[name]}

    @property
    def options_label(self) -> str:
        """Those options in words, for titles, `info` and the report: "beta 0.5 · KL warm-up 2 epochs"; "" for the defaults.
        bfloat16 products are named too ("bf16 products"): not in a sweep member's name (a sweep holds one precision), but another run all the same."""
        words = [_LABELS[name](value) for name, value in self.training_options.items()]
        return " · ".join(words + [f"{self.matmul_precision} products"] * (self.matmul_precision != "fp32"))

    def options_note(self, separator: str = " · ") -> str:
        """`options_label` after `separator`, for a title that names arch and mode; "" for the defaults."""
        return f"{separator}{self.options_label}" if self.options_label else ""

    @property
    def run_name(self) -> str:
        return run_name(self.arch, self.mode, self.seed, self.tag, options=self._options_part())

    def _options_part(self) -> str:
        return "-".join(option_name_part(name, value) for name, value in self.training_options.items())

    @property
    def folder_name(self) -> str:
        """`train`'s folder for the run under RUNS_DIR: its name, with "bf16" among its options when its
        products were bfloat16, so that `train --matmul-precision bf16` never meets the fp32 run of the
        same options in one folder. A sweep's members keep `run_name`: a sweep holds one precision."""
        if self.matmul_precision == "fp32":
            return self.run_name
        options = "-".join(part for part in (self._options_part(), self.matmul_precision) if part)
        return run_name(self.arch, self.mode, self.seed, self.tag, options=options)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def wide_layers(layers: tuple[int, ...]) -> list[tuple[int, int]]:
    """The (inputs, outputs) of the dense layers whose products `--matmul-precision bf16` takes in bfloat16:
    those at least BF16_MIN_WIDTH wide both ways, of the encoder, its heads (mean and log-variance) and the decoder."""
    encoder = list(zip(layers[:-2], layers[1:-1]))
    heads = [(layers[-2], 2 * layers[-1])]
    decoder = [(fan_out, fan_in) for fan_in, fan_out in zip(layers[:-1], layers[1:])]
    return [pair for pair in encoder + heads + decoder if is_wide(*pair)]


def is_wide(fan_in: int, fan_out: int) -> bool:
    """Whether `--matmul-precision bf16` multiplies a dense layer of this size in bfloat16."""
    return min(fan_in, fan_out) >= BF16_MIN_WIDTH


TRAINING_OPTIONS = ("beta", "kl_warmup", "free_bits", "activation", "init")  # what a run optimises and starts from
_DEFAULTS = {name: next(f.default for f in fields(RunConfig) if f.name == name) for name in TRAINING_OPTIONS}


def _number(value: float) -> str:
    """The shortest text that reads back as `value` (0.5, 2, 1e-05): two values never share a name."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


# How a non-default option shows in a run's name (`-b0.5`) and in words.
_NAME_PARTS = {"beta": lambda value: f"b{_number(value)}", "kl_warmup": lambda value: f"w{value}",
               "free_bits": lambda value: f"fb{_number(value)}", "activation": str, "init": str}
_LABELS = {"beta": lambda value: f"beta {_number(value)}", "kl_warmup": lambda value: f"KL warm-up {value} epoch{'s' * (value != 1)}",
           "free_bits": lambda value: f"free bits {_number(value)} nats", "activation": str, "init": lambda value: f"{value} init"}


# The first word of each name part above (and "bf16", train's folder_name): a tag that begins with one could
# name a run of other options: `--tag glorot` would be the folder of `--init glorot`.
_OPTION_WORD = re.compile(r"(f?b[0-9][0-9.e+]*|w[0-9]+|leaky|elu|glorot|bf16)", re.IGNORECASE)  # case too: macOS's disks fold it


def check_new_tag(tag: str) -> None:
    """Refuses, for a new run, a `--tag` whose first word reads as a training option in the run's folder
    name (runs tagged so before are read and resumed as ever)."""
    first = tag.split("-")[0]
    if tag and _OPTION_WORD.fullmatch(first):
        raise ProjectError(f"--tag {tag}: its first word {first!r} reads as a training option in the run's name, where it "
                           "could name another run's folder; put another word first")


def option_name_part(name: str, value) -> str:
    """How a training option's `value` shows in a run's name: b0.5, w2, fb0.25, leaky-relu, glorot."""
    return _NAME_PARTS[name](value)
