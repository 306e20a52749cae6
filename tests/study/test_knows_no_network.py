"""`study/` is the generic search: it must not know the network it may be searching for.
Read over the AST, so that a new import or a hard-coded metric name fails here at once."""

import ast
from pathlib import Path

import hpsearch.study
from hpsearch.config.schema import BUILTIN_METRICS
from hpsearch.nn.hyper import PARAMS
from hpsearch.nn.model import HISTORY
from hpsearch.study.record import TAIL_COLUMNS

STUDY = Path(hpsearch.study.__file__).parent
ALLOWED = {"space", "errors", "study"}  # below it in the layers, or itself
# names of the network's hyperparameters and metrics (the record's module names trials.csv's
# own columns, `epochs` among them)
NETWORK = (set(PARAMS) | set(BUILTIN_METRICS) | set(HISTORY)) - {"epoch"}  # a curve's step
TABLE = {"record.py": set(TAIL_COLUMNS)}


def _modules():
    for path in sorted(STUDY.glob("*.py")):
        yield path, ast.parse(path.read_text())


def test_study_imports_nothing_above_it_and_no_network_library():
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                top = (node.module or "study").split(".")[0] if node.level > 1 else "study"
                assert top in ALLOWED, f"{path.name} imports ..{node.module}"
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            for name in names:
                assert not name.startswith("hpsearch"), f"{path.name} imports {name}"
                assert name.split(".")[0] not in {"torch", "sklearn"}, f"{path.name}: {name}"


def test_study_names_no_hyperparameter_or_metric_of_the_network():
    for path, tree in _modules():
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docstrings:
                named = NETWORK - TABLE.get(path.name, set())
                if isinstance(node.value, str):
                    assert node.value not in named, f"{path.name}:{node.lineno} {node.value!r}"
