"""Data sets: the shipped digits, seeded synthetic ones, and the user's own files.

`load_data(config)` returns a `Dataset`: a stratified, seeded train/dev/test split of the raw
inputs and original labels, with the train set's mean and std to standardise them with;
`Dataset.for_training()` is what the network trains on (see `dataset`), and
`load_training_data` gives that form directly, reading the table in chunks into one float32
block that is never held twice (see `rows`).
`check_data_config` resolves the `data:` section without reading anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError, count, integral, unknown
from .dataset import Dataset
from .files import SUFFIXES, read_file
from .rows import Rows, check_values, gather, mean_std
from .synthetic import GENERATORS, NOISE

DIGITS = Path(__file__).with_name("digits.npz")
BUILTIN = ("digits", *GENERATORS)
SPLIT = {"train": 0.8, "dev": 0.1, "test": 0.1}
COMMON = {"split": SPLIT, "normalize": True}
KEYS = {  # the keys each kind of data takes, with their defaults
    "file": {"path": None, "target": None, **COMMON},
    "digits": {"dataset": "digits", **COMMON},
    "moons": {"dataset": "moons", "n_samples": 1000, "noise": None, **COMMON},
    "circles": {"dataset": "circles", "n_samples": 1000, "noise": None, **COMMON},
    "flower": {"dataset": "flower", "n_samples": 1000, "noise": None, **COMMON},
    "spirals": {"dataset": "spirals", "n_samples": 1000, "noise": None, "classes": 3, **COMMON},
    "blobs": {
        "dataset": "blobs",
        "n_samples": 1000,
        "noise": None,
        "classes": 3,
        "features": 2,
        **COMMON,
    },
}
ALL_KEYS = sorted({k for keys in KEYS.values() for k in keys})


def check_data_config(data: dict, file=None) -> dict:
    """The data section with the defaults of its kind filled in, checked; raises UserError."""
    if not isinstance(data, dict):
        raise UserError(
            f"{data!r} is not a mapping",
            file=file,
            key="data",
            fix="write data: {dataset: digits}",
        )
    for key in data:
        if key not in ALL_KEYS:
            raise unknown("data key", key, ALL_KEYS, file=file, key=f"data.{key}")
    if data.get("path") is not None and "dataset" in data:
        raise UserError(
            "dataset and path are both given",
            file=file,
            key="data.dataset",
            fix="keep path: for your file, or dataset: for a built-in one",
        )
    kind = "file" if data.get("path") is not None else data.get("dataset", "digits")
    if kind not in KEYS:
        raise unknown("dataset", kind, BUILTIN, file=file, key="data.dataset")
    for key in data:
        if key not in KEYS[kind] and not (key == "path" and data[key] is None):
            takes = ", ".join(k for k in KEYS[kind] if k not in ("dataset", "path"))
            raise UserError(
                f"{key} does not apply to {'a data file' if kind == 'file' else kind}",
                file=file,
                key=f"data.{key}",
                fix=f"remove it ({'a data file' if kind == 'file' else kind} takes {takes})",
            )
    out = {**KEYS[kind], **{k: v for k, v in data.items() if k in KEYS[kind]}}
    if kind == "file":
        if not isinstance(out["path"], str) or Path(out["path"]).suffix.lower() not in SUFFIXES:
            raise UserError(
                f"cannot read {out['path']!r}",
                file=file,
                key="data.path",
                fix="give a " + ", ".join(SUFFIXES) + " file",
            )
        if out["target"] is not None and not isinstance(out["target"], (str, int)):
            raise UserError(
                f"{out['target']!r} is not a column name",
                file=file,
                key="data.target",
                fix="name the label column",
            )
    out["split"] = _split(out["split"], file)
    for key in ("n_samples", "classes", "features"):
        low = 1 if key == "features" else 2
        if key in out:
            out[key] = integral(out[key])  # n_samples: 1e3 is YAML's 1000.0
        if key in out and (
            isinstance(out[key], bool) or not isinstance(out[key], int) or out[key] < low
        ):
            raise UserError(
                f"{out[key]!r} is not a whole number >= {low}",
                file=file,
                key=f"data.{key}",
                fix=f"use a whole number >= {low}",
            )
    noise = out.get("noise")
    if noise is not None and (
        isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise < 1e6
    ):
        raise UserError(
            f"{noise!r} is not a valid noise level",
            file=file,
            key="data.noise",
            fix="use a number >= 0",
        )
    if not isinstance(out["normalize"], bool):
        raise UserError(
            f"{out['normalize']!r} is not true or false",
            file=file,
            key="data.normalize",
            fix="write true or false",
        )
    return out


def _split(split, file) -> dict:
    if not isinstance(split, dict) or set(split) - set(SPLIT):
        raise UserError(
            f"{split!r} is not a split",
            file=file,
            key="data.split",
            fix="write {train: 0.8, dev: 0.1, test: 0.1}",
        )
    try:
        split = {k: float(split.get(k, 0.0)) for k in SPLIT}
    except (TypeError, ValueError):
        raise UserError(
            f"{split!r} has a fraction that is not a number",
            file=file,
            key="data.split",
            fix="write fractions such as 0.8",
        ) from None
    if min(split.values()) < 0 or abs(sum(split.values()) - 1) > 1e-6:
        raise UserError(
            f"fractions {split} sum to {sum(split.values()):g}",
            file=file,
            key="data.split",
            fix="make train + dev + test = 1, each >= 0",
        )
    if split["train"] <= 0 or split["dev"] <= 0:
        raise UserError(
            f"train and dev must be > 0, got {split}",
            file=file,
            key="data.split",
            fix="give both a share, such as train 0.8, dev 0.1, test 0.1",
        )
    return split


def load_data(
    data: dict, seed: int = 0, file=None, base_dir=None, regression: bool = False
) -> Dataset:
    """Load, check and split the data a config's `data` section describes, in the user's form
    (raw float64 inputs, original labels; see dataset.py).

    Relative paths are taken from `base_dir` (the config file's folder) when given.
    `regression` (a config's estimator is a regressor) takes a numeric target: the split is
    then at random, not by class, and `classes` is empty."""
    table = _read(data, seed, file, base_dir, regression)
    X = gather(table.rows, table.parts, dtype=np.float64)
    labels = np.asarray(table.labels)
    return table.dataset(X, tuple(labels[i] for i in table.parts), codes=table.codes)


def load_training_data(
    data: dict, seed: int = 0, file=None, base_dir=None, alloc=np.empty
) -> Dataset:
    """`load_data(...).for_training()`, bit for bit, without ever holding the table in
    float64 or twice: the inputs are one float32 block from `alloc(shape, dtype)` (see
    rows.py), which a search may put in memory its workers share."""
    table = _read(data, seed, file, base_dir)
    X = gather(table.rows, table.parts, table.scaler, alloc)
    return table.dataset(X, table.codes, training=True)


@dataclass
class _Table:
    """A data set read and split, its inputs not yet gathered."""

    rows: Rows
    labels: np.ndarray
    classes: list
    parts: list  # sorted row indices of train, dev, test
    codes: tuple  # each part's labels as class indices
    scaler: tuple | None
    features: list
    name: str

    def dataset(self, X, y, **form) -> Dataset:
        """The Dataset of block X (train, dev, then test rows) and each part's labels y."""
        a, b = len(self.parts[0]), len(self.parts[0]) + len(self.parts[1])
        return Dataset(
            X[:a],
            y[0],
            X[a:b],
            y[1],
            X[b:],
            y[2],
            classes=self.classes,
            features=self.features,
            name=self.name,
            scaler=self.scaler,
            **form,
        )


def _read(data: dict, seed: int, file, base_dir, regression=False) -> _Table:
    data = check_data_config(data, file)
    rng = np.random.default_rng([0xDA7A, seed])
    if data.get("path") is not None:
        path = Path(data["path"])
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        rows, labels, features = read_file(path, data["target"], file, regression)
        name, where = path.name, path
    elif data["dataset"] == "digits":
        with np.load(DIGITS, allow_pickle=False) as f:
            rows, labels = Rows.of(f["X"]), f["y"]
        features, name, where = [f"pixel_{i}" for i in range(rows.shape[1])], "digits", file
    else:
        kind = data["dataset"]
        noise = NOISE[kind] if data["noise"] is None else float(data["noise"])
        X, labels = GENERATORS[kind](
            data["n_samples"],
            noise,
            rng,
            classes=data.get("classes", 3),
            features=data.get("features", 2),
        )
        rows, features, name, where = Rows.of(X), [f"x{i}" for i in range(X.shape[1])], kind, file
    if regression:  # split at random, as one class would be
        check_values(rows, features, where)
        parts = stratified_split(np.zeros(len(labels), dtype=np.intp), data["split"], rng)
        labels = np.asarray(labels, dtype=np.float64)
        return _Table(rows, labels, [], parts, None, None, list(features), name)
    classes, y = np.unique(labels, return_inverse=True)
    parts = stratified_split(y, data["split"], rng) if len(classes) > 1 else None
    # the values' check also sums the train rows for their mean: one pass over the file less
    total = check_values(rows, features, where, parts[0] if parts and data["normalize"] else None)
    if len(classes) < 2:
        raise UserError(
            f"the labels have {len(classes)} class ({classes.tolist()[0]!r} only)",
            file=where,
            key=data.get("target") or "y",
            fix="a classifier needs at least 2 classes",
        )
    _check_parts(y, parts, classes.tolist(), data["split"], where, data.get("target") or "y")
    scaler = mean_std(rows, parts[0], total) if data["normalize"] else None
    codes = tuple(y[i] for i in parts)
    return _Table(rows, labels, classes.tolist(), parts, codes, scaler, list(features), name)


def stratified_split(y: np.ndarray, split: dict, rng) -> list[np.ndarray]:
    """Indices of train, dev and test: each class is shuffled and cut in the split's
    proportions, so every part keeps the class balance."""
    parts = [[], [], []]
    cuts = np.cumsum([split["train"], split["dev"]])
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        a, b = np.round(cuts * len(idx)).astype(int)
        for part, chunk in zip(parts, (idx[:a], idx[a:b], idx[b:])):
            part.append(chunk)
    return [np.sort(np.concatenate(p)) for p in parts]


def _check_parts(y, parts, classes, split, where, column):
    """Every part the split asks for holds every class."""
    for name, part in zip(("train", "dev", "test"), parts):
        if split[name] == 0:
            continue
        present = np.bincount(y[part], minlength=len(classes))
        if (present == 0).any():
            index = int(np.argmax(present == 0))
            rows = count(int((y == index).sum()), "row")
            need = next(n for n in range(1, 10_000) if _fits(n, split))
            raise UserError(
                f"class {classes[index]!r} has {rows}: the {name} part of the split gets none of "
                "them",
                file=where,
                key=column,
                fix=f"give each class at least {need} rows, or change data.split",
            )


def _fits(n: int, split: dict) -> bool:
    a, b = np.round(np.cumsum([split["train"], split["dev"]]) * n).astype(int)
    return a >= 1 and b - a >= 1 and (split["test"] == 0 or n - b >= 1)
