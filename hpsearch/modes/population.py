"""Panda's population: a PBT search (`search.method: pbt`) babysat one trial at a time.

A generation's trials train in turn in this process, each its `interval` epochs, as panda
trains a trial: its live curve in the terminal, checkpoints on panda's rule (when
`checkpoint_every` has passed since the last one, on Ctrl-C) and at the generation's end
(`runs.pbt` saves every trial's state then, with the generation's curves, interventions and
`pbt.json`). A trial through its part of the generation waits in memory for the next
checkpoint, written with the trial training then; so checkpoints cost what panda's cost, and
Ctrl-C loses nothing. They go to `checkpoints/training/trial-T/` until the generation is
saved, which removes them. A search stopped mid-generation resumes from `pbt.json`'s
generation: each trial from its newest checkpoint in `training/` past that generation's start
(a trial through the generation at once, one without from the generation's state), training
the rest exactly as it would have. The generation step (who copies whom, explore, nudges) is
`study.pbt`'s, the same as caviar's, and so is what is saved: only the order the trials train
in differs, so the tables are caviar's, bit for bit.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..lifecycle import pause_at
from ..store import CheckpointStore, RunDir
from ..store.files import read_json
from .panda import Interrupted, PandaRunner

STATE = "pbt.json"  # the last generation saved (runs.pbt writes it)
TRAINING = "training"  # checkpoints/'s folder for the generation being trained


def training(run: RunDir) -> Path:
    """The checkpoints of the generation being trained (removed once it is saved)."""
    return run.checkpoints / TRAINING


class PopulationRunner(PandaRunner):
    """An `evaluate(tasks)` for `study.run_pbt` that babysits a generation's trials in turn."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.clock = time.monotonic()  # of the last checkpoint, whichever trial's
        self.generation = None  # the epoch the generation being trained started from
        self.held: dict = {}  # trial -> (epoch, state): through the generation, not on disk

    def _begin(self, task):
        start = task.paused.epochs if task.paused is not None else 0
        if start != self.generation:  # the one before is saved (runs.pbt)
            self.generation, self.held = start, {}
        self.store = self._store(task.trial)
        self.store.folder.mkdir(parents=True, exist_ok=True)  # says which trial trains now

    def _store(self, trial: int) -> CheckpointStore:
        return CheckpointStore(training(self.run) / f"trial-{trial}", self.keep)

    def _restore(self, model, task) -> float:
        """The trial's newest checkpoint of this generation, if it has one; returns the
        training seconds the trial had already had."""
        found = self.store.latest(at_most=task.until, check=type(model)().load_state_dict)
        if found is None or found[0] <= self.generation:  # none, or the generation before's
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

    def _checkpoint(self, model):
        """Ctrl-C, or `checkpoint_every` passed since the last checkpoint: the trials held and
        this one to disk (then Ctrl-C stops)."""
        if self.stop_requested or self.every == 0 or time.monotonic() - self.clock >= self.every:
            for trial, (epoch, state) in sorted(self.held.items()):
                self._store(trial).save(state, epoch)
            self.held = {}
            self._save(model)
            self.clock = time.monotonic()
            if self.stop_requested:
                raise Interrupted

    def _at_end(self, model):
        """Through the generation (or the search): held until the next checkpoint."""
        self.held[self.life.task.trial] = (model.epoch, self._state(model))

    def _record(self, life, task):
        return life.record()


def nudge_epoch(run: RunDir, config) -> int | None:
    """The epoch after which a nudge sent now applies: the end of the generation running (or
    of the first one after resume), where PBT changes trials' values; None in the last
    generation, whose end is the search's."""
    saved = read_json(run.path / STATE)
    start, population = (saved["epoch"] if saved else 0), config.population()
    return next((e for e in population.ends() if start < e < population.epochs), None)


def member_training(run: RunDir, config) -> tuple[int, str] | None:
    """The trial a panda pbt run trains now (or trained when it stopped) and "now"; when that
    one is through its part of the generation, the one after and "next", or when none is left,
    itself and "last"; None when the search has no generation left. The trials of a
    generation train in order, and each makes its folder in `training/` as it starts."""
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
    started = [t for t in alive if (training(run) / f"trial-{t}").is_dir()]
    if not started:
        return alive[0], "next"
    last = started[-1]
    if end not in CheckpointStore(training(run) / f"trial-{last}").epochs():
        return last, "now"
    after = [t for t in alive if t > last]
    return (after[0], "next") if after else (last, "last")
