"""The dashboard on a large run: page load to the plots drawn, and bytes per live update.

Fabricates a run directory of TRIALS trials (3 rounds, 5 hyperparameters) with EPOCHS epochs
each in curves.csv (1,000 x 50 = 50,000 curve rows by default), serves it, and in headless
Chromium measures:
- the time from navigation to the plots on screen drawn (the page draws a plot when it is
  scrolled to), on a 1400x900 screen and on one tall enough for all of them, with Plotly's
  JavaScript fetched and compiled (cold, a new browser profile) and from the cache (warm);
- the bytes on the wire of the first poll (every row) and of each later poll: with nothing new,
  and after one more trial (its row and its epochs) is appended;
- the server's time to answer a poll with nothing new.

    python bench/dashboard.py [--trials 1000] [--epochs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hpsearch.config import Config  # noqa: E402
from hpsearch.dashboard.data import RunView, poll  # noqa: E402
from hpsearch.store import RunDir  # noqa: E402
from hpsearch.store.files import csv_line  # noqa: E402
from tests.views import SPACE, chromium, serving  # noqa: E402


def fabricate(folder: Path, trials: int, epochs: int) -> RunDir:
    """A finished-looking caviar run: rows with plausible values, curves, 3 rounds' regions."""
    config = Config.from_dict(
        {
            "name": "big",
            "data": {"dataset": "moons"},
            "params": {"epochs": epochs},
            "search": {"trials": trials // 3, "rounds": 3},
            "space": SPACE,
        }  # fmt: skip
    )
    run = RunDir.create(folder / "big")
    run.write_config(config)
    run.start_tables(config)
    run.unlock()
    rng = np.random.default_rng(0)
    trial_lines, curve_lines = [], []
    for t in range(trials):
        row, curve = lines(t, trials, epochs, rng)
        trial_lines.append(row)
        curve_lines += curve
    run.trials_csv.write_text(run.trials_csv.read_text() + "".join(trial_lines))
    run.curves_csv.write_text(run.curves_csv.read_text() + "".join(curve_lines))
    whole = {n: [d["low"], d["high"]] if "low" in d else d["values"] for n, d in SPACE.items()}
    boxes = [{**whole, "learning_rate": [10**-c - 1e-4, 10**-c]} for c in (3, 2, 1)]
    run.write_rounds(
        [{"round": 1, "note": "the whole space", "boxes": [whole]}]
        + [{"round": r, "note": "boxes", "boxes": boxes} for r in (2, 3)]
    )
    return run


def lines(t: int, trials: int, epochs: int, rng) -> tuple[str, list[str]]:
    """Trial t's row of trials.csv and its rows of curves.csv."""
    lr, beta1 = 10 ** rng.uniform(-4, 0), 1 - 10 ** rng.uniform(-3, -0.7)
    acc = float(np.clip(0.95 - 0.1 * abs(np.log10(lr) + 2) + rng.normal(0, 0.02), 0, 1))
    cost = -np.log(acc + 1e-3)
    values = [
        lr,
        beta1,
        int(rng.integers(8, 65)),
        rng.uniform(0.6, 1),
        ["momentum", "adam"][t % 2],
    ]
    row = csv_line(
        [t, 1 + 3 * t // trials, "ok", *values, cost, acc, cost, acc, epochs, 0.5, t, ""]
    )
    curve = [
        csv_line([t, e, lr, cost * (1 + 2 / e), cost * (1.1 + 2 / e), acc * (1 - 0.5 / e), 0])
        for e in range(1, epochs + 1)
    ]
    return row, curve


def polls(page) -> list[int]:
    """Bytes on the wire (headers and body) of each poll request so far, in order."""
    return page.evaluate(
        """performance.getEntriesByType('resource')
             .filter(e => e.name.includes('/poll'))
             .map(e => e.transferSize)"""
    )


def load(page, url) -> float:
    """Seconds from navigation to the plots on screen drawn (measured in the page)."""
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1", timeout=60000)
    return page.evaluate("performance.now()") / 1000


def server_side(run: RunDir) -> float:
    """Median seconds the server takes to answer a poll that brings nothing new."""
    first = poll(RunView(run.path))
    cursors = {"trials": first["trials"]["cursor"], "curves": first["curves"]["cursor"]}
    times = []
    for _ in range(20):
        start = time.perf_counter()
        poll(RunView(run.path), **cursors, summary=first["digest"])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        run = fabricate(folder, args.trials, args.epochs)
        sizes = [p.stat().st_size for p in (run.trials_csv, run.curves_csv)]
        print(
            f"run: {args.trials} trials, {args.trials * args.epochs} curve rows "
            f"(trials.csv {sizes[0]:,} B, curves.csv {sizes[1]:,} B)"
        )
        print(f"server, a poll with nothing new: median {server_side(run) * 1e3:.0f} ms")
        with serving(folder) as server, chromium() as browser:
            page = browser.new_page()
            url = f"{server.url}#/run/big"
            cold, warm = load(page, url), load(page, url)
            print(
                f"page load to the plots of a 1400x900 screen drawn: {cold:.2f} s cold (a new "
                f"browser profile: Plotly fetched and compiled), {warm:.2f} s warm"
            )
            page.wait_for_timeout(3500)
            before = polls(page)
            row, curve = lines(args.trials, args.trials, args.epochs, np.random.default_rng(1))
            with open(run.curves_csv, "a") as f:
                f.write("".join(curve))
            with open(run.trials_csv, "a") as f:
                f.write(row)
            page.wait_for_function(
                f"document.querySelector('#trials').textContent.includes('of {args.trials + 1}')",
                timeout=10000,
            )
            after = polls(page)[len(before) :]
            print(f"first poll (every row): {before[0]:,} B on the wire (gzip)")
            print(f"later polls with nothing new: median {statistics.median(before[1:]):,} B")
            print(f"the poll after one more trial ({args.epochs} epochs): {max(after):,} B")
        with serving(folder) as server, chromium(viewport=(1400, 4400)) as browser:
            page = browser.new_page()
            url = f"{server.url}#/run/big"
            cold, warm = load(page, url), load(page, url)
            drawn = page.evaluate("document.querySelectorAll('[data-drawn]').length")
            print(
                f"page load to all {drawn} plots drawn (a 1400x4400 screen shows them all): "
                f"{cold:.2f} s cold, {warm:.2f} s warm"
            )


if __name__ == "__main__":
    main()
