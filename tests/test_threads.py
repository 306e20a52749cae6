"""jobs: auto chooses workers and BLAS threads per trial from the model's size; the threads
are recorded in config.yaml, and with them the table is the same whatever the workers."""

import pytest
import yaml

from hpsearch.config import load_config
from hpsearch.errors import UserError
from hpsearch.modes.cores import GEMM_BOUND, largest_product, plan
from hpsearch.runs import resume_search, run_search
from tests.conftest import rows

WIDE = """
name: wide
seed: 5
data: {dataset: digits}
params: {layers: 2, hidden_units: 256, epochs: 1, batch_size: 128}
search: {trials: 3, rounds: 2, keep: 0.5}
space:
  learning_rate: {low: 0.05, high: 0.5, scale: log}
"""


def test_auto_gives_workers_first_and_a_gemm_bound_model_the_cores_rounds_leave():
    small = largest_product({"batch_size": 32, "hidden_units": 64, "layers": 2}, 64, 1437)
    mnist = largest_product({"batch_size": 256, "hidden_units": 256, "layers": 2}, 784, 60000)
    assert small < GEMM_BOUND <= mnist
    assert plan("auto", None, small, trials=2, n=8)[:2] == (8, 1)
    assert plan("auto", None, mnist, trials=30, n=8)[:2] == (8, 1)
    assert plan("auto", None, mnist, trials=2, n=8)[:2] == (2, 4)  # spare cores: threads
    assert plan("auto", None, None, trials=2, n=8)[:2] == (8, 1)  # a custom objective
    workers, threads, why = plan("auto", 2, mnist, trials=30, n=8)  # recorded threads stay
    assert (workers, threads) == (4, 2) and why.startswith("jobs auto: 4 workers x 2 BLAS")
    assert plan(3, None, mnist, n=8) == (3, 1, "")  # a number of jobs: one thread each
    assert plan(2, 3, mnist, n=8) == (2, 3, "")


@pytest.mark.parametrize("bad", ["many", 0, 1.5, True])
def test_threads_must_be_a_whole_number(write, bad):
    path = write("wide.yaml", WIDE)
    with pytest.raises(UserError) as e:
        load_config(path, [f"search.threads={bad}"])
    assert "search.threads" in str(e.value)


def test_jobs_auto_says_what_it_chose_and_records_the_threads(write, tmp_path, cli):
    path = write("wide.yaml", WIDE.replace("trials: 3, rounds: 2", "trials: 2, rounds: 1"))
    result = cli("run", path, "--runs-dir", tmp_path / "runs", "--jobs", "auto")
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "jobs auto: " in line]
    assert said and said[0].endswith(")")  # off a terminal, on one line however long
    recorded = yaml.safe_load((tmp_path / "runs" / "wide" / "config.yaml").read_text())
    assert recorded["search"]["jobs"] == "auto" and recorded["search"]["threads"] >= 1


def test_with_the_recorded_threads_1_and_2_workers_give_the_same_table(write, tmp_path):
    """A search on 2 workers, and the same search on 1, stopped after round 1 and resumed with
    a number of jobs given (which must keep the run's threads): the same table."""
    path = write("wide.yaml", WIDE)
    config = load_config(path, ["name=j2", "search.jobs=2", "search.threads=2"])
    run_search(config, runs_dir=tmp_path)
    part = ["name=part", "search.jobs=1", "search.threads=2", "search.rounds=1"]
    run_search(load_config(path, part), runs_dir=tmp_path)
    resume_search(tmp_path / "part", jobs=1, rounds=2)
    assert rows(tmp_path / "part" / "trials.csv") == rows(tmp_path / "j2" / "trials.csv")
    assert rows(tmp_path / "part" / "curves.csv") == rows(tmp_path / "j2" / "curves.csv")
