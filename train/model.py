"""The dense VAE of the lecture, and the same net trained without sampling.

Names follow the classic PyTorch VAE example (`encode`, `reparameterize`, `decode`), generalised
to any `784-...-d` stack. Both modes keep the log-variance head, so their run files match.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _dense_stack(sizes: list[int]) -> nn.Sequential:
    """Linear layers with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        if index:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


class VAE(nn.Module):
    def __init__(self, layers: tuple[int, ...]):
        super().__init__()
        *body, latent = layers
        # Encoder: every hidden layer ends in a ReLU; the two heads read the last hidden layer.
        self.encoder = nn.Sequential(*_dense_stack(body), nn.ReLU()) if len(body) > 1 else nn.Identity()
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


def loss_terms(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed (reconstruction, penalty) over the batch.

    Reconstruction is binary cross-entropy computed from logits for stability. The penalty is
    the KL divergence to N(0, I) in variational mode, see Appendix B of Kingma & Welling,
    "Auto-Encoding Variational Bayes" (ICLR 2014): -0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2);
    without sampling it keeps only the quadratic term on the means, 0.5 * |mu|^2.
    """
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    if mode == "variational":
        penalty = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    else:
        penalty = 0.5 * torch.sum(mu.pow(2))
    return reconstruction, penalty
