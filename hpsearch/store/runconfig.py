"""A run's own config.yaml: the resolved config written with the hpsearch version and the
folder of the file it came from (so a data path resolves from anywhere), read back (configs
of older versions upgraded), and compared key by key; and the error for a config file given
where a run is wanted."""

from __future__ import annotations

from pathlib import Path

from ..config import Config, yamlio
from ..data import KEYS as DATA_KEYS
from ..errors import UserError
from ..version import __version__

META_KEYS = ("hpsearch_version", "config_dir")


def resolved(config: Config) -> dict:
    """What config.yaml holds: the resolved config, its data path absolute, and the meta keys."""
    base = str(config.file.parent.resolve()) if config.file else None
    out = config.to_dict()
    data = dict(out["data"])
    if data.get("path") and base and not Path(data["path"]).is_absolute():
        data["path"] = str(Path(base, data["path"]))  # so a resume works from any folder
    return {**out, "data": data, "hpsearch_version": __version__, "config_dir": base}


def plain(raw: dict) -> dict:
    """The resolved config of config.yaml's mapping, without the meta keys."""
    return Config.from_dict(_without_meta(raw)).to_dict()


def read(path: Path) -> Config:
    """The Config of a run's config.yaml; UserError when it cannot be read."""
    try:
        raw = yamlio.load(path.read_text()) or {}
    except (yamlio.YAMLError, OSError, UnicodeDecodeError) as e:
        raise UserError(
            f"cannot read: {type(e).__name__}",
            file=path,
            fix="restore the config.yaml the run wrote",
        ) from None
    if not isinstance(raw, dict):
        raise UserError("is not a mapping", file=path, fix="restore the config.yaml the run wrote")
    base = raw.get("config_dir")
    config = Config.from_dict(
        _upgraded(_without_meta(raw), raw.get("hpsearch_version")), file=path
    )
    config.file = Path(base, "config.yaml") if base else None
    return config


def not_a_run(path: Path, problem: str, fix: str) -> UserError:
    """The error for `path` given where a run is wanted; a config file gets the run it makes
    named (runs/NAME, its `name:` or its file's stem)."""
    path = Path(path)
    if not (path.is_file() and path.suffix in (".yaml", ".yml")):
        return UserError(problem, fix=fix)
    try:
        raw = yamlio.load(path.read_text())
        name = raw.get("name") if isinstance(raw, dict) else None
    except (yamlio.YAMLError, OSError, UnicodeDecodeError):
        name = None
    run = Path("runs") / str(name or path.stem)
    if (run / "config.yaml").is_file():
        return UserError(
            f"'{path}' is a config, not a run; its run is {run}",
            fix=f"give the run directory, {run}",
        )
    return UserError(
        f"'{path}' is a config, not a run; its run would be {run}, which does not exist",
        fix=f"start it with `hpsearch run {path}`",
    )


def _upgraded(raw: dict, version) -> dict:
    """A config.yaml written by hpsearch 0.1, which listed every data key whatever the data:
    the keys that do not apply to its kind of data are dropped."""
    if not str(version or "").startswith("0.1.") or not isinstance(raw.get("data"), dict):
        return raw
    data = raw["data"]
    kind = "file" if data.get("path") else data.get("dataset", "digits")
    data = {k: v for k, v in data.items() if k in DATA_KEYS.get(kind, data)}
    return {**raw, "data": data}


def _without_meta(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k not in META_KEYS}


def differences(a, b, prefix="") -> list[str]:
    """The dotted keys whose values differ between mappings `a` and `b`."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        return [d for k in keys for d in differences(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if a == b else [prefix.rstrip(".")]
