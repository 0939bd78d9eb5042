"""Adam's update without the optimizer's per-step Python: the same fused kernel, the same numbers.

`torch.optim.Adam(fused=True)` spends as long around its kernel as in it at the lecture's sizes:
grouping the tensors by device, and bumping each parameter's step count, a 0-d tensor whose
`add_` costs ~10 us, one by one (issue 31 measured ~0.4 ms of a 5.5 ms step). `AdamStep` calls
that kernel with the optimizer's own state, its step counts made views of one vector so one
`add_` counts them all. The optimizer stays the source of truth: its `state_dict` and
`load_state_dict` work as before (a loaded state is bound again on the next step), and a step
before its state exists is the optimizer's own. The gradients are tensors of their own, made once:
train/dense_step.py writes each step's into them (`out=`), and autograd adds into them after
`zero_grad()`.
"""

from __future__ import annotations

import torch


class AdamStep:
    """`step()` is `optimizer.step()` for a fused, single-group Adam on one device, bit for bit."""

    def __init__(self, optimizer: torch.optim.Adam):
        (group,) = optimizer.param_groups
        if not group["fused"] or group["amsgrad"] or group["maximize"] or group["decoupled_weight_decay"] or group["capturable"]:
            raise ValueError("AdamStep replays only a fused Adam without amsgrad, maximize or decoupled weight decay")
        self.optimizer, self.group, self.params = optimizer, group, list(group["params"])
        self.grads = [torch.zeros_like(param) for param in self.params]
        for param, grad in zip(self.params, self.grads):
            param.grad = grad
        self._bound_to = None  # the optimizer's state dict the lists below were taken from
        self._counts = self._exp_avgs = self._exp_avg_sqs = self._steps = None

    def _bind(self) -> bool:
        """Take the state's tensors once it exists for every parameter; False until then."""
        state = self.optimizer.state
        if not all(param in state and "step" in state[param] for param in self.params):
            return False
        self._counts = torch.stack([state[param]["step"] for param in self.params])
        self._steps = list(self._counts.unbind(0))  # views: one add_ on `_counts` moves them all
        for param, step in zip(self.params, self._steps):
            state[param]["step"] = step
        self._exp_avgs = [state[param]["exp_avg"] for param in self.params]
        self._exp_avg_sqs = [state[param]["exp_avg_sq"] for param in self.params]
        self._bound_to = state
        return True

    def zero_grad(self) -> None:
        """Gradients to zero, for a step whose backward adds into them (autograd)."""
        torch._foreach_zero_(self.grads)

    def step(self) -> None:
        if self._bound_to is not self.optimizer.state and not self._bind():
            for param, grad in zip(self.params, self.grads):
                param.grad = grad  # in case the optimizer's own zero_grad dropped them
            self.optimizer.step()  # the first step creates the state
            return
        group = self.group
        beta1, beta2 = group["betas"]
        self._counts.add_(1)
        torch._fused_adam_(self.params, self.grads, self._exp_avgs, self._exp_avg_sqs, [], self._steps,
                           amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                           eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)
