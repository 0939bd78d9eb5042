"""`train --matmul-precision bf16`: the wide layers' products in bfloat16, another run as good as fp32's, reproducible and resumable."""

from __future__ import annotations

import copy
import json

import h5py
import numpy as np
import pytest
import torch
from test_train import _train_process, kill_after_first_epoch

from errors import ProjectError
from helpers import cli
from sweep.plan import spec_from
from train.adam_step import AdamStep
from train.config import RunConfig
from train.dense_step import DenseStep
from train.model import VAE, Objective


def _first_gradients(model: VAE, bf16: bool, x: torch.Tensor) -> list[torch.Tensor]:
    adam = AdamStep(torch.optim.Adam(model.parameters(), lr=1e-3, fused=True))
    DenseStep(model, adam, Objective(), "variational", fast_loss=True, bf16=bf16)(x, torch.Generator().manual_seed(5), 0)
    return [grad.clone() for grad in adam.grads]


def test_the_gradients_come_from_bfloat16_products_and_point_the_same_way():
    torch.manual_seed(0)
    model = VAE((784, 128, 8, 2))  # 784 x 128 wide in the encoder and the decoder; 128 x 8, 8 x 4, 2 x 8, 8 x 128 narrow
    x = torch.rand(50, 784, generator=torch.Generator().manual_seed(1)) * (torch.rand(1, 784, generator=torch.Generator().manual_seed(2)) > 0.4)
    full = _first_gradients(copy.deepcopy(model), False, x)
    low = _first_gradients(copy.deepcopy(model), True, x)
    for (name, _), want, got in zip(model.named_parameters(), full, low):
        error = float((got - want).norm() / want.norm())
        assert not torch.equal(got, want), name  # every gradient passes through a bfloat16 product on its way
        # bfloat16 keeps 8 bits (~0.4% a rounding); the first layer's units whose input sum lies that close to 0
        # switch their ReLU on or off, which moves its gradients by a few percent (6.5% here), the rest by less than 0.2%
        assert error < (0.1 if name.startswith("encoder.0.") else 0.005), f"{name}: relative error {error:.4f}"


def test_a_bf16_run_is_another_run_as_good_and_the_same_every_time(small_data_dir, tmp_path):
    for folder, precision in (("fp32", "fp32"), ("bf16", "bf16"), ("bf16-again", "bf16")):
        result = cli("train", "--data-dir", small_data_dir, "--out", tmp_path / folder, "--quiet", "--arch", "784-128-2",
                     "--epochs", "3", "--track", "1-per-class", "--matmul-precision", precision, "--threads", "1")
        assert result.exit_code == 0, result.output
    with h5py.File(tmp_path / "fp32" / "run.h5") as fp32, h5py.File(tmp_path / "bf16" / "run.h5") as bf16, \
            h5py.File(tmp_path / "bf16-again" / "run.h5") as again:
        assert json.loads(bf16.attrs["config"])["matmul_precision"] == "bf16" and bf16.attrs["schema_version"] == 5
        for name in ("trajectory/mu", "trajectory/loss", "encodings/mu", "epochs/test_loss", "epochs/dead_units"):
            assert np.array_equal(bf16[name][()], again[name][()], equal_nan=True), name  # same seed, same numbers
        assert not np.array_equal(bf16["trajectory/mu"][-1], fp32["trajectory/mu"][-1])  # another run
        start, fp32_loss, bf16_loss = fp32["epochs/test_loss"][0].sum(), fp32["epochs/test_loss"][-1].sum(), bf16["epochs/test_loss"][-1].sum()
        assert bf16_loss < start and abs(bf16_loss - fp32_loss) < 0.02 * fp32_loss, (fp32_loss, bf16_loss)


def test_a_killed_bf16_run_resumes_to_the_same_numbers_and_keeps_its_precision(small_data_dir, tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    options = ("--arch", "784-128-2", "--epochs", "3", "--matmul-precision", "bf16", "--threads", "1")  # the same threads throughout
    kill_after_first_epoch(small_data_dir, killed, *options)
    refused = cli("train", "--resume", "--out", killed, "--data-dir", small_data_dir, "--quiet", "--matmul-precision", "fp32")
    assert refused.exit_code != 0 and "--matmul-precision" in refused.output and len(refused.output.strip().splitlines()) == 1
    result = cli("train", "--resume", "--out", killed, "--data-dir", small_data_dir, "--quiet", "--threads", "1")
    assert result.exit_code == 0, result.output
    assert _train_process(small_data_dir, clean, *options).wait() == 0
    with h5py.File(killed / "run.h5", "r") as resumed, h5py.File(clean / "run.h5", "r") as uninterrupted:
        for name in ("trajectory/mu", "trajectory/logvar", "trajectory/loss", "encodings/mu", "epochs/test_loss"):
            assert np.array_equal(resumed[name][:], uninterrupted[name][:], equal_nan=True), name


def test_a_sweep_holds_one_precision_and_a_net_without_a_wide_layer_is_refused_bf16(small_data_dir, tmp_path):
    spec = spec_from([("784-64-2", "variational")], "0-1", {"matmul_precision": "bf16"})
    assert [member.matmul_precision for member in spec.members()] == ["bf16", "bf16"] and spec.default_name().endswith("_bf16_s0-1_e10")
    with pytest.raises(ProjectError, match="--matmul-precision 'half': choose one of fp32, bf16"):
        spec_from([("784-64-2", "variational")], "0", {"matmul_precision": "half"})
    with pytest.raises(ProjectError, match="no layer of 784-32-8-2 is 64 wide in and out, so every product would stay fp32"):
        RunConfig(arch="784-32-8-2", matmul_precision="bf16")
    args = ("sweep", "--arch", "784-64-2", "--mode", "variational", "--epochs", "1", "--track", "1-per-class",
            "--data-dir", small_data_dir, "--out", tmp_path / "sweep", "--quiet", "--jobs", "1")
    assert cli(*args, "--seeds", "0").exit_code == 0
    refused = cli(*args, "--seeds", "0", "--matmul-precision", "bf16")  # the same member: trained with fp32 products
    assert refused.exit_code != 0 and "--matmul-precision bf16 (was fp32)" in refused.output
    refused = cli(*args, "--seeds", "1", "--matmul-precision", "bf16")  # another member, in a folder of fp32 ones
    assert refused.exit_code != 0 and "a sweep holds one matmul precision" in refused.output
    assert len(refused.output.strip().splitlines()) == 1 and not (tmp_path / "sweep" / "784-64-2-variational-s1").exists()


def test_runs_from_before_the_option_read_as_fp32_and_bf16_runs_say_so_in_their_titles():
    assert RunConfig.from_saved({"arch": "784-32-2"}).matmul_precision == "fp32" and RunConfig().matmul_precision == "fp32"
    assert RunConfig().options_label == "" and RunConfig(matmul_precision="bf16").options_label == "bf16 products"
    both = RunConfig(beta=0.5, matmul_precision="bf16")
    assert both.options_note() == " · beta 0.5 · bf16 products" and both.run_name == RunConfig(beta=0.5).run_name


def test_a_lecture_page_of_bf16_nets_says_so_under_its_heading(tmp_path):
    from lecture.lecture import _precision_note, lecture_home
    from sweep.plan import merge

    for precision in ("fp32", "bf16"):
        merge(tmp_path / precision, spec_from([("784-64-2", "variational")], "0-1", {"matmul_precision": precision}), overwrite=False)
    assert _precision_note(tmp_path / "fp32") == ""
    assert _precision_note(tmp_path / "bf16") == "; its nets trained with bf16 matrix products"
    assert lecture_home("lecture", "bf16").name == "lecture-bf16" and lecture_home("beyond").name == "beyond"


def test_train_keeps_a_bf16_run_beside_the_fp32_run_of_the_same_options(small_data_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `train` without --out: outputs/runs/ here
    for precision in ("fp32", "bf16"):
        result = cli("train", "--data-dir", small_data_dir, "--quiet", "--arch", "784-64-2", "--epochs", "1", "--track", "1-per-class",
                     "--beta", "0.5", "--tag", "talk", "--matmul-precision", precision, "--threads", "1")
        assert result.exit_code == 0, result.output
    runs = tmp_path / "outputs" / "runs"
    assert sorted(path.name for path in runs.iterdir()) == ["784-64-2-variational-s0-b0.5-bf16-talk", "784-64-2-variational-s0-b0.5-talk"]
    with h5py.File(runs / "784-64-2-variational-s0-b0.5-talk" / "run.h5") as fp32:
        assert json.loads(fp32.attrs["config"])["matmul_precision"] == "fp32"  # not replaced by the bf16 run
    resumed = cli("train", "--data-dir", small_data_dir, "--quiet", "--arch", "784-64-2", "--epochs", "1", "--track", "1-per-class",
                  "--beta", "0.5", "--tag", "talk", "--matmul-precision", "bf16", "--threads", "1", "--resume")
    assert resumed.exit_code == 0 and "784-64-2-variational-s0-b0.5-bf16-talk" in resumed.output, resumed.output


def test_bf16_products_are_refused_off_the_cpu_where_nobody_measured_them():
    from train.loop import check_precision_on

    check_precision_on(torch.device("cpu"), "bf16")
    check_precision_on(torch.device("cuda"), "fp32")
    with pytest.raises(ProjectError, match="bf16 is measured on CPUs only, and this run would train on cuda: train it in fp32 there, or give --device cpu"):
        check_precision_on(torch.device("cuda"), "bf16")


def test_a_new_tag_that_reads_as_a_training_option_is_refused(small_data_dir, tmp_path, monkeypatch):
    """An fp32 run tagged `bf16` would be the folder of the untagged bf16 run (`...-s0-bf16`), `--tag glorot` that of
    `--init glorot`: `train` refuses such a first word, in any case, and nothing is made."""
    from train.config import check_new_tag

    for tag in ("bf16", "BF16-talk", "glorot", "b0.5", "fb0.25-x", "w2", "leaky-relu", "elu"):
        with pytest.raises(ProjectError, match="reads as a training option in the run's name"):
            check_new_tag(tag)
    for tag in ("", "talk", "talk-bf16", "best", "wide", "x-glorot"):
        check_new_tag(tag)
    monkeypatch.chdir(tmp_path)
    result = cli("train", "--data-dir", small_data_dir, "--quiet", "--arch", "784-64-2", "--epochs", "1", "--tag", "bf16")
    assert result.exit_code == 1 and result.output.splitlines() == [
        "Error: --tag bf16: its first word 'bf16' reads as a training option in the run's name, where it could name another "
        "run's folder; put another word first"]
    assert not (tmp_path / "outputs").exists()
