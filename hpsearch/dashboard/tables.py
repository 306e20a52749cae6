"""Reading a table that another process appends to, from where the last read stopped, without
ever changing the file.

A cursor (`inode:offset:crc`) marks the end of the last complete record read: the byte offset,
the file it belongs to, and a checksum of the bytes just before it. A reader that passes its
cursor back gets only the records appended since. When the file was replaced (hpsearch rewrites
a table atomically when a rollback drops rows or a search ends sorted) or is not the one the
cursor was made on, the read starts again from the top and says so (`reset`). A record still
being written (no newline yet, or a quoted cell not closed) is left for the next read.
"""

from __future__ import annotations

import csv
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

CHECKED = 64  # bytes before the offset that must be unchanged for a cursor to hold


@dataclass
class Chunk:
    header: list  # the table's columns ([] when the file does not exist yet)
    rows: list  # complete records since the cursor, lists of strings (None: not parsed)
    cursor: str  # where the next read starts
    reset: bool  # the rows start from the top of the file
    text: str = ""  # the records as they are in the file (unparsed reads only)
    cut: bool = False  # bytes follow the last complete record: one being written, or cut short


def read_since(path: Path, cursor: str | None = None, parse: bool = True) -> Chunk:
    """The records of the CSV file at `path` appended since `cursor` (all of them without one).
    Without `parse`, for tables of numbers (no quoted cells), the records come as their text:
    whole lines."""
    try:
        f = open(path, "rb")  # noqa: SIM115  (closed below; the stat must be of this open file)
    except FileNotFoundError:
        return Chunk([], [], "", reset=bool(cursor))
    with f:
        inode, size = os.fstat(f.fileno()).st_ino, os.fstat(f.fileno()).st_size
        start = _resume_at(f, cursor, inode, size)
        f.seek(start)
        data = f.read(size - start)
        data = data[: data.rfind(b"\n") + 1]
        header, skip = _header(f, data if start == 0 else None)
        data = data[skip:]
        records, used = _records(data) if parse else (None, len(data))
        end = start + skip + used
        cursor = f"{inode}:{end}:{_crc(f, end)}"
    text = "" if parse else data.decode("utf-8", "replace")
    return Chunk(header, records, cursor, reset=start == 0, text=text, cut=end < size)


def _header(f, data: bytes | None) -> tuple[list, int]:
    """The header, and how many bytes of `data` (the file from its top, if read) it takes."""
    if data is None:
        f.seek(0)
        records, _ = _records(f.readline())
        return (records[0] if records else []), 0
    records, used = _records(data[: data.find(b"\n") + 1])
    return (records[0], used) if records else ([], 0)


def _resume_at(f, cursor, inode, size) -> int:
    try:
        at_inode, offset, crc = (int(part) for part in (cursor or "").split(":"))
    except ValueError:
        return 0
    if at_inode != inode or not 0 < offset <= size:
        return 0
    return offset if _crc(f, offset) == crc else 0


def _crc(f, offset) -> int:
    f.seek(max(0, offset - CHECKED))
    return zlib.crc32(f.read(min(offset, CHECKED)))


def _records(data: bytes) -> tuple[list, int]:
    """The complete CSV records in `data` (blank lines skipped) and the bytes they take: a
    record that only the end of the data closes is still being written, and is left out."""
    state = {"read": 0, "ended": False}

    def lines():
        for line in io.BytesIO(data):
            state["read"] += len(line)
            yield line.decode("utf-8", "replace")
        state["ended"] = True

    records, used = [], 0
    for record in csv.reader(lines()):
        if state["ended"]:
            break
        used = state["read"]
        if record:
            records.append(record)
    return records, used
