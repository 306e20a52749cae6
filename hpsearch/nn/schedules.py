"""Learning-rate decay as plain functions of the epoch (counted from 0): lr(lr0, epoch, rate)."""

from __future__ import annotations

import math

SCHEDULES = {
    "none": lambda lr0, epoch, rate: lr0,
    "inverse_time": lambda lr0, epoch, rate: lr0 / (1.0 + rate * epoch),
    "exponential": lambda lr0, epoch, rate: lr0 * rate**epoch,
    "sqrt": lambda lr0, epoch, rate: lr0 / math.sqrt(epoch + 1),
    # Halve every `rate` epochs; a rate of 0 never halves.
    "step": lambda lr0, epoch, rate: lr0 * 0.5 ** (epoch // rate) if rate > 0 else lr0,
}


RATED = ("inverse_time", "exponential", "step")  # the schedules that read decay_rate


def learning_rate(hp: dict, epoch: int) -> float:
    """The learning rate in force during `epoch` for hyperparameters `hp`."""
    return float(SCHEDULES[hp["lr_decay"]](hp["learning_rate"], epoch, hp["decay_rate"]))
