"""Option parsing and the choice of tracked digits."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from errors import ProjectError
from train.config import RunConfig, parse_arch, parse_track
from train.digit_choice import Classes, ClassPick, Indices, PerClass, parse_choice
from train.model import VAE, loss_terms
from train.tracking import select_tracked


@pytest.mark.parametrize("text, message", [
    ("100-2", "first layer must be 784"),
    ("784", "expected layer sizes"),
    ("784-abc-2", "expected layer sizes"),
    ("784-0-2", "at least one unit"),
    ("784--2", "expected layer sizes"),
])
def test_bad_arch_is_explained(text, message):
    with pytest.raises(ProjectError, match=message):
        parse_arch(text)


def test_arch_sizes():
    assert parse_arch("784-256-32-8-2") == (784, 256, 32, 8, 2)
    assert RunConfig(arch="784-256-32-24-16").latent_dim == 16


@pytest.mark.parametrize("text", ["0-per-class", "six-per-class", "indices:", "indices:1,1", "per-class"])
def test_bad_track_is_explained(text):
    with pytest.raises(ProjectError, match="--track"):
        parse_track(text)


def test_track_and_digits_read_one_grammar():
    assert parse_choice(" 3-per-class ", "--digits") == PerClass(3)
    assert parse_choice("indices:12,345", "--track") == Indices((12, 345))
    assert parse_choice("3:2,0", "--digits") == Classes((ClassPick("3:2", 3, 2), ClassPick("0", 0, 1)))
    assert parse_choice("threes", "--digits") is None
    assert parse_track("2-per-class") == PerClass(2) and parse_track("indices:7,3") == Indices((7, 3))
    with pytest.raises(ProjectError, match=re.escape("--to: N-per-class needs N >= 1")):
        parse_choice("0-per-class", "--to")
    with pytest.raises(ProjectError, match=re.escape("--track '3,8': expected N-per-class (e.g. 6-per-class) or indices:12,345,...")):
        parse_track("3,8")  # classes choose among tracked digits; training has none tracked yet


def test_per_class_selection(mnist):
    chosen = select_tracked(mnist.train_labels, parse_track("6-per-class"), seed=0)
    assert chosen.shape == (60,) and chosen.dtype == np.int64
    assert mnist.train_labels[chosen].tolist() == [d for d in range(10) for _ in range(6)]
    assert len(set(chosen.tolist())) == 60
    assert np.array_equal(chosen, select_tracked(mnist.train_labels, parse_track("6-per-class"), seed=0))
    assert not np.array_equal(chosen, select_tracked(mnist.train_labels, parse_track("6-per-class"), seed=1))


def test_explicit_indices_are_grouped_by_class(mnist):
    chosen = select_tracked(mnist.train_labels, parse_track("indices:0,1,2,3"), seed=0)
    # labels 5, 0, 4, 1 -> class order 0, 1, 4, 5
    assert chosen.tolist() == [1, 3, 2, 0]
    with pytest.raises(ProjectError, match="index 60000 is outside"):
        select_tracked(mnist.train_labels, parse_track("indices:60000"), seed=0)


def test_model_shapes_and_penalties():
    model = VAE((784, 256, 32, 8, 3))
    x = torch.rand(5, 784)
    logits, mu, logvar = model(x, sample=True)
    assert logits.shape == (5, 784) and mu.shape == (5, 3) and logvar.shape == (5, 3)
    zeros = torch.zeros(5, 3)
    _, kl_at_prior = loss_terms(logits, x, zeros, zeros, "variational")
    assert kl_at_prior.item() == pytest.approx(0.0, abs=1e-6)
    mu = torch.full((5, 3), 2.0)
    _, quadratic = loss_terms(logits, x, mu, zeros, "deterministic")
    assert quadratic.item() == pytest.approx(0.5 * 4 * 15)
    # Deterministic forward ignores the variance head: z is the mean.
    assert torch.equal(model(x, sample=False)[0], model.decode(model.encode(x)[0]))
