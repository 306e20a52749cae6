"""The hyperparameters of the built-in network: defaults, domains, and validation.

One table (`PARAMS`) drives the config checks, the search-space bounds checks, the model's
defaults and which hyperparameters may change mid-training (`LIVE`), so a hyperparameter's
valid domain is written down exactly once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import UserError, plain_number, unknown
from .activations import ACTIVATIONS
from .init import INITS
from .optim import OPTIMIZERS
from .schedules import RATED, SCHEDULES


@dataclass(frozen=True)
class Param:
    """One hyperparameter's default and domain.

    `kind` is int, float, bool, choice, batch (an int or "full") or patience (None or an int).
    Bounds are inclusive unless `low_open`/`high_open`. `live` ones may change mid-training.
    """

    default: object
    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    live: bool = False

    def domain(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        lo = "" if self.low is None else f"{self.low} {'<' if self.low_open else '<='} "
        hi = "" if self.high is None else f" {'<' if self.high_open else '<='} {self.high}"
        text = (
            f"{lo}{'an integer' if self.kind in ('int', 'batch', 'patience') else 'a number'}{hi}"
        )
        if self.kind == "batch":
            text += ' or "full"'
        if self.kind == "patience":
            text += " or null"
        return text

    def in_range(self, x: float) -> bool:
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            return False
        return not (self.high is not None and (x > self.high or self.high_open and x == self.high))


PARAMS: dict[str, Param] = {
    "layers": Param(2, "int", low=0, high=64),
    "hidden_units": Param(64, "int", low=1, high=1_000_000),
    "activation": Param("relu", "choice", choices=tuple(ACTIVATIONS)),
    "init": Param("he", "choice", choices=tuple(INITS)),
    "batch_norm": Param(True, "bool"),
    "keep_prob": Param(1.0, "float", low=0.0, high=1.0, low_open=True, live=True),
    "l2": Param(0.0, "float", low=0.0, live=True),
    "optimizer": Param("adam", "choice", choices=tuple(OPTIMIZERS)),
    "learning_rate": Param(0.001, "float", low=0.0, low_open=True, live=True),
    "beta": Param(0.9, "float", low=0.0, high=1.0, high_open=True, live=True),
    "beta1": Param(0.9, "float", low=0.0, high=1.0, high_open=True, live=True),
    "beta2": Param(0.999, "float", low=0.0, high=1.0, high_open=True, live=True),
    "epsilon": Param(1e-8, "float", low=0.0, low_open=True, live=True),
    "batch_size": Param(64, "batch", low=1),
    "epochs": Param(20, "int", low=1, high=1_000_000, live=True),
    "lr_decay": Param("none", "choice", choices=tuple(SCHEDULES), live=True),
    "decay_rate": Param(1.0, "float", low=0.0, live=True),
    "patience": Param(None, "patience", low=1),
}

DEFAULTS = {name: p.default for name, p in PARAMS.items()}


def check_value(name: str, value, key: str | None = None):
    """`value` checked against hyperparameter `name`'s domain and normalised (ints, floats)."""
    key = key or name
    if name not in PARAMS:
        raise unknown("hyperparameter", name, sorted(PARAMS), key=key)
    p = PARAMS[name]
    bad = UserError(f"{value!r} is out of range", key=key, fix=f"use {p.domain()}")
    if p.kind == "choice":
        if value not in p.choices:
            raise unknown(name, value, p.choices, key=key)
        return value
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if p.kind == "batch" and value == "full":
        return value
    if p.kind == "patience" and value is None:
        return None
    number = plain_number(value, key)
    if p.kind in ("int", "batch", "patience"):
        if not float(number).is_integer():
            raise UserError(f"{value!r} is not an integer", key=key, fix=f"use {p.domain()}")
        number = int(number)
    else:
        number = float(number)
        if not math.isfinite(number):
            raise bad
    if not p.in_range(number):
        raise bad
    return number


def resolve(values: dict | None = None, key_prefix: str = "params") -> dict:
    """The full hyperparameter dict: DEFAULTS updated with `values`, every value checked."""
    out = dict(DEFAULTS)
    for name, value in (values or {}).items():
        out[name] = check_value(name, value, key=f"{key_prefix}.{name}")
    return out


LIVE = tuple(name for name, p in PARAMS.items() if p.live)  # may change between epochs


# What only some values of a choice read: choice -> value -> the hyperparameters it reads.
READ_BY = {
    "optimizer": {name: o.uses for name, o in OPTIMIZERS.items()},
    "lr_decay": {name: ("decay_rate",) if name in RATED else () for name in SCHEDULES},
}


def readers(name: str) -> tuple[str, list] | None:
    """(the choice that decides whether training reads `name`, its values that read it), or
    None when `name` is always read: ("optimizer", ["momentum", "rmsprop"]) for beta."""
    for choice, reads in READ_BY.items():
        values = [value for value, names in reads.items() if name in names]
        if values:
            return choice, values
    return None


def unread(params: dict) -> set:
    """The names in `params` that training never reads, given the choices `params` fixes: beta
    with adam, beta1 with momentum, decay_rate with lr_decay none."""
    out = set()
    for name in params:
        found = readers(name)
        if found and found[0] in params and params[found[0]] not in found[1]:
            out.add(name)
    return out
