"""What the terminal shows while a search runs: a progress bar (caviar), or the model being
trained, epoch by epoch (panda). Both degrade to plain lines when output is not a terminal."""

from __future__ import annotations

import math

from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
    TimeRemainingColumn
from rich.text import Text

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values, width: int = 60) -> str:
    """A one-line chart of `values`, at most `width` wide (longer series are averaged in equal
    chunks); non-finite values show as '!'."""
    values = list(values)
    first_last = [v for v in values if math.isfinite(v)][:1] + [v for v in values if math.isfinite(v)][-1:]
    if len(values) > width:
        chunks = [values[i * len(values) // width : (i + 1) * len(values) // width] for i in range(width)]
        values = [sum(c) / len(c) for c in chunks]
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "!" * len(values)
    lo, hi = min(finite), max(finite)
    span = (hi - lo) or 1.0
    line = "".join(BLOCKS[int((v - lo) / span * 7)] if math.isfinite(v) else "!" for v in values)
    return f"{line}  {first_last[0]:.4g} -> {first_last[-1]:.4g}"


class SearchProgress:
    """Trials done of total, the best metric so far, time elapsed and left."""

    def __init__(self, console, run_path):
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), TextColumn("left"),
                            TimeRemainingColumn(), console=console)
        self.name, self.task = run_path.name, None

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def trial_done(self, result, best, done, total):
        if self.task is None:
            self.task = self.bar.add_task(self.name, total=total, completed=done - 1, best="-")
        self.bar.update(self.task, completed=done, best=f"{best['value']:.4g}" if best else "-")


class PandaView:
    """The trial being babysat: its place in the search, the epoch's numbers, its learning
    curves, and how to steer it from another terminal."""

    def __init__(self, console, run_path, config):
        self.console, self.run_path = console, run_path
        self.per_round, self.total = config.search["trials"], config.search["trials"] * config.search["rounds"]
        self.done, self.best = 0, None
        self.live = Live(Text(f"{run_path.name}: starting"), console=console, refresh_per_second=4) \
            if console.is_terminal else None

    def __enter__(self):
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live is not None:
            return self.live.__exit__(*exc)
        return False

    def trial_done(self, result, best, done, total):
        self.done, self.best = done, best
        if self.live is None:
            value = f"{result['value']:.4g}" if result["value"] is not None else result["status"]
            self.console.print(f"trial {result['trial']} done ({done}/{total}): {value}")

    def epoch_done(self, task, model, record):
        best = f"{self.best['value']:.4g} (trial {self.best['trial']})" if self.best else "-"
        line = (f"epoch {record['epoch']:>3}/{model.hp['epochs']}  lr {record['learning_rate']:.4g}  "
                f"train cost {record['train_cost']:.4f}  dev cost {record['dev_cost']:.4f}  "
                f"dev acc {record['dev_accuracy']:.4f}")
        if self.live is None:
            self.console.print(f"trial {task.trial}: {line}")
            return
        history = model.history
        text = Text()
        text.append(f"{self.run_path.name}  trial {task.trial} (round {task.round}, "
                    f"{task.trial % self.per_round + 1} of {self.per_round})  {self.done}/{self.total} done  "
                    f"best so far {best}\n", style="bold")
        text.append(line + "\n")
        text.append(f"train cost  {sparkline([r['train_cost'] for r in history])}\n")
        text.append(f"dev acc     {sparkline([r['dev_accuracy'] for r in history])}\n")
        text.append(f"steer it:   hpsearch nudge {self.run_path} --lr-factor 0.5   "
                    f"(or --set keep_prob=0.8)", style="dim")
        self.live.update(text)
