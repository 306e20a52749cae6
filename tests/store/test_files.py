"""Tables cut anywhere: the complete records survive, each once, with their header; a record
cut short (however long, even inside a quoted multi-line cell) is dropped, and written again."""

import csv
import io

import pytest

from hpsearch.store.files import csv_line, read_table, records_end, repair_last_line
from tests.conftest import rows

ROWS = [
    ["trial", "round", "status", "note", "error"],
    [0, 1, "ok", "plain", ""],
    [1, 1, "failed", 'a "quoted", cell', 'Traceback:\n  line "1"\n  boom'],
    [2, 1, "ok", "two\nlines", ""],
    [3, 1, "failed", "y" * 100_000, 'ends in a "quote"'],  # the last two rows: a 100 KB cell,
    [4, 1, "failed", 'multi\nline, "q"\n', "z" * 1000 + "\n"],  # a multi-line quoted one
]


def table() -> tuple[bytes, list]:
    """The table's bytes, and the offsets where its records end."""
    lines = [csv_line(r).encode() for r in ROWS]
    ends, at = [], 0
    for line in lines:
        at += len(line)
        ends.append(at)
    return b"".join(lines), ends


def parsed(data: bytes) -> list:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_every_cut_of_the_last_two_rows_keeps_exactly_the_complete_records():
    data, ends = table()
    kept = set()
    for cut in range(ends[-3], len(data) + 1):
        n, _ = records_end(data[:cut])
        assert n == max(e for e in ends if e <= cut), cut
        kept.add(n)
    assert kept == set(ends[-3:])
    for n in kept:  # the header intact, every complete row once, in order
        count = ends.index(n) + 1
        assert parsed(data[:n]) == [[str(c) for c in r] for r in ROWS[:count]]


def test_records_end_goes_on_across_pieces():
    data, ends = table()
    for size in (1, 7, 4096):
        end, at, quoted = 0, 0, False
        for start in range(0, len(data) - 5, size):
            piece = data[start : min(start + size, len(data) - 5)]
            n, quoted = records_end(piece, quoted)
            end, at = (at + n if n else end), at + len(piece)
        assert end == ends[-2]


@pytest.mark.parametrize("chunk", [4096, 1 << 20])
def test_repair_cuts_a_file_back_to_its_last_complete_record(tmp_path, chunk):
    """On files, read in pieces: cuts through both rows (every offset of them is above), at
    each record's edges, and past the 64 KiB a repair once read back from the end."""
    data, ends = table()
    path = tmp_path / "trials.csv"
    edges = [e + d for e in ends[-3:] for d in (-1, 0, 1, 2) if e + d <= len(data)]
    around = [ends[-3] + 65536 + d for d in (-1, 0, 1)]
    path.write_bytes(b"")
    for cut in sorted({*range(ends[-3], len(data), 97), *edges, *around}):
        with open(path, "ab") as f:  # as a writer appends, and is killed at `cut`
            f.write(data[path.stat().st_size : cut])
        repair_last_line(path, chunk)
        end = max(e for e in ends if e <= cut)
        assert path.stat().st_size == end and path.read_bytes()[-64:] == data[:end][-64:], cut
    assert path.read_bytes() == data[: ends[-1]]
    header, records = read_table(path)
    assert header == ROWS[0] and [r[0] for r in records] == ["0", "1", "2", "3", "4"]


def test_read_table_leaves_out_a_quoted_cell_cut_after_one_of_its_newlines(tmp_path):
    data, ends = table()
    path = tmp_path / "t.csv"
    path.write_bytes(data[: ends[-2] + len(b'4,1,failed,"multi\n')])
    header, records = read_table(path)
    assert header == ROWS[0] and [r[0] for r in records] == ["0", "1", "2", "3"]


OBJECTIVE = """
def evaluate(config):
    if "\\n" in config["note"]:
        raise ValueError("y" * 100_000)
    return config["x"]
"""

CONFIG = """
objective: noisy:evaluate
seed: 3
search: {trials: 6, rounds: 1, jobs: 1}
space:
  x: {low: 0, high: 1}
  note: {values: ["one", "two\\nlines, \\"quoted\\""]}
"""


def test_resume_after_a_cut_inside_a_long_or_multi_line_row(tmp_path, cli, monkeypatch):
    """Through the CLI: a run whose last rows hold a 100 KB cell and a multi-line quoted one,
    its trials.csv cut inside them, resumes to the table of the run never cut."""
    (tmp_path / "noisy.py").write_text(OBJECTIVE)
    (tmp_path / "c.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    assert cli("run", "c.yaml").exit_code == 0
    run = tmp_path / "runs" / "c"
    whole = (run / "trials.csv").read_bytes()
    reference = rows(run / "trials.csv")
    lines = [csv_line(r).encode() for r in parsed(whole)]
    assert b"".join(lines) == whole and len(reference) == 6
    assert "\n" in reference[-2]["note"] and len(reference[-2]["error"]) > 100_000
    start = len(whole) - len(lines[-1]) - len(lines[-2])  # where the last two rows begin
    for cut in (
        start + 70_000,  # inside the 100 KB cell, more than 64 KiB past the last newline
        start + lines[-2].index(b"\n") + 1,  # just after the newline inside the quoted cell
        len(whole) - len(lines[-1]) // 2,  # inside the last row
    ):
        (run / "trials.csv").write_bytes(whole[:cut])
        done = cli("resume", run)
        assert done.exit_code == 0, done.stderr
        assert rows(run / "trials.csv") == reference
