"""Conditional hyperparameters: `when: {optimizer: adam}` samples a hyperparameter only where its
condition holds, and leaves it out (its default applies) everywhere else.

A condition names categorical hyperparameters of the same space, or fixed values (resolved once,
when the space is checked), and the values under which it holds. A hyperparameter is active when
every name in its condition is itself active and has one of the listed values.
"""

from __future__ import annotations

import dataclasses

from ..errors import UserError, unknown
from .distributions import Categorical


def check_conditions(space: dict, fixed: dict, prefix: str = "space") -> dict:
    """The space with conditions on fixed values resolved; raises UserError for a condition
    on an unknown name, on a numeric hyperparameter, with a value that can never occur, that
    can never hold, or that goes round in a circle."""
    out = {}
    for name, dist in space.items():
        when = []
        for parent, values in dist.when:
            key = f"{prefix}.{name}.when.{parent}"
            if parent == name:
                raise UserError(
                    f"{name} depends on itself", key=key, fix="name another hyperparameter"
                )
            if parent in space:
                choices = _choices(space[parent], key)
                for value in values:
                    if value not in choices:
                        raise unknown(f"value of {parent}", value, choices, key=key)
                when.append((parent, values))
            elif parent in fixed:
                if fixed[parent] not in values:
                    raise UserError(
                        f"never holds: {parent} is fixed at {fixed[parent]!r}, "
                        f"not {_words(values)}",
                        key=key,
                        fix=f"search {parent} in space, or drop {name} from space",
                    )
            else:
                names = [n for n in space if n != name and isinstance(space[n], Categorical)]
                raise unknown("name in condition", parent, sorted({*names, *fixed}), key=key)
        out[name] = dataclasses.replace(dist, when=tuple(when))
    order(out, prefix)  # refuses cycles
    return out


def _choices(dist, key) -> tuple:
    if not isinstance(dist, Categorical):
        raise UserError(
            "a condition can only name a hyperparameter sampled from values:",
            key=key,
            fix="make it categorical (values: [...]) or drop the condition",
        )
    return dist.values


def _words(values) -> str:
    return " or ".join(repr(v) for v in values)


def order(space: dict, prefix: str = "space") -> list[str]:
    """Names with every condition's names before the names that depend on them (sorted
    otherwise); raises UserError on a cycle."""
    done, out = set(), []
    pending = sorted(space)
    while pending:
        ready = [n for n in pending if all(p in done for p, _ in space[n].when)]
        if not ready:
            names = ", ".join(pending)
            raise UserError(
                f"the conditions of {names} depend on each other in a circle",
                key=prefix,
                fix="make one of them unconditional",
            )
        out += ready
        done.update(ready)
        pending = [n for n in pending if n not in done]
    return out


def active_names(space: dict, config: dict) -> set:
    """The names of `space` whose condition holds for the values in `config`."""
    active = set()
    for name in order(space):
        if all(p in active and config.get(p) in values for p, values in space[name].when):
            active.add(name)
    return active


def drop_inactive(space: dict, config: dict) -> dict:
    """`config` without the hyperparameters whose condition does not hold."""
    keep = active_names(space, config)
    return {k: v for k, v in config.items() if k in keep or k not in space}


def may_apply(space: dict, name: str, box: dict) -> bool:
    """Whether `name`'s condition can hold in a region's `box` (name -> a categorical's
    allowed values; a name the box leaves out may take any value): a beta1 that only Adam
    reads has no place in a box that holds only gd."""
    when = space[name].when if name in space else ()
    return all(
        parent not in box or bool(set(box[parent]) & set(values)) for parent, values in when
    )
