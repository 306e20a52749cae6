"""One process writes a run at a time: a lock file naming the process and the machine.

The lock is the kernel's (`flock` on the file): it is taken atomically, by one process at most,
and the kernel releases it when its holder dies (kill -9, a crash), so the next process takes it
over; a power cut leaves no lock at all. The file also names its holder, so that a refusal can
say which process to wait for.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from pathlib import Path

from ..errors import UserError

ATTEMPTS = 50  # tries to take a lock: each retry follows a release or a look (holder) under us
RETRY = 0.01  # seconds between them


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lock:
    def __init__(self, path: Path, what: str):
        self.path, self.what, self.fd = Path(path), what, None

    @property
    def held(self) -> bool:
        return self.fd is not None

    def holder(self) -> int | None:
        """The live process on this machine that holds the lock, if any (this one included)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            if _free(fd, fcntl.LOCK_SH):
                return None  # a file left by a process that died: nobody holds it
            holder = json.loads(os.read(fd, 4096) or b"null")
        except ValueError:  # the holder is writing its name
            return None
        finally:
            os.close(fd)
        if not isinstance(holder, dict) or holder.get("host") != socket.gethostname():
            return None
        pid = holder.get("pid")
        return pid if isinstance(pid, int) and pid_alive(pid) else None

    def acquire(self):
        """Take the lock, or refuse when another process holds it."""
        if self.fd is not None and self._ours(self.fd):
            return
        self.release()
        for _ in range(ATTEMPTS):
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o666)
            if not _free(fd, fcntl.LOCK_EX, keep=True):
                os.close(fd)
                pid = self.holder()
                if pid is None:  # a look by `holder`, or a holder writing its name
                    time.sleep(RETRY)
                    continue
                raise UserError(
                    f"{self.what} is in use by process {pid}",
                    fix="wait for it to finish, or stop it (Ctrl-C) before starting another",
                )
            if not self._ours(fd):  # released (removed) between our open and our lock
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())
            self.fd = fd
            return
        raise UserError(f"could not lock {self.what}", fix="try again")

    def _ours(self, fd) -> bool:
        """Whether `fd` is the file at the lock's path (not one removed since it was opened)."""
        try:
            return os.path.samestat(os.fstat(fd), os.stat(self.path))
        except FileNotFoundError:
            return False

    def release(self):
        if self.fd is not None:
            if self._ours(self.fd):
                self.path.unlink(missing_ok=True)  # before the kernel's lock goes, with the fd
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def _free(fd, kind, keep: bool = False) -> bool:
    """Whether the kernel's lock of `kind` on `fd` could be taken (and is kept, with `keep`)."""
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    if not keep:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return True
