"""A search's data, shared by its worker processes: one machine holds it once.

`SharedMemory` is a context whose `alloc` (given to `load_data`) makes the float32 block a
file that every worker maps read-only: in /dev/shm when it has room (memory, as a process's
own would be), else in the temporary folder. `handle(data)` is what the workers receive: small
and picklable (the folder, the parts' sizes, the classes and scaler); `SharedData.open()` gives
a worker the `Dataset` as read-only views of the same pages, read from no file of the user's.
A Dask worker on this machine maps it the same way (`SharedData.visible()` says whether a
process can: one on another machine cannot, and is sent the data instead).

The folder is removed when the context exits, by a return, an exception, Ctrl-C or SIGTERM;
one left by a search killed outright (kill -9) is named for its process id, and the next search
to share data removes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import room_for
from .dataset import Dataset

PREFIX = "hpsearch-data-"
SHM = Path("/dev/shm")


@dataclass(frozen=True)
class SharedData:
    """What a worker needs to map a search's data: small, whatever the data's size."""

    folder: str
    sizes: tuple[int, int]  # rows of train, of dev (test is the rest)
    classes: list = field(default_factory=list)
    features: list = field(default_factory=list)
    name: str = ""
    scaler: tuple | None = None
    stamp: tuple = ()  # the block file's (inode, size): the same file, not one of the same name

    def visible(self) -> bool:
        """Whether this process can map the block: it runs on the machine that made it (or
        shares its temporary folder)."""
        try:
            stat = os.stat(Path(self.folder, "X.npy"))
        except OSError:
            return False
        return (stat.st_ino, stat.st_size) == self.stamp and Path(self.folder, "y.npy").exists()

    def open(self) -> Dataset:
        """The data in the network's form, as read-only views of the shared block."""
        X = np.load(Path(self.folder, "X.npy"), mmap_mode="r")
        y = np.load(Path(self.folder, "y.npy"), mmap_mode="r")
        a, b = self.sizes[0], self.sizes[0] + self.sizes[1]
        return Dataset(
            X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:],
            classes=self.classes, features=self.features, name=self.name, scaler=self.scaler,
            training=True,
        )  # fmt: skip

    def __repr__(self) -> str:  # the cache key of a worker's objective
        return f"SharedData({self.folder!r})"


class SharedMemory:
    def __init__(self, parent=None):
        self.parent, self.folder = parent, None

    def __enter__(self) -> SharedMemory:
        return self

    def __exit__(self, *exc):
        self.close()

    def alloc(self, shape, dtype) -> np.ndarray:
        """An array for `load_data`'s block, in a file the workers will map."""
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        parent = Path(self.parent or _parent(size))
        remove_orphans(parent)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent))
        with room_for(self.folder / "X.npy"):  # past `ulimit -f`: one line, not a traceback
            return np.lib.format.open_memmap(self.folder / "X.npy", "w+", dtype, tuple(shape))

    def handle(self, data: Dataset | None) -> SharedData | None:
        """What workers receive: the SharedData of `data`, whose block `alloc` made; None
        when there is none (a custom objective's search, an estimator's data in the user's
        form), and workers load what they need."""
        if data is None or self.folder is None:
            return None
        y = np.concatenate([data.y_train, data.y_dev, data.y_test])
        np.save(self.folder / "y.npy", y)
        stat = os.stat(self.folder / "X.npy")
        return SharedData(
            str(self.folder),
            (len(data.y_train), len(data.y_dev)),
            data.classes,
            data.features,
            data.name,
            data.scaler,
            (stat.st_ino, stat.st_size),
        )

    def close(self):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _parent(size: int) -> str:
    """/dev/shm when it exists and has room for the block (a container's may have 64 MB), else
    the temporary folder."""
    try:
        stat = os.statvfs(SHM)
        if stat.f_bavail * stat.f_frsize > 2 * size:
            return str(SHM)
    except OSError:  # no /dev/shm (not Linux)
        pass
    return tempfile.gettempdir()


def remove_orphans(parent: Path):
    """Remove the folders that searches killed outright left in `parent`."""
    for folder in parent.glob(f"{PREFIX}*"):
        try:
            pid = int(folder.name[len(PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
