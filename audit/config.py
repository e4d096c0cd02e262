"""One run's configuration: defaults, a TOML file, then command-line overrides, in that order.

The resolved config is saved as ``config.toml`` in the run directory, so
``nnaudit run --config runs/X/config.toml`` repeats a run. Every key is checked: a key that does
not exist is an error naming it and listing the keys that do, never silently ignored.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from nnaudit.errors import UserInputError

AUDITS = ("fairness", "generalization", "saliency")

# Sections whose keys are fixed here. [data.options] and [model.options] are free-form: the
# dataset loader and the model builder validate their own options.
DEFAULTS: dict[str, Any] = {
    "name": "",  # slug of the run directory; derived from dataset and model when empty
    "seed": 0,
    "device": "auto",
    "out": "runs",
    "data": {"name": "shades-mnist", "data_dir": "", "options": {}},
    "model": {"name": "lenet5", "options": {}},
    "train": {"epochs": 15, "batch_size": 32, "optimizer": "adam", "lr": 1e-3,
              "momentum": 0.9, "weight_decay": 0.0, "schedule": "cosine", "patience": 0,
              "augment": False, "amp": True, "channels_last": True, "compile": False,
              "cuda_graphs": True},
    "audits": {"run": list(AUDITS), "protocol": "default"},
    "fairness": {"positive": "", "threshold": 0.5, "min_group_size": 30, "n_boot": 1000},
    "saliency": {"n_examples": 32, "methods": []},
    "energy": {"enabled": True, "country": "FRA", "region": "", "interval_s": 1.0,
               "predictions_per_day": 10000},
    "report": {"html": True, "pdf": False, "lang": "en"},
    "model_card": {"intended_use": "", "out_of_scope": "", "owners": "", "license": "",
                   "contact": ""},
}

FREE_FORM = {("data", "options"), ("model", "options")}


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the TOML file at ``path``, then ``overrides`` (dotted keys allowed)."""
    config = copy.deepcopy(DEFAULTS)
    if path is not None:
        merge(config, read_toml(Path(path)), source=str(path))
    for dotted, value in (overrides or {}).items():
        merge(config, _nest(dotted, value), source="the command line")
    _validate_values(config)
    return config


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserInputError(f"config file {path} does not exist.")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"config file {path} is not valid TOML: {exc}.") from None


def merge(base: dict[str, Any], new: dict[str, Any], *, source: str, prefix: tuple = ()) -> None:
    """Merge ``new`` into ``base`` in place, refusing keys ``base`` does not have."""
    for key, value in new.items():
        where = prefix + (key,)
        if prefix in FREE_FORM:
            base[key] = value
            continue
        if key not in base:
            known = ", ".join(sorted(base))
            raise UserInputError(
                f"config key '{'.'.join(where)}' (from {source}) does not exist; "
                f"known keys{' in [' + '.'.join(prefix) + ']' if prefix else ''}: {known}.")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise UserInputError(
                    f"config key '{'.'.join(where)}' (from {source}) must be a table.")
            merge(base[key], value, source=source, prefix=where)
        else:
            base[key] = _coerce(base[key], value, ".".join(where), source)


def _coerce(default: Any, value: Any, key: str, source: str) -> Any:
    """Give ``value`` the type of the default; strings from the command line are parsed."""
    target = type(default)
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    try:
        if target is bool and isinstance(value, str):
            if value.lower() in ("true", "1", "yes", "on"):
                return True
            if value.lower() in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if target is list and isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if target is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)
        if target is int and isinstance(value, str):
            return int(value)
        if target is str:
            return str(value)
    except ValueError:
        pass
    raise UserInputError(
        f"config key '{key}' (from {source}) must be {target.__name__}, not {value!r}.")


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def parse_assignment(text: str) -> tuple[str, Any]:
    """``train.epochs=3`` -> ("train.epochs", 3); the value is read as TOML when it parses."""
    if "=" not in text:
        raise UserInputError(f"--set expects KEY=VALUE (e.g. train.epochs=3), not {text!r}.")
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _validate_values(config: dict[str, Any]) -> None:
    unknown = [a for a in config["audits"]["run"] if a not in AUDITS]
    if unknown:
        raise UserInputError(
            f"unknown audit {unknown[0]!r} in audits.run; choose from: {', '.join(AUDITS)}.")
    if config["audits"]["protocol"] not in ("default", "full"):
        raise UserInputError(
            f"audits.protocol must be 'default' or 'full', not {config['audits']['protocol']!r}.")
    if config["device"] not in ("auto", "cpu", "cuda") and not config["device"].startswith("cuda:"):
        raise UserInputError(f"device must be auto, cpu or cuda, not {config['device']!r}.")
    if config["report"]["lang"] not in ("en", "fr"):
        raise UserInputError(f"report.lang must be 'en' or 'fr', not {config['report']['lang']!r}.")
    if config["train"]["epochs"] < 1:
        raise UserInputError("train.epochs must be at least 1.")
    threshold = config["fairness"]["threshold"]
    if not 0.0 <= threshold <= 1.0:
        raise UserInputError(f"fairness.threshold must lie in [0, 1], not {threshold}.")
