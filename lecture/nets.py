"""The lecture's nets, named once: its claims, its page's media and its sweep read them here.

The page compares three nets with and without sampling (the 2-d net of its first half, a deeper
one, and its 3-d sibling), then latent sizes 4, 8 and 16, each as a deeper and a shallower net, with
sampling only (the collapse of latent variables). `sweeps/lecture.toml` lists the same sweep for
`python cli.py sweep --config` (tests/test_lecture.py checks that the two agree).
"""

from __future__ import annotations

VAE, PLAIN = "variational", "deterministic"  # with sampling, and the same net trained without it

SHALLOW = "784-256-2"  # the first half of the page: the trajectories, the circles, the tour
DEEP = "784-256-32-8-2"  # "a deeper network": less uniform without sampling
DEEP3 = "784-256-32-8-3"  # its 3-d sibling: the spherical disposition, the slices
FOUR_DEEP, FOUR_SHALLOW = "784-256-32-8-4", "784-256-32-4"  # latent size 4: collapse, and "can we improve this situation?"
EIGHT_DEEP, EIGHT_SHALLOW = "784-256-32-16-8", "784-256-32-8"  # latent size 8
SIXTEEN_DEEP, SIXTEEN_SHALLOW = "784-256-32-24-16", "784-256-32-16"  # latent size 16

COMPARED = (SHALLOW, DEEP, DEEP3)  # trained with and without sampling
LATENT_SIZES = (FOUR_DEEP, FOUR_SHALLOW, EIGHT_DEEP, EIGHT_SHALLOW, SIXTEEN_DEEP, SIXTEEN_SHALLOW)  # with sampling only

EPOCHS, TRACK = 10, "6-per-class"  # as the lecture trains them
SWEEP = {  # the lecture's sweep, in the shape `sweep.plan.read_config` gives a TOML file (seeds come from --seeds)
    "name": "lecture", "epochs": EPOCHS, "track": TRACK,
    "group": [{"arch": list(COMPARED), "mode": [VAE, PLAIN]}, {"arch": list(LATENT_SIZES), "mode": [VAE]}],
}
