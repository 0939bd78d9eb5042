"""The dense VAE of the lecture, and the same net trained without sampling; and what training optimises.

Names follow the classic PyTorch VAE example (`encode`, `reparameterize`, `decode`), generalised
to any `784-...-d` stack. Both modes keep the log-variance head, so their run files match.
The activation between layers and the initial weights are options of the net (`VAE`); the weight
of the penalty, its warm-up and free bits are options of the objective (`Objective`). With every
option at its default both are exactly the lecture's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from train import config
from train.fast_loss import binary_cross_entropy_sum
from train.sums import ordered_sum


@dataclass(frozen=True)
class Ink:
    """Images as their non-zero pixels: flat pixel numbers, per-image start offsets, intensities."""

    pixel: torch.Tensor  # (nnz,) int64, 0..783
    offset: torch.Tensor  # (B,) int64
    value: torch.Tensor  # (nnz,) float32

    @classmethod
    def of(cls, pixels: torch.Tensor) -> "Ink":
        image, pixel = pixels.nonzero(as_tuple=True)  # row-major: grouped by image
        offset = torch.searchsorted(image, torch.arange(len(pixels), device=pixels.device))
        return cls(pixel=pixel, offset=offset, value=pixels[image, pixel].float())


class InputLayer(nn.Module):
    """The first dense layer, its weight stored input-major: (784, out), a row per pixel.

    Same numbers and initialisation as `nn.Linear`, but the row layout lets `ink_forward` sum just
    the rows of a digit's ink (~150 of 784 pixels) with `embedding_bag`. That halves the cost of
    encoding the tracked digits after every step, which is what tracking adds to training.
    """

    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        like = nn.Linear(fan_in, fan_out)  # the same random draws as a plain layer
        self.weight_t = nn.Parameter(like.weight.detach().t().contiguous())
        self.bias = nn.Parameter(like.bias.detach().clone())
        self._register_load_state_dict_pre_hook(_accept_linear_weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x, self.weight_t)

    def ink_forward(self, ink: Ink) -> torch.Tensor:
        return F.embedding_bag(ink.pixel, self.weight_t, ink.offset, mode="sum", per_sample_weights=ink.value).add_(self.bias)


def _accept_linear_weight(state_dict, prefix, *_):
    """Checkpoints from before `InputLayer` hold an `nn.Linear` weight (out, in): transpose it."""
    if prefix + "weight" in state_dict:
        state_dict[prefix + "weight_t"] = state_dict.pop(prefix + "weight").t().contiguous()


# `train --activation`: the nonlinearity after every hidden layer. A ReLU unit that no input turns on
# passes no gradient and dies; the leaky ReLU (slope 0.01 below 0) and the ELU never stop passing one.
ACTIVATIONS: dict[str, type[nn.Module]] = dict(zip(config.ACTIVATIONS, (nn.ReLU, nn.LeakyReLU, nn.ELU), strict=True))  # the names config checks


def _dense_stack(sizes: list[int], activation: type[nn.Module], first: type[nn.Module] = nn.Linear) -> nn.Sequential:
    """Linear layers with `activation` between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        if index:
            layers.append(activation())
        layers.append((first if index == 0 else nn.Linear)(fan_in, fan_out))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """`activation` and `init` are `train --activation` and `--init`: "glorot" replaces PyTorch's
    default initial weights (uniform in +-1/sqrt(fan_in), biases too) by Glorot uniform weights and
    zero biases, as Keras starts its dense layers."""

    def __init__(self, layers: tuple[int, ...], activation: str = "relu", init: str = "default"):
        super().__init__()
        if activation not in ACTIVATIONS or init not in config.INITS:
            raise ValueError(f"activation {activation!r} or init {init!r} is not one this program knows")
        self.activation = activation
        unit = ACTIVATIONS[activation]
        *body, latent = layers
        # Encoder: every hidden layer ends in the activation; the two heads read the last hidden layer.
        self.encoder = nn.Sequential(*_dense_stack(body, unit, first=InputLayer), unit()) if len(body) > 1 else nn.Identity()
        self.heads = nn.Linear(body[-1], 2 * latent)  # [mu | logvar], one matmul for both
        # Decoder mirrors the encoder; it returns logits, the sigmoid lives in the loss / `generate`.
        self.decoder = _dense_stack([latent, *reversed(body)], unit)
        if init == "glorot":
            self._glorot()

    @torch.no_grad()
    def _glorot(self) -> None:
        """Glorot uniform weights, U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), and zero biases. The
        heads are Keras's two dense layers (mean, log-variance) in one matrix: each half gets its own."""
        for module in self.modules():
            if isinstance(module, InputLayer):
                nn.init.xavier_uniform_(module.weight_t)  # (in, out): the bound is symmetric in the fans
            elif isinstance(module, nn.Linear) and module is not self.heads:
                nn.init.xavier_uniform_(module.weight)
            else:
                continue
            module.bias.zero_()
        for half in self.heads.weight.chunk(2, dim=0):
            nn.init.xavier_uniform_(half)
        self.heads.bias.zero_()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.heads(self.encoder(x)).chunk(2, dim=-1)  # (B, d) each
        return mu, logvar

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # (B, 784) logits

    def forward(self, x: torch.Tensor, sample: bool, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar, generator) if sample else mu
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel intensities in [0, 1], (B, 28, 28)."""
        return torch.sigmoid(self.decode(z)).reshape(-1, 28, 28)


class TrackingPass:
    """Encodes the tracked digits after an optimizer step: `track(step)` writes [mu | logvar] of
    every digit into row `step` of `out` (steps, B, 2d). Call it under `torch.no_grad()`.

    This pass is all that tracking adds to a training step, so everything its ~600 calls an epoch
    share (the digits' ink, the layers, the output rows, the transposed head weight) is looked up
    once here; per call, that Python and dispatcher work was a sixth of the pass. The first layer
    reads only the ink (see `InputLayer`); a net without hidden layers takes the dense path. The
    net has no dropout or batch-norm, so this is its eval-mode encoding without a mode switch.
    """

    def __init__(self, model: VAE, pixels: torch.Tensor, out: torch.Tensor):
        self.rows = out.unbind(0)
        self.heads_bias, self.heads_weight_t = model.heads.bias, model.heads.weight.t()  # views: they follow the optimizer
        self.pixels, self.first, self.ink, self.rest = pixels, None, None, []
        if not isinstance(model.encoder, nn.Identity):
            self.first, *rest = model.encoder
            self.ink = Ink.of(pixels)
            # Every tensor after the first layer is fresh and grad-free: ReLU in place saves an allocation a
            # layer; a dense layer is the `addmm` nn.Linear calls, without the module's call machinery.
            self.rest = [torch.relu_ if isinstance(layer, nn.ReLU) else _addmm_of(layer) if isinstance(layer, nn.Linear) else layer
                         for layer in rest]

    def __call__(self, step: int) -> None:
        hidden = self.pixels if self.first is None else self.first.ink_forward(self.ink)
        for layer in self.rest:
            hidden = layer(hidden)
        torch.addmm(self.heads_bias, hidden, self.heads_weight_t, out=self.rows[step])


def _addmm_of(layer: nn.Linear):
    """`layer`'s forward on a batch (what F.linear runs for 2-d input), its weight's transpose taken once."""
    bias, weight_t = layer.bias, layer.weight.t()
    return lambda hidden: torch.addmm(bias, hidden, weight_t)


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, per_image: bool = False) -> torch.Tensor:
    """The reconstruction term: binary cross-entropy from the decoder's logits (stable, no sigmoid
    first) against pixel intensities in [0, 1], summed over the 784 pixels of each image; summed over
    the whole batch too (a scalar, as training and the test loss take it), or `per_image` (...,).

    The whole sum is `ordered_sum`'s, so that its rounding does not depend on torch's threads."""
    if per_image:
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)
    return ordered_sum(F.binary_cross_entropy_with_logits(logits, x, reduction="none"))


def loss_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, mode: str,
               fast: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed (reconstruction, penalty) over the batch.

    Reconstruction is binary cross-entropy computed from logits for stability (`fast`: to ~1e-6 of
    it, with the same gradient; `train --loss-precision fast`, see train/fast_loss.py). The penalty is
    the KL divergence to N(0, I) in variational mode, see Appendix B of Kingma & Welling,
    "Auto-Encoding Variational Bayes" (ICLR 2014): -0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2);
    without sampling it keeps only the quadratic term on the means, 0.5 * |mu|^2.
    """
    reconstruction = binary_cross_entropy_sum(logits, x) if fast else reconstruction_loss(logits, x)
    return reconstruction, penalty_sum(mu, logvar, mode)


def penalty_sum(mu: torch.Tensor, logvar: torch.Tensor, mode: str) -> torch.Tensor:
    """The penalty of `loss_terms`, summed over the batch."""
    if mode == "variational":
        return -0.5 * ordered_sum(1 + logvar - mu.pow(2) - logvar.exp())
    return 0.5 * ordered_sum(mu.pow(2))


def penalty_per_dimension(mu: torch.Tensor, logvar: torch.Tensor, mode: str) -> torch.Tensor:
    """The penalty of `loss_terms`, per latent variable, averaged over the batch: (d,)."""
    if mode == "variational":
        return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp(), dim=0)
    return 0.5 * torch.mean(mu.pow(2), dim=0)


@dataclass(frozen=True)
class Objective:
    """What the optimiser minimises: the reconstruction plus the penalty, weighted and floored.

    `beta` weighs the penalty (Higgins et al. 2017); `warmup_steps` makes that weight rise linearly
    from 0 at the run's first step to `beta` at step `warmup_steps` (Bowman et al. 2016, Sønderby et
    al. 2016); `free_bits` is the floor of Kingma et al. 2016: each latent variable's penalty,
    averaged over the batch, counts as max(free_bits, KL_j), so below the floor it is pushed no
    further. The run file records the losses of `loss_terms` (the true negative ELBO), not this.
    """

    beta: float = 1.0
    warmup_steps: int = 0  # train --kl-warmup E: E epochs of steps
    free_bits: float = 0.0  # nats per latent variable

    def weight(self, step: int) -> float:
        """The penalty's weight at `step`, counted from 0 over the whole run (not the epoch)."""
        if step >= self.warmup_steps:
            return self.beta
        return self.beta * step / self.warmup_steps

    def __call__(self, reconstruction: torch.Tensor, penalty: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                 mode: str, step: int) -> torch.Tensor:
        """The objective of a batch, summed over it like `loss_terms`' (reconstruction, penalty)."""
        if self.free_bits:
            floored = torch.clamp(penalty_per_dimension(mu, logvar, mode), min=self.free_bits)  # no gradient below the floor
            penalty = len(mu) * floored.sum()
        weight = self.weight(step)
        return reconstruction + penalty if weight == 1 else reconstruction + weight * penalty
