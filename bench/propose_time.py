"""How long a round's proposals take: the region and the model's batch for one later round (of
4, the widest a budget plans, or --size), after 120 finished trials in 10 dimensions (8 numeric,
one integer, one categorical of 3 values).

Printed: the median and the slowest of the repetitions, in CPU time of this process (one core:
the model's linear algebra runs on one thread) and in wall time (which a loaded machine
inflates). The issue's limit is 50 ms.

    python bench/propose_time.py [--trials 120] [--repeat 7]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from hpsearch.space import Categorical, Float, Int
from hpsearch.study.loop import Settings, region_for
from hpsearch.study.plan import LATER, Plan
from hpsearch.study.record import Goal, TrialResult

SPACE = {
    **{f"x{i}": Float(1e-4, 1.0, "log") for i in range(8)},
    "units": Int(16, 512, "log"),
    "activation": Categorical(("relu", "tanh", "sigmoid")),
}


def _value(c) -> float:
    x = [math.log10(c[f"x{i}"]) + 2 for i in range(8)]
    bonus = {"relu": 0.0, "tanh": 0.1, "sigmoid": -0.3}[c["activation"]]
    return bonus - sum(w * v**2 for w, v in zip((1, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02), x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--size", type=int, default=LATER[1], help="trials in the round")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    size = args.size
    plan = Plan.fixed(size, args.trials // size + 1)
    records = []
    for t in range(args.trials):
        c = {n: d.sample(rng) for n, d in sorted(SPACE.items())}
        records.append(TrialResult(t, 1 + t // size, "ok", c, _value(c)))
    settings = Settings(plan, Goal.of("value", "maximize"), seed=0)
    rnd = args.trials // size + 1
    cpu, wall = [], []
    for _ in range(args.repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        region = region_for(SPACE, settings, records, rnd)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    print(f"round {rnd} after {args.trials} trials, {len(SPACE)} dimensions: {region.note}")
    print(
        f"CPU {1000 * np.median(cpu):.1f} ms median, {1000 * max(cpu):.1f} ms slowest; "
        f"wall {1000 * np.median(wall):.1f} ms median ({args.repeat} repetitions)"
    )


if __name__ == "__main__":
    main()
