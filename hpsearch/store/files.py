"""Writing files so that nothing is ever half-written or lost.

Whole files are written to a temporary file, fsynced and renamed over the old one, so a reader
sees the old file or the new one, never a mix. Table rows are appended, flushed and fsynced; a
last record that a kill cut short (however long, a quoted multi-line cell too) is cut off before
the table is written again. Files get the permissions the user's umask allows, as any other
program's would.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
from pathlib import Path

import numpy as np

from ..errors import room_for


def atomic_write(path: Path, data):
    """Write `data` (bytes, str, or a function that writes to a binary file) to `path`."""
    path = Path(path)
    mode = "w" if isinstance(data, str) else "wb"
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        with room_for(path):
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
            with os.fdopen(fd, mode) as f:
                data(f) if callable(data) else f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def append(path: Path, text: str, sync: bool = True):
    """Append `text`; with `sync`, make sure it is on disk before returning (without, readers
    see it at once, and a power cut may lose it). Out of room, what did fit stays: a row cut
    short, cut off by the next writer (`repair_last_line`)."""
    with room_for(path), open(path, "a") as f:
        f.write(text)
        f.flush()
        if sync:
            os.fsync(f.fileno())


def jsonable(x):
    """json.dumps' default: NumPy numbers as Python numbers, anything else as text."""
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def write_json(path: Path, value):
    atomic_write(path, json.dumps(value, indent=2, default=jsonable) + "\n")


def read_json(path: Path):
    return json.loads(Path(path).read_text()) if Path(path).exists() else None


def cell(value) -> str:
    """A CSV cell: floats in full precision (repr), None empty, dicts and lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return (
            repr(value)
            if math.isfinite(value)
            else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        )
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=jsonable)
    return str(value)


def csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cell(v) for v in values])
    return out.getvalue()


def records_end(data: bytes, quoted: bool = False) -> tuple[int, bool]:
    """(n, quoted): `data[:n]` is the complete CSV records of `data`, up to its last newline
    outside a quoted cell (0 when there is none), and whether the data ends inside a quoted cell.
    `quoted` says whether it starts inside one: pass the result back with the next bytes to go
    on. A quote inside a quoted cell is doubled, so the cell is open after an odd number of
    quotes; a newline in a quoted cell ends no record."""
    inside = quoted ^ (_quotes(data, 0, len(data)) % 2 == 1)
    stop, odd = len(data), inside
    while (newline := data.rfind(b"\n", 0, stop)) >= 0:
        odd ^= _quotes(data, newline, stop) % 2 == 1
        if not odd:
            return newline + 1, inside
        stop = newline
    return 0, inside


def _quotes(data: bytes, start: int, stop: int) -> int:
    """The quotes in data[start:stop] (found one by one: they are rare, and `find` is fast)."""
    n, at = 0, data.find(b'"', start, stop)
    while at >= 0:
        n, at = n + 1, data.find(b'"', at + 1, stop)
    return n


def repair_last_line(path: Path, chunk: int = 1 << 20):
    """Cut what follows the last complete record: the remains of a write that was interrupted
    (a line without its newline, or a quoted multi-line cell cut short), however long. The
    file is read from the top, as only that tells a newline inside quotes from one that ends a
    record."""
    with open(path, "rb+") as f:
        end, at, quoted = 0, 0, False
        while data := f.read(chunk):
            n, quoted = records_end(data, quoted)
            end = at + n if n else end
            at += len(data)
        if end < at:
            f.truncate(end)


def read_table(path: Path) -> tuple[list, list]:
    """(header, rows) of a CSV file written here; rows are lists of strings. A last record that
    is not complete yet (being written, or cut short by a kill) is left out. Reading never
    changes the file: only its writer repairs it (`repair_last_line`), holding the run's lock."""
    path = Path(path)
    if not path.exists():
        return [], []
    data = path.read_bytes()
    data = data[: records_end(data)[0]]
    rows = [r for r in csv.reader(io.StringIO(data.decode())) if r]
    return (rows[0], rows[1:]) if rows else ([], [])


def write_table(path: Path, header, rows):
    atomic_write(path, "".join(csv_line(r) for r in [header, *rows]))
