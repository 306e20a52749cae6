"""The one exception users see, and the helpers that word it.

Every problem with what the user gave us (a config file, a data file, a command-line value)
is raised as :class:`UserError`; the CLI prints its one-line message and exits with code 2.
Anything else that escapes is a bug of ours and exits with code 1.
"""

from __future__ import annotations

import difflib
import errno
import math
from contextlib import contextmanager


class UserError(Exception):
    """Bad input: names where (file, key), what (value) and how to fix it."""

    def __init__(self, problem: str, *, file=None, key: str | None = None, fix: str | None = None):
        self.problem, self.file, self.key, self.fix = problem, file, key, fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = ": ".join(str(part) for part in (self.file, self.key) if part not in (None, ""))
        text = f"{where}: {self.problem}" if where else self.problem
        return f"{text}; {self.fix}" if self.fix else text

    def at(self, file=None, key: str | None = None) -> UserError:
        """The same error, located in `file` and/or under `key` when it was not yet."""
        return UserError(self.problem, file=self.file or file, key=self.key or key, fix=self.fix)


class CannotContinue(Exception):
    """The search cannot go on, for a cause outside it: the disk is full, the Dask scheduler is
    gone. The CLI says so in one line and exits with code 1; what was recorded stays, and
    `resume` (named once the run is known, `run`) goes on once the cause is gone."""

    def __init__(self, problem: str, fix: str, run=None):
        super().__init__(problem, fix, run)  # (pickled whole, from a worker process)
        self.problem, self.fix, self.run = problem, fix, run

    def __str__(self) -> str:
        text = f"{self.problem}; {self.fix}"
        return f"{text}, then continue with: hpsearch resume {self.run}" if self.run else text

    def of(self, run) -> CannotContinue:
        """The same, saying how to resume `run`."""
        return CannotContinue(self.problem, self.fix, run)


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a search (see runs.interrupts): the CLI prints this one line
    and exits with `code`, 130 or 143."""

    def __init__(self, path, recorded: int, total: int, code: int = 130, kept: str = ""):
        self.path, self.recorded, self.total, self.code = path, recorded, total, code
        resume = f"hpsearch resume {path}"
        kept = kept or f"{recorded} of {total} trials recorded"
        super().__init__(f"interrupted: {kept}; continue with: {resume}")


class WriteFailed(CannotContinue):
    """A file could not be written for want of room: the disk or the quota is full, or the file
    reached the size limit (`ulimit -f`)."""

    ROOM = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)

    def __init__(self, path, reason: str):
        super().__init__(f"cannot write {path}: {reason}", "free some space (or raise ulimit -f)")
        self.args = (str(path), reason)


@contextmanager
def room_for(path):
    """A write to `path`: a full disk or the file size limit raise WriteFailed naming it."""
    try:
        yield
    except OSError as e:
        if e.errno in WriteFailed.ROOM:
            raise WriteFailed(path, e.strerror or str(e)) from None
        raise


def count(n: int, word: str) -> str:
    """'1 round', '2 rounds': a number and its noun, in the plural unless one."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def near_one(value, digits: int, other=str) -> str:
    """A value just below 1 (a beta) written with `digits` significant digits of 1 - value:
    at 4, 0.998611 and 0.998595 stay apart where 4 digits of the value show 0.9986 twice; any
    other value as `other` writes it. One rule for every table (results, its regions)."""
    if not isinstance(value, float) or not 0 < 1 - value < 1:
        return other(value)
    decimals = digits - 1 - math.floor(math.log10(1 - value))
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def nearest(word: str, choices) -> str | None:
    """The choice closest to a mistyped `word`, or None when nothing is close."""
    found = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return found[0] if found else None


def unknown(kind: str, value, choices, **where) -> UserError:
    """A UserError for a name that is not one of `choices`, suggesting the nearest."""
    valid = ", ".join(map(str, choices))
    close = nearest(value, choices)
    fix = f"did you mean '{close}'? (valid: {valid})" if close else f"valid: {valid}"
    return UserError(f"unknown {kind} '{value}'", fix=fix, **where)


def check_whole(value, low: int, key: str, fix: str) -> None:
    """Raise UserError unless `value` is a whole number (not a boolean) of at least `low`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UserError(f"{value!r} is not a whole number >= {low}", key=key, fix=fix)


def integral(value):
    """A whole number written as a float (budget: 1e3) as the int it is; anything else as is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def as_number(value, key=None):
    """`value` as an int or float; YAML strings such as "1e-4" count as numbers."""
    if isinstance(value, bool):
        raise UserError(f"expected a number, got {value!r}", key=key, fix="write a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            whole = number.is_integer() and "." not in value and "e" not in value.lower()
            return int(number) if whole else number
    raise UserError(
        f"expected a number, got {value!r}", key=key, fix="write a number such as 0.01 or 1e-4"
    )


def plain_number(value, key=None):
    """`value` as an int or float, refusing a string that spells one: in a config a quoted value
    is a string, always (text from the command line goes through `as_number`)."""
    number = as_number(value, key)
    if isinstance(value, str):
        raise UserError(
            f"expected a number, got the string {value!r}",
            key=key,
            fix="write the number without quotes",
        )
    return number
