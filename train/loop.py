"""The training loop: one epoch at a time, tracking the chosen digits after every step.

The whole data set lives on the device as one uint8 tensor; batches are index gathers, never
per-item transforms. Tracked codes and batch losses collect in device buffers and reach the
host once per epoch, so tracking costs one tiny forward pass per step and no synchronisation.
Shuffling and sampling noise come from generators seeded by (seed, epoch), which makes a resumed
run step-for-step identical to an uninterrupted one.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from data.mnist import Mnist
from errors import ProjectError, make_folder
from train import checkpoints, runfile
from train.adam_step import AdamStep
from train.config import RunConfig, parse_track
from train.denormals import subnormals_flushed
from train.dense_step import DenseStep
from train.model import VAE, Objective, TrackingPass, loss_terms
from train.runfile import EpochResult, Steps
from train.runfolder import SNAPSHOT_PATTERN, RunFolder
from train.snapshots import SnapshotRecorder, write_snapshots
from train.tracking import select_tracked

EVAL_BATCH = 2000
PROGRESS_EVERY = 25  # steps between progress-bar loss updates (each one syncs the device)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ProjectError("--device cuda: no CUDA device is available to this PyTorch build")
    return torch.device(name)


def check_precision_on(device: torch.device, matmul_precision: str) -> None:
    """bf16 products were measured on CPUs only (BENCHMARKS.md): on a GPU, cuBLAS may also sum them in
    reduced precision, and nothing here has compared such runs with fp32's, so they are refused."""
    if matmul_precision == "bf16" and device.type != "cpu":
        raise ProjectError(f"--matmul-precision bf16 is measured on CPUs only, and this run would train on {device.type}: "
                           "train it in fp32 there, or give --device cpu")


def check_device_here(device: str, matmul_precision: str) -> None:
    """What each run's trainer would refuse of its device on this machine (`--device cuda` without one,
    bf16 products off the CPU): before a local sweep or a lecture plans anything, not member by member."""
    check_precision_on(resolve_device(device), matmul_precision)


def _generator(device: torch.device, seed: int, epoch: int, purpose: int) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(seed * 1_000_003 + epoch * 1_009 + purpose)
    return generator


def _as_pixels(images: torch.Tensor) -> torch.Tensor:
    return images.float().div_(255.0)


@torch.no_grad()
def encode_tracked(model: VAE, pixels: torch.Tensor) -> torch.Tensor:
    """[mu | logvar] of the tracked digits now, as every step's `TrackingPass` encodes them: step 0
    the same way as the rest (its first layer sums the digits' ink rows, whose rounding, unlike that
    of MKL's product of a few rows, does not change with torch's threads)."""
    codes = torch.empty(1, len(pixels), model.heads.out_features, device=pixels.device)
    TrackingPass(model, pixels, out=codes)(0)
    return codes[0]


@torch.no_grad()
def evaluate(model: VAE, images: torch.Tensor, mode: str, generator: torch.Generator, fast_loss: bool = False):
    """Per-image (reconstruction, penalty) on `images`, their codes, and the encoder's dead units.

    A ReLU unit that no input of `images` activates is dead: it passes nothing on, and once a whole
    layer is dead every input maps to one code. Other activations pass a gradient below 0 too, so
    none of their units dies: -1, not measured. The units are counted on the hidden layers this
    pass computes anyway (the same layers, in the same batches, as `model(x)`), so the test set is
    encoded once an epoch, not twice.
    """
    model.eval()
    layers = [] if isinstance(model.encoder, nn.Identity) else list(model.encoder)
    counted = model.activation == "relu"
    totals = torch.zeros(2, dtype=torch.float64, device=images.device)
    mus, logvars, alive = [], [], []
    for start in range(0, len(images), EVAL_BATCH):
        x = _as_pixels(images[start:start + EVAL_BATCH])
        hidden, seen = x, []
        for layer in layers:  # model.encoder(x), layer by layer
            hidden = layer(hidden)
            if counted and isinstance(layer, nn.ReLU):
                seen.append((hidden > 0).any(dim=0))
        alive = seen if not alive else [before | now for before, now in zip(alive, seen)]
        mu, logvar = model.heads(hidden).chunk(2, dim=-1)  # the rest of model(x), as `VAE.forward`
        z = model.reparameterize(mu, logvar, generator) if mode == "variational" else mu
        reconstruction, penalty = loss_terms(model.decode(z), x, mu, logvar, mode, fast=fast_loss)
        totals += torch.stack([reconstruction, penalty]).double()
        mus.append(mu)
        logvars.append(logvar)
    model.train()
    dead = (np.array([int((~units).sum()) for units in alive], dtype=np.int32) if counted
            else np.full(len(layers) // 2, -1, dtype=np.int32))  # a dense layer and its activation per hidden layer
    return (totals / len(images)).cpu().numpy().astype(np.float32), torch.cat(mus), torch.cat(logvars), dead


class Trainer:
    """Owns the model, optimizer and data tensors of one run."""

    def __init__(self, config: RunConfig, mnist: Mnist, run_dir: Path, progress: bool = True):
        self.config, self.run_dir, self.progress = config, Path(run_dir), progress
        self.device = resolve_device(config.device)
        check_precision_on(self.device, config.matmul_precision)
        torch.manual_seed(config.seed)
        self.model = VAE(config.layers, config.activation, config.init).to(self.device)
        # fused: one kernel for all parameters instead of ~8 element-wise passes each (-1 ms a step on CPU)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr, fused=True)
        self.adam = AdamStep(self.optimizer)  # the same update without the optimizer's per-step Python
        self.train_x = torch.from_numpy(mnist.train_images.reshape(-1, 784)).to(self.device)  # (N, 784) uint8
        self.test_x = torch.from_numpy(mnist.test_images.reshape(-1, 784)).to(self.device)
        self.test_labels = mnist.test_labels
        self.tracked_index = select_tracked(mnist.train_labels, parse_track(config.track), config.seed)
        self.tracked_label = mnist.train_labels[self.tracked_index]
        self.tracked_image = mnist.train_images[self.tracked_index]
        self.tracked_x = self.train_x[torch.from_numpy(self.tracked_index).to(self.device)]
        self.steps_per_epoch = math.ceil(len(self.train_x) / config.batch_size)
        self.objective = Objective(beta=config.beta, warmup_steps=config.kl_warmup * self.steps_per_epoch, free_bits=config.free_bits)
        self.train_step = DenseStep(self.model, self.adam, self.objective, config.mode, config.loss_precision == "fast",
                                     bf16=config.matmul_precision == "bf16")  # one training step
        self.run_path = RunFolder(self.run_dir).run_file
        self.snapshot_rows: tuple[np.ndarray, np.ndarray] | None = None  # the last epoch's decoder snapshots

    # -- run file lifecycle -------------------------------------------------------------
    def start(self) -> int:
        """Create the run file with step 0; returns the first epoch to train (1)."""
        make_folder(self.run_dir, "run directory")
        codes = encode_tracked(self.model, _as_pixels(self.tracked_x)).cpu().numpy()
        latent = self.config.latent_dim
        runfile.create(self.run_path, self.config.to_json(), self.tracked_index, self.tracked_label, self.tracked_image,
                       self.test_labels, codes[:, :latent], codes[:, latent:],
                       snapshots=SNAPSHOT_PATTERN if self.config.snapshot_every else "")
        return 1

    def resume(self) -> int:
        """Restore the resume state and cut the run file back to its epoch; returns the next epoch.

        The state is saved after the run file at the end of each epoch, so a killed run's state
        ends the file's last epoch or the one before (then that epoch is trained again, to the
        same numbers). Any other state would train a different run, or cut finished epochs away.
        """
        with runfile.RunFile(self.run_path) as run:
            tracked_index, recorded = run.tracked().index, run.epochs_done
        if not np.array_equal(tracked_index, self.tracked_index):
            raise ProjectError(f"{self.run_path}: tracked digits differ from this data set; resume with the same MNIST source")
        done = checkpoints.load_resume(self.run_dir, self.model, self.optimizer)
        state = RunFolder(self.run_dir).resume_state
        if done is None and recorded > 1:  # after epoch 1 alone, training it again from the seed gives the same numbers
            raise ProjectError(f"{state} is missing, so training cannot continue where epoch {recorded} ended; the run is kept "
                               "as it is (render it, or train it again from the start with --overwrite)")
        done = done or 0
        if not recorded - 1 <= done <= recorded:
            raise ProjectError(f"{state} ends epoch {done} but the run file holds {recorded}; the run is kept as it is "
                               "(render it, or train it again from the start with --overwrite)")
        runfile.truncate_to_epochs(self.run_path, done)
        return done + 1

    # -- training -----------------------------------------------------------------------
    def train_epoch(self, epoch: int, track: bool = True) -> EpochResult:
        """One pass over the training set; `track=False` (benchmarks only) skips the tracked digits."""
        with subnormals_flushed():
            return self._train_epoch(epoch, track)

    def _train_epoch(self, epoch: int, track: bool) -> EpochResult:
        config, model = self.config, self.model
        started = time.perf_counter()
        n_train, batch_size, n_steps = len(self.train_x), config.batch_size, self.steps_per_epoch
        first_step = (epoch - 1) * n_steps  # of the run: the objective's warm-up counts from it, so a resumed run goes on alike
        order = torch.randperm(n_train, generator=_generator(torch.device("cpu"), config.seed, epoch, 1)).to(self.device)
        noise = _generator(self.device, config.seed, epoch, 2)
        n_tracked, latent = len(self.tracked_x), config.latent_dim
        fast_loss = config.loss_precision == "fast"
        track_codes = torch.empty(n_steps, n_tracked, 2 * latent, device=self.device)  # [mu | logvar]
        batch_sum = torch.empty(n_steps, 2, device=self.device)  # (reconstruction, penalty) summed over each batch
        sums = batch_sum.unbind(0)
        batch_sizes = torch.full((n_steps,), float(batch_size), device=self.device)
        batch_sizes[-1] = n_train - batch_size * (n_steps - 1)
        # A batch is gathered into the same two buffers every step (its graph is gone by the next):
        # a row copy and one conversion, not an indexing kernel and two fresh tensors.
        batch_bytes = torch.empty(batch_size, self.train_x.shape[1], dtype=torch.uint8, device=self.device)
        batch_pixels = torch.empty(batch_size, self.train_x.shape[1], device=self.device)
        track_step = TrackingPass(model, _as_pixels(self.tracked_x), out=track_codes)
        snapshots = SnapshotRecorder(model, config.snapshot_every, epoch, n_steps) if config.snapshot_every and track else None

        bar = tqdm(range(n_steps), desc=f"epoch {epoch}/{config.epochs}", unit="batch", disable=not self.progress, leave=False)
        model.train()
        for step in bar:
            chosen = order[step * batch_size:(step + 1) * batch_size]
            rows = len(chosen)
            torch.index_select(self.train_x, 0, chosen, out=batch_bytes[:rows])
            x = batch_pixels[:rows].copy_(batch_bytes[:rows]).div_(255.0)  # as `_as_pixels`, in place
            reconstruction, penalty = self.train_step(x, noise, first_step + step)
            with torch.no_grad():
                if track:
                    track_step(step)
                if snapshots:
                    snapshots.after_batch(step)
                torch.stack((reconstruction, penalty), out=sums[step])
            if self.progress and (step + 1) % PROGRESS_EVERY == 0:
                last = slice(max(0, step + 1 - 100), step + 1)
                recent = (batch_sum[last] / batch_sizes[last, None]).mean(dim=0).tolist()
                bar.set_postfix(recon=f"{recent[0]:.1f}", penalty=f"{recent[1]:.2f}")
        bar.close()
        seconds = time.perf_counter() - started

        batch_loss = batch_sum / batch_sizes[:, None]  # per digit, as each step's sum / len(x)
        train_loss = ((batch_loss * batch_sizes[:, None]).sum(dim=0) / n_train).cpu().numpy()
        test_loss, test_mu, test_logvar, dead = evaluate(model, self.test_x, config.mode, _generator(self.device, config.seed, epoch, 3),
                                                         fast_loss=fast_loss)
        codes = track_codes.cpu().numpy()
        steps = Steps(mu=codes[..., :latent], logvar=codes[..., latent:],
                      epoch=np.full(n_steps, epoch, np.int32), batch=np.arange(n_steps, dtype=np.int32),
                      loss=batch_loss.cpu().numpy())
        self.snapshot_rows = snapshots.rows() if snapshots else None
        return EpochResult(steps=steps, train_loss=train_loss, test_loss=test_loss, seconds=seconds,
                           test_mu=test_mu.cpu().numpy(), test_logvar=test_logvar.cpu().numpy(), dead_units=dead)

    def run(self, first_epoch: int, on_epoch=None) -> None:
        """Train to the configured epoch count, flushing each epoch (weights, run file, resume state)."""
        with runfile.EpochAppender(self.run_path) as appender:
            for epoch in range(first_epoch, self.config.epochs + 1):
                result = self.train_epoch(epoch)
                if not (np.isfinite(result.train_loss).all() and np.isfinite(result.test_loss).all()):
                    kept = f"epochs 1-{epoch - 1}" if epoch > 2 else "epoch 1" if epoch == 2 else "no finished epoch"
                    raise ProjectError(f"epoch {epoch}: the loss is no longer a finite number, so training stopped; "
                                       f"{self.run_dir} keeps {kept} (a smaller --lr may help)")
                checkpoints.save_model(self.run_dir, epoch, self.model, self.config.layers)
                if self.snapshot_rows is not None:  # before the run file: a finished epoch always has its snapshots
                    write_snapshots(self.run_dir, epoch, *self.snapshot_rows, every=self.config.snapshot_every)
                appender.append(result)
                checkpoints.save_resume(self.run_dir, epoch, self.model, self.optimizer)
                if on_epoch:
                    on_epoch(epoch, result)
