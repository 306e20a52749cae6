"""Config files and --set: resolved defaults, and every kind of bad input as one clear line."""

import importlib
import json

import pytest

from hpsearch.cli.group import COMMANDS
from hpsearch.config import Config, apply_overrides, load_config
from hpsearch.errors import UserError
from hpsearch.space import Float, Int

GOOD = """
name: demo
seed: 3
data: {dataset: moons, n_samples: 200}
params: {layers: 1, epochs: 2}
search: {trials: 4, rounds: 2}
space:
  learning_rate: {low: 1e-4, high: 1, scale: log}
  beta1: {low: 0.9, high: 0.999, scale: one_minus_log}
  hidden_units: {low: 8, high: 32}
  batch_size: {values: [32, 64]}
"""


def test_a_good_config_resolves_with_defaults(write):
    config = load_config(write("demo.yaml", GOOD))
    assert config.name == "demo" and config.seed == 3
    assert config.space["learning_rate"] == Float(1e-4, 1.0, "log")  # "1e-4" read as a number
    assert config.space["hidden_units"] == Int(
        8, 32
    )  # an integer hyperparameter: type int implied
    assert config.params["optimizer"] == "adam" and "learning_rate" not in config.params
    assert (
        config.search["goal"] == "maximize" and config.search["keep"] is None
    )  # chosen by the search
    assert config.data["split"] == {"train": 0.8, "dev": 0.1, "test": 0.1}


def test_name_defaults_to_the_file_stem_and_cost_metrics_minimise(write):
    config = load_config(write("my-run.yaml", "search: {metric: dev_cost}\n"))
    assert config.name == "my-run" and config.search["goal"] == "minimize"


def test_overrides_reach_every_section(write):
    path = write("demo.yaml", GOOD)
    config = load_config(
        path,
        [
            "search.trials=50",
            "params.l2=0.01",
            "space.learning_rate.high=0.1",
            "learning_rate=0.003",
            "seed=9",
        ],
    )
    assert config.search["trials"] == 50 and config.params["l2"] == 0.01 and config.seed == 9
    assert config.params["learning_rate"] == 0.003 and "learning_rate" not in config.space


def test_space_override_of_a_bound():
    raw = apply_overrides(
        {"space": {"learning_rate": {"low": 1e-4, "high": 1}}}, ["space.learning_rate.high=0.1"]
    )
    assert raw["space"]["learning_rate"]["high"] == 0.1


def test_custom_objective_allows_any_hyperparameter_names():
    config = Config.from_dict(
        {
            "objective": "mypkg.mod:fn",
            "params": {"depth": 3},
            "space": {"temperature": {"low": 0.1, "high": 2}},
            "search": {"metric": "score"},
        }
    )
    assert config.params == {"depth": 3} and "temperature" in config.space
    assert (
        Config.from_dict({"objective": "m:f", "space": {"x": ["a", "b"]}}).search["metric"]
        == "value"
    )


def test_a_config_from_a_dict_as_a_notebook_user_writes_it():
    config = Config.from_dict(
        {
            "data": {"dataset": "moons"},
            "space": {"learning_rate": {"low": 1e-3, "high": 1, "scale": "log"}},
        }
    )
    assert config.name == "search" and config.plan.total == 60 and config.data["n_samples"] == 1000
    assert (
        config.to_dict()["search"]["budget"] == 60 and "n_samples" not in Config.from_dict({}).data
    )


def test_budget_or_trials_and_rounds_size_the_search():
    assert Config.from_dict({"search": {"budget": 45}}).plan.total == 45
    assert Config.from_dict({"search": {"trials": 7}}).plan.sizes == (7, 7, 7)
    assert Config.from_dict({"search": {"rounds": 2}}).plan.sizes == (30, 30)
    assert (
        Config.from_dict({"search": {"checkpoint_every": "5m"}}).search["checkpoint_every"]
        == 300.0
    )


BAD = [
    # (yaml text, --set overrides, expected fragment)
    (
        "params: {learning_rat: 0.1}\n",
        [],
        "params.learning_rat: unknown hyperparameter 'learning_rat'; did you mean 'learning_rate'",
    ),
    ("spcae: {}\n", [], "spcae: unknown top-level key 'spcae'; did you mean 'space'"),
    ("space: {learning_rat: {low: 0.1, high: 1}}\n", [], "did you mean 'learning_rate'"),
    ("space: {learning_rate: {low: 0.1, high: 1, scale: logg}}\n", [], "unknown scale 'logg'"),
    ("space: {learning_rate: {low: 0.1, high: 1, type: double}}\n", [], "unknown type 'double'"),
    (
        "space: {learning_rate: {low: 1, high: 0.1}}\n",
        [],
        "space.learning_rate: `low < high` must hold, got low=1, high=0.1",
    ),
    (
        "space: {learning_rate: {low: 0, high: 1, scale: log}}\n",
        [],
        "`low > 0` must hold for scale log",
    ),
    (
        "space: {beta1: {low: 0.9, high: 1.0, scale: one_minus_log}}\n",
        [],
        "`0 < low < high < 1` must hold",
    ),
    ("space: {hidden_units: {low: 10.5, high: 20}}\n", [], "bounds of type int must be integers"),
    ("space: {batch_size: {values: []}}\n", [], "`values` is empty"),
    (
        "space: {learning_rate: {low: abc, high: 1}}\n",
        [],
        "space.learning_rate.low: expected a number, got 'abc'",
    ),
    ("params: {learning_rate: fast}\n", [], "params.learning_rate: expected a number, got 'fast'"),
    (
        "params: {learning_rate: 0.1}\nspace: {learning_rate: {low: 0.01, high: 1}}\n",
        [],
        "'learning_rate' is both fixed in params and searched in space",
    ),
    ("search: {trials: 0}\n", [], "search.trials: 0 is not a whole number >= 1"),
    ("search: {rounds: -1}\n", [], "search.rounds: -1 is not a whole number >= 1"),
    ("search: {keep: 1.5}\n", [], "search.keep: keep 1.5 is outside (0, 1]"),
    ("search: {keep: 0}\n", [], "search.keep: keep 0 is outside (0, 1]"),
    ("search: {jobs: 0}\n", [], "search.jobs: jobs 0 is neither auto nor a non-zero whole number"),
    ("search: {mode: turbo}\n", [], "unknown search.mode 'turbo'"),
    ("search: {metric: accuracy}\n", [], "unknown metric 'accuracy'"),
    ("search: {backend: dask}\n", [], "backend dask needs a scheduler address"),
    ("search: {trails: 3}\n", [], "unknown search key 'trails'; did you mean 'trials'"),
    ("params: {activation: relu6}\n", [], "unknown activation 'relu6'"),
    ("params: {optimizer: sgd}\n", [], "unknown optimizer 'sgd'"),
    ("params: {init: glorot}\n", [], "unknown init 'glorot'"),
    (
        "params: {batch_size: 0}\n",
        [],
        'params.batch_size: 0 is out of range; use 1 <= an integer or "full"',
    ),
    ("params: {keep_prob: 0}\n", [], "params.keep_prob: 0 is out of range"),
    ("params: {beta2: 1.0}\n", [], "params.beta2: 1.0 is out of range"),
    ("params: {layers: 2.5}\n", [], "params.layers: 2.5 is not an integer"),
    (
        "params: {batch_norm: maybe}\n",
        [],
        "params.batch_norm: 'maybe' is out of range; use true or false",
    ),
    (
        "params: {lr_decay: step, decay_rate: 0.5}\n",
        [],
        "lr_decay step halves every decay_rate epochs",
    ),
    (
        "space: {activation: {low: 0, high: 1}}\n",
        [],
        "activation takes one of relu, leaky_relu, tanh, sigmoid, not a range",
    ),
    (
        "space: {hidden_units: {low: 8, high: 32, type: float}}\n",
        [],
        "hidden_units is a whole number but type is float",
    ),
    (
        "space: {activation: {values: [relu, swish]}}\n",
        [],
        "space.activation.values[1]: unknown activation 'swish'",
    ),
    ("name: ../escape\n", [], "run name '../escape' is not a plain name"),
    ("name: a/b\n", [], "run name 'a/b' is not a plain name"),
    ("seed: -1\n", [], "seed -1 is not a whole number >= 0"),
    ("objective: not a function\n", [], "is not of the form package.module:function"),
    ("data: {dataset: imagenet}\n", [], "unknown dataset 'imagenet'"),
    ("data: {split: {train: 0.5, dev: 0.1, test: 0.1}}\n", [], "make train + dev + test = 1"),
    ("params: [1, 2]\n", [], "params: [1, 2] is not a mapping"),
    ("- just\n- a list\n", [], "the top level is a list, not a mapping"),
    ("params:\n  layers: 2\n  layers: 3\n", [], "duplicate key 'layers'"),
    ("params: {layers: 2\n", [], "YAML syntax error"),
    ("seed: 1\n", ["search.trials"], "--set: 'search.trials' has no '='"),
    ("seed: 1\n", ["colour=red"], "--set: unknown key 'colour'"),
    ("seed: 1\n", ["serch.trials=3"], "--set: unknown key 'serch'; did you mean 'search'"),
    ("seed: 1\n", ["search.trials=abc"], "--set search.trials: 'abc' is not a whole number"),
    ("seed: 1\n", ["hiden_units=3"], "--set: unknown key 'hiden_units'; did you mean"),
    (
        "seed: 1\n",
        ["budget=10"],
        "--set: 'budget' is a search setting; write --set search.budget=10",
    ),
    ("space: {l2: {low: 0, high: 1}}\n", ["space.l2.low=abc"], "--set space.l2.low: expected"),
    ("", [], "the config is empty; give at least a space:"),
    ("# only a comment\n", [], "the config is empty"),
]


@pytest.mark.parametrize("text,overrides,fragment", BAD)
def test_bad_config_is_one_line_naming_file_key_and_fix(write, text, overrides, fragment):
    path = write("bad.yaml", text)
    with pytest.raises(UserError) as e:
        load_config(path, overrides)
    message = e.value.message
    assert fragment in message
    assert "\n" not in message
    assert (str(path) in message) == (not overrides)  # a --set's error is the --set's


def test_yaml_syntax_errors_give_the_line(write):
    with pytest.raises(UserError, match=r"line 4 \(in what starts at line 3\): YAML syntax error"):
        load_config(write("bad.yaml", "seed: 1\nparams:\n  layers: [1, 2\n  epochs: 3\n"))


@pytest.mark.parametrize("command", ["validate", "sample", "train", "gradcheck"])
def test_cli_exits_2_with_one_line_and_no_traceback(cli, write, command):
    path = write("bad.yaml", "space: {learning_rate: {low: 0, high: 1, scale: log}}\n")
    result = cli(command, path)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {path}: space.learning_rate: `low > 0` must hold")


def test_missing_config_file(cli, tmp_path):
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_every_shipped_config_validates(cli):
    from pathlib import Path

    configs = sorted(Path(__file__).parents[1].joinpath("configs").glob("*.yaml"))
    assert len(configs) >= 5
    for path in configs:
        result = cli("validate", path)
        assert result.exit_code == 0, (path, result.output)


def test_the_config_validate_prints_validates_as_it_is(cli, tmp_path):
    """validate prints the resolved config, with the hpsearch version: saved to a file, it was
    refused ("unknown top-level key 'hpsearch_version'")."""
    from pathlib import Path

    for name in ("moons.yaml", "pbt.yaml"):
        printed = cli("validate", Path(__file__).parents[1] / "configs" / name).stdout
        assert printed.startswith("hpsearch_version: ")
        (tmp_path / name).write_text(printed)
        again = cli("validate", tmp_path / name)
        assert again.exit_code == 0, again.stderr
        assert again.stdout == printed


def test_validate_marks_what_the_fixed_optimizer_never_reads(cli):
    from pathlib import Path

    import yaml

    digits = Path(__file__).parents[1] / "configs" / "digits.yaml"  # adam; beta1 searched
    text = cli("validate", digits).stdout
    assert "  beta: 0.9  # not read by adam\n" in text and "  beta2: 0.999\n" in text
    assert "  decay_rate: 1.0  # not read with lr_decay none\n" in text  # the schedule's too
    momentum = cli("validate", digits, "--set", "optimizer=momentum").stdout
    assert "  beta: 0.9\n" in momentum and "  epsilon: 1.0e-08  # not read by momentum" in momentum
    assert yaml.safe_load(text.split("\n\n")[0])["params"]["beta"] == 0.9  # still YAML


def test_help_lists_every_command_with_its_own_summary(cli):
    """--help lists the commands from a table (without importing them all): it must say what
    each command's own help says."""
    shown = cli("--help").output
    for name, (module, summary) in COMMANDS.items():
        command = getattr(importlib.import_module(f"hpsearch.cli.{module}"), name)
        assert command.get_short_help_str(limit=1000) == summary
        assert f"  {name} " in shown


QUOTED = """
name: "2024"
objective: tagged_objective:evaluate
params: {tag: "007", rate: 1e-3, count: 010, answer: no, flag: true}
search: {budget: 4, jobs: 1}
space:
  kind: {values: ["1e-3", b]}
  x: {low: 1e-4, high: 1.0e+0, scale: log}
"""


def test_whole_numbers_written_as_floats_are_whole_numbers(write):
    config = load_config(write("w.yaml", "seed: 1e3\nsearch: {budget: 1e2, jobs: 1.0}\n"))
    assert (config.seed, config.search["budget"], config.search["jobs"]) == (1000, 100, 1)
    assert isinstance(config.search["budget"], int)


def test_a_quoted_value_stays_a_string_and_1e_4_is_a_number(write):
    """YAML 1.2's numbers, decided when the file is read: quoting says "a string"."""
    config = load_config(write("q.yaml", QUOTED))
    assert config.name == "2024"
    assert config.params == {  # 010 is not octal 8, no is not false
        "tag": "007",
        "rate": 0.001,
        "count": 10,
        "answer": "no",
        "flag": True,
    }
    assert config.space["kind"].values == ("1e-3", "b")
    assert config.space["x"] == Float(1e-4, 1.0, "log")


def test_set_reads_values_with_the_same_loader(write):
    path = write("q.yaml", QUOTED)
    config = load_config(
        path, ['params.tag="010"', "params.rate=1e-2", "space.kind.values=['1e-2', c]"]
    )
    assert config.params["tag"] == "010" and config.params["rate"] == 0.01
    assert config.space["kind"].values == ("1e-2", "c")


def test_quoted_strings_reach_the_objective_and_survive_a_resume(write, tmp_path):
    from hpsearch.runs import resume_search, run_search

    write(
        "tagged_objective.py",
        "import json, pathlib\n"
        "def evaluate(config):\n"
        "    with open(pathlib.Path(__file__).with_name('seen.jsonl'), 'a') as f:\n"
        "        f.write(json.dumps([config['tag'], config['kind']]) + '\\n')\n"
        "    return config['x']\n",
    )
    path = write("q.yaml", QUOTED)
    run_search(load_config(path), runs_dir=tmp_path / "runs")
    outcome = resume_search(tmp_path / "runs" / "2024", budget=8)
    seen = [json.loads(line) for line in (tmp_path / "seen.jsonl").read_text().splitlines()]
    assert len(seen) == 8 and {tag for tag, _ in seen} == {"007"}
    assert {kind for _, kind in seen} <= {"1e-3", "b"}
    assert outcome.run.read_config().space["kind"].values == ("1e-3", "b")


@pytest.mark.parametrize("name", ["no", "2024", "1e3", "null", "on"])
def test_typed_options_stay_typed_only_set_reads_yaml(cli, write, tmp_path, name):
    """--name no is the name "no", not YAML's False (which fell back to the file's stem)."""
    write("plain_value.py", "def evaluate(config):\n    return config['x']\n")
    path = write(
        "p.yaml",
        "objective: plain_value:evaluate\nsearch: {budget: 2, jobs: 1}\n"
        "space: {x: {low: 0, high: 1}}\n",
    )
    result = cli("run", path, "--runs-dir", tmp_path / "runs", "--name", name, "--trials", "2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / name / "trials.csv").exists()
    assert load_config(path, values={"name": name, "seed": 5}).name == name


def test_a_bad_option_value_is_blamed_on_the_option(cli, write, tmp_path):
    path = write("p.yaml", "space: {learning_rate: {low: 1e-4, high: 1, scale: log}}\n")
    result = cli("run", path, "--runs-dir", tmp_path / "runs", "--name", "a/b")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --name: run name 'a/b' is not a plain name")


UNREAD = """
data: {dataset: moons, n_samples: 200}
params: {optimizer: momentum, lr_decay: none, epochs: 2}
search: {budget: 2, jobs: 1}
space:
  beta1: {low: 0.9, high: 0.999, scale: one_minus_log}
  decay_rate: {low: 0.1, high: 1}
  learning_rate: {low: 1e-3, high: 1, scale: log}
"""


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_searched_hyperparameter_training_never_reads_is_warned_of(write, tmp_path, command):
    from tests.conftest import hpsearch

    path = write("u.yaml", UNREAD)
    result = hpsearch(command, path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [
        f"warning: {path}: space.beta1: searched, but optimizer momentum (fixed) never reads it, "
        "so its values change nothing; drop it from space (it is read with optimizer adam)",
        f"warning: {path}: space.decay_rate: searched, but lr_decay none (fixed) never reads "
        "it, so its values change nothing; drop it from space (it is read with lr_decay "
        "inverse_time or exponential or step)",
    ]


def test_one_read_by_only_some_searched_optimizers_asks_for_a_condition(write):
    text = UNREAD.replace("params: {optimizer: momentum, lr_decay: none, epochs: 2}", "")
    config = load_config(write("u.yaml", text + "  optimizer: {values: [momentum, adam]}\n"))
    assert config.unread_searched() == [
        "space.beta1: read only with optimizer adam, but searched in momentum trials too; add "
        "when: {optimizer: [adam]}",
        "space.decay_rate: searched, but lr_decay none (fixed) never reads it, so its values "
        "change nothing; drop it from space (it is read with lr_decay inverse_time or "
        "exponential or step)",
    ]
    conditioned = text.replace(
        "scale: one_minus_log}", "scale: one_minus_log, when: {optimizer: adam}}"
    ).replace("  decay_rate: {low: 0.1, high: 1}\n", "")
    path = write("c.yaml", conditioned + "  optimizer: {values: [momentum, adam]}\n")
    assert load_config(path).unread_searched() == []
