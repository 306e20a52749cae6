"""Config files: read the YAML safely, apply --set overrides, fill defaults, check everything.

`load_config(path, overrides)` returns a `Config` or raises `UserError` naming the file, the
key, the value and the fix. Nothing here writes anything.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import __version__
from .data import DATA_DEFAULTS, check_data_config
from .errors import UserError, unknown
from .params import PARAMS, as_number, check_value
from .space import Categorical, parse_distribution

TOP_KEYS = ("name", "seed", "data", "params", "objective", "search", "space")
SEARCH_DEFAULTS = {"mode": "caviar", "trials": 30, "rounds": 3, "keep": 0.25, "jobs": -1,
                   "backend": "loky", "scheduler": None, "metric": "dev_accuracy", "goal": None,
                   "keep_checkpoints": 3, "refine": "boxes"}
BUILTIN_METRICS = ("dev_accuracy", "dev_cost", "train_accuracy", "train_cost")
CHOICES = {"mode": ("caviar", "panda"), "backend": ("loky", "dask"),
           "goal": ("maximize", "minimize"), "refine": ("boxes", "box")}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
OBJECTIVE_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
FLOAT_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass
class Config:
    name: str
    seed: int
    data: dict
    params: dict  # fixed hyperparameters (with defaults, for the built-in network)
    search: dict
    space: dict  # name -> distribution
    objective: str | None = None
    file: Path | None = None
    raw: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        """The resolved config, as written to a run's config.yaml."""
        return {"hpsearch_version": __version__, "name": self.name, "seed": self.seed,
                "data": self.data, "params": self.params, "objective": self.objective,
                "search": self.search, "space": {n: d.to_dict() for n, d in self.space.items()}}

    def centre(self) -> dict:
        """Fixed params plus each searched hyperparameter at the centre of its range (in
        sampling coordinates: the geometric mean for log) or its first value."""
        return {**self.params, **{n: d.from_unit(0.5) if not isinstance(d, Categorical) else d.values[0]
                                  for n, d in self.space.items()}}


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one silently."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file '{path}' does not exist", fix="check the path")
    try:
        raw = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark, context = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
        mark = mark or context
        line = f"line {mark.line + 1}: " if mark else ""
        if mark and context and context.line != mark.line:
            line = f"line {mark.line + 1} (in what starts at line {context.line + 1}): "
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{line}YAML syntax error: {problem}", file=path, fix="fix the YAML at that line") from None
    except UnicodeDecodeError:
        raise UserError("is not a text file", file=path, fix="give a YAML config") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError(f"the top level is a {type(raw).__name__}, not a mapping", file=path,
                        fix="write keys such as params: and space: at the top level")
    return raw


def parse_override(item: str) -> tuple[str, object]:
    """`KEY=VALUE` as (key, value), the value read as YAML (a string if it is not YAML)."""
    if "=" not in item:
        raise UserError(f"'{item}' has no '='", key="--set", fix="write --set KEY=VALUE, such as --set search.trials=50")
    key, text = item.split("=", 1)
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        value = text
    return key.strip(), value


def apply_overrides(raw: dict, overrides, file=None) -> dict:
    """`--set KEY=VALUE` pairs applied to the raw config. Dotted keys reach inside sections
    (search.trials=50, space.learning_rate.high=0.1); a bare hyperparameter name
    (learning_rate=0.01) fixes it in params and takes it out of the space. Values are YAML."""
    raw = copy.deepcopy(raw)
    for item in overrides or ():
        key, value = parse_override(item)
        parts = key.split(".")
        if len(parts) == 1 and key not in TOP_KEYS:
            if key in PARAMS or key in (raw.get("params") or {}) or key in (raw.get("space") or {}):
                raw.setdefault("params", {})
                raw["params"] = {**(raw["params"] or {}), key: value}
                (raw.get("space") or {}).pop(key, None)
                continue
            raise unknown("key", key, [*TOP_KEYS, *PARAMS], key="--set")
        if parts[0] not in TOP_KEYS:
            raise unknown("key", parts[0], TOP_KEYS, key="--set")
        node = raw
        for part in parts[:-1]:
            if node.get(part) is None:
                node[part] = {}
            if not isinstance(node[part], dict):
                raise UserError(f"'{key}': '{part}' is not a section", key="--set", fix="check the dotted key")
            node = node[part]
        node[parts[-1]] = value
    return raw


def _numbers(x):
    """YAML 1.1 reads 1e-4 as a string: turn such strings into numbers, everywhere."""
    if isinstance(x, dict):
        return {k: _numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    if isinstance(x, str) and FLOAT_RE.match(x.strip()):
        return as_number(x.strip())
    return x


def load_config(path, overrides=()) -> Config:
    """Read, override, default and check a config file; raises UserError."""
    path = Path(path)
    raw = apply_overrides(read_yaml(path), overrides, path)
    return resolve_config(raw, file=path)


def resolve_config(raw: dict, file=None, default_name: str | None = None) -> Config:
    """Check a raw config dict (as read from YAML) and fill in every default."""
    try:
        return _resolve(_numbers(raw), file, default_name)
    except UserError as e:
        raise e.at(file=file) from None


def _section(raw, key) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"{value!r} is not a mapping", key=key, fix=f"write {key}: followed by indented keys")
    return value


def _resolve(raw: dict, file, default_name) -> Config:
    for key in raw:
        if key not in TOP_KEYS:
            raise unknown("top-level key", key, TOP_KEYS, key=key)
    name = raw.get("name") or default_name or (Path(file).stem if file else "search")
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise UserError(f"run name {name!r} is not a plain name", key="name",
                        fix="use letters, digits, '.', '_' and '-', with no '/' or '..'")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(f"seed {seed!r} is not a whole number >= 0", key="seed", fix="use a seed such as 0")
    objective = raw.get("objective")
    if objective is not None and (not isinstance(objective, str) or not OBJECTIVE_RE.match(objective)):
        raise UserError(f"objective {objective!r} is not of the form package.module:function", key="objective",
                        fix="write objective: mypkg.train:evaluate")
    builtin = objective is None
    data = check_data_config(_section(raw, "data"), file) if builtin else {**DATA_DEFAULTS, **_section(raw, "data")}
    fixed = _section(raw, "params")
    space_raw = _section(raw, "space")
    for n in fixed:
        if n in space_raw:
            raise UserError(f"'{n}' is both fixed in params and searched in space", key=f"params.{n}",
                            fix="keep it in one of the two")
    if builtin:
        params = {n: p.default for n, p in PARAMS.items() if n not in space_raw}
        params.update({n: check_value(n, v, key=f"params.{n}") for n, v in fixed.items()})
    else:
        params = dict(fixed)
    space = {n: _space_entry(n, e, builtin) for n, e in space_raw.items()}
    if builtin:
        _check_builtin_combination({**params, **{n: None for n in space}})
    search = _check_search(_section(raw, "search"), builtin)
    return Config(name, seed, data, params, search, space, objective, Path(file) if file else None, raw)


def _space_entry(name, entry, builtin):
    key = f"space.{name}"
    if builtin and name not in PARAMS:
        raise unknown("hyperparameter", name, sorted(PARAMS), key=key)
    spec = PARAMS.get(name) if builtin else None
    dist = parse_distribution(entry, key, int_hint=spec is not None and spec.kind in ("int", "batch"))
    if spec is None:
        return dist
    if isinstance(dist, Categorical):
        for i, v in enumerate(dist.values):
            check_value(name, v, key=f"{key}.values[{i}]")
        return dist
    if spec.kind in ("choice", "bool"):
        raise UserError(f"{name} takes {spec.domain()}, not a range", key=key,
                        fix=f"write values: [{', '.join(map(str, spec.choices or (True, False)))}]")
    if spec.kind in ("int", "batch", "patience") and dist.to_dict()["type"] != "int":
        raise UserError(f"{name} is a whole number but type is float", key=f"{key}.type", fix="write type: int")
    for bound in ("low", "high"):
        check_value(name, getattr(dist, bound), key=f"{key}.{bound}")
    return dist


def _check_builtin_combination(params):
    """Cross-field checks of fixed values (searched ones are None here)."""
    if params.get("lr_decay") == "step" and params.get("decay_rate") is not None and params["decay_rate"] < 1:
        raise UserError(f"lr_decay step halves every decay_rate epochs, got decay_rate={params['decay_rate']}",
                        key="params.decay_rate", fix="use decay_rate >= 1 with step")


def _check_search(search: dict, builtin: bool) -> dict:
    for key in search:
        if key not in SEARCH_DEFAULTS:
            raise unknown("search key", key, list(SEARCH_DEFAULTS), key=f"search.{key}")
    out = {**SEARCH_DEFAULTS, **search}
    for key, choices in CHOICES.items():
        if out[key] is not None and out[key] not in choices:
            raise unknown(f"search.{key}", out[key], choices, key=f"search.{key}")

    def whole(key, low):
        v = out[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise UserError(f"{v!r} is not a whole number >= {low}", key=f"search.{key}", fix=f"use {low} or more")

    whole("trials", 1)
    whole("rounds", 1)
    whole("keep_checkpoints", 1)
    jobs = out["jobs"]
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0:
        raise UserError(f"jobs {jobs!r} is not a non-zero whole number", key="search.jobs",
                        fix="use a number of workers such as 2, or -1 for one per core")
    keep = out["keep"]
    if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0 < keep <= 1:
        raise UserError(f"keep {keep!r} is outside (0, 1]", key="search.keep", fix="use a fraction such as 0.25")
    if builtin and out["metric"] not in BUILTIN_METRICS:
        raise unknown("metric", out["metric"], BUILTIN_METRICS, key="search.metric")
    if not isinstance(out["metric"], str):
        raise UserError(f"metric {out['metric']!r} is not a name", key="search.metric", fix="name a metric")
    if out["goal"] is None:
        out["goal"] = "minimize" if re.search(r"(cost|loss|error|regret)$", out["metric"]) else "maximize"
    if out["scheduler"] is not None and not isinstance(out["scheduler"], str):
        raise UserError(f"{out['scheduler']!r} is not an address", key="search.scheduler",
                        fix="write tcp://HOST:PORT")
    if out["backend"] == "dask" and not out["scheduler"]:
        raise UserError("backend dask needs a scheduler address", key="search.scheduler",
                        fix="add scheduler: tcp://HOST:PORT (or pass --scheduler)")
    return out
