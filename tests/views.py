"""What the dashboard tests (and the bench scripts) look at: small runs, a dashboard serving
them in a thread, and headless Chromium. Without Chromium or Playwright the browser tests skip,
saying why; with HPSEARCH_BROWSER_TESTS=required (CI) they fail instead.

Playwright drives Debian's Chromium (`executable_path`), since Playwright's own browser
download is not always reachable; its waits on page state and its console and request events
keep the tests short and free of sleeps."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from hpsearch.config import Config
from hpsearch.dashboard.server import Dashboard
from hpsearch.runs import run_search

MOONS = {"dataset": "moons", "n_samples": 200}
SPACE = {  # the bench scripts' runs: every scale and type
    "learning_rate": {"low": 1e-4, "high": 1.0, "scale": "log"},
    "beta1": {"low": 0.8, "high": 0.999, "scale": "one_minus_log"},
    "hidden_units": {"low": 8, "high": 64, "type": "int"},
    "keep_prob": {"low": 0.6, "high": 1.0},
    "optimizer": {"values": ["momentum", "adam"]},
}
CAVIAR = {
    "name": "cav",
    "data": MOONS,
    "params": {"epochs": 3, "layers": 1, "hidden_units": 8},
    "search": {"trials": 4, "rounds": 2, "keep": 0.5, "jobs": 1},
    "space": {
        "learning_rate": {"low": 1e-3, "high": 1.0, "scale": "log"},
        "beta1": {"low": 0.9, "high": 0.999, "scale": "one_minus_log"},
        "optimizer": {"values": ["adam", "momentum"]},
    },
}
PANDA = {
    "name": "pan",
    "data": MOONS,
    "params": {"epochs": 4, "layers": 1, "hidden_units": 8},
    "search": {"mode": "panda", "trials": 2, "rounds": 1, "checkpoint_every": 0},
    "space": {"learning_rate": {"low": 1e-3, "high": 1e-1, "scale": "log"}},
}


def make_runs(folder: Path) -> Path:
    """A finished caviar run `cav` (2 rounds), a copy of it `cav2`, and a panda run `pan`
    stopped before its first trial's row (as if killed there): its next trial is trial 0."""
    for config in (CAVIAR, PANDA):
        run_search(Config.from_dict(config), runs_dir=folder)
    shutil.copytree(folder / "cav", folder / "cav2")
    trials = folder / "pan" / "trials.csv"
    trials.write_text(trials.read_text().splitlines(keepends=True)[0])
    return folder


ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """HPSEARCH_CHROMIUM when set, else the first Chromium on the PATH."""
    found = os.environ.get("HPSEARCH_CHROMIUM")
    if found:
        return found if os.path.isfile(found) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = found or shutil.which(name)
    return found


def missing(reason: str):
    """Skip the test, or fail it when the browser tests are required (CI)."""
    if os.environ.get("HPSEARCH_BROWSER_TESTS") == "required":
        pytest.fail(f"browser tests are required: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def chromium(viewport=(1400, 900)):
    """A fresh headless Chromium (its own profile, removed after) as a Playwright context."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed: pip install -e '.[test]'")
    executable = chromium_path()
    if executable is None:
        missing("no Chromium: apt-get install chromium (or set HPSEARCH_CHROMIUM)")
    width, height = viewport
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


@contextlib.contextmanager
def serving(folder, poll_ms=250):
    """The dashboard of `folder` on a free port of 127.0.0.1 (its page polling every `poll_ms`
    milliseconds), stopped after."""
    server = Dashboard(folder, "127.0.0.1", 0, poll_ms)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Console:
    """The errors a page reports: console.error messages and uncaught exceptions."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
