"""Panda's population: a PBT search (`search.method: pbt`) babysat one trial at a time.

A generation's trials train in turn in this process, each its `interval` epochs, as panda
trains a trial: its live curve in the terminal, a checkpoint when `checkpoint_every` has passed,
at the end of its part of the generation and on Ctrl-C. These checkpoints go to
`checkpoints/training/trial-T/` until the generation is saved (`runs.pbt`: its curves,
interventions, each trial's state to continue from and `pbt.json`), which then removes them. A
search stopped mid-generation resumes from `pbt.json`'s generation: each trial from its newest
checkpoint in `training/` past that generation's start (a trial already through the generation
at once, one not yet started from the generation's state), training the rest exactly as it
would have. The generation step (who copies whom, explore, nudges) is `study.pbt`'s, the same
as caviar's, and so is what is saved: only the order the trials train in differs, so the
tables are caviar's, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

from ..lifecycle import pause_at
from ..store import CheckpointStore, RunDir
from ..store.files import read_json
from .panda import PandaRunner

STATE = "pbt.json"  # the last generation saved (runs.pbt writes it)
TRAINING = "training"  # checkpoints/'s folder for the generation being trained


def training(run: RunDir) -> Path:
    """The checkpoints of the generation being trained (removed once it is saved)."""
    return run.checkpoints / TRAINING


class PopulationRunner(PandaRunner):
    """An `evaluate(tasks)` for `study.run_pbt` that babysits a generation's trials in turn."""

    def _begin(self, task):
        self.store = CheckpointStore(training(self.run) / f"trial-{task.trial}", self.keep)

    def _restore(self, model, task) -> float:
        """The trial's newest checkpoint of this generation, if it has one; returns the
        training seconds the trial had already had."""
        start = task.paused.epochs if task.paused is not None else 0
        found = self.store.latest(at_most=task.until, check=type(model)().load_state_dict)
        if found is None or found[0] <= start:  # none, or one a kill left of the generation before
            return task.paused.seconds if task.paused is not None else 0.0
        model.load_state_dict(found[1])
        return float(found[1]["trial.seconds"])

    def _hooks(self, task) -> tuple:
        return (self._member_hook, pause_at(task.until))

    def _member_hook(self, life, record) -> None:
        """After each epoch: the live view hears of it; Ctrl-C and the time policy's
        checkpoint. The trial's values change only between generations (`study.pbt`)."""
        if record is not None:
            self.events.epoch_done(life.task, life.model, record)
            self._checkpoint(life.model)

    def _record(self, life, task):
        return life.record()


def member_training(run: RunDir, config) -> int | None:
    """The trial a panda pbt run trains now (or first when it resumes): the first one of the
    generation running, in trial order, not yet through it (when all are, the first, which
    trains first in the next generation); None when no generation is left."""
    saved = read_json(run.path / STATE)
    start = saved["epoch"] if saved else 0
    end = next((e for e in config.population().ends() if e > start), None)
    alive = (
        [m["trial"] for m in saved["members"] if m["alive"]]
        if saved
        else list(range(config.search["population"]))
    )
    if end is None or not alive:
        return None
    through = lambda t: end in CheckpointStore(training(run) / f"trial-{t}").epochs()  # noqa: E731
    return next((t for t in alive if not through(t)), alive[0])
