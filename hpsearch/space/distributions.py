"""Distributions: small validated value objects with one transform to the unit interval.

Every numeric distribution maps its value to a *sampling coordinate* c (the value for `linear`,
log10(v) for `log`, log10(1 - v) for `one_minus_log`) and c linearly to u in [0, 1]. Sampling is
`from_unit(rng.random())` and coarse-to-fine narrows intervals of u, so samplers and refinement
never branch on the scale: `one_minus_log` (beta = 1 - 10^r) is just another `from_unit`.

Any distribution may be conditional: `when` maps other hyperparameters' names to the values
under which this one is sampled (see `conditions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import UserError, plain_number, unknown

SCALES = {
    "linear": (lambda v: v, lambda c: c),
    "log": (math.log10, lambda c: 10.0**c),
    "one_minus_log": (lambda v: math.log10(1.0 - v), lambda c: 1.0 - 10.0**c),
}
TYPES = ("float", "int")
ENTRY_KEYS = ("low", "high", "scale", "type", "values", "when")


@dataclass(frozen=True)
class Float:
    """A real number in [low, high], uniform in the scale's sampling coordinate."""

    low: float
    high: float
    scale: str = "linear"
    when: tuple = field(default=(), kw_only=True)  # ((name, (values, ...)), ...)

    def __post_init__(self):
        if self.scale not in SCALES:
            raise unknown("scale", self.scale, list(SCALES))
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise UserError(
                f"bounds must be finite, got low={self.low}, high={self.high}",
                fix="give finite numbers",
            )
        if not self.low < self.high:
            raise UserError(
                f"`low < high` must hold, got low={self.low}, high={self.high}",
                fix="swap them or widen the range (a fixed value belongs in params)",
            )
        if self.scale == "log" and self.low <= 0:
            raise UserError(
                f"`low > 0` must hold for scale log, got low={self.low}",
                fix="use a positive low such as 1e-4",
            )
        if self.scale == "one_minus_log" and not 0 < self.low < self.high < 1:
            raise UserError(
                f"`0 < low < high < 1` must hold for scale one_minus_log, got low={self.low}, "
                f"high={self.high}",
                fix="use bounds such as low: 0.9, high: 0.999",
            )

    def _bounds(self):
        return self.low, self.high

    def to_coord(self, x) -> float:
        return SCALES[self.scale][0](x)

    def _coord_range(self):
        lo, hi = self._bounds()
        fwd = SCALES[self.scale][0]
        return fwd(lo), fwd(hi)

    def to_unit(self, x) -> float:
        c0, c1 = self._coord_range()
        return (self.to_coord(x) - c0) / (c1 - c0)

    def from_unit(self, u):
        c0, c1 = self._coord_range()
        x = SCALES[self.scale][1](c0 + u * (c1 - c0))
        return min(max(float(x), self.low), self.high)

    def sample(self, rng):
        return self.from_unit(rng.random())

    def parse(self, text: str):
        """A value written in a table back as a number."""
        return float(text)

    def to_dict(self) -> dict:
        return {
            "low": self.low,
            "high": self.high,
            "scale": self.scale,
            "type": "float",
            **_when(self),
        }


@dataclass(frozen=True)
class Int(Float):
    """An integer in [low, high], both inclusive. The sampling interval is widened by half a
    unit at each end before the transform, so on the linear scale every integer is equally
    likely, the bounds included."""

    def __post_init__(self):
        super().__post_init__()
        if not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise UserError(
                f"bounds of type int must be integers, got low={self.low}, high={self.high}",
                fix="use whole numbers, or type: float",
            )
        if self.scale == "one_minus_log":
            raise UserError(
                "scale one_minus_log is for numbers in (0, 1), not for type int",
                fix="use type: float, or scale linear or log",
            )
        if self.scale == "log" and self.low < 1:
            raise UserError(
                f"`low >= 1` must hold for an int on scale log, got low={self.low}",
                fix="use low: 1 or more",
            )

    def _bounds(self):
        return self.low - 0.5, self.high + 0.5

    def from_unit(self, u):
        c0, c1 = self._coord_range()
        x = SCALES[self.scale][1](c0 + u * (c1 - c0))
        return int(min(max(round(x), self.low), self.high))

    def whole_units(self, u: np.ndarray) -> np.ndarray:
        """Unit coordinates moved to those of the integers they round to: `to_unit(from_unit(u))`
        for an array at once."""
        c0, c1 = self._coord_range()
        c = c0 + np.asarray(u, float) * (c1 - c0)
        k = np.clip(np.round(c if self.scale == "linear" else 10.0**c), self.low, self.high)
        return ((k if self.scale == "linear" else np.log10(k)) - c0) / (c1 - c0)

    def parse(self, text: str):
        return int(float(text))

    def to_dict(self) -> dict:
        return {
            "low": int(self.low),
            "high": int(self.high),
            "scale": self.scale,
            "type": "int",
            **_when(self),
        }


@dataclass(frozen=True)
class Categorical:
    """One of `values` (numbers, strings, booleans), each equally likely."""

    values: tuple
    when: tuple = field(default=(), kw_only=True)

    def __post_init__(self):
        if len(self.values) == 0:
            raise UserError("`values` is empty", fix="list at least one value")
        if len(set(map(repr, self.values))) != len(self.values):
            raise UserError(
                f"`values` has duplicates: {list(self.values)}", fix="list each value once"
            )
        texts = {}
        for value in self.values:  # a table cell holds str(value): it must say which value
            if str(value) in texts:
                raise UserError(
                    f"`values` has {texts[str(value)]!r} and {value!r}, which a table writes "
                    f"alike ({value}), so results could not tell them apart",
                    fix="keep one of them",
                )
            texts[str(value)] = value

    scale = "categorical"

    def to_unit(self, x) -> float:
        return (self.values.index(x) + 0.5) / len(self.values)

    def from_unit(self, u):
        return self.values[min(int(u * len(self.values)), len(self.values) - 1)]

    def sample(self, rng):
        return self.from_unit(rng.random())

    def parse(self, text: str):
        """The value whose text is `text`; ValueError when none is."""
        for value in self.values:
            if str(value) == text:
                return value
        raise ValueError(f"{text!r} is not one of {list(self.values)}")

    def to_dict(self) -> dict:
        return {"values": list(self.values), **_when(self)}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _when(dist) -> dict:
    return {"when": {name: list(values) for name, values in dist.when}} if dist.when else {}


def parse_when(when, key: str) -> tuple:
    """A `when:` mapping (NAME: value or NAME: [values]) as a hashable tuple, sorted by name."""
    if not isinstance(when, dict) or not when:
        raise UserError(
            f"{when!r} is not a condition",
            key=key,
            fix="write when: {optimizer: adam} or when: {optimizer: [momentum, rmsprop]}",
        )
    out = []
    for name, values in sorted(when.items(), key=lambda kv: str(kv[0])):
        values = tuple(values) if isinstance(values, list) else (values,)
        if not values:
            raise UserError("lists no value", key=f"{key}.{name}", fix="list at least one value")
        out.append((str(name), values))
    return tuple(out)


def parse_distribution(entry, key: str, int_hint: bool = False):
    """A distribution from a YAML space entry: {low, high, scale?, type?, when?} or
    {values: [...], when?}, or a bare list of names as shorthand for values ([adam, momentum]).
    A bare list with a number in it is refused: [1.0e-4, 1.0] reads as a range as much as two
    values. `int_hint` makes `type` default to int (for hyperparameters that only take
    integers). Raises UserError located at `key`."""
    try:
        if isinstance(entry, list):
            if any(_is_number(v) for v in entry):
                shown = ", ".join(map(str, entry))
                bounds = f"{{low: {entry[0]}, high: {entry[-1]}}} for a range"
                raise UserError(
                    f"a bare list [{shown}] may mean these values or a range",
                    fix=f"write {{values: [{shown}]}} for these values"
                    + (f", or {bounds}" if len(entry) == 2 else ""),
                )
            return Categorical(tuple(entry))
        if not isinstance(entry, dict):
            raise UserError(
                f"{entry!r} is not a distribution",
                fix="write {low: ..., high: ...} or {values: [...]}, or fix it in params",
            )
        for k in entry:
            if k not in ENTRY_KEYS:
                raise unknown("space key", k, ENTRY_KEYS, key=f"{key}.{k}")
        when = parse_when(entry["when"], f"{key}.when") if "when" in entry else ()
        if "values" in entry:
            extra = sorted(set(entry) - {"values", "when"})
            if extra:
                raise UserError(
                    f"`values` cannot go with {', '.join(extra)}",
                    fix="give either values or low/high",
                )
            if not isinstance(entry["values"], list):
                raise UserError(
                    f"`values` must be a list, got {entry['values']!r}",
                    fix="write values: [a, b, c]",
                )
            return Categorical(tuple(entry["values"]), when=when)
        missing = [k for k in ("low", "high") if k not in entry]
        if missing:
            raise UserError(
                f"missing `{missing[0]}`", fix="give both low and high, or values: [...]"
            )
        kind = entry.get("type", "int" if int_hint else "float")
        if kind not in TYPES:
            raise unknown("type", kind, TYPES, key=f"{key}.type")
        low = plain_number(entry["low"], f"{key}.low")
        high = plain_number(entry["high"], f"{key}.high")
        cls = Int if kind == "int" else Float
        return cls(low, high, entry.get("scale", "linear"), when=when)
    except UserError as e:
        raise e.at(key=key) from None
