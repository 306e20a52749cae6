"""What the terminal shows while a search runs: a progress bar (caviar), or the model being
trained, epoch by epoch (panda). Both are `Listener`s of the run, and degrade to plain lines
when the output is not a terminal."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..modes.panda import Listener
from ..store import RunDir, steering
from . import output

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values, width: int = 50) -> str:
    """A one-line chart of `values`, at most `width` wide (longer series are averaged in equal
    chunks); non-finite values show as '!'."""
    values = list(values)
    finite_all = [v for v in values if math.isfinite(v)]
    if len(values) > width:
        chunks = [
            values[i * len(values) // width : (i + 1) * len(values) // width] for i in range(width)
        ]
        values = [sum(c) / len(c) for c in chunks]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "!" * len(values)
    lo, span = min(finite), (max(finite) - min(finite)) or 1.0
    line = "".join(BLOCKS[int((v - lo) / span * 7)] if math.isfinite(v) else "!" for v in values)
    return f"{line}  {finite_all[0]:.4g} -> {finite_all[-1]:.4g}"


def _value(result) -> str:
    return (
        f"{result.value:.4g}"
        if result.value is not None and result.status in ("ok", "pruned")
        else result.status
    )


class SearchProgress(Listener):
    """Trials done of total, the best metric so far, time elapsed and left."""

    def __init__(self, console: Console, name: str):
        self.console, self.name, self.task = console, name, None
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self):
        return self  # the bar starts with the first trial: nothing shows for a refused run

    def __exit__(self, *exc):
        if self.task is not None:
            self.bar.__exit__(*exc)
        return False

    def trial_done(self, result, best, recorded, total):
        if self.task is None:
            self.bar.__enter__()
            self.task = self.bar.add_task(self.name, total=total, completed=recorded - 1, best="-")
        self.bar.update(self.task, completed=recorded, best=_value(best) if best else "-")

    def note(self, text):
        # one line off a terminal (rich would wrap it at 80 columns), wrapped on one
        self.console.print(output.fill(text, self.console.width, err=True), soft_wrap=True)


class PandaView(Listener):
    """The trial being babysat: its place in the search, the epoch's numbers, its learning
    curves, what happened to it, and how to steer it from another terminal."""

    def __init__(self, console: Console, run_path, total: int, ends=None):
        self.console, self.run_path, self.total = console, Path(run_path), total
        self.ends = ends  # a pbt search's generations: the epochs they end at
        self.recorded, self.best, self.notes = 0, None, []
        self.terminal, self.live = console.is_terminal, None  # Live from the first epoch on

    def __enter__(self):
        return self  # the live view starts with the first epoch: nothing shows for a refused run

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.__exit__(*exc)
        return False

    def trial_done(self, result, best, recorded, total):
        self.recorded, self.best = recorded, best
        self.notes = []  # what happened to this trial; the next one starts with none
        if not self.terminal:
            self.console.print(
                f"trial {result.trial} {result.status} ({recorded}/{total}): {_value(result)}"
            )

    def note(self, text):
        # wrapped here: rich's own wrap leaves trailing spaces
        text = output.fill(text, self.console.width, err=True)
        self.notes = (self.notes + [text])[-3:]
        if not self.terminal:
            self.console.print(text, soft_wrap=True)

    def epoch_done(self, task, model, record):
        line = (
            f"epoch {record['epoch']:>3}/{model.hp['epochs']}  "
            f"lr {record['learning_rate']:<9.3g}  "
            f"batch cost {record['batch_cost']:.4f}  dev acc {record['dev_accuracy']:.4f}"
        )
        if not self.terminal:
            self.console.print(f"trial {task.trial}: {line}")
            return
        history = model.history
        text = Text()
        text.append(f"{self.run_path.name}  {self._place(task)}\n", style="bold")
        text.append(line + "\n")
        text.append(f"batch cost {sparkline([r['batch_cost'] for r in history])}\n")
        text.append(f"dev acc    {sparkline([r['dev_accuracy'] for r in history])}\n")
        for note in self.notes:
            text.append(note + "\n", style="yellow")
        rollback = steering.pending_rollback(RunDir(self.run_path))
        if rollback is not None:
            text.append(
                f"rollback waiting: trial {rollback['trial']} to the end of epoch "
                f"{rollback['epoch']}, at the next `hpsearch resume {self.run_path}`\n",
                style="yellow",
            )
        which = f"--trial {task.trial} " if self.ends else ""
        text.append(
            f"steer it: hpsearch nudge {self.run_path} {which}--lr-factor 0.5", style="dim"
        )
        if self.live is None:  # made with its first picture: no placeholder line is left behind
            self.live = Live(text, console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        self.live.update(text)

    def _place(self, task) -> str:
        """Where the trial is in the search: its round and the trials done (the best so far),
        or in a pbt search (whose trials end together) its generation."""
        if self.ends:
            end = task.until or self.ends[-1]
            g = self.ends.index(end)
            first = self.ends[g - 1] + 1 if g else 1
            return (
                f"trial {task.trial} (population {self.total}), generation {g + 1}/"
                f"{len(self.ends)}, epochs {first}-{end}"
            )
        best = f"{self.best.value:.4g} (trial {self.best.trial})" if self.best else "-"
        return (
            f"trial {task.trial} (round {task.round})  {self.recorded}/{self.total} done  "
            f"best {best}"
        )
