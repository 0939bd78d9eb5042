"""The dense VAE of the lecture, and the same net trained without sampling.

Names follow the classic PyTorch VAE example (`encode`, `reparameterize`, `decode`), generalised
to any `784-...-d` stack. Both modes keep the log-variance head, so their run files match.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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


def _dense_stack(sizes: list[int], first: type[nn.Module] = nn.Linear) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        if index:
            layers.append(nn.ReLU())
        layers.append((first if index == 0 else nn.Linear)(fan_in, fan_out))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    def __init__(self, layers: tuple[int, ...]):
        super().__init__()
        *body, latent = layers
        # Encoder: every hidden layer ends in a ReLU; the two heads read the last hidden layer.
        self.encoder = nn.Sequential(*_dense_stack(body, first=InputLayer), nn.ReLU()) if len(body) > 1 else nn.Identity()
        self.heads = nn.Linear(body[-1], 2 * latent)  # [mu | logvar], one matmul for both
        # Decoder mirrors the encoder; it returns logits, the sigmoid lives in the loss / `generate`.
        self.decoder = _dense_stack([latent, *reversed(body)])

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
            # Every tensor after the first layer is fresh and grad-free: ReLU in place saves an allocation a layer.
            self.rest = [torch.relu_ if isinstance(layer, nn.ReLU) else layer for layer in rest]

    def __call__(self, step: int) -> None:
        hidden = self.pixels if self.first is None else self.first.ink_forward(self.ink)
        for layer in self.rest:
            hidden = layer(hidden)
        torch.addmm(self.heads_bias, hidden, self.heads_weight_t, out=self.rows[step])


def reconstruction_loss(logits: torch.Tensor, x: torch.Tensor, per_image: bool = False) -> torch.Tensor:
    """The reconstruction term: binary cross-entropy from the decoder's logits (stable, no sigmoid
    first) against pixel intensities in [0, 1], summed over the 784 pixels of each image; summed over
    the whole batch too (a scalar, as training and the test loss take it), or `per_image` (...,).

    The two sums are kept as they are, not one made from the other: adding the images' sums up
    rounds differently from one sum over every pixel, and recorded numbers stay bit for bit."""
    if per_image:
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum")


def loss_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed (reconstruction, penalty) over the batch.

    Reconstruction is binary cross-entropy computed from logits for stability. The penalty is
    the KL divergence to N(0, I) in variational mode, see Appendix B of Kingma & Welling,
    "Auto-Encoding Variational Bayes" (ICLR 2014): -0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2);
    without sampling it keeps only the quadratic term on the means, 0.5 * |mu|^2.
    """
    reconstruction = reconstruction_loss(logits, x)
    if mode == "variational":
        penalty = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    else:
        penalty = 0.5 * torch.sum(mu.pow(2))
    return reconstruction, penalty
