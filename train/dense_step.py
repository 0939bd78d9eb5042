"""A training step of the dense VAE written out by hand: forward, loss, backward and Adam, no autograd.

At the lecture's sizes autograd's graph, its saved tensors and its per-node dispatch cost as much as
a third of a step's matrix products (issue 31). The net is a fixed stack of dense layers, so its
backward is short to write: each layer's gradient is two products written into the gradients that
`AdamStep` updates, the activations' backward are PyTorch's own kernels (`threshold_backward` is
ReLU's), and the reconstruction's gradient is sigmoid(logits) - x, as binary cross-entropy's.
Every operation is the one autograd runs, on the same operands in the same order, so a run trains
the same weights bit for bit (tests/test_dense_step.py checks every mode, activation and objective
option against autograd; BENCHMARKS.md, whole runs against the autograd loop's).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from train.adam_step import AdamStep
from train.config import is_wide
from train.fast_loss import softplus_sum_minus_dot
from train.model import VAE, InputLayer, Objective, penalty_sum, reconstruction_loss


class _Activation:
    """An activation's forward and its backward, as autograd runs them for the net's modules
    (nn.LeakyReLU's slope 0.01 and nn.ELU's alpha 1 are their defaults): ReLU's and the leaky
    ReLU's backward read their output, so they run in place; the ELU's reads its input."""

    def __init__(self, name: str):
        self.reads_input = name == "elu"
        self._forward = {"relu": torch.relu_, "leaky-relu": lambda x: F.leaky_relu_(x, 0.01), "elu": F.elu}[name]
        self._backward = {
            "relu": lambda grad, saved: torch.ops.aten.threshold_backward(grad, saved, 0),
            "leaky-relu": lambda grad, saved: torch.ops.aten.leaky_relu_backward(grad, saved, 0.01, True),
            "elu": lambda grad, saved: torch.ops.aten.elu_backward(grad, 1.0, 1, 1, False, saved),
        }[name]

    def forward(self, x: torch.Tensor, saved: list[torch.Tensor]) -> torch.Tensor:
        """The activation of `x`; what its backward will need goes on `saved`."""
        if self.reads_input:
            saved.append(x)
        out = self._forward(x)
        if not self.reads_input:
            saved.append(out)
        return out

    def backward(self, grad: torch.Tensor, saved: torch.Tensor) -> torch.Tensor:
        return self._backward(grad, saved)


class _Dense:
    """One dense layer: its weight as stored (InputLayer: (in, out); nn.Linear: (out, in)), its
    bias, and their gradients' views in the flat gradient vector."""

    def __init__(self, layer: nn.Module, grads: dict[int, torch.Tensor]):
        self.input_major = isinstance(layer, InputLayer)
        weight = layer.weight_t if self.input_major else layer.weight
        self.weight, self.bias = weight, layer.bias
        self.weight_t = weight if self.input_major else weight.t()  # (in, out): what the forward multiplies by (a view, made once)
        self.weight_grad, self.bias_grad = grads[id(weight)], grads[id(layer.bias)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, x, self.weight_t)

    def backward(self, grad: torch.Tensor, x: torch.Tensor, needs_input_grad: bool) -> torch.Tensor | None:
        """Write this layer's gradients for output gradient `grad` and input `x`; return the input's."""
        if self.input_major:
            torch.mm(x.t(), grad, out=self.weight_grad)
        else:
            torch.mm(grad.t(), x, out=self.weight_grad)
        torch.sum(grad, 0, out=self.bias_grad)
        if not needs_input_grad:  # an InputLayer's input is the data: never asked
            return None
        if x.stride(0) == 1 and x.stride(1) == x.shape[0]:  # a column-major input (1 x 1): autograd multiplies the other way round
            return torch.mm(self.weight_t, grad.t()).t()
        return torch.mm(grad, self.weight)


class _Bfloat16Dense(_Dense):
    """A dense layer whose three products take bfloat16 operands (`train --matmul-precision bf16`):
    the weight is rounded to bfloat16 once a step, each input and output gradient once. A product
    sums in float32 but PyTorch's CPU kernels give it back in bfloat16 (no float32 output there), so
    its result, rounded to 8 bits, goes back to float32, where the bias, the activations, Adam and the
    weights stay. On CPUs with bfloat16 dot products (AVX512-BF16, AMX) a 100 x 784 x 256 product takes
    about half as long (BENCHMARKS.md); on others it may take longer than in float32 (not measured)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.weight_low = self.weight.to(torch.bfloat16)  # the weights Adam left: rounded once, for this step's three products
        self.x_low = x.to(torch.bfloat16)
        weight_t = self.weight_low if self.input_major else self.weight_low.t()
        return torch.mm(self.x_low, weight_t).float().add_(self.bias)

    def backward(self, grad: torch.Tensor, x: torch.Tensor, needs_input_grad: bool) -> torch.Tensor | None:
        grad_low = grad.to(torch.bfloat16)
        weight_grad = torch.mm(self.x_low.t(), grad_low) if self.input_major else torch.mm(grad_low.t(), self.x_low)
        self.weight_grad.copy_(weight_grad)
        torch.sum(grad, 0, out=self.bias_grad)
        if not needs_input_grad:
            return None
        return torch.mm(grad_low, self.weight_low).float()


def _dense(layer: nn.Module, grads: dict[int, torch.Tensor], bf16: bool) -> _Dense:
    """The layer's step, in bfloat16 where asked and the layer is wide (config.is_wide: the 784 x 256
    layers of the lecture's nets, ~95% of their arithmetic); a narrow layer's product is too short to gain from it."""
    return (_Bfloat16Dense if bf16 and is_wide(*layer.weight_t.shape if isinstance(layer, InputLayer) else layer.weight.shape) else _Dense)(layer, grads)


def _dense_layers(stack: nn.Module, grads: dict[int, torch.Tensor], bf16: bool) -> list[_Dense]:
    return [] if isinstance(stack, nn.Identity) else [_dense(layer, grads, bf16) for layer in stack if isinstance(layer, (nn.Linear, InputLayer))]


def reconstruction_and_gradient(logits: torch.Tensor, x: torch.Tensor, fast: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The summed binary cross-entropy (`loss_terms`' reconstruction) and its gradient for the
    logits, sigmoid(logits) - x, which the fast value is read from as well."""
    probabilities = torch.sigmoid(logits)
    reconstruction = softplus_sum_minus_dot(logits, x, probabilities) if fast else reconstruction_loss(logits, x)
    return reconstruction, probabilities.sub_(x)


class DenseStep:
    """`step(x, noise, step)` trains `model` on batch `x` (pixels in [0, 1]) as the autograd loop did
    (`VAE.forward`, `loss_terms`, `Objective`, then Adam), and returns the batch's summed
    (reconstruction, penalty) as `loss_terms` gives them: what the run file records."""

    def __init__(self, model: VAE, adam: AdamStep, objective: Objective, mode: str, fast_loss: bool, bf16: bool = False):
        grads = {id(param): grad for param, grad in zip(adam.params, adam.grads)}
        self.encoder, self.decoder = _dense_layers(model.encoder, grads, bf16), _dense_layers(model.decoder, grads, bf16)
        self.heads = _dense(model.heads, grads, bf16)
        self.activation = _Activation(model.activation)
        self.adam, self.objective, self.mode, self.fast_loss = adam, objective, mode, fast_loss
        self.latent = model.heads.out_features // 2

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, noise: torch.Generator, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        # Forward, keeping each layer's input and what each activation's backward reads.
        activation, encoder_inputs, encoder_saved, hidden = self.activation, [], [], x
        for layer in self.encoder:
            encoder_inputs.append(hidden)
            hidden = activation.forward(layer.forward(hidden), encoder_saved)
        codes = self.heads.forward(hidden)
        mu, logvar = codes[:, :self.latent], codes[:, self.latent:]
        eps = std = None
        if self.mode == "variational":
            eps = torch.randn(mu.shape, generator=noise, device=mu.device, dtype=mu.dtype)  # the draw `VAE.reparameterize` makes
            std = logvar.mul(0.5).exp_()
            z = torch.mul(std, eps).add_(mu)  # mu + std * eps, rounded as `VAE.reparameterize` rounds it
        else:
            z = mu
        decoder_inputs, decoder_saved, logits = [], [], z
        for index, layer in enumerate(self.decoder):
            if index:
                logits = activation.forward(logits, decoder_saved)
            decoder_inputs.append(logits)
            logits = layer.forward(logits)
        reconstruction, grad = reconstruction_and_gradient(logits, x, self.fast_loss)
        penalty = penalty_sum(mu, logvar, self.mode)  # what `loss_terms` gives, and the run file records

        # Backward: from binary cross-entropy's gradient, the decoder, the latent layer, the encoder.
        for index in range(len(self.decoder) - 1, -1, -1):
            grad = self.decoder[index].backward(grad, decoder_inputs[index], needs_input_grad=True)
            if index:
                grad = activation.backward(grad, decoder_saved[index - 1])
        grad = self.heads.backward(self._latent_grads(grad, codes, eps, std, step), hidden, needs_input_grad=bool(self.encoder))
        for index in range(len(self.encoder) - 1, -1, -1):
            grad = activation.backward(grad, encoder_saved[index])
            grad = self.encoder[index].backward(grad, encoder_inputs[index], needs_input_grad=index > 0)
        self.adam.step()
        return reconstruction, penalty

    def _latent_grads(self, grad_z, codes, eps, std, step: int) -> torch.Tensor:
        """The objective's gradient for [means | log-variances], from the decoder's `grad_z`.

        With the lecture's objective (the plain KL, weight 1) it is written out: the penalty per code
        is KL = -0.5 (1 + logvar - mu^2 - e^logvar) (variational) or 0.5 mu^2, so d/dmu = mu and
        d/dlogvar = 0.5 (e^logvar - 1), plus what reaches them through z = mu + e^(logvar / 2) eps.
        That rounds as autograd's does. A weighted or floored penalty (beta, warm-up, free bits) goes
        through autograd, on these (B, 2d) codes only: its sums and divisions by the batch size round
        in an order the formula would not repeat, and a run is the same run bit for bit either way.
        """
        mu, logvar = codes[:, :self.latent], codes[:, self.latent:]
        objective = self.objective
        if objective.weight(step) != 1 or objective.free_bits:
            with torch.enable_grad():
                leaf = codes.detach().requires_grad_()
                mu, logvar = leaf.chunk(2, dim=-1)  # as `VAE.encode` splits the heads
                z = mu + torch.exp(0.5 * logvar) * eps if eps is not None else mu  # as `VAE.reparameterize`
                first = (z * grad_z).sum()  # its gradient for z is grad_z, exactly
                objective(first, penalty_sum(mu, logvar, self.mode), mu, logvar, self.mode, step).backward()
            return leaf.grad
        grad_mu = torch.add(grad_z, mu)
        if eps is None:
            return torch.cat((grad_mu, torch.zeros_like(logvar)), dim=1)
        grad_logvar = grad_z.mul(eps).mul_(std).mul_(0.5).add_(logvar.exp().sub_(1).mul_(0.5))
        return torch.cat((grad_mu, grad_logvar), dim=1)
