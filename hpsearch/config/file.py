"""Config files: read the YAML safely and apply --set overrides.

`load_config(path, overrides)` returns a checked `Config` or raises `UserError` naming the file,
the key, the value and the fix. Nothing here writes anything.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..errors import UserError, unknown
from ..nn.hyper import PARAMS
from . import yamlio
from .core import Config
from .schema import SEARCH_DEFAULTS, TOP_KEYS


def read_yaml(path) -> dict:
    """The top-level mapping of a YAML file; an empty file is an empty mapping."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"'{path}' is a folder", fix="give a YAML config file")
    if not path.is_file():
        raise UserError(f"config file '{path}' does not exist", fix="check the path")
    try:
        raw = yamlio.load(path.read_text())
    except yamlio.YAMLError as e:
        mark, context = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
        mark = mark or context
        line = f"line {mark.line + 1}: " if mark else ""
        if mark and context and context.line != mark.line:
            line = f"line {mark.line + 1} (in what starts at line {context.line + 1}): "
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(
            f"{line}YAML syntax error: {problem}", file=path, fix="fix the YAML at that line"
        ) from None
    except UnicodeDecodeError:
        raise UserError("is not a text file", file=path, fix="give a YAML config") from None
    except OSError as e:
        raise UserError(
            f"cannot read: {e.strerror}", file=path, fix="check the file's permissions"
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(
            f"the top level is a {type(raw).__name__}, not a mapping",
            file=path,
            fix="write keys such as params: and space: at the top level",
        )
    return raw


def parse_override(item: str) -> tuple[str, object]:
    """`KEY=VALUE` as (key, value), the value read as YAML (a string if it is not YAML)."""
    if "=" not in item:
        raise UserError(
            f"'{item}' has no '='",
            key="--set",
            fix="write --set KEY=VALUE, such as --set search.budget=50",
        )
    key, text = item.split("=", 1)
    try:
        value = yamlio.load(text) if text.strip() else None
    except yamlio.YAMLError:
        value = text
    return key.strip(), value


def apply_overrides(raw: dict, overrides, values: dict | None = None) -> dict:
    """`--set KEY=VALUE` pairs applied to the raw config, then `values` (KEY: value, typed,
    from options such as --name: only --set reads YAML). Dotted keys reach inside sections
    (search.budget=50, space.learning_rate.high=0.1); a bare hyperparameter name
    (learning_rate=0.01) fixes it in params and takes it out of the space."""
    raw = copy.deepcopy(raw)
    for item in overrides or ():
        _assign(raw, *parse_override(item), text=item.split("=", 1)[-1])
    for key, value in (values or {}).items():
        _assign(raw, key, value)
    return raw


def _assign(raw: dict, key: str, value, text=None):
    parts = key.split(".")
    if len(parts) == 1 and key not in TOP_KEYS:
        if key in PARAMS or key in (raw.get("params") or {}) or key in (raw.get("space") or {}):
            raw["params"] = {**(raw.get("params") or {}), key: value}
            if isinstance(raw.get("space"), dict):
                raw["space"].pop(key, None)
            return
        if key in SEARCH_DEFAULTS:
            raise UserError(
                f"'{key}' is a search setting",
                key="--set",
                fix=f"write --set search.{key}={value if text is None else text}",
            )
        raise unknown("key", key, [*TOP_KEYS, *PARAMS], key="--set")
    if parts[0] not in TOP_KEYS:
        raise unknown("key", parts[0], TOP_KEYS, key="--set")
    node = raw
    for part in parts[:-1]:
        if node.get(part) is None:
            node[part] = {}
        if not isinstance(node[part], dict):
            raise UserError(
                f"'{key}': '{part}' is not a section", key="--set", fix="check the dotted key"
            )
        node = node[part]
    node[parts[-1]] = value


def load_config(path, overrides=(), values: dict | None = None) -> Config:
    """Read, override, default and check a config file; raises UserError. `overrides` are
    `--set KEY=VALUE` texts (the values read as YAML); `values` are typed values of command-line
    options by config key (search.jobs: 2), each option named as the key's last part."""
    path = Path(path)
    raw = read_yaml(path)
    if isinstance(raw, dict) and "config_dir" in raw:  # its paths start from another folder
        raise UserError(
            "is a run's own config.yaml, not a config to start from",
            file=path,
            fix=f"give the config file the run was started from, or go on with the run: "
            f"hpsearch resume {path.parent}",
        )
    overridden = apply_overrides(raw, overrides, values)
    if not raw:
        raise UserError(
            "the config is empty",
            file=path,
            fix="give at least a space: to search (configs/quickstart.yaml is a complete example)",
        )
    try:
        return Config.from_dict(overridden, file=path)
    except UserError as e:
        raise _blame_override(e, overrides, values or {}) from None


def _blame_override(error: UserError, overrides, values: dict) -> UserError:
    """An error about a key that a `--set` or an option gave is theirs, not the file's."""
    given = [(*parse_override(item), "--set ") for item in overrides or ()]
    given += [(key, value, f"--{key.split('.')[-1]}") for key, value in values.items()]
    for key, value, source in reversed(given):  # the last one given is the one that counts
        if "." not in key and key not in TOP_KEYS:
            key = f"params.{key}"
        label = source if source != "--set " else None
        if error.key and (error.key == key or error.key.startswith(f"{key}.")):
            return UserError(error.problem, key=label or f"--set {error.key}", fix=error.fix)
        if error.key and key.startswith(f"{error.key}.") and repr(value) in error.problem:
            return UserError(error.problem, key=label or f"--set {key}", fix=error.fix)
    return error
