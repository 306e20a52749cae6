"""The disk fills (or the file size limit, `ulimit -f`, is reached) while a search writes its
tables or a checkpoint: one line naming the file, exit 1, nothing recorded before lost, and
`resume` completes once there is room. RLIMIT_FSIZE in a real process stands for a full disk:
the write fails with EFBIG where it would fail with ENOSPC."""

import re
import resource
import signal

import pytest

from hpsearch.config import load_config
from hpsearch.runs import resume_search, run_search
from hpsearch.store.files import read_table
from tests.conftest import hpsearch, rows

CAVIAR = """
seed: 4
data: {dataset: moons, n_samples: 300}
params: {layers: 1, hidden_units: 8, epochs: 20}
search: {trials: 4, rounds: 2, jobs: 1, keep: 0.5}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
"""

PANDA = """
seed: 3
data: {dataset: moons, n_samples: 300}
params: {layers: 1, hidden_units: 16, epochs: 12, batch_size: 32}
search: {mode: panda, trials: 2, rounds: 2, keep: 0.5, checkpoint_every: 0}
space:
  learning_rate: {low: 1e-3, high: 1e-1, scale: log}
"""

OBJECTIVE = "def evaluate(config):\n    return config['x']\n"

CUSTOM = """
objective: plain:evaluate
seed: 2
search: {trials: 12, rounds: 2, jobs: 1}
space: {x: {low: 0, high: 1}}
"""


def limited(size):
    """For preexec_fn: files of at most `size` bytes, and SIGXFSZ ignored, so that a write past
    the limit fails (EFBIG) instead of the signal ending the process (hpsearch ignores it too)."""

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


@pytest.mark.parametrize(
    ("text", "limit", "full"),
    [
        (CAVIAR, 8_000, "curves.csv"),  # curves.csv grows past 8 KB
        (CUSTOM, 600, "trials.csv"),  # a custom objective: trials.csv is the table that grows
        (PANDA, 7_000, r"checkpoints/trial-0/epoch-\d{4}\.npz"),  # checkpoints of 7 KB
    ],
)
def test_a_full_disk_is_one_line_and_resume_completes_the_run(tmp_path, text, limit, full):
    (tmp_path / "plain.py").write_text(OBJECTIVE)
    (tmp_path / "s.yaml").write_text(text)
    if text is CUSTOM:  # in another process: this one may hold another test's module 'plain'
        assert hpsearch("run", "s.yaml", "--name", "ref", cwd=tmp_path).returncode == 0
    else:  # the table does not depend on the process: the reference is made in this one
        run_search(load_config(tmp_path / "s.yaml", ["name=ref"]), runs_dir=tmp_path / "runs")
    reference = {t: rows(tmp_path / "runs" / "ref" / t) for t in ("trials.csv", "curves.csv")}
    stopped = hpsearch("run", "s.yaml", cwd=tmp_path, preexec_fn=limited(limit))
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    assert re.fullmatch(
        f"error: cannot write runs/s/{full}: File too large; free some space \\(or raise "
        "ulimit -f\\), then continue with: hpsearch resume runs/s",
        stopped.stderr.splitlines()[-1],
    )
    run = tmp_path / "runs" / "s"
    header, records = read_table(run / "trials.csv")  # the complete rows
    kept = [{k: v for k, v in zip(header, r) if k != "seconds"} for r in records]
    assert kept == reference["trials.csv"][: len(kept)]  # what was recorded, as recorded
    assert len(kept) < len(reference["trials.csv"])
    if text is CUSTOM:
        done = hpsearch("resume", "runs/s", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    else:  # the stop was the command line's to say; the resume's table is the same here
        resume_search(run)
    for table, expected in reference.items():
        assert rows(run / table) == expected


def test_no_room_for_the_data_block_is_one_line_and_writes_no_run(tmp_path):
    (tmp_path / "s.yaml").write_text(CAVIAR)
    stopped = hpsearch("run", "s.yaml", cwd=tmp_path, preexec_fn=limited(1500))
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    assert re.fullmatch(
        r"error: cannot write \S+/X\.npy: File too large; free some space \(or raise ulimit -f\)",
        stopped.stderr.splitlines()[-1],
    )
    assert not (tmp_path / "runs" / "s").exists()


def test_a_worker_out_of_room_stops_the_search_rather_than_failing_its_trial(
    tmp_path, monkeypatch
):
    """The marker a worker writes: WriteFailed, which crosses back to the main process whole."""
    import errno
    import pickle
    from pathlib import Path

    from hpsearch.errors import WriteFailed
    from hpsearch.modes.caviar import _run_marked

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(WriteFailed) as raised:
        _run_marked(None, type("T", (), {"trial": 3})(), str(tmp_path), None)
    again = pickle.loads(pickle.dumps(raised.value))
    assert (
        str(again)
        == str(raised.value)
        == (
            f"cannot write {tmp_path / '3'}: No space left on device; free some space "
            "(or raise ulimit -f)"
        )
    )
