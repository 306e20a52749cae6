import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hpsearch.cli import main


@pytest.fixture
def cli():
    """invoke('validate', path, ...) -> click Result, through CliRunner."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def write(tmp_path):
    """write('name.yaml', text) -> the path of a dedented file in tmp_path."""

    def _write(name, text):
        path = Path(tmp_path) / name
        path.write_text(textwrap.dedent(text))
        return path

    return _write
