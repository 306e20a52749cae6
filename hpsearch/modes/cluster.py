"""Caviar on a Dask cluster: `DaskPool` runs trials as Dask futures, on the data this process
loaded (no worker reads the file): workers on this machine map its shared block, as loky's
do; when a worker cannot (another machine), the data is scattered to every worker instead. A
worker lost mid-trial is retried by Dask, and a trial that kills its workers is recorded
`failed`; a scheduler that goes away stops the search in one line (CannotContinue), to resume
once it is back.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from concurrent.futures import CancelledError

from ..data.shared import SharedData
from ..errors import CannotContinue, UserError
from ..objective import TrialSpec, expected_cost, forget_objective, run_task
from ..study import failure
from .caviar import POLL


def connect_dask(address: str, timeout: float = 5.0):
    """A Dask client for `address`, or a UserError: at once when nothing listens there, within
    `timeout` seconds when something does that is not a scheduler."""
    try:
        from dask.distributed import Client  # noqa: PLC0415  (an optional dependency)
    except ImportError:
        raise UserError(
            "backend dask needs dask.distributed",
            key="search.backend",
            fix="pip install 'hpsearch[dask]'",
        ) from None
    refused = UserError(
        f"no Dask scheduler answers at {address}",
        key="search.scheduler",
        fix="start one with `dask scheduler` and `dask worker ADDRESS`, or check the address",
    )
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except (OSError, ValueError):
        raise refused from None
    # the client logs each attempt to reach a scheduler that went away, with tracebacks: the
    # search says it in one line instead (DaskPool)
    logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError):
        raise refused from None


def _run_on_worker(spec: TrialSpec, task, data):
    """run_task on a Dask worker. A trial still running when its search ended (Dask cannot
    stop a thread) lets go of the search's data when it ends: the worker keeps no objective
    on a block that is gone."""
    result = run_task(spec, task, data=data)
    if isinstance(data, SharedData) and not data.visible():
        forget_objective()
    return result


class DaskPool:
    """Trials as Dask futures; like `LokyPool`, a call returns without waiting for
    continuations of paused trials, which finish in a later call. `data` was loaded here, so
    workers need neither the data file nor the same paths: while every worker can map its
    shared block (`shared`, a data.shared.SharedData: the workers run on this machine), trials
    receive that, and the machine holds the data once; otherwise it is scattered to every
    worker once (each holds a copy), and trials receive its future."""

    def __init__(self, spec: TrialSpec, client, data=None, shared=None):
        self.spec, self.client, self.futures = spec, client, {}
        self.dataset, self.shared, self.data = data, shared, None

    def _data(self):
        """What trials submitted now receive: the shared block's handle while every worker
        sees it (asked again each call: a worker may have joined from another machine), else
        the data scattered, from then on."""
        if self.shared is not None:
            seen = self.client.run(self.shared.visible, on_error="return").values()
            if seen and all(s is True for s in seen):
                return self.shared
            self.shared = None
        if self.data is None and self.dataset is not None:
            self.data = self.client.scatter(self.dataset, broadcast=True, hash=False)
        return self.data

    def __call__(self, tasks):
        from dask.distributed import wait as dask_wait  # noqa: PLC0415

        data = self._data()
        for t in tasks:
            future = self.client.submit(
                _run_on_worker,
                self.spec,
                t,
                data=data,
                pure=False,
                priority=expected_cost(self.spec, t),
            )
            self.futures[future] = t
        waited = {t.trial for t in tasks if t.paused is None} or {
            t.trial for t in self.futures.values()
        }
        while waited & {t.trial for t in self.futures.values()}:
            try:  # in steps, so that Ctrl-C and SIGTERM are handled in between
                done = dask_wait(list(self.futures), POLL, return_when="FIRST_COMPLETED").done
            except (TimeoutError, asyncio.TimeoutError):  # (two classes before Python 3.11)
                continue
            except CancelledError:  # the client cancels every future when it loses the scheduler
                raise self._lost() from None
            for future in sorted(done, key=lambda f: self.futures[f].trial):
                if future.cancelled():  # not the trial's failure
                    raise self._lost()
                task = self.futures.pop(future)
                try:
                    yield future.result()
                except Exception as e:  # noqa: BLE001  the workers running it died (Dask gave up)
                    yield failure(
                        task,
                        f"the worker process died while running this trial: {type(e).__name__}",
                    )

    def _lost(self) -> CannotContinue:
        address = getattr(self.client.scheduler, "address", None) or "its address"
        return CannotContinue(f"lost the Dask scheduler at {address}", "start it again")

    def close(self, kill: bool = False):
        if self.futures and self.client.status == "running":  # (gone: nothing to cancel)
            self.client.cancel(list(self.futures))
        self.futures = {}
        if self.client.status == "running":
            if self.data is not None:
                self.data.release()
            # workers keep their last objective, and with it the data: not past the search
            self.client.run(forget_objective, on_error="ignore")
        self.data = None
