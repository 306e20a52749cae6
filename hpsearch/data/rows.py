"""A table's rows read in chunks, and gathered once into the block a search trains on.

A search holds its inputs in one C-contiguous float32 block: the train rows, then the dev rows,
then the test rows (each in file order); `X_train`, `X_dev` and `X_test` are views of it. The
block is filled chunk by chunk from a `Rows` source (an in-memory array, a DataFrame, or an
.npz member streamed from its file), so loading never holds the table in float64, nor twice:
a 300,000 x 256 table costs its 293 MB of float32 plus a few chunks. (`load_data`'s raw form,
for the user, is such a block in float64, unstandardised.)

Standardising keeps the numbers a whole-array computation gives: the train rows' mean and std
are summed in float64 row after row in file order (what `X_train.mean(axis=0)` does), and each
value becomes `float32((x - mean) / std)` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import UserError, count

# of float64 per chunk: small, so that the chunks freed do not stay in the process's heap (glibc
# keeps up to twice its largest freed allocation below 32 MB): 32 MB chunks left 24 MB there
CHUNK_BYTES = 4 * 2**20


@dataclass
class Rows:
    """A table of `shape` (rows, features) that `chunks(n)` reads in order, n rows at a time,
    as new float64 arrays, the reader's to overwrite (every call starts again from the first
    row)."""

    shape: tuple[int, int]
    chunks: Callable[[int], Iterator[np.ndarray]]

    @classmethod
    def of(cls, X) -> Rows:
        """The rows of an array (or anything `np.asarray` reads) already in memory."""
        X = np.asarray(X)

        def chunks(n):
            for i in range(0, len(X), n):
                yield X[i : i + n].astype(np.float64)

        return cls(X.shape, chunks)

    @classmethod
    def of_frame(cls, frame) -> Rows:
        """The rows of a pandas DataFrame of numeric columns."""

        def chunks(n):
            for i in range(0, len(frame), n):
                yield frame.iloc[i : i + n].to_numpy(dtype=np.float64, copy=True)

        return cls(frame.shape, chunks)


def check_values(rows: Rows, names, path, train_rows=None):
    """Raises UserError naming the first column with a missing, NaN or infinite value. Given
    `train_rows` (sorted indices), the same pass sums them for their mean, and returns that
    sum for mean_std (None where mean_std reads the rows as one array): a file streamed and
    decompressed once less."""
    n = _chunk_rows(rows)
    bad = np.zeros(rows.shape[1], dtype=np.int64)
    total = None if train_rows is None or _whole(rows) else np.zeros(rows.shape[1])
    train = None if total is None else _mask(rows, train_rows)
    for start, chunk in _numbered(rows, n):
        bad += (~np.isfinite(chunk)).sum(axis=0)
        if total is not None:
            total = _add_rows(total, chunk[train[start : start + len(chunk)]])
    if bad.any():
        column = int(np.argmax(bad > 0))
        raise UserError(
            f"feature column '{names[column]}' has "
            f"{count(int(bad[column]), 'missing, NaN or infinite value')}",
            file=path,
            key=names[column],
            fix="drop or impute those rows",
        )
    return total


def destinations(parts) -> np.ndarray:
    """For each row of the table, its row in the block: `parts` (sorted index arrays of train,
    dev and test) placed one after the other."""
    dest = np.empty(sum(len(p) for p in parts), dtype=np.intp)
    offset = 0
    for part in parts:
        dest[part] = np.arange(offset, offset + len(part))
        offset += len(part)
    return dest


def gather(rows: Rows, parts, scaler=None, alloc=np.empty, dtype=np.float32) -> np.ndarray:
    """The rows of `parts` (train, dev, test) in one block of `dtype` from `alloc(shape,
    dtype)`, each value standardised as `(x - mean) / std` in float64 when `scaler` = (mean,
    std) is given. The values are finite (check_values)."""
    dest = destinations(parts)
    block = alloc(rows.shape, dtype)
    for start, chunk in _numbered(rows, _chunk_rows(rows)):
        if scaler is not None:  # in place: a chunk is a fresh float64 array, ours
            chunk -= scaler[0]
            chunk /= scaler[1]
        block[dest[start : start + len(chunk)]] = chunk
    return block


def _chunk_rows(rows: Rows) -> int:
    return max(1, CHUNK_BYTES // (8 * max(rows.shape[1], 1)))


def _numbered(rows: Rows, n: int):
    start = 0
    for chunk in rows.chunks(n):
        yield start, chunk
        start += len(chunk)


def _add_rows(total: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """total + rows[0] + rows[1] + ..., summed in that order, as NumPy sums axis 0 of a whole
    array (so that chunks give the very same float64 as one array would). `rows`, a fresh
    array, is overwritten (its first row takes the total: no copy of the chunk)."""
    if not len(rows):
        return total
    rows[0] += total
    return np.add.reduce(rows, axis=0)


def mean_std(rows: Rows, train_rows: np.ndarray, total=None):
    """The mean and std (0 replaced by 1) of the rows `train_rows` (sorted indices), as
    `X[train_rows].mean(axis=0)` and `X[train_rows].std(axis=0)` compute them. `total`: the
    rows' sum, when check_values has summed them."""
    n, k = _chunk_rows(rows), len(train_rows)
    train = _mask(rows, train_rows)
    if _whole(rows):
        # NumPy itself: one chunk, or one column (which NumPy sums pairwise, not row by row)
        X = np.concatenate([c[train[s : s + len(c)]] for s, c in _numbered(rows, n)])
        mean, std = X.mean(axis=0), X.std(axis=0)
    else:
        if total is None:
            total = np.zeros(rows.shape[1])
            for start, chunk in _numbered(rows, n):
                total = _add_rows(total, chunk[train[start : start + len(chunk)]])
        mean = total / k
        squares = np.zeros_like(mean)
        for start, chunk in _numbered(rows, n):
            centred = chunk[train[start : start + len(chunk)]] - mean
            squares = _add_rows(squares, np.multiply(centred, centred, out=centred))
        std = np.sqrt(squares / k)
    std[std == 0] = 1.0
    return mean, std


def _whole(rows: Rows) -> bool:
    """Whether mean_std reads the train rows as one array: they fit in one chunk, or are one
    column (which NumPy sums pairwise, not row by row)."""
    return rows.shape[0] <= _chunk_rows(rows) or rows.shape[1] == 1


def _mask(rows: Rows, train_rows: np.ndarray) -> np.ndarray:
    train = np.zeros(rows.shape[0], dtype=bool)
    train[train_rows] = True
    return train
