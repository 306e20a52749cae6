"""Searches of 3, 20 and 50 rounds (8 trials each, a cheap objective of five hyperparameters,
one of them conditional), and what they look like: the PNG plots, the dashboard's run page and
the report, in `bench/screenshots/` (small PNGs: to look at, and to see change in review).

    python bench/long_runs.py [--rounds 3 20 50] [--out bench/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hpsearch.config import Config  # noqa: E402
from hpsearch.dashboard.report import write_report  # noqa: E402
from hpsearch.plots import plot_run  # noqa: E402
from hpsearch.results import open_run  # noqa: E402
from hpsearch.runs import run_search  # noqa: E402
from tests.views import Console, chromium, serving  # noqa: E402

OBJECTIVE = '''
import math


def evaluate(config, trial):
    """A landscape shaped like a network's: a curved ridge of learning rate against momentum's
    beta, a best width, dropout that helps a little; five 'epochs' reported."""
    lr = math.log10(config["learning_rate"]) + 2.2
    if config["optimizer"] == "momentum":
        lr += 0.6 * (math.log10(1 - config["beta"]) + 1)
    units = (config["hidden_units"] - 90) / 60
    value = 0.99 - 0.12 * lr * lr - 0.05 * units * units - 0.04 * (config["keep_prob"] - 0.8) ** 2
    value -= 0.01 * (config["optimizer"] == "momentum")
    for epoch in range(1, 6):
        trial.report(epoch, value - 0.3 / epoch)
    return {"dev_accuracy": value, "dev_cost": 1 - value}
'''
SPACE = {
    "learning_rate": {"low": 1e-5, "high": 1.0, "scale": "log"},
    "hidden_units": {"low": 16, "high": 256, "type": "int"},
    "keep_prob": {"low": 0.5, "high": 1.0},
    "optimizer": {"values": ["momentum", "adam"]},
    "beta": {"low": 0.8, "high": 0.999, "scale": "one_minus_log"}
    | {"when": {"optimizer": "momentum"}},
}


def make_run(folder: Path, rounds: int) -> Path:
    (folder / "landscape.py").write_text(OBJECTIVE)
    config = Config.from_dict(
        {
            "name": f"long-{rounds}",
            "objective": "landscape:evaluate",
            "search": {"trials": 8, "rounds": rounds, "jobs": 1, "metric": "dev_accuracy"},
            "space": SPACE,
        },
        file=folder / "long.yaml",
    )
    return run_search(config, runs_dir=folder).run.path


def small_png(path: Path, width: int = 800):
    """The image scaled to `width` and reduced to 128 colours: a tenth of its bytes."""
    from PIL import Image  # noqa: PLC0415  (matplotlib's dependency)

    image = Image.open(path).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(128).save(path, optimize=True)


def shoot(page, url: str, path: Path):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1")
    page.emulate_media(media="print")  # the page draws every plot, as for paper
    page.wait_for_function("[...document.querySelectorAll('.plot')].every(p => p.dataset.drawn)")
    page.emulate_media(media="screen")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    small_png(path)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, nargs="+", default=[3, 20, 50])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [make_run(folder, rounds) for rounds in args.rounds]
        for path in runs:
            for png in plot_run(open_run(path), args.out / path.name):
                small_png(png, 1000)
                print(png)
        with serving(folder, poll_ms=1000) as server, chromium() as browser:
            page = browser.new_page()
            console = Console(page)
            for path in runs:
                url = f"{server.url}#/run/{path.name}"
                shoot(page, url, args.out / f"{path.name}-dashboard.png")
                report = folder / f"{path.name}.html"
                write_report([path], report)
                shoot(page, report.as_uri(), args.out / f"{path.name}-report.png")
            if console.errors:
                print("console errors:", *console.errors, sep="\n  ")


if __name__ == "__main__":
    main()
