"""Scoring generated digits with a small MNIST classifier the project trains once and caches.

The lecture's statements about random generation ("more distorted digits", "very bad results",
"modest", "slightly better") are checked on 10,000 decodes of z ~ N(0, I) per run, scored by this
classifier: the Fréchet distance between its penultimate features of the samples and of the test
set (`scipy.linalg.sqrtm`; lower is closer to real digits), the mean top-class confidence (how sure
it is that a sample is some digit), and the entropy of the predicted classes (log 10 = 2.30 when
every class is generated equally often).

Much of a sample's distance is the decoder's blur, not where the prior sends its codes: the same net's
reconstructions of real test digits (each decoded from its mean code) are scored too
(`score_reconstructions`), and claims about sampling are judged on the coverage gap, the samples' FD
minus the reconstructions' FD.

The classifier (two 5x5 convolutions, a 64-unit feature layer) trains in five seeded epochs (batches of 64, a one-cycle learning rate) on the
training set given and is cached beside MNIST, keyed by that data, the torch version and
CLASSIFIER_VERSION, with its test accuracy and its dead features (penultimate ReLU units no test
digit activates): written whole (`atomic_path`), so an interrupted training leaves no cache behind.
It trains to the same weights wherever it is trained with the same library versions: one thread
while it trains (a sum split over threads adds in another order), deterministic algorithms, seeded
(tests/test_claims.py trains it twice under different thread settings and compares the weights).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import linalg

from atomic import atomic_path, write_text_atomically
from data.mnist import Mnist, cache_dir
from errors import make_folder
from kept import json_object, number, read_kept, whole
from train.runfolder import RunFolder

SAMPLES = 10_000
EPOCHS, BATCH, LR, SEED = 5, 64, 2e-3, 0
CLASSIFIER_VERSION = 4  # bump when the net or its training changes: the cache key holds it (4: one thread, deterministic)
FEATURES = 64  # the penultimate layer's units


def _net():
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(512, FEATURES), nn.ReLU(), nn.Linear(FEATURES, 10))


@dataclass(frozen=True)
class Scores:
    """How a run's random samples look to the classifier."""

    frechet: float  # Fréchet distance of penultimate features, samples against the test set
    confidence: float  # mean top-class probability
    class_entropy: float  # entropy (nats) of the predicted-class histogram


class Scorer:
    """The cached classifier, its test accuracy, and the test set's feature statistics."""

    def __init__(self, state: dict, accuracy: float, mean: np.ndarray, cov: np.ndarray, seconds: float, dead_features: int | None = None):
        import torch

        self.net = _net()
        self.net.load_state_dict(state)
        self.net.eval()
        self.accuracy, self.mean, self.cov, self.seconds = accuracy, mean, cov, seconds
        self.dead_features, self.features = dead_features, FEATURES  # penultimate units never active on the test set
        self._torch = torch
        self.kept: dict[str, dict] = {}  # scores of runs already scored, by run and its last checkpoint
        self.version = ""  # which classifier: part of every kept score's key
        self.scoring_seconds = 0.0  # spent scoring runs so far

    def _outputs(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate features (n, 64) and class probabilities (n, 10) of (n, 28, 28) images in [0, 1]."""
        torch = self._torch
        features, probabilities = [], []
        with torch.no_grad():
            for start in range(0, len(images), 1000):  # 1,000 at a time: twice as fast as 2,000 (the same numbers), in cache
                x = torch.as_tensor(images[start:start + 1000], dtype=torch.float32)[:, None]
                hidden = self.net[:-1](x)
                features.append(hidden.numpy())
                probabilities.append(torch.softmax(self.net[-1](hidden), dim=1).numpy())
        return np.concatenate(features).astype(np.float64), np.concatenate(probabilities).astype(np.float64)

    def score(self, images: np.ndarray) -> Scores:
        features, probabilities = self._outputs(images)
        counts = np.bincount(probabilities.argmax(axis=1), minlength=10) / len(probabilities)
        nonzero = counts[counts > 0]
        return Scores(frechet=frechet_distance(features.mean(axis=0), np.cov(features, rowvar=False), self.mean, self.cov),
                      confidence=float(probabilities.max(axis=1).mean()), class_entropy=float(-(nonzero * np.log(nonzero)).sum()) + 0.0)  # + 0.0: one class is 0, not -0

    def score_run(self, run_dir: Path, seed: int = 0) -> Scores:
        """Scores of SAMPLES decodes of z ~ N(0, I) by the run's last decoder (the same z for every run
        of a latent size); a run scored before with the same checkpoint and classifier is not scored again."""
        def samples(model) -> np.ndarray:
            z = self._torch.randn(SAMPLES, model.heads.out_features // 2, generator=self._torch.Generator().manual_seed(seed))
            return model.generate(z).numpy()

        return self._kept_or_scored(run_dir, str(seed), samples)

    def score_reconstructions(self, run_dir: Path, images: np.ndarray) -> Scores:
        """Scores of the run's last net's reconstructions of (n, 28, 28) uint8 images, each decoded
        from its mean code (no sampling): the blur of the decoder alone, the reference a sample's
        scores are judged against. Kept like the samples' scores, keyed by the images too."""
        def reconstructions(model) -> np.ndarray:
            torch, decoded = self._torch, []
            with torch.no_grad():
                for start in range(0, len(images), 2000):
                    x = torch.as_tensor(images[start:start + 2000].reshape(-1, 784), dtype=torch.float32).div(255)
                    decoded.append(model.generate(model.encode(x)[0]).numpy())
            return np.concatenate(decoded)

        digest = hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()[:12]
        return self._kept_or_scored(run_dir, f"reconstructions {digest}", reconstructions)

    def _kept_or_scored(self, run_dir: Path, what: str, images_of: Callable) -> Scores:
        """The scores kept for `what` of the run's last checkpoint (keyed by its name, time and size and
        by this classifier), else those of `images_of(model)`, kept for next time."""
        from train.checkpoints import load_model

        folder = RunFolder(run_dir)
        saved = folder.saved_epochs()
        last = folder.checkpoint(saved[-1]) if saved else None
        key = f"{Path(run_dir).name} {last.name} {last.stat().st_mtime_ns} {last.stat().st_size} {self.version} {what}" if last else ""
        try:
            return Scores(**self.kept[key])
        except (KeyError, TypeError):  # not scored yet, or a kept entry that is not scores: score it
            pass
        started = time.perf_counter()
        model, _ = load_model(run_dir)
        scores = self.score(images_of(model))
        self.kept[key] = asdict(scores)
        self.scoring_seconds += time.perf_counter() - started
        return scores

    def keep_in(self, path: Path, echo: Callable[[str], None] = print) -> None:
        """Read the scores kept in `path` (JSON), if any; a file that is not scores this program kept
        (a pipe, a device, another shape) is scored again, saying so."""
        self.kept = read_kept(path, MAX_KEPT_SCORES_BYTES, "kept sample scores", kept_scores, "scoring the samples again", echo) or {}

    def save_to(self, path: Path) -> None:
        write_text_atomically(path, json.dumps(self.kept, indent=0))


MAX_KEPT_SCORES_BYTES = 16 << 20  # about 150 bytes a run: 100,000 runs


def kept_scores(data: bytes) -> dict[str, dict]:
    """The scores `save_to` wrote ({key: {frechet, confidence, class_entropy}}); ValueError (or
    another of kept.SHAPE_ERRORS) for any other shape."""
    names = sorted(field.name for field in fields(Scores))
    kept = {}
    for key, entry in json_object(data).items():
        if not isinstance(entry, dict) or sorted(entry) != names:
            raise ValueError(f"the entry {key[:60]!r} is not scores")
        kept[key] = {name: number(entry[name]) for name in names}
    return kept


def frechet_distance(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray) -> float:
    """|m_a - m_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)): between Gaussians fitted to two feature sets."""
    with warnings.catch_warnings():  # features a classifier never uses make the product singular; its root is still the one wanted
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
    root = root.real if np.iscomplexobj(root) else root
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))


def cache_path(mnist: Mnist) -> Path:
    """Where the classifier of this training set lives: beside the MNIST cache, keyed by its data."""
    digest = hashlib.sha256()
    for array in (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels):
        digest.update(np.ascontiguousarray(array).tobytes())
    import torch

    return cache_dir().parent / "classifier" / f"mnist-cnn-v{CLASSIFIER_VERSION}-torch{torch.__version__}-{digest.hexdigest()[:16]}.pt"


def train_classifier(mnist: Mnist, size: int | None = None, epochs: int | None = None) -> tuple[dict, float, float]:
    """Train the classifier on the first `size` training digits (all by default) for `epochs`
    (EPOCHS by default): seeded, on one thread, with deterministic algorithms, whatever the caller
    set (restored after); returns its weights, test accuracy and training seconds."""
    import torch

    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        return _train(mnist, size, EPOCHS if epochs is None else epochs)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(mnist: Mnist, size: int | None, epochs: int) -> tuple[dict, float, float]:
    import torch
    import torch.nn.functional as F

    started = time.perf_counter()
    torch.manual_seed(SEED)
    net = _net()
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    images = torch.from_numpy(mnist.train_images[:size]).float().div_(255)[:, None]
    labels = torch.from_numpy(mnist.train_labels[:size].astype(np.int64))
    steps = epochs * -(-len(images) // BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=steps)  # a warm start, then annealed to 0
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), BATCH):
            batch = order[start:start + BATCH]
            loss = F.cross_entropy(net(images[batch]), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    net.eval()
    with torch.no_grad():
        test = torch.from_numpy(mnist.test_images).float().div_(255)[:, None]
        predicted = torch.cat([net(test[start:start + 2000]).argmax(dim=1) for start in range(0, len(test), 2000)]).numpy()
    accuracy = float(np.mean(predicted == mnist.test_labels))
    return {key: value.clone() for key, value in net.state_dict().items()}, accuracy, time.perf_counter() - started


MAX_CLASSIFIER_BYTES = 4 << 20  # the classifier saved is about 230 kB


def _cached_scorer(data: bytes) -> Scorer:
    """The classifier `load_scorer` saved, from its bytes; ValueError for anything else (torch's
    unpickler raises many kinds for a damaged or foreign file)."""
    import io

    import torch

    try:
        saved = torch.load(io.BytesIO(data), weights_only=True)
        mean, cov = saved["mean"].numpy().astype(np.float64), saved["cov"].numpy().astype(np.float64)
        scorer = Scorer(saved["state"], number(saved["accuracy"], 0.0, 1.0), mean, cov, number(saved["seconds"], 0.0),
                        whole(saved["dead_features"], 0, FEATURES))
    except Exception as exc:
        raise ValueError(type(exc).__name__) from None
    if mean.shape != (64,) or cov.shape != (64, 64) or not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError(f"feature statistics of shapes {mean.shape} and {cov.shape}, not (64,) and (64, 64)")
    return scorer


def load_scorer(mnist: Mnist, echo: Callable[[str], None] = print) -> Scorer:
    """The cached classifier of this data, trained first if there is none."""
    import torch

    path = cache_path(mnist)
    scorer = read_kept(path, MAX_CLASSIFIER_BYTES, "cached sample classifier", _cached_scorer, "training it again", echo)
    if scorer is not None:
        scorer.version = path.stem
        return scorer
    echo(f"training the sample classifier once ({EPOCHS} epochs on {len(mnist.train_images):,} digits, one thread; cached in {path.parent})")
    state, accuracy, seconds = train_classifier(mnist)
    scorer = Scorer(state, accuracy, np.zeros(64), np.eye(64), seconds)
    features, _ = scorer._outputs(mnist.test_images.astype(np.float64) / 255)
    scorer.mean, scorer.cov = features.mean(axis=0), np.cov(features, rowvar=False)
    scorer.dead_features = int(np.sum(features.max(axis=0) <= 0))
    make_folder(path.parent, "sample classifier's cache folder")
    with atomic_path(path) as tmp:
        torch.save({"state": state, "accuracy": accuracy, "mean": torch.from_numpy(scorer.mean), "cov": torch.from_numpy(scorer.cov),
                    "seconds": seconds, "dead_features": scorer.dead_features}, tmp)
    echo(f"sample classifier: {accuracy:.2%} test accuracy, {scorer.dead_features} of {FEATURES} features dead, trained in {seconds:.0f} s")
    scorer.version = path.stem
    return scorer


def coverage_gap(samples: Scores, reconstructions: Scores) -> float:
    """How much further a net's prior samples sit from the test digits than its own reconstructions of
    them: the samples' Fréchet distance minus the reconstructions', the part of it the decoder's blur
    does not explain (where the prior sends codes the decoder never learned). A gap below 0 (samples
    scored as close as reconstructions, within the scorer's noise) counts as no gap at all: 0."""
    return max(0.0, samples.frechet - reconstructions.frechet)
