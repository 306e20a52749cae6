"""The run's lock: one holder at most, whatever the timing; taken over when its holder dies."""

import subprocess
import sys
import textwrap

from hpsearch.errors import UserError
from hpsearch.store.lock import Lock

RACER = textwrap.dedent(
    """
    import os, sys, time
    from hpsearch.errors import UserError
    from hpsearch.store.lock import Lock

    folder, rounds = sys.argv[1], int(sys.argv[2])
    lock = Lock(os.path.join(folder, ".lock"), "the run")
    while not os.path.exists(os.path.join(folder, "go")):
        time.sleep(0.001)
    taken = clashes = 0
    for _ in range(rounds):
        try:
            lock.acquire()
        except UserError:
            continue
        taken += 1
        try:  # inside: nobody else may be
            os.close(os.open(os.path.join(folder, "inside"), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            clashes += 1
        else:
            os.unlink(os.path.join(folder, "inside"))
        lock.release()
    print(taken, clashes)
    """
)


def test_two_processes_racing_for_the_lock_never_both_hold_it(tmp_path):
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path), "400"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    (tmp_path / "go").touch()
    outcomes = [tuple(map(int, r.communicate(timeout=120)[0].split())) for r in racers]
    assert all(r.returncode == 0 for r in racers)
    assert sum(taken for taken, _ in outcomes) > 0
    assert [clashes for _, clashes in outcomes] == [0, 0]


def test_a_lock_is_refused_while_held_and_taken_once_released(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom hpsearch.store.lock import Lock\n"
            f"Lock({str(tmp_path / '.lock')!r}, 'r').acquire()\nprint('held', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        lock = Lock(tmp_path / ".lock", "run 'r'")
        assert lock.holder() == holder.pid
        try:
            lock.acquire()
        except UserError as e:
            assert f"run 'r' is in use by process {holder.pid}" in str(e)
        else:
            raise AssertionError("a held lock was taken")
    finally:
        holder.kill()
        holder.wait()
    assert (tmp_path / ".lock").exists() and lock.holder() is None  # its holder died
    lock.acquire()
    assert lock.holder() is not None
    lock.release()
    assert not (tmp_path / ".lock").exists()
