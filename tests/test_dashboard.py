"""The dashboard and reports in headless Chromium: every view drawn without a console error, rows
appended after the page opened shown without a reload, nudges and rollbacks from the page going
through the CLI's functions, runs side by side, and reports that request nothing but themselves.

One dashboard serves the module's runs (one address, so the browser compiles Plotly's
JavaScript once); a test that changes a run changes a copy of it. The page is tall in the
tests that look at plots, so every plot is on screen (the page draws plots when they are
scrolled to)."""

import itertools
import json
import shutil

import pytest

from hpsearch.config import Config
from hpsearch.dashboard.report import write_report
from hpsearch.errors import UserError
from hpsearch.modes.steer import request_nudge
from hpsearch.runs import resume_search, run_search
from tests.conftest import rows
from tests.views import Console, make_runs, serving

PLOTS = ["#param-grid .plot", "#c2f", "#parcoords", "#best-so-far", "#curves"]


COPIES = itertools.count()


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    return make_runs(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def server(origin):
    with serving(origin) as server:
        yield server


def copy(origin, name: str) -> str:
    """The name of a new copy of run `name`, next to it, free to change."""
    new = f"{name}-{next(COPIES)}"
    shutil.copytree(origin / name, origin / new)
    return new


@pytest.fixture
def open_page(browser):
    """open_page(url) -> (page, console errors) once the page has drawn what it has; `tall`:
    on a screen tall enough for every plot."""
    pages = []

    def _open(url, tall=False):
        page = browser.new_page()
        if tall:
            page.set_viewport_size({"width": 1400, "height": 4200})
        pages.append(page)
        console = Console(page)
        page.goto(url)
        rendered(page)
        return page, console.errors

    yield _open
    for page in pages:
        page.close()


def rendered(page, count=1):
    page.wait_for_function(f"Number(document.body.dataset.renders || 0) >= {count}")


def figure(page, selector) -> dict:
    """The data and layout Plotly drew in the element at `selector`."""
    return page.evaluate(
        """s => { const gd = document.querySelector(s);
                  return {data: gd.data, layout: gd.layout}; }""",
        selector,
    )


def test_the_runs_list_shows_each_run_its_status_and_counts(server, open_page):
    page, errors = open_page(server.url)
    rows = {
        r.get_attribute("data-run"): r.inner_text()
        for r in page.locator("table.runs tbody tr").all()
    }
    assert {"cav", "cav2", "pan"} <= set(rows)
    assert "caviar\tfinished\t8 / 8\t8\t0\t0\t0\tdev_accuracy" in rows["cav"]
    assert "panda\tinterrupted\t0 / 2\t0\t0\t0\t0" in rows["pan"]
    assert errors == []


def test_a_run_page_draws_every_view_on_its_scales(origin, server, open_page):
    best = json.loads((origin / "cav" / "best.json").read_text())
    page, errors = open_page(f"{server.url}#/run/cav", tall=True)
    for selector in PLOTS:
        for plot in page.locator(selector).all():
            assert plot.get_attribute("data-drawn") and plot.locator(".main-svg").count()
    lr = figure(page, '[data-param="learning_rate"]')
    beta1 = figure(page, '[data-param="beta1"]')
    axis = beta1["layout"]["xaxis"]
    assert lr["layout"]["xaxis"]["type"] == "log"
    assert axis["type"] == "log" and axis["range"][0] > axis["range"][1]  # beta grows rightward
    assert axis["title"]["text"] == "beta1 (log scale of 1 - beta1)"
    assert {"0.9", "0.99", "0.999"} <= set(axis["ticktext"])
    trials = [t for t in beta1["data"] if t["name"].startswith(("round", "pruned"))]
    plotted = sorted(x for trace in trials for x in trace["x"])
    (star,) = [t for t in beta1["data"] if t["name"] == f"best: trial {best['trial']}"]
    assert star["customdata"] == [best["trial"]]  # the best trial, marked on its own
    sampled = [float(row["beta1"]) for row in rows(origin / "cav" / "trials.csv")]
    assert plotted == pytest.approx(sorted(1 - b for b in sampled))
    assert lr["layout"]["shapes"] and figure(page, "#c2f")["layout"]["shapes"]  # round 2's region
    assert f"trial {best['trial']} (round {best['round']})" in page.locator("#best").inner_text()
    assert any(t["name"] == f"trial {best['trial']}" for t in figure(page, "#curves")["data"])
    assert errors == []


def test_a_chosen_rounds_region_is_drawn_in_place_of_the_last_rounds(origin, server, open_page):
    regions = json.loads((origin / "cav" / "rounds.json").read_text())
    page, errors = open_page(f"{server.url}#/run/cav", tall=True)
    choices = page.locator("#round option").all_inner_texts()
    assert choices == ["the last 3 rounds", "round 1 (the whole space)", "round 2"]
    assert len(figure(page, "#c2f")["layout"]["shapes"]) == len(regions[1]["boxes"])
    drawn = page.evaluate("Number(document.body.dataset.renders)")
    page.select_option("#round", "1")
    rendered(page, drawn + 1)
    (box,) = figure(page, "#c2f")["layout"]["shapes"]  # round 1: the whole space, one box
    assert (box["x0"], box["x1"]) == pytest.approx((1e-3, 1.0))  # learning_rate's whole range
    assert "the region round 1 sampled" in page.locator("#legend").inner_text()
    assert page.locator("#round").input_value() == "1" and errors == []


def test_the_trials_table_sorts_and_a_click_highlights_a_trial(server, open_page):
    page, errors = open_page(f"{server.url}#/run/cav", tall=True)

    def column(name):
        return page.evaluate(
            """n => { const i = [...document.querySelectorAll('#trials th')]
                          .findIndex(th => th.dataset.sort === n);
                      return [...document.querySelectorAll('#trials tbody tr')]
                          .map(tr => Number(tr.children[i].textContent)); }""",
            name,
        )

    accuracy = column("dev_accuracy")
    page.click('th[data-sort="learning_rate"]')
    ascending = column("learning_rate")
    page.click('th[data-sort="learning_rate"]')
    descending = column("learning_rate")
    row = page.locator("#trials tbody tr").nth(3)
    trial = int(row.get_attribute("data-trial"))
    row.click()
    rendered(page, 2)
    selected = page.locator("#trials tr.selected").get_attribute("data-trial")
    names = [t.get("name") for t in figure(page, "#curves")["data"]]
    assert accuracy == sorted(accuracy, reverse=True)  # best first
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    assert int(selected) == trial and f"trial {trial} (selected)" in names
    assert errors == []


def test_rows_appended_after_the_page_opened_appear_without_a_reload(origin, server, open_page):
    name = copy(origin, "cav")
    trials, curves = origin / name / "trials.csv", origin / name / "curves.csv"
    row = trials.read_text().splitlines()[-1]
    row = "99" + row[row.index(",") :] + "\n"
    page, errors = open_page(f"{server.url}#/run/{name}", tall=True)
    page.evaluate("window.stayed = true")
    with open(trials, "a") as f:
        f.write(row[:25])  # a half-written line: shown once whole
    with open(curves, "a") as f:
        f.write("99,1,0.01,0.6,0.7,0.5,0\n99,2,0.01,0.4,0.5,0.7,0\n")
    page.wait_for_function("document.querySelector('#curves').data[0].customdata.includes(99)")
    assert page.locator('#trials tr[data-trial="99"]').count() == 0
    with open(trials, "a") as f:
        f.write(row[25:])
    page.wait_for_selector('#trials tr[data-trial="99"]', timeout=5000)
    assert "9 of 8 trials" in page.locator("#run-head").inner_text()
    assert page.evaluate("window.stayed") is True and errors == []


def test_a_nudge_from_the_page_is_requested_then_applied_and_logged(origin, server, open_page):
    name = copy(origin, "pan")
    run = origin / name
    page, errors = open_page(f"{server.url}#/run/{name}")
    assert "trial 0 trains first when it resumes" in page.locator("#live-title").inner_text()
    assert page.locator("#live-curve").get_attribute("data-drawn")
    page.fill('form[data-kind="lr"] input[name="lr_factor"]', "0.5")
    page.click('form[data-kind="lr"] button')
    page.wait_for_selector(".message.ok")
    message = page.locator(".message").inner_text()
    (request,) = (run / "requests").glob("*.json")
    assert json.loads(request.read_text()) == {"trial": 0, "lr_factor": 0.5}
    page.wait_for_selector("ul.pending li:has-text('nudge for trial 0')")
    resume_search(run)
    page.wait_for_selector("table.interventions td:text-is('nudge')", timeout=5000)
    logged = page.locator("table.interventions tbody").inner_text()
    assert message.startswith("nudge recorded: the search is stopped; trial 0 applies it")
    assert "learning_rate" in logged and "learning_rate" in (run / "interventions.csv").read_text()
    assert not list((run / "requests").glob("*.json")) and errors == []
    page.wait_for_function("document.querySelector('#live-curve').hidden")  # finished: no curve
    assert "finished: no trial is training" in page.locator("#live-title").inner_text()
    assert page.locator('form[data-kind="lr"] button').is_disabled()  # nothing to nudge
    assert page.locator('form[data-action="rollback"] button').is_enabled()


def test_a_refused_nudge_shows_its_one_line_and_a_rollback_is_recorded(origin, server, open_page):
    name = copy(origin, "pan")
    run = origin / name
    with pytest.raises(UserError) as refused:
        request_nudge(run, changes={"keep_prob": 2})
    page, errors = open_page(f"{server.url}#/run/{name}")
    form = 'form[data-kind="set"]'
    page.select_option(f"{form} select", "keep_prob")
    page.fill(f'{form} input[name="value"]', "2")
    page.click(f"{form} button")
    page.wait_for_selector(".message.error")
    shown = page.locator(".message").inner_text()
    assert not list(run.glob("requests/*.json"))
    form = 'form[data-action="rollback"]'
    page.fill(f'{form} input[name="trial"]', "0")
    page.fill(f'{form} input[name="epoch"]', "2")
    page.select_option(f"{form} select", "learning_rate")
    page.fill(f'{form} input[name="value"]', "0.01")
    page.click(f"{form} button")
    page.wait_for_selector(".message.ok")
    page.wait_for_selector("ul.pending li:has-text('rollback of trial 0 to epoch 2')")
    assert (
        shown
        == refused.value.message
        == ("--set keep_prob: 2 is out of range; use 0.0 < a number <= 1.0")
    )
    rollback = json.loads((run / "rollback.json").read_text())
    assert (rollback["trial"], rollback["epoch"], rollback["set"]) == (
        0,
        2,
        {"learning_rate": 0.01},
    )
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]


def test_without_the_token_the_page_cannot_steer(server, open_page):
    page, errors = open_page(f"http://127.0.0.1:{server.port}/#/run/pan")
    assert page.locator('form[data-kind="lr"] button').is_disabled()
    assert "Read-only" in page.locator("#steering").inner_text() and errors == []


def test_runs_side_by_side(server, open_page):
    page, errors = open_page(server.url)
    page.check('input[value="cav"]')
    page.check('input[value="cav2"]')
    page.click("#compare")
    rendered(page, 2)
    header = page.locator("table.compare thead").inner_text().split()
    best = page.locator("table.compare tr:has(th:text-is('best'))").inner_text().split("\t")
    lines = [t["name"] for t in figure(page, "#compare-best")["data"]]
    assert header == ["cav", "cav2"] and lines == ["cav", "cav2"]
    assert best[1] == best[2] and errors == []


def test_a_report_opens_offline_and_requests_only_itself(origin, browser, tmp_path):
    path, _ = write_report([origin / "cav", origin / "cav2"], tmp_path / "report.html")
    page = browser.new_page()
    page.set_viewport_size({"width": 1400, "height": 4200})
    requests, console = [], Console(page)
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(path.as_uri())
        rendered(page)
        listed = page.locator("table.runs tbody tr").count()
        page.goto(f"{path.as_uri()}#/compare")
        page.wait_for_selector("table.compare")
        page.goto(f"{path.as_uri()}#/run/cav")
        page.wait_for_selector("#curves[data-drawn]")
        drawn = page.locator("[data-drawn]").count()
    finally:
        page.close()
    assert {r.split("#")[0] for r in requests} == {path.as_uri()}
    assert listed == 2 and drawn >= 7 and console.errors == []


LANDSCAPE = """
def evaluate(config):
    return {"value": -(config["x"] - 0.3) ** 2 - (config["y"] - 0.6) ** 2}
"""


def test_a_50_round_page_draws_every_panel_when_printed_and_a_report_draws_them_all(
    browser, tmp_path
):
    (tmp_path / "landscape.py").write_text(LANDSCAPE)
    config = Config.from_dict(
        {
            "name": "long",
            "objective": "landscape:evaluate",
            "search": {"trials": 2, "rounds": 50, "jobs": 1},
            "space": {"x": {"low": 0.0, "high": 1.0}, "y": {"low": 0.0, "high": 1.0}},
        },
        file=tmp_path / "long.yaml",
    )
    run = run_search(config, runs_dir=tmp_path / "runs").run.path
    undrawn = "[...document.querySelectorAll('.plot')].filter((p) => !p.dataset.drawn).length"
    page = browser.new_page()  # 900 pixels tall: most panels are below the fold
    try:
        with serving(tmp_path / "runs") as server:
            page.goto(f"{server.url}#/run/long")
            rendered(page)
            before = page.evaluate(undrawn)
            page.emulate_media(media="print")  # printing: every panel, without scrolling
            page.wait_for_function(f"{undrawn} === 0", timeout=20000)
        report, _ = write_report([run], tmp_path / "long.html")
        page.emulate_media(media="screen")
        page.goto(f"{report.as_uri()}#/run/long")
        rendered(page)
        page.wait_for_function(f"{undrawn} === 0", timeout=20000)  # a report: all, at once
        legend = page.locator("#legend").inner_text()
        bars = figure(page, '[data-param="x"]')["layout"]["shapes"]
    finally:
        page.close()
    assert before > 0  # the live page still draws only what is on screen
    assert "round 1" in legend and "round 50" in legend and "round 2 " not in legend
    assert "bars at the top: the region rounds 48–50 sampled" in legend
    assert {b["fillcolor"] for b in bars} and len({b["y0"] for b in bars}) == 3
