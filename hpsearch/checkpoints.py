"""Per-trial, per-epoch checkpoints: everything needed to continue training bit-exactly.

`checkpoints/trial-T/epoch-EEEE.npz` holds the model's state (parameters, batch-norm running
statistics, optimiser moments and step count, RNG state, epoch, hyperparameters in force,
learning curve). Files are written atomically (temporary file, fsync, rename); only the last
`keep` epochs and the best epoch's are kept, and there are never more than keep + 1 on disk.
`.npz` files are read with allow_pickle=False.

Writing happens in a `CheckpointWriter` process: the training thread only copies the state's
block of arrays into memory the writer shares and sends it a small message. A writer *thread* would not
do: a digits epoch lasts 3 ms and is bound by Python, and a second thread doing even 0.2 ms of
Python work per epoch fights it for the GIL (measured: 1.3 to 1.6x slower training).

A file holds two entries: `tensors`, every array of the state end to end as bytes, and `meta`,
JSON with where each array lies (dtype, shape, offset) and every other small value (strings,
scalars), which is cheaper to write than a zip entry per array.
"""

from __future__ import annotations

import json
import mmap
import multiprocessing
import os
import pickle
import re
import select
import tempfile
import time
import warnings
import zipfile
from multiprocessing import reduction
from pathlib import Path

import numpy as np

from .rundir import atomic_write

NAME = re.compile(r"^epoch-(\d+)\.npz$")
NAP, NAP_FOR = 0.001, 1.0  # seconds: how the writer waits for the next job (see _writer_loop)


def write_checkpoint(folder: Path, epoch: int, tensors: np.ndarray, meta: dict, keep: int,
                     best_epoch: int | None):
    """Make room (keep - 1 newest and the best stay), then write a packed state as `epoch`."""
    folder.mkdir(parents=True, exist_ok=True)
    store = CheckpointStore(folder, keep)
    on_disk = store.epochs()
    for old in on_disk[: max(0, len(on_disk) - (keep - 1))]:
        if old != best_epoch:
            store.path(old).unlink(missing_ok=True)
    atomic_write(store.path(epoch), lambda f: np.savez(f, tensors=tensors, meta=np.array(json.dumps(meta))))


def _writer_loop(jobs, handoff, acks, errors):
    fd, view = handoff.detach(), None  # the file the training process copies states into
    acks = acks.detach()  # a byte per job: 0 written, 1 failed (its message goes to errors)
    idle_since = time.monotonic()
    while True:
        # Between jobs the writer naps and looks again, for as long as jobs keep coming, rather
        # than sleep in recv(): waking a sleeping process costs the sender about 0.1 ms here
        # (on a 3 ms epoch), writing to a pipe nobody waits on 0.01 ms. After NAP_FOR idle
        # seconds (between trials, say) it blocks, and costs nothing.
        while time.monotonic() - idle_since < NAP_FOR and not jobs.poll():
            time.sleep(NAP)
        try:
            offset, size, folder, epoch, build, recipe, keep, best_epoch = pickle.loads(jobs.recv_bytes())
        except EOFError:  # the training process is gone, or closed the pipe
            return
        try:
            if view is None or len(view) < offset + size:  # the file has grown
                view = np.frombuffer(mmap.mmap(fd, os.fstat(fd).st_size), np.uint8)
            state = build(view[offset : offset + size], recipe)
            write_checkpoint(Path(folder), epoch, *pack(state), keep, best_epoch)
            del state  # views of the slot
            os.write(acks, b"\0")
        except Exception as e:  # reported to the training process at its next flush
            errors.send(f"{type(e).__name__}: {e}")
            os.write(acks, b"\1")
        idle_since = time.monotonic()


class _Fd:
    """A file descriptor passed to the writer process as it starts."""

    def __init__(self, fd):
        self.fd = fd

    def __reduce__(self):  # only while the writer is being spawned
        return _Fd, (reduction.DupFd(self.fd),)

    def detach(self) -> int:
        return self.fd.detach()


class CheckpointWriter:
    """A process that writes checkpoints while training goes on; one per run.

    The training thread pays for one copy of the state's block of arrays, into a slot of a file
    both processes map (in memory, and nameless, so nothing is left behind even by kill -9),
    and a small pickled job: where the slot is, a function and a recipe that turn the slot's
    bytes into the state dict, the file to write. The writer process does the rest: the state
    dict, the .npz, fsync, rename, pruning. Two slots, so the next epoch's state can be copied
    while the last one is being written; a third waits for the writer. Sending the arrays down
    a pipe instead costs up to 10 times as much on the training thread (measured: 1.5 ms
    against 0.15 ms for half a megabyte), because the writer wakes and the two sides take
    turns page by page."""

    SLOTS = 2

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")
        self._file = tempfile.TemporaryFile(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        jobs_recv, self._jobs = ctx.Pipe(duplex=False)
        self._errors, errors_send = ctx.Pipe(duplex=False)
        self._acks, acks_send = os.pipe()  # raw bytes: reading them costs a tenth of recv()
        self._process = ctx.Process(target=_writer_loop, daemon=True, name="hpsearch-checkpoints",
                                    args=(jobs_recv, _Fd(self._file.fileno()), _Fd(acks_send), errors_send))
        self._process.start()
        jobs_recv.close()
        os.close(acks_send)
        os.set_blocking(self._acks, False)
        self._view, self._slot_size, self._sent = None, 0, 0
        self.pending = 0

    def submit(self, folder: Path, epoch: int, block: np.ndarray, build, recipe, keep: int,
               best_epoch: int | None):
        """Queue the state `build(bytes of block, recipe)` makes; `block` (one contiguous array)
        is copied before this returns, `build` (a module-level function) and `recipe` are
        pickled, and the writer process calls build."""
        size = block.nbytes
        if size > self._slot_size:
            self._grow(size)
        self._collect(block=False)
        while self.pending >= self.SLOTS:  # the slot to fill is still being written
            self._collect(block=True, one=True)
        offset = (self._sent % self.SLOTS) * self._slot_size
        self._view[offset : offset + size] = block.reshape(-1).view(np.uint8)
        job = (offset, size, str(folder), epoch, build, recipe, keep, best_epoch)
        self._jobs.send_bytes(pickle.dumps(job, protocol=5))  # plain pickle: send() costs 3 times as much
        self._sent += 1
        self.pending += 1

    def _grow(self, size: int):
        """Room for `size` bytes per slot and more, once the writer is done with the slots."""
        self.flush()
        self._slot_size = -(-(size + size // 2) // 4096) * 4096
        self._file.truncate(self.SLOTS * self._slot_size)
        self._view = np.frombuffer(mmap.mmap(self._file.fileno(), self.SLOTS * self._slot_size), np.uint8)

    def _collect(self, block: bool, one: bool = False):
        """Take the writer's acknowledgements: those that have come, or (block) wait for one
        (one) or all."""
        while self.pending:
            try:
                acks = os.read(self._acks, 1 if one else self.pending)
            except BlockingIOError:
                if not block:
                    return
                select.select([self._acks], [], [])
                continue
            if not acks:
                raise OSError("the checkpoint writer process has stopped")
            self.pending -= len(acks)
            if any(acks):  # a message waits for each failure: take them all, report the first
                errors = [self._errors.recv() for _ in range(acks.count(1))]
                raise OSError(f"writing a checkpoint failed: {errors[0]}")
            if one:
                return

    def flush(self):
        """Wait until every checkpoint sent is on disk."""
        self._collect(block=True)

    def close(self):
        try:
            self.flush()
        finally:
            self._jobs.close()  # the writer sees the end of the pipe and stops
            self._process.join(timeout=30)
            self._view = None
            self._file.close()
            os.close(self._acks)


class CheckpointStore:
    """The checkpoints of one trial. Saves go through `writer` when given (else they are
    written at once, in this thread)."""

    def __init__(self, folder: Path, keep: int = 3, writer: CheckpointWriter | None = None):
        self.folder, self.keep, self.writer = Path(folder), keep, writer

    def epochs(self) -> list[int]:
        """The epochs that have a checkpoint on disk, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := NAME.match(p.name)))

    def path(self, epoch: int) -> Path:
        return self.folder / f"epoch-{epoch:04d}.npz"

    def save(self, state: dict, epoch: int, best_epoch: int | None):
        """Checkpoint `state` (its arrays are copied before this returns) as `epoch`; prune to
        the last `keep` and `best_epoch`'s."""
        tensors, meta = pack(state)
        self.save_parts(tensors, unpack, json.dumps(meta), epoch, best_epoch)

    def save_parts(self, block: np.ndarray, build, recipe, epoch: int, best_epoch: int | None):
        """Checkpoint the state `build(bytes of block, recipe)` makes, as `save` does: through
        the writer when there is one, so that this thread only copies `block` (see
        `MLP.checkpoint_parts`)."""
        if self.writer is not None:
            self.writer.submit(self.folder, epoch, block, build, recipe, self.keep, best_epoch)
        else:
            write_checkpoint(self.folder, epoch, *pack(build(block.reshape(-1).view(np.uint8), recipe)), self.keep,
                             best_epoch)

    def flush(self):
        if self.writer is not None:
            self.writer.flush()

    def delete_after(self, epoch: int):
        """Forget the checkpoints of epochs after `epoch` (a rollback abandons them)."""
        self.flush()
        for e in self.epochs():
            if e > epoch:
                self.path(e).unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------------------------
    def load(self, epoch: int) -> dict:
        with np.load(self.path(epoch), allow_pickle=False) as f:
            return unpack(f["tensors"], str(f["meta"]))

    def latest(self) -> dict | None:
        """The newest checkpoint that reads back whole; a truncated or corrupt one is skipped
        (and removed) with a warning, falling back to the one before."""
        for epoch in reversed(self.epochs()):
            try:
                state = self.load(epoch)
                if int(state["epoch"]) != epoch:
                    raise ValueError(f"it says epoch {int(state['epoch'])}")
                return state
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
                warnings.warn(f"checkpoint {self.path(epoch)} is unreadable ({type(e).__name__}: {e}); "
                              "using the one before", stacklevel=2)
                self.path(epoch).unlink(missing_ok=True)
        return None


def pack(state: dict) -> tuple[np.ndarray, dict]:
    """A state dict as (tensors, meta): arrays of numbers end to end in one byte vector, each at
    an offset aligned to 8 bytes (the padding zeroed), and `meta`, a dict to be written as
    JSON, saying where each lies; other values (strings, scalars) go in meta itself with their
    exact dtype."""
    meta, parts, size = {}, [], 0
    for key, value in state.items():
        value = np.asarray(value)
        if value.ndim > 0 and value.dtype.kind in "biuf":
            meta[key] = {"dtype": value.dtype.str, "shape": value.shape, "offset": size}
            parts.append(value.reshape(-1).view(np.uint8))
            size += value.nbytes
            if size % 8:
                parts.append(np.zeros(8 - size % 8, np.uint8))
                size += 8 - size % 8
        else:
            meta[key] = {"dtype": value.dtype.str, "shape": value.shape, "value": value.tolist()}
    return (np.concatenate(parts) if parts else np.zeros(0, np.uint8)), meta


def unpack(tensors: np.ndarray, meta: str) -> dict:
    """The state dict `pack` stored, every array with its original dtype and shape (arrays of
    numbers are views of `tensors`)."""
    state = {}
    for key, item in json.loads(meta).items():
        dtype, shape = np.dtype(item["dtype"]), item["shape"]
        if "offset" in item:
            state[key] = np.ndarray(shape, dtype, buffer=tensors, offset=item["offset"])
        else:
            state[key] = np.array(item["value"], dtype=dtype).reshape(shape)
    return state
