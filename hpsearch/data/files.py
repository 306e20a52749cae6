"""The user's own data files: .csv, .parquet (pyarrow) and .npz, read and checked.

Every problem is a UserError naming the file, the column and the fix: a missing or unreadable
file, a missing target column, missing labels, labels that look like a regression target,
features that are not numbers (and, as `rows.gather` reads them, missing values).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import UserError, count, unknown
from .rows import Rows

SUFFIXES = (".csv", ".parquet", ".npz")
MAX_CONTINUOUS_CLASSES = 20  # more distinct non-integer labels than this: a regression target


def read_file(path: Path, target, config_file=None, regression: bool = False):
    """(Rows of the features, labels, feature names) from a .csv, .parquet or .npz file; the
    features' values are checked as they are read (rows.gather)."""
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
        rows, labels = _read_npz(path)
        names = [f"x{i}" for i in range(rows.shape[1])]
    else:
        rows, labels, names = _read_table(path, suffix, target, config_file, regression)
    check_labels(labels, path, target or "y", regression)
    return rows, labels, names


def _read_npz(path: Path):
    """(Rows of X, labels): the labels read, X's header checked; X itself is streamed from the
    file when it is read (see rows.py), never loaded whole."""
    try:
        with zipfile.ZipFile(path) as z:
            arrays = [n[: -len(".npy")] for n in z.namelist() if n.endswith(".npy")]
            missing = [k for k in ("X", "y") if k not in arrays]
            if missing:
                raise UserError(
                    f"has no array {missing[0]!r} (arrays: {', '.join(arrays) or 'none'})",
                    file=path,
                    fix="save the features as X and the labels as y",
                )
            with z.open("y.npy") as f:
                labels = np.lib.format.read_array(f, allow_pickle=False)
            with z.open("X.npy") as f:
                shape, streamed, dtype = _header(f)
            X = None if streamed else _whole_x(z)
    except UserError:
        raise
    except Exception as e:  # zipfile and NumPy raise many errors; all mean the file is not an .npz
        raise _unreadable(path, e) from None
    shape = X.shape if X is not None else shape
    dtype = X.dtype if X is not None else dtype
    if len(shape) != 2 or labels.ndim != 1 or shape[0] != len(labels):
        raise _not_a_table(path, dtype, shape, labels)
    if not np.issubdtype(dtype, np.number):
        raise _not_a_table(path, dtype, shape, labels)
    if not len(labels):
        raise UserError("has no rows", file=path, fix="give X and y one row per example")
    if X is not None:
        return Rows.of(X), labels

    def chunks(n):
        row_bytes = shape[1] * dtype.itemsize
        try:
            with zipfile.ZipFile(path) as z, z.open("X.npy") as f:
                _header(f)
                for start in range(0, shape[0], n):
                    want = min(n, shape[0] - start) * row_bytes
                    buffer = f.read(want)
                    if len(buffer) != want:
                        raise ValueError("the array X ends before its last row")
                    yield np.frombuffer(buffer, dtype).reshape(-1, shape[1]).astype(np.float64)
        except Exception as e:  # noqa: BLE001  a file changed or damaged since its header was read
            raise _unreadable(path, e) from None

    return Rows(shape, chunks), labels


def _header(f):
    """(shape, whether rows can be streamed, dtype) from the start of an .npy member."""
    version = np.lib.format.read_magic(f)
    read = getattr(np.lib.format, f"read_array_header_{version[0]}_{version[1]}", None)
    if read is None:  # a newer format: read the whole array instead
        return None, False, None
    shape, fortran_order, dtype = read(f)
    return shape, not fortran_order and not dtype.hasobject, dtype


def _whole_x(z: zipfile.ZipFile) -> np.ndarray:
    with z.open("X.npy") as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _unreadable(path, e) -> UserError:
    return UserError(
        f"cannot read: {type(e).__name__}: {e}".splitlines()[0],
        file=path,
        fix="save it with numpy.savez(path, X=features, y=labels)",
    )


def _not_a_table(path, dtype, shape, labels) -> UserError:
    return UserError(
        f"X must be a 2-D numeric array with one row per label, got {dtype} {tuple(shape)} for "
        f"labels of shape {labels.shape}",
        file=path,
        fix="save X as (n_samples, n_features), y as (n_samples,)",
    )


def _read_table(path: Path, suffix: str, target, config_file, regression=False):
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
    other = next((sep for sep in ";\t|" if len(columns) == 1 and sep in columns[0]), None)
    if other and suffix == ".csv":
        raise UserError(
            f"has one column, '{columns[0]}': its fields look separated by {other!r}, not commas",
            file=path,
            fix="save it with commas between fields (to_csv's default)",
        )
    blank = [i for i, c in enumerate(columns) if c.startswith("Unnamed: ")]
    if blank and suffix == ".csv":  # pandas' name for an empty header cell
        raise UserError(
            f"column {blank[0] + 1} has no name in the header (where pandas' to_csv writes the "
            "index): it would be a feature",
            file=path,
            fix="save the table with to_csv(..., index=False), or name the column",
        )
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
    check_labels(labels, path, str(target), regression)
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
    return Rows.of_frame(frame), labels, list(frame.columns)


def check_labels(labels, path, column, regression: bool = False):
    """Labels present in every row, and categorical: a float column with many distinct
    non-integer values is a regression target, which a classifier cannot learn. With
    `regression`, a target of numbers instead."""
    missing = np.array([v is None or v != v for v in labels.tolist()], dtype=bool)  # None, NaN
    if missing.any():
        n = int(missing.sum())
        raise UserError(
            f"{count(n, 'row')} {'has' if n == 1 else 'have'} no label",
            file=path,
            key=column,
            fix="drop or fill those rows",
        )
    if regression:
        if labels.dtype.kind not in "iuf":
            example = labels[0].item() if hasattr(labels[0], "item") else labels[0]
            raise UserError(
                f"is not numeric (e.g. {example!r}); a regressor predicts numbers",
                file=path,
                key=column,
                fix="give a numeric target column, or a classifier as estimator",
            )
        return
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
