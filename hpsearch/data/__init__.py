"""Data sets: the shipped digits, seeded synthetic ones, and the user's own files.

`load_data(config)` returns a `Dataset`: a stratified, seeded train/dev/test split, inputs
standardised with the train set's mean and std (the same transform applied to dev and test),
features as contiguous float32 and labels as integers 0..C-1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError, unknown
from .synthetic import GENERATORS, NOISE

DIGITS = Path(__file__).with_name("digits.npz")
BUILTIN = ("digits", *GENERATORS)
SUFFIXES = (".csv", ".parquet", ".npz")
DATA_DEFAULTS = {"dataset": "digits", "path": None, "target": None,
                 "split": {"train": 0.8, "dev": 0.1, "test": 0.1}, "normalize": True,
                 "n_samples": 1000, "noise": None, "classes": 3, "features": 2}


@dataclass
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_dev: np.ndarray
    y_dev: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list = field(default_factory=list)  # the original label of each class index
    features: list = field(default_factory=list)
    name: str = ""

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def check_data_config(data: dict, file=None) -> dict:
    """The data section with defaults filled in, checked; raises UserError."""
    out = {**DATA_DEFAULTS, **data}
    for key in data:
        if key not in DATA_DEFAULTS:
            raise unknown("data key", key, list(DATA_DEFAULTS), file=file, key=f"data.{key}")
    if out["path"] is None and out["dataset"] not in BUILTIN:
        raise unknown("dataset", out["dataset"], BUILTIN, file=file, key="data.dataset")
    if out["path"] is not None and Path(out["path"]).suffix.lower() not in SUFFIXES:
        raise UserError(f"cannot read '{out['path']}'", file=file, key="data.path",
                        fix="use a " + ", ".join(SUFFIXES) + " file")
    split = out["split"]
    if not isinstance(split, dict) or set(split) - {"train", "dev", "test"}:
        raise UserError(f"{split!r} is not a split", file=file, key="data.split",
                        fix="write {train: 0.8, dev: 0.1, test: 0.1}")
    split = {"train": 0.0, "dev": 0.0, "test": 0.0, **split}
    try:
        split = {k: float(v) for k, v in split.items()}
    except (TypeError, ValueError):
        raise UserError(f"{out['split']!r} has a fraction that is not a number", file=file,
                        key="data.split", fix="write fractions such as 0.8") from None
    if abs(sum(split.values()) - 1) > 1e-6 or min(split.values()) < 0:
        raise UserError(f"fractions {split} sum to {sum(split.values()):g}", file=file,
                        key="data.split", fix="make train + dev + test = 1")
    if split["train"] <= 0 or split["dev"] <= 0:
        raise UserError(f"train and dev must be > 0, got {split}", file=file, key="data.split",
                        fix="give both a share, such as train 0.8, dev 0.1, test 0.1")
    out["split"] = split
    for key in ("n_samples", "classes", "features"):
        value = out[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < (2 if key != "features" else 1):
            raise UserError(f"{value!r} is not a valid count", file=file, key=f"data.{key}",
                            fix="use a whole number >= 2")
    if out["noise"] is not None and (isinstance(out["noise"], bool) or not isinstance(out["noise"], (int, float)) or out["noise"] < 0):
        raise UserError(f"{out['noise']!r} is not a valid noise level", file=file,
                        key="data.noise", fix="use a number >= 0")
    if not isinstance(out["normalize"], bool):
        raise UserError(f"{out['normalize']!r} is not true or false", file=file,
                        key="data.normalize", fix="write true or false")
    return out


def load_data(data: dict, seed: int = 0, file=None, base_dir=None) -> Dataset:
    """Load, check, split and standardise the data a config's `data` section describes.

    Relative paths are taken from `base_dir` (the config file's folder) when given."""
    data = check_data_config(data, file)
    rng = np.random.default_rng([0xDA7A, seed])
    if data["path"] is not None:
        path = Path(data["path"])
        if base_dir is not None and not path.is_absolute() and not path.exists():
            path = Path(base_dir) / path
        X, labels, features = read_file(path, data["target"], file)
        name = path.name
    elif data["dataset"] == "digits":
        with np.load(DIGITS, allow_pickle=False) as f:
            X, labels = f["X"].astype(np.float64), f["y"]
        features, name = [f"pixel_{i}" for i in range(X.shape[1])], "digits"
    else:
        kind = data["dataset"]
        noise = NOISE[kind] if data["noise"] is None else float(data["noise"])
        X, labels = GENERATORS[kind](data["n_samples"], noise, rng, classes=data["classes"],
                                     features=data["features"])
        features, name = [f"x{i}" for i in range(X.shape[1])], kind
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise UserError(f"the labels have {len(classes)} class(es)", file=data["path"] or file,
                        key=data["target"] or "y", fix="a classifier needs at least 2 classes")
    parts = stratified_split(y, data["split"], rng)
    X_train, X_dev, X_test = (X[i] for i in parts)
    if data["normalize"]:
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        std[std == 0] = 1.0
        X_train, X_dev, X_test = ((x - mean) / std for x in (X_train, X_dev, X_test))
    as32 = lambda x: np.ascontiguousarray(x, dtype=np.float32)
    return Dataset(as32(X_train), y[parts[0]], as32(X_dev), y[parts[1]], as32(X_test), y[parts[2]],
                   classes=classes.tolist(), features=list(features), name=name)


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


def read_file(path: Path, target, config_file=None):
    """(X float64, labels, feature names) from a .csv, .parquet or .npz file; raises UserError."""
    if not path.exists():
        raise UserError(f"data file '{path}' does not exist", file=config_file, key="data.path",
                        fix="check the path (relative paths are from the config file's folder)")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                missing = [k for k in ("X", "y") if k not in f.files]
                if missing:
                    raise UserError(f"has no array {missing[0]!r} (arrays: {', '.join(f.files)})",
                                    file=path, fix="save the features as X and the labels as y")
                X, labels = f["X"], f["y"]
        except (OSError, ValueError) as e:
            raise UserError(f"cannot read: {e}", file=path, fix="save it with numpy.savez") from None
        if X.ndim != 2 or len(X) != len(labels) or not np.issubdtype(X.dtype, np.number):
            raise UserError(f"X must be a 2-D numeric array with one row per label, got {X.dtype} {X.shape} "
                            f"for {len(labels)} labels", file=path, fix="save X as (n_samples, n_features)")
        names = [f"x{i}" for i in range(X.shape[1])]
        return _check_finite(X.astype(np.float64), names, path), labels, names
    import pandas as pd

    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except ImportError as e:
        raise UserError(f"reading parquet needs pyarrow ({e})", file=path,
                        fix="pip install pyarrow, or save the data as .csv") from None
    except Exception as e:  # pandas raises many parser errors; all mean the same to the user
        raise UserError(f"cannot read: {e}".splitlines()[0], file=path, fix=f"check that it is a valid {suffix} file") from None
    if target is None:
        raise UserError("no target column given", file=config_file, key="data.target",
                        fix=f"name the label column, one of: {', '.join(map(str, frame.columns))}")
    if target not in frame.columns:
        raise unknown("target column", target, list(frame.columns), file=path, key="data.target")
    labels = frame.pop(target).to_numpy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            raise UserError(f"feature column '{column}' is not numeric (dtype {frame[column].dtype})",
                            file=path, key=str(column), fix="encode it as numbers or drop it")
    if pd.isna(labels).any():
        raise UserError(f"{int(pd.isna(labels).sum())} rows have no label", file=path,
                        key=target, fix="drop or fill those rows")
    names = [str(c) for c in frame.columns]
    return _check_finite(frame.to_numpy(dtype=np.float64), names, path), labels, names


def _check_finite(X, names, path):
    bad = ~np.isfinite(X)
    if bad.any():
        column = int(np.argmax(bad.any(axis=0)))
        raise UserError(f"feature column '{names[column]}' has NaN or inf in {int(bad[:, column].sum())} rows",
                        file=path, key=names[column], fix="drop or impute those rows")
    return X
