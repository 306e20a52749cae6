"""What a run keeps on disk: the run directory and its tables, the steering requests and log,
and checkpoints. Files are replaced atomically or appended and fsynced: nothing is lost."""

from . import source, steering
from .checkpoints import CheckpointStore
from .lock import pid_alive
from .rundir import RunDir

__all__ = ["CheckpointStore", "RunDir", "pid_alive", "source", "steering"]
