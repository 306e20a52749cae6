"""Bad input, through the CLI: every broken config or data file is one line on stderr naming the
file, the key and the fix, exit code 2, and nothing written. `validate` and `run` refuse alike,
so that after `validate` exits 0, `run` does not refuse."""

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

GOOD_SPACE = "space: {learning_rate: {low: 1e-3, high: 1e-1, scale: log}}\n"
MOONS = "data: {dataset: moons, n_samples: 200}\n"
PBT = "params: {epochs: 8}\n"


def cfg(text, space=True, data=True):
    return (MOONS if data else "") + text + (GOOD_SPACE if space else "")


CONFIGS = [
    # (id, config text, fragment); the config file is c.yaml
    # population-based training
    (
        "pbt prune",
        cfg(PBT + "search: {method: pbt, prune: halving}\n"),
        "search.prune: pbt replaces",
    ),
    (
        "pbt budget",
        cfg(PBT + "search: {method: pbt, budget: 10}\n"),
        "search.budget: a pbt search is sized by its population, not by budget",
    ),
    (
        "pbt population",
        cfg(PBT + "search: {method: pbt, population: 1}\n"),
        "search.population: 1 is not a whole number >= 2",
    ),
    (
        "pbt interval",
        cfg(PBT + "search: {method: pbt, interval: 8}\n"),
        "search.interval: interval 8 is not less than the 8 epochs",
    ),
    (
        "pbt nothing live",
        cfg(PBT + "search: {method: pbt}\nspace: {hidden_units: {low: 8, high: 32}}\n", False),
        "space: pbt changes hyperparameters mid-training, and the space has none that may change",
    ),
    (
        "pbt objective",
        cfg("objective: m:f\nsearch: {method: pbt}\n", data=False),
        "search.method: pbt trains the built-in network",
    ),
    (
        "population without pbt",
        cfg("search: {population: 8}\n"),
        "search.population: population applies to method pbt",
    ),
    ("pbt typo", cfg("search: {method: pdt}\n"), "'pdt'; did you mean 'pbt'"),
    ("empty", "", "the config is empty"),
    ("comment only", "# nothing here\n", "the config is empty"),
    ("a list", "- a\n- b\n", "the top level is a list, not a mapping"),
    ("syntax", "params: {layers: 2\n", "YAML syntax error"),
    ("duplicate key", "params:\n  layers: 2\n  layers: 3\n", "duplicate key 'layers'"),
    ("unknown top key", cfg("spcae: {}\n"), "unknown top-level key 'spcae'; did you mean 'space'"),
    ("name with slash", cfg("name: a/b\n"), "run name 'a/b' is not a plain name"),
    ("name up", cfg("name: ../up\n"), "run name '../up' is not a plain name"),
    (
        "name false",
        cfg("name: false\n"),
        'run name False is read as a boolean; quote it, such as name: "2024"',
    ),
    ("name number", cfg("name: 2024\n"), "run name 2024 is read as a number; quote it"),
    ("seed negative", cfg("seed: -1\n"), "seed -1 is not a whole number >= 0"),
    ("seed text", cfg("seed: one\n"), "seed 'one' is not a whole number >= 0"),
    (
        "objective form",
        cfg("objective: not a function\n", data=False),
        "is not of the form package.module:function",
    ),
    (
        "objective missing module",
        cfg("objective: nowhere_at_all:f\n", data=False),
        "cannot import 'nowhere_at_all'",
    ),
    (
        "objective missing function",
        cfg("objective: obj_ok:nothing\n", data=False),
        "'obj_ok' has no function 'nothing'",
    ),
    (
        "objective shadowed by a module of Python's",  # the user's types.py is not imported
        cfg("objective: types:evaluate\n", data=False),
        "'types' has no function 'evaluate' (the module imported is ",
    ),
    (
        "objective raising",
        cfg("objective: obj_broken:f\n", data=False),
        "cannot import 'obj_broken': ZeroDivisionError",
    ),
    (
        "data with objective",
        cfg("objective: obj_ok:f\n"),
        "a custom objective loads its own data: data does not apply",
    ),
    ("data not mapping", "data: digits\n" + GOOD_SPACE, "data: 'digits' is not a mapping"),
    ("params not mapping", cfg("params: [1, 2]\n"), "params: [1, 2] is not a mapping"),
    (
        "space not mapping",
        MOONS + "space: learning_rate\n",
        "space: 'learning_rate' is not a mapping",
    ),
    ("search not mapping", cfg("search: fast\n"), "search: 'fast' is not a mapping"),
    (
        "no space",
        MOONS + "params: {layers: 1}\n",
        "the space is empty: there is nothing to search",
    ),
    ("empty space", MOONS + "space: {}\n", "the space is empty"),
    # params
    (
        "unknown param",
        cfg("params: {learning_rat: 0.1}\n", space=False) + "space: {l2: {low: 0.01, high: 1}}\n",
        "params.learning_rat: unknown hyperparameter 'learning_rat'; did you mean 'learning_rate'",
    ),
    ("lr text", cfg("params: {epochs: fast}\n"), "params.epochs: expected a number, got 'fast'"),
    ("l2 negative", cfg("params: {l2: -1}\n"), "params.l2: -1 is out of range"),
    ("keep_prob 0", cfg("params: {keep_prob: 0}\n"), "params.keep_prob: 0 is out of range"),
    ("keep_prob 1.5", cfg("params: {keep_prob: 1.5}\n"), "params.keep_prob: 1.5 is out of range"),
    (
        "a run's own config",
        cfg("config_dir: /elsewhere\nhpsearch_version: 1.0.0\n"),
        "c.yaml: is a run's own config.yaml, not a config to start from; give the config file",
    ),
    (
        "low quoted",
        MOONS + 'space: {learning_rate: {low: "1e-4", high: 0.1, scale: log}}\n',
        "space.learning_rate.low: expected a number, got the string '1e-4'",
    ),
    (
        "keep_prob quoted",
        cfg('params: {keep_prob: "0.8"}\n'),
        "params.keep_prob: expected a number, got the string '0.8'; write the number without",
    ),
    ("beta2 1", cfg("params: {beta2: 1.0}\n"), "params.beta2: 1.0 is out of range"),
    ("layers 2.5", cfg("params: {layers: 2.5}\n"), "params.layers: 2.5 is not an integer"),
    ("layers negative", cfg("params: {layers: -1}\n"), "params.layers: -1 is out of range"),
    ("batch 0", cfg("params: {batch_size: 0}\n"), "params.batch_size: 0 is out of range"),
    (
        "batch half",
        cfg("params: {batch_size: half}\n"),
        "params.batch_size: expected a number, got 'half'",
    ),
    (
        "batch_norm maybe",
        cfg("params: {batch_norm: maybe}\n"),
        "params.batch_norm: 'maybe' is out of range; use true or false",
    ),
    (
        "activation",
        cfg("params: {activation: relu6}\n"),
        "unknown activation 'relu6'; did you mean 'relu'",
    ),
    ("optimizer", cfg("params: {optimizer: sgd}\n"), "unknown optimizer 'sgd'"),
    ("init", cfg("params: {init: glorot}\n"), "unknown init 'glorot'"),
    ("lr_decay", cfg("params: {lr_decay: cosine}\n"), "unknown lr_decay 'cosine'"),
    (
        "step decay",
        cfg("params: {lr_decay: step, decay_rate: 0.5}\n"),
        "lr_decay step halves every decay_rate epochs",
    ),
    ("epochs 0", cfg("params: {epochs: 0}\n"), "params.epochs: 0 is out of range"),
    ("patience 0", cfg("params: {patience: 0}\n"), "params.patience: 0 is out of range"),
    ("hidden 0", cfg("params: {hidden_units: 0}\n"), "params.hidden_units: 0 is out of range"),
    (
        "fixed and searched",
        cfg("params: {learning_rate: 0.1}\n"),
        "'learning_rate' is both fixed in params and searched",
    ),
    # space
    (
        "unknown searched",
        MOONS + "space: {learning_rat: {low: 0.1, high: 1}}\n",
        "did you mean 'learning_rate'",
    ),
    (
        "scale typo",
        MOONS + "space: {learning_rate: {low: 0.1, high: 1, scale: logg}}\n",
        "unknown scale 'logg'",
    ),
    (
        "type typo",
        MOONS + "space: {learning_rate: {low: 0.1, high: 1, type: double}}\n",
        "unknown type 'double'",
    ),
    (
        "low high",
        MOONS + "space: {learning_rate: {low: 1, high: 0.1}}\n",
        "`low < high` must hold, got low=1, high=0.1",
    ),
    (
        "log zero",
        MOONS + "space: {learning_rate: {low: 0, high: 1, scale: log}}\n",
        "`low > 0` must hold for scale log",
    ),
    (
        "one minus log 1",
        MOONS + "space: {beta1: {low: 0.9, high: 1.0, scale: one_minus_log}}\n",
        "`0 < low < high < 1` must hold",
    ),
    (
        "int float bounds",
        MOONS + "space: {hidden_units: {low: 10.5, high: 20}}\n",
        "bounds of type int must be integers",
    ),
    ("values empty", MOONS + "space: {batch_size: {values: []}}\n", "`values` is empty"),
    (
        "values twice",
        MOONS + "space: {batch_size: {values: [32, 32]}}\n",
        "`values` has duplicates",
    ),
    (
        "low text",
        MOONS + "space: {learning_rate: {low: abc, high: 1}}\n",
        "space.learning_rate.low: expected a number",
    ),
    ("missing high", MOONS + "space: {learning_rate: {low: 0.1}}\n", "missing `high`"),
    (
        "values and low",
        MOONS + "space: {batch_size: {values: [32], low: 1}}\n",
        "`values` cannot go with low",
    ),
    (
        "entry key",
        MOONS + "space: {learning_rate: {lo: 0.1, high: 1}}\n",
        "unknown space key 'lo'; did you mean 'low'",
    ),
    ("entry number", MOONS + "space: {learning_rate: 0.5}\n", "0.5 is not a distribution"),
    (
        "choice as range",
        MOONS + "space: {activation: {low: 0, high: 1}}\n",
        "activation takes one of relu",
    ),
    (
        "int as float",
        MOONS + "space: {hidden_units: {low: 8, high: 32, type: float}}\n",
        "is a whole number but type is float",
    ),
    (
        "bad value",
        MOONS + "space: {activation: {values: [relu, swish]}}\n",
        "space.activation.values[1]: unknown activation",
    ),
    (
        "range out of domain",
        MOONS + "space: {keep_prob: {low: 0.5, high: 2}}\n",
        "space.keep_prob.high: 2 is out of range",
    ),
    (
        "when unknown",
        MOONS + "space: {beta1: {low: 0.8, high: 0.99, when: {optimiser: adam}}}\n",
        "space.beta1.when.optimiser: unknown name in condition 'optimiser'; "
        "did you mean 'optimizer'",
    ),
    (
        "pruning on train_cost",
        cfg("search: {metric: train_cost, prune: median}\n"),
        "search.prune: pruning compares a metric after every epoch; train_cost is measured only "
        "at the end; set search.metric to one of dev_cost, dev_accuracy, or prune: none",
    ),
    (
        "bare list of numbers",
        MOONS + "space: {learning_rate: [1.0e-4, 1.0]}\n",
        "space.learning_rate: a bare list [0.0001, 1.0] may mean these values or a range; "
        "write {values: [0.0001, 1.0]} for these values, or {low: 0.0001, high: 1.0} for a range",
    ),
    (
        "when impossible",
        MOONS + "space: {optimizer: [adam, gd], beta1: {low: 0.8, high: 0.99, "
        "when: {optimizer: adamw}}}\n",
        "unknown value of optimizer 'adamw'; did you mean 'adam'",
    ),
    (
        "when numeric",
        MOONS + "space: {l2: {low: 0, high: 1}, beta1: {low: 0.8, high: 0.99, when: {l2: 0.5}}}\n",
        "a condition can only name a hyperparameter sampled from values:",
    ),
    (
        "when malformed",
        MOONS + "space: {beta1: {low: 0.8, high: 0.99, when: adam}}\n",
        "'adam' is not a condition",
    ),
    (
        "when never",
        MOONS + "params: {optimizer: gd}\n"
        "space: {beta1: {low: 0.8, high: 0.99, when: {optimizer: adam}}}\n",
        "never holds: optimizer is fixed at 'gd'",
    ),
    (
        "when circle",
        MOONS + "space: {activation: {values: [relu, tanh], when: {optimizer: adam}}, "
        "optimizer: {values: [adam, gd], when: {activation: relu}}}\n",
        "depend on each other in a circle",
    ),
    # search
    (
        "search key",
        cfg("search: {trails: 3}\n"),
        "unknown search key 'trails'; did you mean 'trials'",
    ),
    ("trials 0", cfg("search: {trials: 0}\n"), "search.trials: 0 is not a whole number >= 1"),
    (
        "rounds negative",
        cfg("search: {rounds: -1}\n"),
        "search.rounds: -1 is not a whole number >= 1",
    ),
    ("budget 0", cfg("search: {budget: 0}\n"), "search.budget: 0 is not a whole number >= 1"),
    (
        "budget and trials",
        cfg("search: {budget: 30, trials: 10}\n"),
        "budget and trials/rounds are both given",
    ),
    ("keep 1.5", cfg("search: {keep: 1.5}\n"), "search.keep: keep 1.5 is outside (0, 1]"),
    ("keep 0", cfg("search: {keep: 0}\n"), "search.keep: keep 0 is outside (0, 1]"),
    ("jobs 0", cfg("search: {jobs: 0}\n"), "search.jobs: jobs 0 is neither auto nor a non-zero"),
    ("mode", cfg("search: {mode: turbo}\n"), "unknown search.mode 'turbo'"),
    ("metric", cfg("search: {metric: accuracy}\n"), "unknown metric 'accuracy'"),
    ("goal", cfg("search: {goal: sideways}\n"), "unknown search.goal 'sideways'"),
    (
        "dask no scheduler",
        cfg("search: {backend: dask}\n"),
        "backend dask needs a scheduler address",
    ),
    (
        "prune method",
        cfg("search: {prune: mean}\n"),
        "unknown pruning method 'mean'; did you mean 'median'",
    ),
    (
        "prune setting",
        cfg("search: {prune: {method: halving, reductoin: 2}}\n"),
        "did you mean 'reduction'",
    ),
    (
        "prune other method",
        cfg("search: {prune: {method: median, min_epochs: 2}}\n"),
        "min_epochs does not apply to median",
    ),
    (
        "prune end metric",
        cfg("search: {prune: median, metric: train_accuracy}\n"),
        "train_accuracy is measured only at the end",
    ),
    (
        "checkpoint every",
        cfg("search: {checkpoint_every: soon}\n"),
        "search.checkpoint_every: 'soon' is not a duration",
    ),
    (
        "keep checkpoints 0",
        cfg("search: {keep_checkpoints: 0}\n"),
        "search.keep_checkpoints: 0 is not a whole number",
    ),
    ("refine", cfg("search: {refine: tpe}\n"), "unknown search.refine 'tpe'"),
    (
        "scheduler number",
        cfg("search: {scheduler: 8786}\n"),
        "search.scheduler: 8786 is not an address",
    ),
    # data section
    ("dataset", "data: {dataset: imagenet}\n" + GOOD_SPACE, "unknown dataset 'imagenet'"),
    (
        "data key",
        "data: {dataset: moons, colour: red}\n" + GOOD_SPACE,
        "unknown data key 'colour'",
    ),
    (
        "dataset and path",
        "data: {dataset: digits, path: d.csv, target: y}\n" + GOOD_SPACE,
        "dataset and path are both given",
    ),
    (
        "n_samples digits",
        "data: {dataset: digits, n_samples: 50}\n" + GOOD_SPACE,
        "n_samples does not apply to digits",
    ),
    (
        "noise file",
        "data: {path: d.csv, target: label, noise: 0.1}\n" + GOOD_SPACE,
        "noise does not apply to a data file",
    ),
    (
        "target builtin",
        "data: {dataset: moons, target: y}\n" + GOOD_SPACE,
        "target does not apply to moons",
    ),
    (
        "classes moons",
        "data: {dataset: moons, classes: 4}\n" + GOOD_SPACE,
        "classes does not apply to moons",
    ),
    (
        "split sum",
        "data: {split: {train: 0.8, dev: 0.3}}\n" + GOOD_SPACE,
        "make train + dev + test = 1",
    ),
    (
        "split text",
        "data: {split: {train: a, dev: 0.5}}\n" + GOOD_SPACE,
        "has a fraction that is not a number",
    ),
    ("split no dev", "data: {split: {train: 1.0}}\n" + GOOD_SPACE, "train and dev must be > 0"),
    ("split key", "data: {split: {train: 0.8, valid: 0.2}}\n" + GOOD_SPACE, "is not a split"),
    (
        "n_samples 1",
        "data: {dataset: moons, n_samples: 1}\n" + GOOD_SPACE,
        "data.n_samples: 1 is not a whole number >= 2",
    ),
    (
        "noise text",
        "data: {dataset: moons, noise: lots}\n" + GOOD_SPACE,
        "data.noise: 'lots' is not a valid noise level",
    ),
    (
        "normalize",
        "data: {normalize: yes please}\n" + GOOD_SPACE,
        "data.normalize: 'yes please' is not true or false",
    ),
    (
        "suffix",
        "data: {path: data.txt}\n" + GOOD_SPACE,
        "cannot read 'data.txt'; give a .csv, .parquet, .npz file",
    ),
    # data files (written next to the config by _files below)
    ("missing file", "data: {path: nowhere.csv, target: y}\n" + GOOD_SPACE, "data file"),
    ("path is a folder", "data: {path: folder.csv, target: y}\n" + GOOD_SPACE, "is a folder"),
    (
        "no target",
        "data: {path: d.csv}\n" + GOOD_SPACE,
        "no target column given; name the label column, one of: a, b, label",
    ),
    (
        "misspelt target",
        "data: {path: d.csv, target: labl}\n" + GOOD_SPACE,
        "unknown target column 'labl'; did you mean 'label'",
    ),
    (
        "string feature",
        "data: {path: text.csv, target: label}\n" + GOOD_SPACE,
        "feature column 'b' is not numeric",
    ),
    (
        "nan feature",
        "data: {path: nan.csv, target: label}\n" + GOOD_SPACE,
        "feature column 'a' has 1 missing, NaN or infinite",
    ),
    (
        "inf feature",
        "data: {path: inf.csv, target: label}\n" + GOOD_SPACE,
        "feature column 'b' has 2 missing, NaN or infinite",
    ),
    (
        "missing labels",
        "data: {path: nolabel.csv, target: label}\n" + GOOD_SPACE,
        "3 rows have no label",
    ),
    (
        "continuous target",
        "data: {path: d.csv, target: a}\n" + GOOD_SPACE,
        "looks continuous (60 distinct values",
    ),
    (
        "one class",
        "data: {path: one.csv, target: label}\n" + GOOD_SPACE,
        "the labels have 1 class ('cat' only)",
    ),
    (
        "tiny class",
        "data: {path: tiny.csv, target: label}\n" + GOOD_SPACE,
        "class 'rare' has 2 rows: the dev part",
    ),
    ("binary csv", "data: {path: binary.csv, target: y}\n" + GOOD_SPACE, "binary.csv: "),
    ("header only", "data: {path: header.csv, target: label}\n" + GOOD_SPACE, "has no rows"),
    (
        "target only",
        "data: {path: target.csv, target: label}\n" + GOOD_SPACE,
        "has no feature column besides the target",
    ),
    ("npz without y", "data: {path: noy.npz}\n" + GOOD_SPACE, "has no array 'y' (arrays: X)"),
    ("npz 1-d", "data: {path: flat.npz}\n" + GOOD_SPACE, "X must be a 2-D numeric array"),
    (
        "npz target",
        "data: {path: ok.npz, target: y}\n" + GOOD_SPACE,
        "an .npz file holds X and y: target does not apply",
    ),
    ("npz corrupt", "data: {path: corrupt.npz}\n" + GOOD_SPACE, "corrupt.npz: cannot read"),
    ("latin-1 csv", "data: {path: latin.csv, target: label}\n" + GOOD_SPACE, "is not a text file"),
    (
        "semicolons",
        "data: {path: semi.csv, target: label}\n" + GOOD_SPACE,
        "semi.csv: has one column, 'a;b;label': its fields look separated by ';', not commas",
    ),
    (
        "a saved index",
        "data: {path: index.csv, target: label}\n" + GOOD_SPACE,
        "index.csv: column 1 has no name in the header (where pandas' to_csv writes the index)",
    ),
]

OVERRIDES = [
    ("no equals", ["--set", "search.trials"], "--set: 'search.trials' has no '='"),
    ("unknown key", ["--set", "colour=red"], "--set: unknown key 'colour'"),
    (
        "typo section",
        ["--set", "serch.trials=3"],
        "--set: unknown key 'serch'; did you mean 'search'",
    ),
    ("not a section", ["--set", "data.dataset.x=3"], "'dataset' is not a section"),
    (
        "bad value",
        ["--set", "search.trials=abc"],
        "search.trials: 'abc' is not a whole number >= 1",
    ),
    ("bad param", ["--set", "keep_prob=7"], "params.keep_prob: 7 is out of range"),
    ("quoted param", ["--set", 'keep_prob="0.9"'], "params.keep_prob: expected a number, got"),
    (
        "bad field of a searched one",
        ["--set", "space.learning_rate.scale=logg"],
        "error: --set space.learning_rate.scale: unknown scale 'logg'",
    ),
]


def _files(folder):
    """The data files and objective modules the cases refer to."""
    rng = np.random.default_rng(0)
    good = pd.DataFrame(
        {"a": rng.standard_normal(60), "b": rng.standard_normal(60), "label": ["cat", "dog"] * 30}
    )
    good.to_csv(folder / "d.csv", index=False)
    good.to_csv(folder / "index.csv")  # the row numbers, under an empty header cell
    good.to_csv(folder / "semi.csv", sep=";", index=False)
    good.assign(b=["x", "y"] * 30).to_csv(folder / "text.csv", index=False)
    good.assign(a=[np.nan] + list(good.a[1:])).to_csv(folder / "nan.csv", index=False)
    good.assign(b=[np.inf, -np.inf] + list(good.b[2:])).to_csv(folder / "inf.csv", index=False)
    good.assign(label=[None] * 3 + list(good.label[3:])).to_csv(
        folder / "nolabel.csv", index=False
    )
    good.assign(label="cat").to_csv(folder / "one.csv", index=False)
    good.assign(label=["rare"] * 2 + ["common"] * 58).to_csv(folder / "tiny.csv", index=False)
    good[["label"]].to_csv(folder / "target.csv", index=False)
    (folder / "header.csv").write_text("a,b,label\n")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "latin.csv").write_bytes("a,label\n1,caf\xe9\n2,th\xe9\n".encode("latin-1"))
    (folder / "folder.csv").mkdir()
    np.savez(folder / "noy.npz", X=np.zeros((4, 2)))
    np.savez(folder / "flat.npz", X=np.zeros(4), y=np.arange(4) % 2)
    np.savez(folder / "ok.npz", X=np.zeros((40, 2)), y=np.arange(40) % 2)
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "obj_ok.py").write_text("def f(config):\n    return 1.0\n")
    (folder / "obj_broken.py").write_text("1 / 0\n")


@pytest.fixture
def folder(tmp_path):
    _files(tmp_path)
    return tmp_path


def _refused(result, fragment, where):
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert fragment in lines[0]
    assert str(where) in lines[0]  # the file
    assert "; " in lines[0]  # ... and the fix


@pytest.mark.parametrize("text,fragment", [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_validate_and_run_refuse_alike_and_write_nothing(cli, folder, text, fragment):
    path = folder / "c.yaml"
    path.write_text(text)
    for command in (["validate", path], ["run", path, "--runs-dir", folder / "runs"]):
        result = cli(*command)
        _refused(result, fragment, folder)
    assert not (folder / "runs").exists()


@pytest.mark.parametrize(
    "args,fragment", [c[1:] for c in OVERRIDES], ids=[c[0] for c in OVERRIDES]
)
def test_bad_overrides_are_refused(cli, folder, args, fragment):
    path = folder / "c.yaml"
    path.write_text(cfg(""))
    result = cli("run", path, "--runs-dir", folder / "runs", *args)
    assert (
        result.exit_code == 2
        and fragment in result.stderr
        and len(result.stderr.splitlines()) == 1
    )
    assert not (folder / "runs").exists()


def test_an_interrupt_too_wide_for_the_terminal_puts_the_resume_command_on_its_own_line(
    cli, folder, monkeypatch, terminal
):
    from hpsearch.cli import search
    from hpsearch.runs import SearchInterrupted

    def interrupted(config, **kwargs):
        raise SearchInterrupted("runs/a-rather-long-name-for-a-run", 86, 120)

    monkeypatch.setattr(search, "run_search", interrupted)
    path = folder / "c.yaml"
    path.write_text(cfg(""))
    for columns, lines in (("120", 1), ("60", 2)):
        result = cli("run", path, env={"COLUMNS": columns})
        assert result.exit_code == 130 and len(result.stderr.splitlines()) == lines
        assert result.stderr.splitlines()[-1].endswith(
            "hpsearch resume runs/a-rather-long-name-for-a-run"
        )
        assert max(map(len, result.stderr.splitlines())) <= int(columns)


def test_off_a_terminal_every_message_is_one_line_whatever_its_length(cli, folder, monkeypatch):
    """A log is grepped: neither the width nor a long path may break a message in two."""
    from hpsearch.cli import search
    from hpsearch.cli.output import say
    from hpsearch.runs import SearchInterrupted

    long = "runs/" + "a-rather-long-name-for-a-run-" * 6

    def interrupted(config, **kwargs):
        raise SearchInterrupted(long, 86, 120)

    monkeypatch.setattr(search, "run_search", interrupted)
    path = folder / "c.yaml"
    path.write_text(cfg(""))
    result = cli("run", path, env={"COLUMNS": "40"})
    assert result.exit_code == 130 and result.stderr.splitlines() == [
        f"interrupted: 86 of 120 trials recorded; continue with: hpsearch resume {long}"
    ]
    speak = click.command()(lambda: say(f"nothing to run: {long} is complete", err=True))
    said = CliRunner().invoke(speak, env={"COLUMNS": "40"})
    assert said.stderr == f"nothing to run: {long} is complete\n"


def test_the_corpus_is_large(folder):
    assert len(CONFIGS) + len(OVERRIDES) > 100


def test_missing_config_and_a_folder_as_config(cli, tmp_path):
    for args, fragment in (
        (["validate", tmp_path / "nope.yaml"], "does not exist"),
        (["run", tmp_path], "is a folder"),
    ):
        result = cli(*args)
        assert result.exit_code == 2 and fragment in result.stderr


@pytest.mark.parametrize(
    "args,line",
    [
        (
            ["resume", "runs/x", "--budget", "0"],
            "error: Invalid value for '--budget': 0 is not in the range x>=1. "
            "See: hpsearch resume --help",
        ),
        (["run", "c.yaml", "--jobz", "2"], "error: No such option '--jobz'"),
        (
            ["resume", "runs/x", "--jobs", "0"],
            "error: Invalid value for '--jobs': 0 workers run nothing; give a number such as 2, "
            "or -1 for one per core. See: hpsearch resume --help",
        ),
        (
            ["run", "c.yaml", "--jobs", "two"],
            "error: Invalid value for '--jobs': 'two' is neither auto nor a whole number; "
            "give auto, a number of workers such as 2, or -1 for one per core. "
            "See: hpsearch run --help",
        ),
        (["results"], "error: Missing argument 'RUN_PATH'. See: hpsearch results --help"),
        (["runn"], "error: unknown command 'runn'; did you mean 'run'?"),
    ],
)
def test_a_bad_option_is_one_line(cli, args, line):
    result = cli(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "text",
    [
        MOONS + GOOD_SPACE,
        "data: {path: d.csv, target: label}\n" + GOOD_SPACE,  # string labels
        "data: {path: ok.npz}\n" + GOOD_SPACE,
        "objective: obj_ok:f\nspace: {x: {low: 0, high: 1}}\n",
        MOONS + "space: {optimizer: [adam, momentum], "
        "beta1: {low: 0.8, high: 0.99, scale: one_minus_log, when: {optimizer: adam}}}\n",
    ],
)
def test_what_validate_accepts_run_runs(cli, folder, text):
    path = folder / "c.yaml"
    path.write_text(
        text + "params: {epochs: 2}\nsearch: {budget: 3, jobs: 1}\n"
        if "objective" not in text
        else text + "search: {budget: 3, jobs: 1}\n"
    )
    assert cli("validate", path).exit_code == 0
    result = cli("run", path, "--runs-dir", folder / "runs")
    assert result.exit_code == 0, result.output
