"""Screenshots of the dashboard, to look at: the runs, a caviar run's page, a panda run's page
while it trains (a nudge applied from another terminal), and two runs side by side.

Makes the runs in a temporary folder (a minute or so), serves them, and writes PNG files:

    python bench/screenshots.py [--out bench/screenshots]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hpsearch.config import Config  # noqa: E402
from hpsearch.modes.steer import request_nudge  # noqa: E402
from hpsearch.runs import run_search  # noqa: E402
from tests.views import SPACE, Console, chromium, serving  # noqa: E402

CAVIAR = {
    "name": "moons-adam",
    "data": {"dataset": "moons", "n_samples": 600},
    "params": {"epochs": 15, "layers": 2},
    "search": {"budget": 40, "jobs": 2},
    "space": SPACE,
}
PANDA = {
    "name": "digits-panda",
    "data": {"dataset": "digits"},
    "params": {"epochs": 120, "hidden_units": 64, "batch_size": 256, "learning_rate": 0.002},
    "search": {"mode": "panda", "trials": 6, "rounds": 1},
    "space": {"keep_prob": {"low": 0.6, "high": 1.0}},
}


def wait_for(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not get there in time")
        time.sleep(0.1)


def start_panda(folder: Path) -> subprocess.Popen:
    """The panda search in its own process (as from a terminal), nudged once it has trained."""
    config = folder / "panda.yaml"
    config.write_text(yaml.safe_dump(PANDA))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hpsearch", "run", str(config), "--runs-dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    run = folder / PANDA["name"]

    def lines(name):
        return len((run / name).read_text().splitlines()) if (run / name).exists() else 0

    wait_for(lambda: lines("trials.csv") > 3 and lines("curves.csv") > 3 * 120 + 20)
    request_nudge(run, lr_factor=0.5)
    wait_for(lambda: (run / "interventions.csv").exists())
    wait_for(lambda: lines("curves.csv") > 3 * 120 + 60)  # some epochs after the nudge
    return proc


def shoot(page, url: str, path: Path):
    """A full-page screenshot once every plot is drawn (the viewport made as tall as the
    page, since the page draws plots when they are on screen)."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("about:blank")  # a new document: the address may differ only after its #
    page.goto(url)
    page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1")
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": height})
    from playwright.sync_api import TimeoutError as Timeout

    undrawn = "[...document.querySelectorAll('.plot')].filter(p => !p.dataset.drawn)"
    try:
        page.wait_for_function(f"{undrawn}.length === 0", timeout=30000)
    except Timeout:
        print("not drawn:", page.evaluate(f"{undrawn}.map(p => p.id || p.dataset.param)"))
        raise
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "runs"
        run_search(Config.from_dict(CAVIAR), runs_dir=folder)
        other = {
            **CAVIAR,
            "name": "moons-momentum",
            "params": {"epochs": 15, "optimizer": "momentum"},
        }
        run_search(
            Config.from_dict(
                {**other, "space": {k: v for k, v in SPACE.items() if k != "optimizer"}}
            ),
            runs_dir=folder,
        )
        panda = start_panda(folder)
        try:
            with serving(folder, poll_ms=1000) as server, chromium() as browser:
                page = browser.new_page()
                console = Console(page)
                shoot(page, server.url, args.out / "runs.png")
                shoot(page, f"{server.url}#/run/moons-adam", args.out / "caviar-run.png")
                shoot(page, f"{server.url}#/run/digits-panda", args.out / "panda-live.png")
                compare = f"{server.url}#/compare/moons-adam/moons-momentum"
                shoot(page, compare, args.out / "compare.png")
                if console.errors:
                    print("console errors:", *console.errors, sep="\n  ")
        finally:
            os.killpg(panda.pid, signal.SIGINT)
            panda.wait(timeout=60)


if __name__ == "__main__":
    main()
