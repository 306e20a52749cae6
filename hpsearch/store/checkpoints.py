"""Checkpoints of a babysat trial: everything needed to continue training bit-exactly.

`checkpoints/trial-T/epoch-EEEE.npz` holds the model's `state_dict()` (named arrays: parameters,
batch-norm statistics, optimiser moments and step count, RNG state, epoch, hyperparameters in
force, learning curve) and the trial's own entries (its training seconds so far). Each is one
synchronous `np.savez` into a temporary file, fsynced and renamed: a reader never sees half of
one. Files are read with allow_pickle=False. When to write one is panda's policy; a store keeps
the newest `keep` of a trial.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .files import atomic_write

NAME = re.compile(r"^epoch-(\d+)\.npz$")
# what reading a cut or corrupt file, or one that holds something else, raises
UNREADABLE = (OSError, ValueError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile)


class CheckpointStore:
    """The checkpoints of one trial."""

    def __init__(self, folder: Path, keep: int = 5):
        self.folder, self.keep = Path(folder), keep

    def epochs(self) -> list[int]:
        """The epochs that have a checkpoint on disk, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := NAME.match(p.name)))

    def path(self, epoch: int) -> Path:
        return self.folder / f"epoch-{epoch:04d}.npz"

    def save(self, state: dict, epoch: int):
        """Write `state` as `epoch`'s checkpoint, then drop all but the newest `keep`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path(epoch), lambda f: np.savez(f, **state))
        for old in self.epochs()[: -self.keep]:
            self.path(old).unlink(missing_ok=True)

    def load(self, epoch: int) -> dict:
        with np.load(self.path(epoch), allow_pickle=False) as f:
            return dict(f)

    def latest(self, at_most: int | None = None, check=None) -> tuple[int, dict] | None:
        """(epoch, state) of the newest checkpoint (of an epoch <= `at_most`) that reads back
        whole and that `check(state)` accepts (it raises on a state it cannot use). A truncated
        or corrupt one is removed with a warning that says where training goes on from: the
        checkpoint before, or epoch 0."""
        epochs = [e for e in self.epochs() if at_most is None or e <= at_most]
        for i in reversed(range(len(epochs))):
            try:
                state = self.load(epochs[i])
                if check is not None:
                    check(state)
                return epochs[i], state
            except UNREADABLE as e:
                then = f"the one of epoch {epochs[i - 1]}" if i else "none: from epoch 0"
                warnings.warn(
                    f"checkpoint {self.path(epochs[i])} is unreadable ({type(e).__name__}: "
                    f"{str(e).splitlines()[0] if str(e) else 'no detail'}); removed, using {then}",
                    stacklevel=2,
                )
                self.path(epochs[i]).unlink(missing_ok=True)
        return None

    def delete_after(self, epoch: int):
        """Forget the checkpoints of epochs after `epoch` (a rollback abandons them)."""
        for e in self.epochs():
            if e > epoch:
                self.path(e).unlink(missing_ok=True)
