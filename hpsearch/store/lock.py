"""One process writes a run at a time: a lock file naming the process and the machine.

The lock of a process that died (kill -9, a power cut) is taken over by the next one; a lock
held by a live process on this machine is refused with its process id.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from ..errors import UserError


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
        self.path, self.what, self.held = Path(path), what, False

    def holder(self) -> int | None:
        """The live process on this machine that holds the lock, if any (this one included)."""
        try:
            holder = json.loads(self.path.read_text())
        except (OSError, ValueError):  # no lock, or one cut short by a kill
            return None
        if not isinstance(holder, dict) or holder.get("host") != socket.gethostname():
            return None
        pid = holder.get("pid")
        return pid if isinstance(pid, int) and pid_alive(pid) else None

    def acquire(self):
        """Take the lock, or refuse when a live process holds it."""
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                pid = self.holder()
                if pid is not None and pid != os.getpid():
                    raise UserError(
                        f"{self.what} is in use by process {pid}",
                        fix="wait for it to finish, or stop it (Ctrl-C) before starting another",
                    ) from None
                self.path.unlink(missing_ok=True)  # its holder died (or is us): take it over
                continue
            with os.fdopen(fd, "w") as f:
                json.dump({"pid": os.getpid(), "host": socket.gethostname()}, f)
            self.held = True
            return
        raise UserError(f"could not lock {self.what}", fix="try again")

    def release(self):
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False
