"""Caviar: many models at once. Runners schedule trials; they never decide anything.

- `InProcess`: trials one after another in this process (--jobs 1), each on the run's BLAS
  threads as on a worker (`objective.run_task`), so that the table does not depend on the
  number of jobs.
- `LokyPool`: trials on worker processes (joblib's loky). Each record is yielded as soon as it
  exists; BLAS is pinned so that workers x BLAS threads never exceed the cores (a user's
  objective gets cores / workers threads; the built-in network the run's, everywhere); a
  worker that dies costs only its own trial (recorded `failed`, the others run again).
  Workers ignore Ctrl-C (the main process stops them, quietly) and exit by themselves within
  a second when the main process dies, even by kill -9.
- `DaskPool` (`modes.cluster`): trials on a Dask cluster.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.resource_tracker
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from pathlib import Path

from joblib.externals.loky import BrokenProcessPool, ProcessPoolExecutor, process_executor

from ..errors import room_for
from ..objective import TrialSpec, expected_cost, run_task
from ..store import pid_alive
from ..study import failure
from .cores import cores

MAX_CRASHES_WITHOUT_CULPRIT = 3
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"
WATCH_EVERY = 0.5  # seconds between a worker's looks at whether its parent is alive
STOP_WITHIN = 10.0  # seconds idle workers get to exit before they are killed
POLL = 0.5  # seconds between looks at running trials (signals are handled in between)


class Shield:
    """Ctrl-C or SIGTERM that came while loky held its own locks (`shielded`)."""

    depth = 0
    held: BaseException | None = None


@contextmanager
def shielded():
    """A block in which the interrupt handlers (runs.interrupts) do not raise: they leave the
    interrupt in `Shield.held`, raised when the block ends. Raised inside loky's submit or
    shutdown, an interrupt could leave a lock of loky's taken (or a worker started and not yet
    listed), and the stop that follows would wait on it for ever. SIGINT is blocked in this
    thread meanwhile (the handlers run all the same): a worker started in here inherits the
    mask, so a Ctrl-C, which reaches the whole process group, cannot interrupt its imports
    with a traceback before `_worker_start` ignores it."""
    Shield.depth += 1
    masked = hasattr(signal, "pthread_sigmask")  # (not on Windows)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else None
    try:
        yield
    finally:
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        Shield.depth -= 1
        if Shield.depth == 0 and Shield.held is not None:
            held, Shield.held = Shield.held, None
            raise held  # (rather than an error of the block: the user asked to stop)


class InProcess:
    def __init__(self, spec: TrialSpec, objective=None):
        self.spec, self.objective = spec, objective

    def __call__(self, tasks):
        for task in tasks:
            yield run_task(self.spec, task, self.objective)

    def close(self, kill: bool = False):
        pass


def _worker_start(parent: int, markers: str):
    """In each worker: Ctrl-C is the main process's to handle, and the worker ends when its
    parent does (a worker of a killed search must not train on for nobody). A file names the
    worker, so the main process can stop it at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Path(markers, f"worker-{os.getpid()}").touch()

    def watch():
        while os.getppid() == parent:
            time.sleep(WATCH_EVERY)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="hpsearch-watch-parent").start()


def _run_marked(spec: TrialSpec, task, markers: str, data):
    """run_task, with a file saying which process runs the trial (to blame the right trial
    when a worker dies)."""
    marker = Path(markers, str(task.trial))
    with room_for(marker):  # a full disk is not the trial's failure: the search stops
        marker.write_text(str(os.getpid()))
    try:
        return run_task(spec, task, data=data)
    finally:
        marker.unlink(missing_ok=True)


class LokyPool:
    """`data`: what the workers train on, the main process's data shared with them
    (data.shared.SharedData: they map it, never read the file), or None (each loads it, or a
    custom objective needs none)."""

    def __init__(self, spec: TrialSpec, workers: int, markers: Path, data=None):
        self.spec, self.workers, self.markers, self.data = spec, workers, Path(markers), data
        threads = str(max(spec.threads, cores() // workers))
        self.env = dict.fromkeys(
            ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"), threads
        )
        self.executor = None
        self.stopping = None  # what close() still waits on
        self.pending: dict = {}  # trial -> task, not yet done (continuations across calls)
        self.running: dict = {}  # future -> trial

    def _start(self):
        self.markers.mkdir(parents=True, exist_ok=True)
        # loky's resource tracker (a process of its own) inherits our -W options. Workers we
        # kill on purpose (Ctrl-C) leave semaphores it then cleans up: no need to warn of them.
        if QUIET_TRACKER not in sys.warnoptions:
            sys.warnoptions.append(QUIET_TRACKER)
        # multiprocessing's tracker, started by the first submit otherwise, unblocks SIGINT in
        # this thread once it has started (Python 3.11): the workers would not inherit the
        # block `shielded` puts in place
        with shielded():
            multiprocessing.resource_tracker.ensure_running()
        self.executor = ProcessPoolExecutor(
            self.workers,
            initializer=_worker_start,
            initargs=(os.getpid(), str(self.markers)),
            env=self.env,
        )

    def __call__(self, tasks):
        """Run `tasks`, yielding each record as it exists; return when all are done, except
        continuations of paused trials (`task.paused`): nothing waits on them, so they keep
        running into later calls, filling the workers that would otherwise wait for the last
        trial of a group. A call with nothing else waits for everything still running."""
        self.pending.update((t.trial, t) for t in tasks)
        waited = {t.trial for t in tasks if t.paused is None} or set(self.pending)
        crashes = 0
        while waited & self.pending.keys():
            if not self.running:
                for stale in self.markers.glob("*"):  # trials of an earlier call; not the workers
                    if stale.name.isdigit():
                        stale.unlink(missing_ok=True)
            if self.executor is None:
                self._start()
            try:
                yield from self._run(waited)
            except BrokenProcessPool as e:  # a worker died: find whose trial it was
                self.close(kill=True, forget=False)
                dead = self._culprits(self.pending)
                crashes = 0 if dead else crashes + 1
                if not dead and crashes >= MAX_CRASHES_WITHOUT_CULPRIT:
                    dead = list(self.pending)
                for trial in dead:
                    yield failure(
                        self.pending.pop(trial),
                        "the worker process died while running this trial "
                        f"(killed, or out of memory): {type(e).__name__}",
                    )

    def _run(self, waited: set):
        """Keep every worker busy with the next task, and no more: with nothing queued inside
        loky, stopping it at once (Ctrl-C) is quiet. The tasks the call waits for go first,
        longest first; continuations fill the workers they leave idle."""
        while waited & self.pending.keys():
            started = set(self.running.values())
            queue = sorted(
                (t for t in self.pending.values() if t.trial not in started),
                key=lambda t: (t.trial not in waited, -expected_cost(self.spec, t)),
            )
            for task in queue[: self.workers - len(self.running)]:
                with shielded():  # loky takes its locks (and starts workers) in there
                    future = self.executor.submit(
                        _run_marked, self.spec, task, str(self.markers), self.data
                    )
                self.running[future] = task.trial
            done = set()
            while not done and self.running:
                done, _ = wait(self.running, timeout=POLL, return_when=FIRST_COMPLETED)
            # (none once close() has forgotten them: the pool was closed under this call)
            for future in sorted(done & self.running.keys(), key=self.running.get):
                del self.running[future]
                result = future.result()
                self.pending.pop(result.trial, None)
                yield result

    def _culprits(self, pending: dict) -> list[int]:
        """Trials whose marker names a process that no longer exists."""
        dead = []
        for marker in self.markers.glob("*"):
            try:
                trial, pid = int(marker.name), int(marker.read_text() or 0)
            except (ValueError, OSError):
                continue
            if trial in pending and pid and not pid_alive(pid):
                dead.append(trial)
        return sorted(dead)

    def close(self, kill: bool = False, forget: bool = True):
        """Stop the workers: after their trials, or (kill) at once; either way within
        STOP_WITHIN seconds, after which every worker is killed. Killing them ourselves and
        letting loky find them gone stops quietly; loky's own kill_workers can race with a
        task being handed over and print a traceback from its manager thread. Every worker is
        killed, not only those that named themselves: one killed while it held the task queue's
        lock would leave a worker loky is still starting waiting on that lock for ever, and
        loky's shutdown waiting on it. The tasks not done are forgotten, unless a crash is to
        run them again."""
        self.running = {}
        if forget:
            self.pending = {}
        if self.executor is not None:  # (a close cut short by Ctrl-C goes on where it was)
            # loky's thread that joins the workers, and its workers (pid -> process)
            self.stopping = (self.executor._executor_manager_thread, self.executor._processes)
            with shielded():
                self.executor.shutdown(wait=False)  # no worker started from now on
            self.executor = None
        if self.stopping is None:
            return
        manager, processes = self.stopping
        deadline = time.monotonic() + (0 if kill else STOP_WITHIN)
        while True:
            if time.monotonic() >= deadline:
                _kill([*processes.values(), *_named_workers(self.markers)])
            if manager is None or not manager.is_alive():
                break
            manager.join(0.1)
            if time.monotonic() > deadline + STOP_WITHIN:
                # not ours to wait on any more (a process the kernel does not end), nor loky's
                # at exit: its exit handler joins the thread, and the search would never end
                process_executor._threads_wakeups.pop(manager, None)
                break
        self.stopping = None
        for marker in self.markers.glob("worker-*"):
            marker.unlink(missing_ok=True)


def _named_workers(markers: Path) -> list:
    """This process's live children that named themselves workers in `markers`, whether or not
    loky's table lists them when the stop comes (seen twice in a suite's runs: a worker survived
    the stop, waited for ever on the task queue's lock the killed one held, and loky's exit
    waited on it)."""
    named = set()
    for marker in markers.glob("worker-*"):
        with contextlib.suppress(ValueError):
            named.add(int(marker.name.split("-", 1)[1]))
    return [p for p in multiprocessing.active_children() if p.pid in named]


def _kill(processes):
    """SIGKILL each of loky's worker processes not yet reaped (once reaped, its pid may be
    another process's)."""
    for process in list(processes):
        popen = getattr(process, "_popen", None)
        if popen is not None and popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(popen.pid, signal.SIGKILL)
