"""One trial of the built-in network, from its build to its record: the one lifecycle caviar's
trials, panda, halving's pause, PBT's generations and `replay` all go through.

`Lifecycle(objective, task)` builds the trial's model: fresh from its seed, or, for a task that
continues a paused trial, the state in `task.paused.model` (whichever trial left it: PBT swaps
a better member's state in this way), trained on with `task.params`' live values (a nudge).
`run(*hooks)` trains epoch by epoch; after every epoch, and once before the first (record
None), each hook in turn is asked what to do: go on (None), STOP (pruned, interrupted) or PAUSE
(the trial waits, its whole state kept, until a task continues it). A hook may change the live
hyperparameters (`apply`). `record()` is the trial's TrialResult.
"""

from __future__ import annotations

import time

from .nn.hyper import LIVE
from .nn.model import Model
from .study import Task, Trial, TrialResult

STOP, PAUSE = "stop", "pause"


class Lifecycle:
    """One trial being trained: `model`, `trial` (what pruning hears), `task`."""

    def __init__(self, objective, task: Task):
        self.objective, self.task, self.trial = objective, task, Trial(task)
        self.clock = time.perf_counter()
        self.before = 0.0  # training seconds the trial had already had
        self.paused = False
        self.model: Model = objective.model(task)
        if task.paused is not None:
            self.model.load_state_dict(task.paused.model)
            self.before = task.paused.seconds
            changed = {
                k: v
                for k, v in task.params.items()
                if k in LIVE and k != "epochs" and self.model.hp.get(k) != v
            }
            self.apply(changed)

    @property
    def seconds(self) -> float:
        return self.before + time.perf_counter() - self.clock

    def apply(self, changes: dict):
        """Live hyperparameters changed from the next epoch on."""
        self.model.hp.update(changes)

    def run(self, *hooks) -> Lifecycle:
        """Train until the model's epochs are done, or a hook says STOP or PAUSE."""

        def ask(record) -> bool:
            for hook in hooks:
                action = hook(self, record)
                if action is not None:
                    self.paused = action == PAUSE and self._may_pause()
                    return True
            return False

        if not ask(None):
            self.objective.train(self.model, lambda model, record: ask(record))
        return self

    def _may_pause(self) -> bool:
        """A trial pauses only while it would train on: not pruned, stopped early, diverged."""
        model = self.model
        return not (self.trial.should_prune or model.stopped_early) and model.status == "ok"

    def record(self, interventions=()) -> TrialResult:
        return self.objective.result(
            self.task, self.model, self.trial, self.seconds, interventions, paused=self.paused
        )


def pruning(life: Lifecycle, record) -> str | None:
    """The trial's pruning rule has its say after every epoch."""
    if record is not None and life.objective.report(life.trial, record):
        return STOP
    return None


def pause_at(epoch: int | None):
    """A hook that pauses the trial after `epoch` epochs (None: never); at once when it is
    there already (panda resumed it from a checkpoint of that epoch)."""

    def hook(life: Lifecycle, record) -> str | None:
        return PAUSE if life.model.epoch == epoch else None

    return hook


def replaying(interventions):
    """A hook that applies logged interventions (dicts with `epoch` and `values`) after the
    epochs they were logged at, in log order, as they were applied while the trial trained."""
    pending = sorted(interventions, key=lambda i: i["epoch"])  # stable: log order kept

    def hook(life: Lifecycle, record) -> None:
        while pending and pending[0]["epoch"] == life.model.epoch:
            life.apply(pending.pop(0)["values"])

    return hook
