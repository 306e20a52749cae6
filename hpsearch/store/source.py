"""The config file a run was started from, kept in the run directory (`.source.json`: its path
and text), so that a resume can say when the file was edited since: the run goes on with its
own config.yaml, whatever the file says now."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..config import yamlio
from .files import read_json, write_json
from .runconfig import differences

NAME = ".source.json"


def record(run, file) -> None:
    """Keep the text of `file` (None, or a file that cannot be read: nothing kept)."""
    if file is None:
        return
    path = Path(file).resolve()
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return
    write_json(run.path / NAME, {"path": str(path), "text": text})


def named(run, config):
    """`config` (the run's own, read from config.yaml) with its `file`, which errors name and
    relative paths start from, the file the run was started from, while that file still
    exists in the folder config.yaml records (config.yaml records only the folder)."""
    try:
        kept = Path(read_json(run.path / NAME)["path"])
    except (OSError, ValueError, TypeError, KeyError):
        return config
    if config.file is not None and kept.parent == config.file.parent and kept.is_file():
        config.file = kept
    return config


def edits(run) -> tuple[Path, list[str]] | None:
    """(the file, the keys that differ) when the file the run started from says something
    else now; None when it is unchanged (comments aside), gone, or was never kept."""
    try:
        kept = read_json(run.path / NAME)
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or not {"path", "text"} <= set(kept):
        return None
    path = Path(kept["path"])
    try:
        now = path.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    if now == kept["text"]:
        return None
    try:
        keys = differences(yamlio.load(kept["text"]) or {}, yamlio.load(now) or {})
    except yamlio.YAMLError:
        keys = ["it no longer reads as YAML"]
    return (path, keys) if keys else None


def warn_of_edits(run) -> None:
    """A warning when the file the run started from was edited since: a resume goes on with
    the run's own config.yaml, so the edits would be silently left out."""
    edited = edits(run)
    if edited is not None:
        path, keys = edited
        warnings.warn(
            f"{path} was edited since {run.path} started ({', '.join(keys)}): resume goes on "
            f"with the run's own config.yaml; to search with the file as it is now, start a "
            f"new run: hpsearch run {path} --name {run.path.name}-2",
            stacklevel=3,
        )
