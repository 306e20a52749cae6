"""Data sets: built-in, synthetic, user files, the split and normalisation, and bad input."""

import numpy as np
import pandas as pd
import pytest

from hpsearch.data import BUILTIN, load_data, stratified_split
from hpsearch.errors import UserError


def test_digits_is_the_real_uci_set():
    d = load_data({"dataset": "digits"}).for_training()
    n = len(d.y_train) + len(d.y_dev) + len(d.y_test)
    assert n == 1797 and d.n_features == 64 and d.n_classes == 10
    assert d.X_train.dtype == np.float32 and d.X_train.flags.c_contiguous


@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_is_seeded(name):
    size = {} if name == "digits" else {"n_samples": 200}
    a, b, c = (load_data({"dataset": name, **size}, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert name == "digits" or not np.array_equal(a.X_train, c.X_train)


def test_split_is_stratified_and_in_proportion():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    train, dev, test = stratified_split(
        y, {"train": 0.6, "dev": 0.2, "test": 0.2}, np.random.default_rng(0)
    )
    assert (len(train), len(dev), len(test)) == (600, 200, 200)
    for part in (train, dev, test):
        np.testing.assert_allclose(np.bincount(y[part]) / len(part), [0.5, 0.3, 0.2])
    assert len(np.unique(np.concatenate([train, dev, test]))) == 1000


def test_normalisation_uses_the_train_statistics_only():
    d = load_data({"dataset": "blobs", "n_samples": 900}).for_training()
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(d.X_train.std(axis=0), 1, atol=1e-5)
    raw = load_data({"dataset": "blobs", "n_samples": 900, "normalize": False})
    mean, std = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
    np.testing.assert_allclose(d.X_dev, (raw.X_dev - mean) / std, atol=1e-4)


def test_whole_numbers_written_as_floats_are_taken():
    d = load_data({"dataset": "blobs", "n_samples": 3e2, "classes": 3.0})
    assert len(d.y_train) + len(d.y_dev) + len(d.y_test) == 300 and d.n_classes == 3


def test_csv_with_string_labels(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((100, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame.a > 0, "cat", "dog")
    frame.to_csv(tmp_path / "d.csv", index=False)
    d = load_data({"path": str(tmp_path / "d.csv"), "target": "label"})
    assert d.classes == ["cat", "dog"] and d.features == ["a", "b", "c"]


def test_npz_and_relative_paths_from_the_config_folder(tmp_path):
    np.savez(
        tmp_path / "d.npz",
        X=np.random.default_rng(0).standard_normal((50, 4)),
        y=np.arange(50) % 2,
    )
    d = load_data({"path": "d.npz"}, base_dir=tmp_path)
    assert d.n_features == 4 and d.n_classes == 2


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2}).to_parquet(tmp_path / "d.parquet")
    assert load_data({"path": str(tmp_path / "d.parquet"), "target": "y"}).n_classes == 2


def _csv(tmp_path, frame):
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    "make,data,message",
    [
        (None, {"dataset": "cifar10"}, "unknown dataset 'cifar10'; valid: digits, moons"),
        (None, {"path": "nowhere.csv", "target": "y"}, "data file 'nowhere.csv' does not exist"),
        (None, {"path": "data.txt"}, "cannot read 'data.txt'; give a .csv, .parquet, .npz file"),
        ("ok", {"target": "labl"}, "unknown target column 'labl'; did you mean 'label'"),
        ("ok", {}, "no target column given; name the label column, one of: a, b, label"),
        ("text", {"target": "label"}, "feature column 'b' is not numeric"),
        ("nan", {"target": "label"}, "feature column 'a' has 2 missing, NaN or infinite values"),
        ("one", {"target": "label"}, "the labels have 1 class (1 only)"),
        (None, {"split": {"train": 0.8, "dev": 0.3}}, "sum to 1.1; make train + dev + test = 1"),
        (None, {"split": {"train": 1.0}}, "train and dev must be > 0"),
        (
            None,
            {"dataset": "moons", "n_samples": 1},
            "data.n_samples: 1 is not a whole number >= 2",
        ),
        (None, {"colour": "red"}, "unknown data key 'colour'"),
    ],
)
def test_bad_data_is_one_clear_error(tmp_path, make, data, message):
    frames = {
        "ok": pd.DataFrame(
            {"a": np.arange(40.0), "b": np.arange(40.0) % 3, "label": np.arange(40) % 2}
        ),
        "text": pd.DataFrame(
            {"a": [1.0, 2, 3, 4], "b": ["x", "y", "x", "y"], "label": [0, 1, 0, 1]}
        ),
        "nan": pd.DataFrame({"a": [1.0, np.nan, np.inf, 4], "label": [0, 1, 0, 1]}),
        "one": pd.DataFrame({"a": [1.0, 2, 3, 4], "label": [1, 1, 1, 1]}),
    }
    if make:
        data = {"path": _csv(tmp_path, frames[make]), **data}
    with pytest.raises(UserError) as e:
        load_data(data)
    assert message in e.value.message
    assert "\n" not in e.value.message


def test_an_npz_without_rows_is_one_clear_error(tmp_path):
    np.savez(tmp_path / "empty.npz", X=np.zeros((0, 3), np.float32), y=np.zeros(0, int))
    with pytest.raises(UserError) as e:  # (it was an IndexError)
        load_data({"path": "empty.npz"}, base_dir=tmp_path)
    assert "has no rows" in e.value.message and "empty.npz" in str(e.value.file)


def test_bad_data_through_the_cli_exits_2_with_one_line(cli, write, tmp_path):
    config = write("c.yaml", "data: {path: missing.csv, target: y}\n")
    result = cli("train", config)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "missing.csv' does not exist" in result.stderr
    assert "Traceback" not in result.output
