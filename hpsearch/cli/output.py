"""What commands print: tables that fit the terminal, markdown rounded as they are, and csv and
json that keep every digit.

A table never runs past the terminal's width (COLUMNS, or the terminal's own): long text cells
are shortened, and columns that still do not fit are left out, with a line saying which. Numbers
are shown to 4 significant digits (a beta near 1 to the digits of 1 - beta that matter); csv and
json write floats in full (repr), NaN as empty (csv) or null (json).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
import sys
import textwrap

import click

from ..errors import count
from ..errors import near_one as one_minus_digits
from ..store.files import cell, jsonable

FORMATS = ("table", "csv", "json", "markdown")
NUMBER = re.compile(r"-?\d+(\.\d+)?%?")  # numbers and percentages as text
MIN_TEXT = 12  # a text column is never shortened below this


def width() -> int:
    return max(40, shutil.get_terminal_size((100, 24)).columns)


KEEP = "\N{NO-BREAK SPACE}"  # a space the wrap never breaks at: "--format{KEEP}csv"


def terminal(err: bool = False) -> bool:
    """Whether stdout (or stderr) is a terminal. Prose is wrapped only there: a log or a pipe
    gets each message on one line, whatever the width or the length of a path in it, so grep
    finds it."""
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def fill(text: str, columns: int | None = None, indent: str = "  ", err: bool = False) -> str:
    """`text` wrapped to `columns` (the terminal's width by default) on a terminal, or on one
    line when the stream is not one."""
    if not terminal(err):
        return text.replace(KEEP, " ")
    return wrap(text, columns or width(), indent)


def wrap(text: str, columns: int, indent: str = "  ") -> str:
    """Prose wrapped to `columns` (words are never cut), later lines starting with `indent`;
    words joined by KEEP stay on one line."""
    return textwrap.fill(
        text, columns, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    ).replace(KEEP, " ")


def say(text: str, err: bool = False, indent: str = "  "):
    """A line of prose, wrapped to the terminal's width on a terminal (see `fill`)."""
    while text.startswith("\n"):
        click.echo("", err=err)
        text = text[1:]
    click.echo(fill(text, indent=indent, err=err), err=err)


def fmt(value) -> str:
    """A value as a table shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and 0 < 1 - value < 0.001:
        return near_one(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def near_one(value) -> str:
    """A beta with the 4 significant digits of 1 - value (see errors.near_one)."""
    return one_minus_digits(value, 4, fmt)


def _plain(value):
    """A value for json: Python numbers, NaN and inf as None."""
    value = (
        jsonable(value)
        if not isinstance(value, (str, int, float, bool, type(None), dict, list))
        else value
    )
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(rows: list[dict], fmt_name: str, title: str = "", columns: list | None = None):
    """Print `rows` (dicts) in a format; `columns` in order of importance (default: the first
    row's keys)."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt_name == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(_plain(row.get(c))) for c in columns])
        click.echo(out.getvalue(), nl=False)
    elif fmt_name == "json":
        click.echo(
            json.dumps(
                [{c: _plain(r.get(c)) for c in columns} for r in rows], indent=2, default=str
            )
        )
    elif fmt_name == "markdown":
        if title:
            click.echo(f"**{title}**\n")
        click.echo("| " + " | ".join(columns) + " |")
        click.echo("|" + "|".join("---:" if _numeric(rows, c) else "---" for c in columns) + "|")
        for row in rows:
            click.echo(
                "| " + " | ".join(fmt(row.get(c)).replace("|", "\\|") for c in columns) + " |"
            )
    else:
        table(rows, columns, title)


def _numeric(rows, column) -> bool:
    """Whether a column holds numbers, or numbers as text ('0.998611', '40.2%'): aligned
    right."""
    values = [r.get(column) for r in rows if r.get(column) not in (None, "")]
    return bool(values) and all(
        (isinstance(v, (int, float)) and not isinstance(v, bool))
        or (isinstance(v, str) and NUMBER.fullmatch(v) is not None)
        for v in values
    )


def table(rows: list[dict], columns: list, title: str = ""):
    """Aligned columns under a title, within the terminal's width."""
    cells = {c: [fmt(r.get(c)) for r in rows] for c in columns}
    widths = {c: max([len(str(c))] + [len(v) for v in cells[c]]) for c in columns}
    numeric = {c: _numeric(rows, c) for c in columns}
    room, shown, hidden = width(), [], []
    for c in columns:
        used = sum(widths[s] + 2 for s in shown)
        need = widths[c] if numeric[c] else min(widths[c], max(MIN_TEXT, len(str(c))))
        if used + need <= room:
            shown.append(c)
            if not numeric[c]:
                widths[c] = min(widths[c], room - used)
        else:
            hidden.append(str(c))
    if title:
        click.echo(title)
    line = lambda values: "  ".join(  # noqa: E731
        (v.rjust(widths[c]) if numeric[c] else _cut(v, widths[c]).ljust(widths[c]))
        for c, v in zip(shown, values)
    )
    click.echo(line([str(c) for c in shown]).rstrip())
    click.echo("  ".join("-" * widths[c] for c in shown))
    for i in range(len(rows)):
        click.echo(line([cells[c][i] for c in shown]).rstrip())
    if hidden:
        names = ", ".join(hidden)
        fix = f"widen the terminal or use --format{KEEP}csv)"
        say(f"({count(len(hidden), 'more column')} not shown: {names}; {fix}")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(0, n - 1)] + "…"
