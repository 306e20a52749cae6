"""`hpsearch gradcheck configs/digits.yaml`, on the machine as it is and while another process
per core keeps every core busy: wall and CPU seconds of the command as it is, which computes the
costs of the moved networks many at once (`hpsearch.nn.centred`), beside the same command with
one forward pass per parameter and side (what it did before: 30,260 passes of 16 examples).

Interleaved repetitions; median seconds of each (a run stopped at `--cap` seconds shows as that,
with a +):

    python bench/gradcheck.py [--repeat 5] [--loop 3] [--cap 120]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSY = "while True: pass"
COMMAND = ["gradcheck", "configs/digits.yaml"]
LOOP = f"""
import sys
import numpy as np
import hpsearch.nn.gradcheck as g
from hpsearch.cli import main

class Loop:  # the costs of the moved networks by the network's forward pass, one at a time
    def __init__(self, net, X, y, l2):
        self.net, self.X, self.y, self.l2 = net, X, y, l2
        sizes = [int(np.prod(s)) for s in net.shapes.values()]
        self.offsets = dict(zip(net.shapes, np.cumsum([0] + sizes)))
        self.cost = self.J()

    def J(self):
        logits, _ = self.net.forward(self.X, True, update_buffers=False)
        return self.net.data_loss(logits, self.y)[0] + self.net.l2_cost(self.l2, len(self.y))

    def moved(self, name, index, h):
        theta, sides = self.net.flat, []
        for step in (h, -h):
            costs = []
            for i in index + self.offsets[name]:
                saved = theta[i]
                theta[i] = saved + step
                costs.append(self.J())
                theta[i] = saved
            sides.append(np.array(costs))
        return sides

g.Pass = Loop
sys.exit(main({COMMAND!r}, prog_name="hpsearch"))
"""


def timed(args: list, cap: float) -> tuple[float, float]:
    """(wall seconds, CPU seconds) `args` took; `cap` (shown as at least that) when it was
    stopped there. CPU time tells what the command costs when the machine is shared with more
    than the bench's own load."""
    start, before = time.perf_counter(), _children_cpu()
    try:
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return cap, _children_cpu() - before
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return seconds, _children_cpu() - before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def busy(processes: int):
    """`processes` processes that each keep a core busy, while the block runs."""
    started = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(processes)]
    try:
        time.sleep(0.2)
        yield
    finally:
        for p in started:
            p.kill()
        for p in started:
            with contextlib.suppress(Exception):
                p.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of the command as it is")
    parser.add_argument("--loop", type=int, default=3, help="runs with a pass per parameter")
    parser.add_argument("--cap", type=float, default=120, help="stop a run after this long")
    args = parser.parse_args()
    variants = {
        "as it is": ([sys.executable, "-m", "hpsearch", *COMMAND], args.repeat),
        "a pass per parameter": ([sys.executable, "-c", LOOP], args.loop),
    }
    cores = os.cpu_count() or 1
    timed(variants["as it is"][0], args.cap)  # loads the compiled loops' disk cache once
    times, loads = {}, []
    for i in range(max(args.repeat, args.loop)):
        for load in (0, cores):
            with busy(load):
                for name, (command, runs) in variants.items():
                    if i < runs:
                        wall, cpu = timed(command, args.cap)
                        times.setdefault((name, load), []).append((wall, cpu))
                        print(f"  {name}, {load} busy: {wall:.2f} s ({cpu:.2f} s CPU)", flush=True)
            loads.append(os.getloadavg()[0])
    print(f"hpsearch {' '.join(COMMAND)}, {cores} cores; load average during the runs (with the")
    print(f"bench's own busy processes half the time): {min(loads):.1f} to {max(loads):.1f}")
    for (name, load), values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        shown = ", ".join(f"{v:.2f}" + ("+" if v >= args.cap else "") for v in walls)
        print(
            f"  {name:<21} {load} busy  median {statistics.median(walls):6.2f} s ({shown}), "
            f"CPU {statistics.median(cpus):.2f} s"
        )


if __name__ == "__main__":
    main()
