"""A PBT run in the dashboard (headless Chromium): its lineage and each trial's values over the
epochs drawn from the run's own files, without a console error."""

import json
import shutil

import pytest

from hpsearch.config import Config
from hpsearch.runs import run_search
from tests.conftest import rows
from tests.views import Console, serving

PBT = {
    "name": "pop",
    "data": {"dataset": "moons", "n_samples": 200},
    "params": {"epochs": 6, "layers": 1, "hidden_units": 8},
    "search": {"method": "pbt", "population": 4, "interval": 2, "jobs": 1},
    "space": {
        "learning_rate": {"low": 1e-3, "high": 1.0, "scale": "log"},
        "beta1": {"low": 0.8, "high": 0.999, "scale": "one_minus_log"},
    },
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    run_search(Config.from_dict(PBT), runs_dir=folder)
    return folder


@pytest.fixture
def page(browser):
    """A page on a screen tall enough for every plot."""
    page = browser.new_page()
    page.set_viewport_size({"width": 1400, "height": 4200})
    yield page
    page.close()


def figure(page, selector) -> dict:
    return page.evaluate(
        "s => { const gd = document.querySelector(s);"
        " return {data: gd.data, layout: gd.layout}; }",
        selector,
    )


def test_a_pbt_run_shows_who_copied_whom_and_the_values_over_epochs(folder, page):
    best = json.loads((folder / "pop" / "best.json").read_text())
    copies = [r for r in rows(folder / "pop" / "interventions.csv") if r["kind"] == "exploit"]
    with serving(folder) as server:
        console = Console(page)
        page.goto(f"{server.url}#/run/pop")
        page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1")
        page.wait_for_function("document.querySelector('#pbt-values').dataset.drawn")
        lineage = figure(page, "#lineage")
        drawn = {t["name"]: t for t in lineage["data"]}
        arrows = [
            y for y in drawn["copies (from the trial copied to the copy)"]["y"] if y is not None
        ]
        assert arrows == [v for r in copies for v in (int(r["source"]), int(r["trial"]))]
        assert f"lineage of trial {best['trial']}" in drawn
        values = figure(page, "#pbt-values")
        titles = [values["layout"][k]["title"]["text"] for k in ("yaxis", "yaxis2")]
        assert titles == ["learning rate", "1 - beta1"]
        assert values["layout"]["yaxis2"]["type"] == "log"
        assert console.errors == []


def test_a_trial_of_a_stopped_pbt_run_is_nudged_from_the_page(folder, page):
    shutil.copytree(folder / "pop", folder / "stopped")
    trials = folder / "stopped" / "trials.csv"
    trials.write_text(trials.read_text().splitlines(keepends=True)[0])  # as if killed there
    form = "#pbt-steer form"
    with serving(folder) as server:
        console = Console(page)
        page.goto(f"{server.url}#/run/stopped")
        page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1")
        page.fill(f'{form} input[name="trial"]', "9")
        page.select_option(f"{form} select", "beta1")
        page.fill(f'{form} input[name="value"]', "0.95")
        page.click(f"{form} button")
        page.wait_for_selector("#pbt-steer .message.error")
        assert (
            "a pbt run has trials 0 to 3, not 9"
            in page.locator("#pbt-steer .message").inner_text()
        )
        page.fill(f'{form} input[name="trial"]', "1")
        page.click(f"{form} button")  # stopped in its last generation (epochs 5-6)
        page.wait_for_selector("#pbt-steer .message.error >> text=its last generation")
        saved = folder / "stopped" / "pbt.json"
        saved.write_text(json.dumps({**json.loads(saved.read_text()), "epoch": 2}))  # earlier
        page.click(f"{form} button")
        page.wait_for_selector("#pbt-steer .message.ok")
        (request,) = (folder / "stopped" / "requests").glob("*.json")
        assert json.loads(request.read_text()) == {"trial": 1, "set": {"beta1": 0.95}}
        assert [e for e in console.errors if "400" not in e] == []  # the refusal: its 400


def test_a_panda_pbt_run_has_the_page_of_a_pbt_run(folder, page):
    """Trained one trial at a time, it has caviar's tables, and is steered as a pbt run: a
    trial is nudged, no panda form rolls one back."""
    panda = {**PBT, "name": "pop-panda", "search": {**PBT["search"], "mode": "panda"}}
    run_search(Config.from_dict(panda), runs_dir=folder)
    for table in ("trials.csv", "curves.csv", "interventions.csv"):
        drop = ("seconds", "time")
        assert rows(folder / "pop-panda" / table, drop) == rows(folder / "pop" / table, drop)
    with serving(folder) as server:
        console = Console(page)
        page.goto(f"{server.url}#/run/pop-panda")
        page.wait_for_function("Number(document.body.dataset.renders || 0) >= 1")
        assert page.locator("#pbt-steer form").count() == 1
        assert page.locator("#panda").count() == 0
        assert console.errors == []
