"""Panda's live view in a terminal: what it shows of the trial being trained, epoch by epoch."""

import io
from types import SimpleNamespace

from rich.console import Console

from hpsearch.cli.view import PandaView
from hpsearch.store import RunDir, steering


def _epoch(view, trial, epoch, until=None):
    record = {"epoch": epoch, "learning_rate": 0.01, "batch_cost": 0.5, "dev_accuracy": 0.9}
    model = SimpleNamespace(hp={"epochs": 5}, history=[record])
    view.epoch_done(SimpleNamespace(trial=trial, round=1, until=until), model, record)


def _screen(view) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(view.live.renderable)
    return out.getvalue()


def test_the_view_shows_this_trials_notes_and_a_waiting_rollback_and_no_placeholder(tmp_path):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    run = tmp_path / "panda"
    run.mkdir()
    with PandaView(console, run, total=3) as view:
        view.note("trial 0: rollback applied from epoch 2")
        _epoch(view, 0, 3)
        assert "rollback applied" in _screen(view)
        view.trial_done(SimpleNamespace(trial=0, status="ok", value=0.9), None, 1, 3)
        _epoch(view, 1, 1)
        assert "rollback applied" not in _screen(view)  # trial 0's note went with trial 0
        steering.set_rollback(RunDir(run), {"trial": 0, "epoch": 2})
        _epoch(view, 1, 2)
        assert "rollback waiting: trial 0 to the end of epoch 2" in _screen(view)
    assert "starting" not in out.getvalue()


def test_a_pbt_trial_shows_its_generation_and_how_to_nudge_it(tmp_path):
    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    run = tmp_path / "pbt"
    with PandaView(console, run, total=16, ends=[5, 10, 15]) as view:
        _epoch(view, 7, 7, until=10)
        screen = _screen(view)
        assert "trial 7 (population 16), generation 2/3, epochs 6-10" in screen
        hint = f"steer it: hpsearch nudge {run} --trial 7 --lr-factor 0.5"
        assert hint.replace(" ", "") in screen.replace(" ", "").replace("\n", "")  # any path
        _epoch(view, 0, 11)  # the last generation trains to the end
        assert "generation 3/3, epochs 11-15" in _screen(view)
