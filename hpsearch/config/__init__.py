"""A search's configuration: the schema of the YAML file (`schema`), the `Config` it resolves to
(`core`), and reading the file with --set overrides (`file`)."""

from .core import Config
from .file import apply_overrides, load_config, parse_override, read_yaml
from .schema import BUILTIN_METRICS, EPOCH_METRICS, TOP_KEYS

__all__ = [
    "BUILTIN_METRICS",
    "EPOCH_METRICS",
    "TOP_KEYS",
    "Config",
    "apply_overrides",
    "load_config",
    "parse_override",
    "read_yaml",
]
