"""The config's schema: every key, its default and its check.

`resolve(raw)` turns what a YAML file holds (or a dict written in a notebook) into the fields of
a `Config`, every default filled in, or raises `UserError` naming the key, the value and the fix.
Nothing here reads data or writes anything.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..data import check_data_config
from ..errors import UserError, integral, unknown
from ..nn.hyper import PARAMS, check_value
from ..space import Categorical, check_conditions, parse_distribution
from ..study import Goal, Pruning
from .estimator import check_estimator, estimator_keys
from .pbt import KEYS as PBT_KEYS
from .pbt import METHODS, check_pbt

TOP_KEYS = ("name", "seed", "data", "params", "objective", "estimator", "cv", "scoring")
TOP_KEYS += ("search", "space")
SEARCH_DEFAULTS = {
    "mode": "caviar",
    "budget": None,
    "trials": None,
    "rounds": None,
    "prune": "none",
    "keep": None,
    "jobs": "auto",
    "threads": None,
    "backend": "loky",
    "scheduler": None,
    "metric": None,
    "goal": None,
    "checkpoint_every": "30s",
    "keep_checkpoints": 5,
    "refine": "boxes",
    **PBT_KEYS,
}
DEFAULT_BUDGET, DEFAULT_TRIALS, DEFAULT_ROUNDS = 60, 30, 3
BUILTIN_METRICS = ("train_cost", "train_accuracy", "dev_cost", "dev_accuracy")
EPOCH_METRICS = ("dev_cost", "dev_accuracy")  # measured after every epoch
TIEBREAK = "dev_cost"  # halving: of two trials level on the metric, the lower one goes on
CHOICES = {
    "mode": ("caviar", "panda"),
    "backend": ("loky", "dask"),
    "goal": ("maximize", "minimize"),
    "refine": ("boxes", "box"),
    "method": METHODS,
}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
OBJECTIVE_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(s|m|h)?\s*$")


def _section(raw, key) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(
            f"{value!r} is not a mapping", key=key, fix=f"write {key}: followed by indented keys"
        )
    return value


def resolve(raw: dict, file=None, default_name: str | None = None) -> dict:
    """The fields of a Config (name, seed, data, params, search, space, objective) from a raw
    config; raises UserError located at the key (the caller adds the file)."""
    return _resolve(raw, file, default_name)


def _resolve(raw: dict, file, default_name) -> dict:
    if not isinstance(raw, dict):
        raise UserError(
            f"a config is a mapping, not {type(raw).__name__}", fix="give a dict of sections"
        )
    for key in raw:
        if key not in TOP_KEYS and key != "hpsearch_version":  # (the resolved config says it)
            raise unknown("top-level key", key, TOP_KEYS, key=key)
    name = raw.get("name")
    if name is None:
        name = default_name or (Path(file).stem if file else "search")
    if isinstance(name, (bool, int, float)):  # name: no, name: 2024 (never the file's stem)
        kind = "a boolean" if isinstance(name, bool) else "a number"
        raise UserError(
            f"run name {name!r} is read as {kind}",
            key="name",
            fix='quote it, such as name: "2024" (YAML reads 007 as 7 and no as false)',
        )
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise UserError(
            f"run name {name!r} is not a plain name",
            key="name",
            fix="use letters, digits, '.', '_' and '-', with no '/' or '..'",
        )
    seed = integral(raw.get("seed", 0))
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UserError(
            f"seed {seed!r} is not a whole number >= 0", key="seed", fix="use a seed such as 0"
        )
    objective = raw.get("objective")
    if objective is not None and (
        not isinstance(objective, str) or not OBJECTIVE_RE.match(objective)
    ):
        raise UserError(
            f"objective {objective!r} is not of the form package.module:function",
            key="objective",
            fix="write objective: mypkg.train:evaluate",
        )
    estimator = estimator_keys(raw, objective)
    builtin = objective is None and estimator is None
    data = _section(raw, "data")
    if objective is None:
        data = check_data_config(data, file)
    elif data:
        raise UserError(
            "a custom objective loads its own data: data does not apply",
            key="data",
            fix="remove the data: section (pass what your objective needs in params:)",
        )
    fixed, space_raw = _section(raw, "params"), _section(raw, "space")
    for n in fixed:
        if n in space_raw:
            raise UserError(
                f"'{n}' is both fixed in params and searched in space",
                key=f"params.{n}",
                fix="keep it in one of the two",
            )
    if builtin:
        params = {n: p.default for n, p in PARAMS.items() if n not in space_raw}
        params.update({n: check_value(n, v, key=f"params.{n}") for n, v in fixed.items()})
    else:
        params = dict(fixed)
    space = {str(n): _space_entry(str(n), e, builtin) for n, e in space_raw.items()}
    space = check_conditions(space, params)
    if builtin:
        _check_builtin_combination({**params, **dict.fromkeys(space)})
    search = _check_search(_section(raw, "search"), builtin)
    check_pbt(_section(raw, "search"), search, builtin, params, space)
    if estimator is not None:
        estimator = check_estimator(raw, params, space, search)
    return {
        "name": name,
        "seed": seed,
        "data": data,
        "params": params,
        "search": search,
        "space": space,
        "objective": objective,
        **(estimator or {}),
    }


def _space_entry(name, entry, builtin):
    key = f"space.{name}"
    if builtin and name not in PARAMS:
        raise unknown("hyperparameter", name, sorted(PARAMS), key=key)
    spec = PARAMS.get(name) if builtin else None
    dist = parse_distribution(
        entry, key, int_hint=spec is not None and spec.kind in ("int", "batch")
    )
    if spec is None:
        return dist
    if isinstance(dist, Categorical):
        for i, v in enumerate(dist.values):
            check_value(name, v, key=f"{key}.values[{i}]")
        return dist
    if spec.kind in ("choice", "bool"):
        raise UserError(
            f"{name} takes {spec.domain()}, not a range",
            key=key,
            fix=f"write values: [{', '.join(map(str, spec.choices or (True, False)))}]",
        )
    if spec.kind in ("int", "batch", "patience") and dist.to_dict()["type"] != "int":
        raise UserError(
            f"{name} is a whole number but type is float", key=f"{key}.type", fix="write type: int"
        )
    for bound in ("low", "high"):
        check_value(name, getattr(dist, bound), key=f"{key}.{bound}")
    return dist


def _check_builtin_combination(params):
    """Cross-field checks of fixed values (searched ones are None here)."""
    if (
        params.get("lr_decay") == "step"
        and params.get("decay_rate") is not None
        and params["decay_rate"] < 1
    ):
        raise UserError(
            f"lr_decay step halves every decay_rate epochs, got decay_rate={params['decay_rate']}",
            key="params.decay_rate",
            fix="use decay_rate >= 1 with step",
        )


def _whole(out, key, low):
    v = out[key] = integral(out[key])
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise UserError(
            f"{v!r} is not a whole number >= {low}", key=f"search.{key}", fix=f"use {low} or more"
        )


def _check_search(search: dict, builtin: bool) -> dict:
    for key in search:
        if key not in SEARCH_DEFAULTS:
            raise unknown("search key", key, list(SEARCH_DEFAULTS), key=f"search.{key}")
    out = {**SEARCH_DEFAULTS, **search}
    for key, choices in CHOICES.items():
        if out[key] is not None and out[key] not in choices:
            raise unknown(f"search.{key}", out[key], choices, key=f"search.{key}")
    if out["budget"] is not None and (out["trials"] is not None or out["rounds"] is not None):
        raise UserError(
            "budget and trials/rounds are both given",
            key="search.budget",
            fix="size the search by budget (total trials) alone, or by trials and rounds",
        )
    if out["trials"] is None and out["rounds"] is None:
        out["budget"] = DEFAULT_BUDGET if out["budget"] is None else out["budget"]
        _whole(out, "budget", 1)
    else:
        out["trials"] = DEFAULT_TRIALS if out["trials"] is None else out["trials"]
        out["rounds"] = DEFAULT_ROUNDS if out["rounds"] is None else out["rounds"]
        _whole(out, "trials", 1)
        _whole(out, "rounds", 1)
    _whole(out, "keep_checkpoints", 1)
    jobs = out["jobs"] = out["jobs"] if out["jobs"] == "auto" else integral(out["jobs"])
    if jobs != "auto" and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0):
        raise UserError(
            f"jobs {jobs!r} is neither auto nor a non-zero whole number",
            key="search.jobs",
            fix="use auto, a number of workers such as 2, or -1 for one per core",
        )
    threads = out["threads"]
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise UserError(
            f"threads {threads!r} is not a whole number >= 1",
            key="search.threads",
            fix="use the BLAS threads per trial, such as 1, or remove it to let jobs: auto choose",
        )
    keep = out["keep"]
    if keep is not None and (
        isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0 < keep <= 1
    ):
        raise UserError(
            f"keep {keep!r} is outside (0, 1]",
            key="search.keep",
            fix="use a fraction such as 0.25",
        )
    metric = out["metric"] = out["metric"] or ("dev_accuracy" if builtin else "value")
    if not isinstance(metric, str):
        raise UserError(
            f"metric {metric!r} is not a name", key="search.metric", fix="name a metric"
        )
    if builtin and metric not in BUILTIN_METRICS:
        raise unknown("metric", metric, BUILTIN_METRICS, key="search.metric")
    out["goal"] = Goal.of(metric, out["goal"]).direction
    pruning = Pruning.parse(out["prune"])
    if builtin and pruning.method != "none" and metric not in EPOCH_METRICS:
        raise UserError(
            f"pruning compares a metric after every epoch; {metric} is measured only at the end",
            key="search.prune",
            fix=f"set search.metric to one of {', '.join(EPOCH_METRICS)}, or prune: none",
        )
    out["prune"] = pruning.to_dict()
    out["checkpoint_every"] = _seconds(out["checkpoint_every"])
    if out["scheduler"] is not None and not isinstance(out["scheduler"], str):
        raise UserError(
            f"{out['scheduler']!r} is not an address",
            key="search.scheduler",
            fix="write tcp://HOST:PORT",
        )
    if out["backend"] == "dask" and not out["scheduler"]:
        raise UserError(
            "backend dask needs a scheduler address",
            key="search.scheduler",
            fix="add scheduler: tcp://HOST:PORT (or pass --scheduler)",
        )
    return out


def _seconds(value) -> float:
    """A duration: a number of seconds, or text such as 30s, 5m, 1h."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = DURATION_RE.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise UserError(
            f"{value!r} is not a duration",
            key="search.checkpoint_every",
            fix="write seconds (30), or 30s, 5m, 1h; 0 checkpoints every epoch",
        )
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
