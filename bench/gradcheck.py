"""`hpsearch gradcheck configs/digits.yaml` on a loaded machine: another process keeps every
core busy while it runs. Gradient checking runs BLAS on one thread, as trials do; over several
threads, its many small products wait on each other behind the other process.

Side by side, interleaved: the command as it is, and the same check with BLAS left to its
threads (`--unpinned`, what gradcheck did before), median seconds of each (a run stopped at
`--cap` seconds shows as that, with a +):

    python bench/gradcheck.py [--repeat 3] [--unpinned 1] [--cap 300]
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
UNPINNED = (  # the command, with gradient checking's one-thread context made a no-op
    "import contextlib, sys; import hpsearch.nn.gradcheck as g; "
    "g.one_thread = contextlib.nullcontext; from hpsearch.cli import main; "
    "sys.exit(main(['gradcheck', 'configs/digits.yaml'], prog_name='hpsearch'))"
)


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the command as it is")
    parser.add_argument("--unpinned", type=int, default=1, help="runs with BLAS unpinned")
    parser.add_argument("--cap", type=float, default=300, help="stop a run after this long")
    args = parser.parse_args()
    pinned = [sys.executable, "-m", "hpsearch", "gradcheck", "configs/digits.yaml"]
    unpinned = [sys.executable, "-c", UNPINNED]
    timed(pinned, args.cap)  # compiles the network's loops once (cached on disk), unloaded
    cores = os.cpu_count() or 1
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(cores)]
    times = {"one BLAS thread": [], "BLAS unpinned": []}
    try:
        for i in range(max(args.repeat, args.unpinned)):
            for name, command, runs in (
                ("one BLAS thread", pinned, args.repeat),
                ("BLAS unpinned", unpinned, args.unpinned),
            ):
                if i < runs:
                    times[name].append(timed(command, args.cap))
                    wall, cpu = times[name][-1]
                    print(f"  {name}: {wall:.1f} s ({cpu:.1f} s of CPU)", flush=True)
    finally:
        for p in busy:
            p.kill()
        for p in busy:
            with contextlib.suppress(Exception):
                p.wait(timeout=10)
    print(f"hpsearch gradcheck configs/digits.yaml, {cores} cores kept busy by {cores} processes")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (the bench's own: {cores})")
    for name, values in times.items():
        if values:
            walls, cpus = [w for w, _ in values], [c for _, c in values]
            shown = ", ".join(f"{v:.1f}" + ("+" if v >= args.cap else "") for v in walls)
            print(
                f"  {name:<16} median {statistics.median(walls):6.1f} s ({shown}), "
                f"CPU {statistics.median(cpus):.1f} s"
            )


if __name__ == "__main__":
    main()
