"""The user's own data files: .csv, .parquet (pyarrow) and .npz, read and checked.

Every problem is a UserError naming the file, the column and the fix: a missing or unreadable
file, a missing target column, missing labels, labels that look like a regression target,
features that are not numbers or have missing values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserError, count, unknown

SUFFIXES = (".csv", ".parquet", ".npz")
MAX_CONTINUOUS_CLASSES = 20  # more distinct non-integer labels than this: a regression target


def read_file(path: Path, target, config_file=None):
    """(X float64, labels, feature names) from a .csv, .parquet or .npz file."""
    if not path.exists():
        raise UserError(
            f"data file '{path}' does not exist",
            file=config_file,
            key="data.path",
            fix="check the path (relative paths are from the config file's folder)",
        )
    if path.is_dir():
        raise UserError(
            f"'{path}' is a folder", file=config_file, key="data.path", fix="give a data file"
        )
    suffix = path.suffix.lower()
    if suffix == ".npz":
        if target is not None:
            raise UserError(
                "an .npz file holds X and y: target does not apply",
                file=config_file,
                key="data.target",
                fix="remove target:",
            )
        X, labels = _read_npz(path)
        names = [f"x{i}" for i in range(X.shape[1])]
    else:
        X, labels, names = _read_table(path, suffix, target, config_file)
    check_labels(labels, path, target or "y")
    return X, labels, names


def _read_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("X", "y") if k not in f.files]
            if missing:
                raise UserError(
                    f"has no array {missing[0]!r} (arrays: {', '.join(f.files) or 'none'})",
                    file=path,
                    fix="save the features as X and the labels as y",
                )
            X, labels = f["X"], f["y"]
    except UserError:
        raise
    except Exception as e:  # NumPy and zipfile raise many errors; all mean the file is not an .npz
        raise UserError(
            f"cannot read: {type(e).__name__}: {e}".splitlines()[0],
            file=path,
            fix="save it with numpy.savez(path, X=features, y=labels)",
        ) from None
    if (
        X.ndim != 2
        or labels.ndim != 1
        or len(X) != len(labels)
        or not np.issubdtype(X.dtype, np.number)
    ):
        raise UserError(
            f"X must be a 2-D numeric array with one row per label, got {X.dtype} {X.shape} for "
            f"labels of shape {labels.shape}",
            file=path,
            fix="save X as (n_samples, n_features), y as (n_samples,)",
        )
    names = [f"x{i}" for i in range(X.shape[1])]
    return check_features(X.astype(np.float64), names, path), labels


def _read_table(path: Path, suffix: str, target, config_file):
    import pandas as pd  # noqa: PLC0415  (0.4 s to import: only data files need it)

    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except ImportError as e:
        raise UserError(
            f"reading parquet needs pyarrow ({e})",
            file=path,
            fix="pip install pyarrow, or save the data as .csv",
        ) from None
    except UnicodeDecodeError:
        raise UserError("is not a text file", file=path, fix=f"give a {suffix} file") from None
    except Exception as e:  # pandas raises many parser errors; all mean the same to the user
        raise UserError(
            f"cannot read: {e}".splitlines()[0],
            file=path,
            fix=f"check that it is a valid {suffix} file",
        ) from None
    if frame.empty:
        raise UserError(
            "has no rows", file=path, fix="give a file with a header and one row per example"
        )
    columns = [str(c) for c in frame.columns]
    if target is None:
        raise UserError(
            "no target column given",
            file=config_file,
            key="data.target",
            fix=f"name the label column, one of: {', '.join(columns)}",
        )
    if str(target) not in columns:
        raise unknown("target column", target, columns, file=path, key="data.target")
    frame.columns = columns
    labels = frame.pop(str(target)).to_numpy()
    check_labels(labels, path, str(target))
    if frame.shape[1] == 0:
        raise UserError(
            "has no feature column besides the target", file=path, fix="add the input columns"
        )
    for column in frame.columns:
        kind = frame[column].dtype
        if not pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind):
            example = frame[column].dropna().iloc[0] if frame[column].notna().any() else None
            example = example.item() if hasattr(example, "item") else example
            raise UserError(
                f"feature column '{column}' is not numeric (dtype {kind}, e.g. {example!r})",
                file=path,
                key=column,
                fix="encode it as numbers, or drop the column",
            )
    return (
        check_features(frame.to_numpy(dtype=np.float64), list(frame.columns), path),
        labels,
        list(frame.columns),
    )


def check_features(X, names, path):
    """X unchanged when every value is a finite number; else the column and row count."""
    bad = ~np.isfinite(X)
    if bad.any():
        column = int(np.argmax(bad.any(axis=0)))
        values = count(int(bad[:, column].sum()), "missing, NaN or infinite value")
        raise UserError(
            f"feature column '{names[column]}' has {values}",
            file=path,
            key=names[column],
            fix="drop or impute those rows",
        )
    return X


def check_labels(labels, path, column):
    """Labels present in every row, and categorical: a float column with many distinct
    non-integer values is a regression target, which a classifier cannot learn."""
    missing = np.array([v is None or v != v for v in labels.tolist()], dtype=bool)  # None, NaN
    if missing.any():
        n = int(missing.sum())
        raise UserError(
            f"{count(n, 'row')} {'has' if n == 1 else 'have'} no label",
            file=path,
            key=column,
            fix="drop or fill those rows",
        )
    if labels.dtype.kind == "f":
        distinct = np.unique(labels)
        if len(distinct) > MAX_CONTINUOUS_CLASSES and not np.all(distinct == np.round(distinct)):
            raise UserError(
                f"looks continuous ({len(distinct)} distinct values such as "
                f"{float(distinct[1]):g}); "
                "hpsearch trains classifiers",
                file=path,
                key=column,
                fix="give a column of class labels (or bin the values into classes)",
            )
