"""The training options of issue 33 (--beta, --kl-warmup, --free-bits, --activation, --init): each on an
input whose answer is known, the run file's losses staying the unweighted ELBO, and their names."""

from __future__ import annotations

import json
import math

import h5py
import pytest
import torch
import torch.nn.functional as F
from test_hostile import one_line_error
from torch import nn

from data.mnist import read_directory
from errors import ProjectError
from helpers import cli, synthetic_run
from sweep.plan import read_config, spec_from, spec_from_options
from sweep.summary import markdown, summarize
from train.checkpoints import load_model
from train.config import RunConfig
from train.loop import Trainer, _generator
from train.model import VAE, InputLayer, Objective, loss_terms
from train.runfile import RunFile

STEPS_PER_EPOCH = 20  # 2,000 digits, batch 100


def _batch(seed: int = 0, n: int = 8, d: int = 3):
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(n, d, generator=generator).requires_grad_()
    logvar = (0.5 * torch.randn(n, d, generator=generator)).requires_grad_()
    logits = torch.randn(n, 784, generator=generator).requires_grad_()
    x = torch.rand(n, 784, generator=generator)
    return logits, x, mu, logvar


# -- the objective ---------------------------------------------------------------------------
def test_the_warm_up_weight_rises_linearly_over_its_epochs_step_by_step():
    objective = Objective(beta=2.0, warmup_steps=3 * STEPS_PER_EPOCH)  # --beta 2 --kl-warmup 3
    assert objective.weight(0) == 0.0
    assert objective.weight(1) == pytest.approx(2.0 / 60)
    assert objective.weight(30) == 1.0  # half-way: beta / 2
    assert objective.weight(59) == pytest.approx(2.0 * 59 / 60)
    assert objective.weight(60) == objective.weight(61) == objective.weight(10_000) == 2.0  # after 3 epochs: beta
    assert Objective(beta=0.5).weight(0) == 0.5  # no warm-up: beta from the first step


def test_a_trainer_counts_the_warm_up_in_its_own_epochs_of_steps(small_data_dir, tmp_path):
    config = RunConfig(arch="784-8-2", epochs=3, beta=0.5, kl_warmup=2, track="1-per-class", device="cpu")
    objective = Trainer(config, read_directory(small_data_dir), tmp_path / "run", progress=False).objective
    assert objective.warmup_steps == 2 * STEPS_PER_EPOCH and objective.beta == 0.5
    assert [objective.weight(step) for step in (0, 20, 40)] == [0.0, 0.25, 0.5]


def test_beta_scales_the_penalty_and_only_the_penalty():
    logits, x, mu, logvar = _batch()
    reconstruction, penalty = loss_terms(logits, x, mu, logvar, "variational")
    objective = Objective(beta=0.5)(reconstruction, penalty, mu, logvar, "variational", step=0)
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()  # Kingma & Welling, Appendix B
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum")
    assert objective.item() == pytest.approx((bce + 0.5 * kl).item(), rel=1e-5)
    objective.backward()
    assert torch.allclose(mu.grad, 0.5 * mu.detach(), atol=1e-6)  # d(0.5 * KL)/d(mu) = 0.5 * mu
    assert torch.allclose(logvar.grad, 0.5 * 0.5 * (logvar.detach().exp() - 1), atol=1e-6)
    # beta 1, no warm-up, no free bits: exactly the sum the lecture's training minimises
    assert Objective()(reconstruction, penalty, mu, logvar, "variational", step=0).item() == (reconstruction + penalty).item()


def test_free_bits_floor_each_latent_variable_and_stop_its_gradient():
    n, d, floor = 8, 3, 0.25
    mu = torch.zeros(n, d, requires_grad=True)
    logvar = torch.zeros(n, d, requires_grad=True)  # the prior itself: KL 0 < 0.25 on every dimension
    reconstruction, penalty = torch.zeros(()), -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    objective = Objective(free_bits=floor)(reconstruction, penalty, mu, logvar, "variational", step=0)
    assert objective.item() == pytest.approx(n * floor * d)  # L * d per image, summed over the batch like the loss
    objective.backward()
    assert not mu.grad.any() and not logvar.grad.any()  # below the floor nothing pushes the code further

    mu = torch.zeros(n, d)
    mu[:, 0] = 1.0  # dimension 0 above the floor (KL 0.5 a digit), 1 and 2 at the prior
    mu.requires_grad_()
    logvar = torch.zeros(n, d, requires_grad=True)
    penalty = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    objective = Objective(free_bits=floor)(torch.zeros(()), penalty, mu, logvar, "variational", step=0)
    assert objective.item() == pytest.approx(n * (0.5 + 2 * floor))
    objective.backward()
    assert torch.allclose(mu.grad[:, 0], torch.ones(n)) and not mu.grad[:, 1:].any()  # d(KL_0)/d(mu) = mu above the floor


# -- the net -----------------------------------------------------------------------------------
def test_glorot_weights_lie_within_their_bound_and_biases_are_zero(small_data_dir, tmp_path):
    config = RunConfig(arch="784-64-32-2", init="glorot", track="1-per-class", device="cpu")
    model = Trainer(config, read_directory(small_data_dir), tmp_path / "run", progress=False).model  # as training starts
    layers = [module for module in model.modules() if isinstance(module, (nn.Linear, InputLayer))]
    assert len(layers) == 6  # 2 encoder layers, the heads, 3 decoder layers
    for layer in layers:
        weight = layer.weight_t.t() if isinstance(layer, InputLayer) else layer.weight  # (out, in)
        halves = weight.chunk(2) if layer is model.heads else (weight,)  # the heads: Keras's mean and log-variance layers
        for half in halves:
            bound = math.sqrt(6 / (half.shape[0] + half.shape[1]))
            assert half.abs().max() <= bound and half.abs().max() > 0.9 * bound  # uniform over the whole range
        assert not layer.bias.any()
    default = VAE((784, 64, 32, 2))
    assert default.heads.bias.any() and default.encoder[0].bias.any()  # PyTorch's default: biases drawn too
    assert default.encoder[0].weight_t.abs().max() <= 1 / math.sqrt(784)


@pytest.fixture(scope="module")
def leaky_half_beta(small_data_dir, tmp_path_factory):
    """A short run with every option off its default: beta 0.5, warm-up, free bits, leaky ReLU, Glorot."""
    out = tmp_path_factory.mktemp("options") / "run"
    result = cli("train", "--data-dir", small_data_dir, "--out", out, "--quiet", "--arch", "784-32-2", "--epochs", "2", "--track", "1-per-class",
                 "--beta", "0.5", "--kl-warmup", "1", "--free-bits", "0.1", "--activation", "leaky-relu", "--init", "glorot")
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.mark.parametrize("activation, module", [("leaky-relu", nn.LeakyReLU), ("elu", nn.ELU)])
def test_the_saved_net_has_the_activation_it_was_trained_with(small_data_dir, tmp_path, leaky_half_beta, activation, module):
    if activation == "leaky-relu":
        out = leaky_half_beta[0]
    else:
        out = tmp_path / "elu"
        assert cli("train", "--data-dir", str(small_data_dir), "--out", str(out), "--quiet", "--arch", "784-16-8-2", "--epochs", "1", "--track", "1-per-class", "--activation", "elu").exit_code == 0
    model, _ = load_model(out)
    units = [layer for layer in model.modules() if not isinstance(layer, (nn.Sequential, nn.Linear, InputLayer, VAE))]
    assert units and all(type(layer) is module for layer in units)  # encoder and decoder alike, no ReLU left
    with RunFile(out) as run:
        assert (run.dead_units() == -1).all()  # only a ReLU unit can die: not measured


# -- what the run records ----------------------------------------------------------------------
def test_the_recorded_loss_is_the_unweighted_elbo(leaky_half_beta, small_mnist):
    out, _ = leaky_half_beta
    model, _ = load_model(out, epoch=2)
    with RunFile(out) as run:
        recorded, config = run.losses().test[1], run.config
    assert (config.beta, config.free_bits) == (0.5, 0.1)
    images = torch.from_numpy(small_mnist.test_images).reshape(-1, 784).float() / 255
    with torch.no_grad():  # as `evaluate` draws its noise: one batch, generator (seed, epoch 2, purpose 3)
        mu, logvar = model.encode(images)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=_generator(torch.device("cpu"), config.seed, 2, 3))
        reconstruction = F.binary_cross_entropy_with_logits(model.decode(z), images, reduction="sum").item() / len(images)
        kl = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()).item() / len(images)
    assert recorded[0] == pytest.approx(reconstruction, rel=1e-5)
    assert recorded[1] == pytest.approx(kl, rel=1e-5)  # the whole KL: no beta, no floor
    assert kl > 0.1 * 2  # above what free bits alone would say, so the floor could not hide in it


def test_info_titles_and_names_show_the_options(leaky_half_beta):
    from render.sources import run_title

    out, output = leaky_half_beta
    label = "beta 0.5 · KL warm-up 1 epoch · free bits 0.1 nats · leaky-relu · glorot init"
    assert f"784-32-2, variational, {label}, " in output  # what train says as it starts
    info = cli("info", str(out)).output
    assert f"trained with: {label} (the losses below are unweighted" in info
    assert '"beta": 0.5' in info and '"activation": "leaky-relu"' in info
    with RunFile(out) as run:
        assert run_title(run) == f"784-32-2  ·  variational  ·  {label}"
        assert run.config.run_name == "784-32-2-variational-s0-b0.5-w1-fb0.1-leaky-relu-glorot"


def test_default_options_keep_the_name_and_older_files_read_as_defaults(tmp_path):
    assert RunConfig(arch="784-16-2", tag="x").run_name == "784-16-2-variational-s0-x"
    assert RunConfig(beta=1, kl_warmup=0, free_bits=0, activation="relu", init="default").run_name == "784-256-2-variational-s0"
    assert RunConfig(beta=2, tag="x").run_name == "784-256-2-variational-s0-b2-x"
    assert RunConfig(beta=0.1).run_name != RunConfig(beta=0.10000000000000002).run_name  # no rounding makes two runs one
    path = synthetic_run(tmp_path / "old")  # its config JSON names none of the new options
    with h5py.File(path, "r+") as handle:
        handle.attrs["schema_version"] = 3
    with RunFile(path) as run:
        config = run.config
    assert (config.beta, config.kl_warmup, config.free_bits, config.activation, config.init) == (1.0, 0, 0.0, "relu", "default")
    assert config.options_label == "" and config.run_name == "784-16-2-variational-s0"


@pytest.mark.parametrize("args, message", [
    (["--beta", "-1"], "Invalid value for '--beta': -1.0 is not in the range x>=0"),
    (["--beta", "nan"], "Invalid value for '--beta': nan is not a finite number"),
    (["--free-bits", "inf"], "Invalid value for '--free-bits': inf is not a finite number"),
    (["--kl-warmup", "-1"], "Invalid value for '--kl-warmup': -1 is not in the range x>=0"),
    (["--kl-warmup", "1.5"], "Invalid value for '--kl-warmup': '1.5' is not a valid integer"),
    (["--activation", "tanh"], "Invalid value for '--activation': 'tanh' is not one of 'relu', 'leaky-relu', 'elu'"),
    (["--init", "he"], "Invalid value for '--init': 'he' is not one of 'default', 'glorot'"),
])
def test_bad_training_options_are_one_line(tmp_path, args, message):
    result = cli("train", "--out", str(tmp_path / "run"), "--quiet", *args)
    one_line_error(result, message)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("fields, message", [
    ({"beta": -0.5}, "--beta -0.5: a finite number >= 0"),
    ({"free_bits": float("inf")}, "--free-bits inf: a finite number >= 0"),
    ({"beta": "1"}, "--beta '1': a number, not str"),
    ({"kl_warmup": 1.0}, "--kl-warmup 1.0: a whole number of epochs, not float"),
    ({"activation": "tanh"}, "--activation 'tanh': choose one of relu, leaky-relu, elu"),
])
def test_configs_from_files_are_checked_as_the_command_line_is(fields, message):
    with pytest.raises(ProjectError, match="^" + message.replace("+", r"\+").replace(".", r"\.") + "$"):
        RunConfig.from_saved(fields)


# -- sweeps ------------------------------------------------------------------------------------
def test_sweep_lists_multiply_into_members_with_names_of_their_own(tmp_path):
    spec = spec_from_options("784-16-2", "variational", "0,1", {"epochs": 1, "beta": "0.5,1", "init": None})
    names = [config.run_name for config in spec.members()]
    assert names == ["784-16-2-variational-s0-b0.5", "784-16-2-variational-s1-b0.5", "784-16-2-variational-s0", "784-16-2-variational-s1"]
    assert spec.default_name() == "784-16-2_variational_b0.5+b1_s0-1_e1"
    config = tmp_path / "sweep.toml"
    config.write_text('arch = "784-16-2"\nmode = "variational"\nseeds = "0"\nbeta = [0.5, 1]\nkl-warmup = 2\n'
                      'activation = ["relu", "elu"]\n')
    given = read_config(config)
    spec = spec_from([("784-16-2", "variational")], given["seeds"], {key: given[key] for key in ("beta", "kl_warmup", "activation")})
    assert sorted(config.run_name for config in spec.members()) == [
        "784-16-2-variational-s0-b0.5-w2", "784-16-2-variational-s0-b0.5-w2-elu", "784-16-2-variational-s0-w2",
        "784-16-2-variational-s0-w2-elu"]
    with pytest.raises(ProjectError, match=r"^--kl-warmup '1,x': whole numbers, comma-separated \(like 0,2\)$"):
        spec_from_options("784-16-2", "variational", "0", {"kl_warmup": "1,x"})
    with pytest.raises(ProjectError, match=r"^--beta -1\.0: a finite number >= 0$"):
        spec_from_options("784-16-2", "variational", "0", {"beta": "0.5,-1"})


def test_a_sweep_of_betas_is_summarised_per_beta(tmp_path):
    members = {}
    for beta, loss in ((0.5, 100.0), (1.0, 200.0)):
        for seed in (0, 1):
            config = {"arch": "784-16-2", "mode": "variational", "epochs": 2, "seed": seed, "beta": beta}
            name = RunConfig.from_saved(config).run_name
            path = synthetic_run(tmp_path / name, seed=seed)
            with h5py.File(path, "r+") as handle:
                handle.attrs["config"] = json.dumps(config)
                handle["epochs/test_loss"][-1] = [loss + seed, 1.0]
            members[name] = config
    (tmp_path / "plan.json").write_text(json.dumps({"members": members}))
    rows = summarize(tmp_path)
    assert [(row.option_values, row.seeds_finished, row.test_loss.mean) for row in rows] == [
        ({"beta": 0.5}, 2, 101.5), ({"beta": 1.0}, 2, 201.5)]  # one row per beta, never the mean of both
    assert [row.label for row in rows] == ["784-16-2 · variational · beta 0.5", "784-16-2 · variational"]
    table = markdown(rows)
    assert "| 784-16-2 | variational | beta 0.5 | 2 of 2 | 101.50 ± 0.71" in table and "| 784-16-2 | variational | defaults | 2 of 2 |" in table
