"""YAML as hpsearch reads and writes it: PyYAML's safe loader and dumper with the numbers and
booleans of YAML 1.2, and duplicate keys refused.

PyYAML follows YAML 1.1, where `1e-4` (no dot) is a string, `010` is octal 8, `1:30` is 90 and
`no`, `on`, `y` are booleans. A config means what YAML 1.2 (and every other YAML library) reads
there, and a quoted value (`"2024"`, `"1e-3"`) stays a string, always: the resolvers below
decide it when the file is read, so nothing rewrites values afterwards. The dumper uses the
same resolvers, so the string "1e-3" is written quoted and reads back as a string.
"""

from __future__ import annotations

import re

import yaml

YAMLError = yaml.YAMLError
INT_TAG, FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# The YAML 1.2 core schema's integers and floats.
INT_RE = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _core_resolvers(cls, keep_yaml_1_1=False):
    """`cls`'s implicit resolvers with YAML 1.1's bool, int and float rules replaced by 1.2's
    (or, `keep_yaml_1_1`, joined by them: a dumper then quotes a string that either version
    would read as something else, so that any YAML library reads the file alike)."""
    replaced = () if keep_yaml_1_1 else (BOOL_TAG, INT_TAG, FLOAT_TAG)
    table = {
        first: [(tag, regexp) for tag, regexp in rules if tag not in replaced]
        for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    cls.yaml_implicit_resolvers = table
    cls.add_implicit_resolver(BOOL_TAG, BOOL_RE, list("tTfF"))
    cls.add_implicit_resolver(INT_TAG, INT_RE, list("-+0123456789"))
    cls.add_implicit_resolver(FLOAT_TAG, FLOAT_RE, list("-+.0123456789"))


def _int(loader, node) -> int:
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 16) if text.startswith("0x") else int(text, 10)  # 010 is ten


def _float(loader, node) -> float:
    text = loader.construct_scalar(node).lower()
    return float(text.replace(".inf", "inf").replace(".nan", "nan"))


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


class Loader(yaml.SafeLoader):
    """The safe loader with YAML 1.2's numbers; refuses duplicate keys instead of keeping the
    last one silently."""


class Dumper(yaml.SafeDumper):
    """The safe dumper that quotes every string `Loader` (or YAML 1.1) would read as something
    else."""


_core_resolvers(Loader)
_core_resolvers(Dumper, keep_yaml_1_1=True)
Loader.add_constructor(INT_TAG, _int)
Loader.add_constructor(FLOAT_TAG, _float)
Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str):
    """The value a YAML text holds; raises yaml.YAMLError."""
    return yaml.load(text, Loader=Loader)


def dump(value) -> str:
    """YAML text that `load` reads back as `value`, keys in their order."""
    return yaml.dump(value, Dumper=Dumper, sort_keys=False)
