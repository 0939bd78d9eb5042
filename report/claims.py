"""The lecture's claims, checked against the runs: each with its numbers and a verdict over the
seeds run ("holds", "does not hold", "mixed").

Per-seed comparisons hold when they hold for every seed, do not when they hold for none; claims about
the spread over seeds need two seeds or more. Measures: r is the variance-circle radius
(sigma_x^2 sigma_y^2)^(1/4) of the tracked digits; the divergence of test encodings from N(0, I) is
the KL divergence of the Gaussian fitted to them (mean m, covariance S): 0.5 (tr S + |m|^2 - d - ln det S);
sphericity is the ratio of the largest to the smallest eigenvalue of S.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from train.describe import final_epoch
from train.runfile import RunFile


@dataclass(frozen=True)
class Claim:
    text: str  # the lecture's words
    measure: str  # what was computed
    numbers: str  # the values, over seeds
    verdict: str  # holds, does not hold, mixed, or not checked (why)


def _run(folder: Path, arch: str, mode: str, seed: int) -> Path | None:
    path = folder / f"{arch}-{mode}-s{seed}"
    if not (path / "run.h5").exists():
        return None
    with RunFile(path) as run:
        return path if run.epochs_done >= 1 else None


def _final(path: Path) -> dict:
    with RunFile(path) as run:
        final = final_epoch(run)
    test, mu, stats = final.test_loss.astype(np.float64), final.encodings.mu.astype(np.float64), final.stats
    mean, cov = mu.mean(axis=0), np.atleast_2d(np.cov(mu, rowvar=False))
    eig = np.linalg.eigvalsh(cov)
    kl = 0.5 * (np.trace(cov) + mean @ mean - len(mean) - np.sum(np.log(np.maximum(eig, 1e-12))))
    return {"loss": float(test.sum()), "recon": float(test[0]), "kl_fit": float(kl), "mean_norm": float(np.linalg.norm(mean)),
            "eig": eig, "sphericity": float(eig.max() / max(eig.min(), 1e-12)), "inactive": stats.inactive_count}


def _verdict(flags: list[bool]) -> str:
    if not flags:
        return "not checked (no finished runs)"
    return "holds" if all(flags) else "does not hold" if not any(flags) else "mixed"


def _fmt(values) -> str:
    return ", ".join(f"{value:.3g}" for value in values)


def check_claims(folder: Path, seeds: list[int]) -> list[Claim]:
    claims = []

    def paired(arch_a, mode_a, arch_b, mode_b):
        pairs = []
        for seed in seeds:
            a, b = _run(folder, arch_a, mode_a, seed), _run(folder, arch_b, mode_b, seed)
            if a and b:
                pairs.append((seed, _final(a), _final(b)))
        return pairs

    # 1. The radius starts close to 1 and rapidly decreases.
    starts, ends = [], []
    for seed in seeds:
        path = _run(folder, "784-256-2", "variational", seed)
        if path:
            with RunFile(path) as run:
                steps = run.trajectory(0, 1)
            radius = np.exp(steps.logvar.astype(np.float64).sum(axis=-1) / 4).mean(axis=1)
            starts.append(radius[0])
            ends.append(radius[-1])
    claims.append(Claim("the radius is initially close to 1, but it rapidly decreases", "mean r of the tracked digits at step 0 and at the end of epoch 1 (784-256-2)",
                        f"start {_fmt(starts)}; end of epoch 1 {_fmt(ends)}",
                        _verdict([0.7 <= s <= 1.3 and e < 0.5 * s for s, e in zip(starts, ends)])))
    # 2. Gaussian-like distribution around the centre.
    finals = [_final(p) for p in (_run(folder, "784-256-2", "variational", s) for s in seeds) if p]
    claims.append(Claim("all digits progressively distribute around the center, in a Gaussian-like distribution",
                        "|mean| and covariance eigenvalues of the final test encodings (784-256-2), against N(0, I)'s 0 and 1",
                        "; ".join(f"|m| {f['mean_norm']:.2f}, eig {_fmt(f['eig'])}" for f in finals),
                        _verdict([f["mean_norm"] < 0.5 and f["eig"].min() > 0.2 and f["eig"].max() < 5 for f in finals])))
    deep, shallow = paired("784-256-32-8-2", "variational", "784-256-32-8-2", "deterministic"), paired("784-256-2", "variational", "784-256-2", "deterministic")
    # 3. Without sampling the reconstruction is slightly better (784-256-32-8-2).
    claims.append(Claim("without sampling the reconstruction error is slightly better (784-256-32-8-2)", "final test reconstruction, variational vs without sampling",
                        "; ".join(f"{v['recon']:.2f} vs {d['recon']:.2f}" for _, v, d in deep), _verdict([d["recon"] < v["recon"] for _, v, d in deep])))
    # 4. Without sampling the distribution is sensibly less uniform (784-256-32-8-2).
    claims.append(Claim("without sampling the distribution in the latent space is sensibly less uniform (784-256-32-8-2)",
                        "KL divergence of the Gaussian fitted to the test encodings from N(0, I), variational vs without sampling",
                        "; ".join(f"{v['kl_fit']:.2f} vs {d['kl_fit']:.2f}" for _, v, d in deep), _verdict([d["kl_fit"] > v["kl_fit"] for _, v, d in deep])))
    # 5. At latent size 3 the variational encodings are much more spherical.
    three = paired("784-256-32-8-3", "variational", "784-256-32-8-3", "deterministic")
    claims.append(Claim("digits have a much better spherical disposition in the case with sampling (latent size 3)",
                        "largest / smallest eigenvalue of the test encodings' covariance, variational vs without sampling",
                        "; ".join(f"{v['sphericity']:.2f} vs {d['sphericity']:.2f}" for _, v, d in three),
                        _verdict([v["sphericity"] < d["sphericity"] for _, v, d in three])))
    # 6. For 784-256-2 the effect of sampling is not so evident.
    flags = [abs(sv["recon"] - sd["recon"]) < abs(dv["recon"] - dd["recon"]) and abs(sv["kl_fit"] - sd["kl_fit"]) < abs(dv["kl_fit"] - dd["kl_fit"])
             for (_, sv, sd), (_, dv, dd) in zip(shallow, deep)]
    claims.append(Claim("the effect of sampling is not so evident (784-256-2)", "reconstruction and KL-fit gaps between the modes, 784-256-2 against 784-256-32-8-2",
                        "; ".join(f"gaps {abs(sv['recon'] - sd['recon']):.2f}, {abs(sv['kl_fit'] - sd['kl_fit']):.2f} vs {abs(dv['recon'] - dd['recon']):.2f}, "
                                  f"{abs(dv['kl_fit'] - dd['kl_fit']):.2f}" for (_, sv, sd), (_, dv, dd) in zip(shallow, deep)), _verdict(flags)))
    # 7. The deeper net improves reconstruction over 784-256-2.
    better = paired("784-256-32-8-2", "variational", "784-256-2", "variational")
    claims.append(Claim("the deeper net 784-256-32-8-2 reconstructs better than 784-256-2", "final test reconstruction, 784-256-32-8-2 vs 784-256-2",
                        "; ".join(f"{a['recon']:.2f} vs {b['recon']:.2f}" for _, a, b in better), _verdict([a["recon"] < b["recon"] for _, a, b in better])))

    def spread(arch):
        values = [_final(p)["loss"] for p in (_run(folder, arch, "variational", s) for s in seeds) if p]
        return values, (float(np.std(values, ddof=1)) if len(values) > 1 else None)

    # 8. Latent size 4 is much more aleatory; 10. 784-256-32-4 more stable than 784-256-32-8-4.
    d4, s4 = spread("784-256-32-8-4")
    d2, s2 = spread("784-256-32-8-2")
    claims.append(Claim("at latent size 4 training is much more aleatory, with quite different final errors", "std over seeds of the final test loss, 784-256-32-8-4 vs 784-256-32-8-2",
                        f"{s4 if s4 is None else round(s4, 3)} vs {s2 if s2 is None else round(s2, 3)} (losses {_fmt(d4)} / {_fmt(d2)})",
                        "not checked (needs two seeds)" if s4 is None or s2 is None else _verdict([s4 > s2])))
    # 9. Collapse more evident for deeper architectures.
    pairs = [("784-256-32-16-8", "784-256-32-8"), ("784-256-32-24-16", "784-256-32-16")]
    flags, shown = [], []
    for deeper, shallower in pairs:
        a = [_final(p)["inactive"] for p in (_run(folder, deeper, "variational", s) for s in seeds) if p]
        b = [_final(p)["inactive"] for p in (_run(folder, shallower, "variational", s) for s in seeds) if p]
        if a and b:
            flags.append(np.mean(a) >= np.mean(b))
            shown.append(f"{deeper} {np.mean(a):.1f} vs {shallower} {np.mean(b):.1f}")
    claims.append(Claim("the collapse of latent variables is more evident for deeper architectures", "mean inactive latent variables over seeds (variance of the mean < 0.01)",
                        "; ".join(shown), _verdict(flags)))
    s44, s4_ = spread("784-256-32-4")[1], s4
    claims.append(Claim("784-256-32-4 trains more stably than 784-256-32-8-4", "std over seeds of the final test loss",
                        f"{s44 if s44 is None else round(s44, 3)} vs {s4_ if s4_ is None else round(s4_, 3)}",
                        "not checked (needs two seeds)" if s44 is None or s4_ is None else _verdict([s44 < s4_])))
    return claims
