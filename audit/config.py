"""One run's configuration: typed sections, each the one source of its defaults.

`RunConfig` and its sections are dataclasses. Their defaults are the defaults of the TOML keys
(``[train] epochs`` is `TrainConfig.epochs`), of the CLI flags and of `nnaudit.train.train_model`.
A TOML file then command-line overrides (``--set train.lr=0.01`` and the flags) are applied in
that order by `load_config`; every key is checked (an unknown one is an error that lists the keys
that exist) and every value is validated once, when its section is built, with a message that
names the key. The resolved config is saved as ``config.toml`` in the run directory, so
``nnaudit run --config runs/X/config.toml`` repeats a run.

This module imports only the standard library: the CLI reads its defaults without torch.
"""

from __future__ import annotations

import importlib.util
import math
import tomllib
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nnaudit.audits import DEFAULT_AUDITS, expand_audit_names
from nnaudit.nesting import MAX_DEPTH, nesting_depth
from nnaudit.errors import UserInputError

DEVICES = ("auto", "cpu", "cuda")
LANGUAGES = ("en", "fr")
PROTOCOLS = ("default", "full")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "cosine", "step")
BACKENDS = ("local", "ray")
# fairness.criterion: a criterion (nnaudit.fairness._verdicts.CRITERIA) or one rate by its name
FAIRNESS_CRITERIA = ("equalized_odds", "equal_opportunity", "predictive_parity",
                     "demographic_parity", "accuracy_parity", "tpr", "fpr", "fnr", "tnr", "ppv",
                     "npv", "selection_rate", "error_rate", "accuracy")
MAX_SEED = 2**32 - 1  # NumPy's legacy seeding takes 32 bits
MIN_BOOT, MAX_BOOT = 100, 100_000


def _check(condition: bool, key: str, requirement: str, value: Any) -> None:
    if not condition:
        raise UserInputError(f"{key} must be {requirement}, not {value!r}.")


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _one_of(value: Any, choices: tuple[str, ...], key: str) -> None:
    _check(value in choices, key, "one of " + ", ".join(choices), value)


@dataclass
class DataConfig:
    """``[data]``: which dataset, where its files are, and the loader's own options."""

    name: str = "shades-mnist"
    data_dir: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # checked by the dataset's loader


@dataclass
class ModelConfig:
    """``[model]``: a registered architecture and its builder's options."""

    name: str = "lenet5"
    options: dict[str, Any] = field(default_factory=dict)  # checked by the model's builder


@dataclass
class TrainConfig:
    """``[train]``: how `nnaudit.train.train_model` trains.

    ``schedule``: "cosine" anneals the learning rate to zero step by step over all epochs;
    "step" divides it by 10 at 50 % and again at 75 % of the epochs. ``patience``: stop when
    the validation loss has not improved for that many epochs and restore the best weights
    (0: never stop early). ``amp``, ``channels_last``, ``compile`` and ``cuda_graphs`` only
    change speed; all but ``channels_last`` act on CUDA only. ``seed`` is the run's seed, not a
    key of ``[train]``.
    """

    epochs: int = 15
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    patience: int = 0
    augment: bool = False
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    cuda_graphs: bool = True
    seed: int = field(default=0, metadata={"derived": True})

    def __post_init__(self) -> None:
        _one_of(self.optimizer, OPTIMIZERS, "train.optimizer")
        _one_of(self.schedule, SCHEDULES, "train.schedule")
        _check(self.epochs >= 1, "train.epochs", "at least 1", self.epochs)
        _check(self.batch_size >= 1, "train.batch_size", "at least 1", self.batch_size)
        _check(_finite(self.lr) and self.lr > 0, "train.lr", "a positive finite number", self.lr)
        _check(_finite(self.momentum) and self.momentum >= 0, "train.momentum",
               "a finite number at least 0", self.momentum)
        _check(_finite(self.weight_decay) and self.weight_decay >= 0, "train.weight_decay",
               "a finite number at least 0", self.weight_decay)
        _check(self.patience >= 0, "train.patience", "at least 0 (0: no early stopping)",
               self.patience)
        _check(0 <= self.seed <= MAX_SEED, "seed", f"between 0 and {MAX_SEED}", self.seed)


@dataclass
class AuditsConfig:
    """``[audits]``: which audits run, and the size of the generalization protocol.

    ``run`` takes audit names and the group name ``generalization`` (memorization, membership,
    seeds and gradients); `nnaudit.audits` lists them and what each needs.
    """

    run: list[str] = field(default_factory=lambda: list(DEFAULT_AUDITS))
    protocol: str = "default"

    def __post_init__(self) -> None:
        expand_audit_names(self.run)  # refuses unknown names
        _one_of(self.protocol, PROTOCOLS, "audits.protocol")


@dataclass
class FairnessConfig:
    """``[fairness]``: the subgroup table (see `nnaudit.fairness.fairness_audit`)."""

    positive: str = ""  # the positive class; "" takes the dataset's, if it has one
    threshold: float = 0.5
    min_group_size: int = 30
    n_boot: int = 1000
    # the verdict (docs/fairness.md, "Choosing the criterion"): which rates must be equal, how
    # far apart they may be (a proportion: 0.05 = 5 points; a ratio, 0 for none) and against
    # which group ("": the largest of each grouping)
    criterion: str = "accuracy_parity"
    tolerance: float = 0.05
    tolerance_ratio: float = 0.0
    reference: str = ""

    def __post_init__(self) -> None:
        _one_of(self.criterion, FAIRNESS_CRITERIA, "fairness.criterion")
        _check(_finite(self.tolerance) and 0 < self.tolerance < 1, "fairness.tolerance",
               "a difference in (0, 1) (0.05 = 5 percentage points)", self.tolerance)
        _check(_finite(self.tolerance_ratio) and 0 <= self.tolerance_ratio < 1,
               "fairness.tolerance_ratio", "a ratio in [0, 1) (0.8: the four-fifths rule; 0: none)",
               self.tolerance_ratio)
        _check(_finite(self.threshold) and 0 <= self.threshold <= 1, "fairness.threshold",
               "a number in [0, 1]", self.threshold)
        _check(self.min_group_size >= 1, "fairness.min_group_size", "at least 1",
               self.min_group_size)
        _check(MIN_BOOT <= self.n_boot <= MAX_BOOT, "fairness.n_boot",
               f"between {MIN_BOOT} (fewer resamples give no usable 95 % interval) and "
               f"{MAX_BOOT} (more change no interval and outgrow memory)", self.n_boot)


@dataclass
class SaliencyConfig:
    """``[saliency]``: examples attributed and methods (empty: every default method)."""

    n_examples: int = 32
    methods: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check(self.n_examples >= 1, "saliency.n_examples", "at least 1", self.n_examples)
        # the method names are checked by the pipeline before any data (nnaudit.saliency)


@dataclass
class RobustnessConfig:
    """``[robustness]``: what the robustness audit varies (empty: the protocol's choice).

    ``corruptions`` and ``attacks`` take names from `nnaudit.robustness.CORRUPTIONS` and
    `ATTACKS` (``attacks = ["none"]`` runs no attack); ``severities`` whole numbers 0-5;
    ``radii`` the attack radii; ``n_examples`` the test images audited (0: the protocol's).
    """

    corruptions: list[str] = field(default_factory=list)
    severities: list[int] = field(default_factory=list)
    attacks: list[str] = field(default_factory=list)
    radii: list[float] = field(default_factory=list)
    n_examples: int = 0

    def __post_init__(self) -> None:
        _check(self.n_examples >= 0, "robustness.n_examples", "at least 0 (0: the protocol's)",
               self.n_examples)
        _check(all(_finite(r) and r >= 0 for r in self.radii), "robustness.radii",
               "finite radii at least 0", self.radii)
        # names and severities are checked by the pipeline before any data (nnaudit.robustness)


@dataclass
class EnergyConfig:
    """``[energy]``: CodeCarbon's offline tracker and the inference projection."""

    enabled: bool = True
    country: str = "FRA"
    region: str = ""
    interval_s: float = 1.0
    predictions_per_day: int = 10000

    def __post_init__(self) -> None:
        _check(_finite(self.interval_s) and self.interval_s > 0, "energy.interval_s",
               "a positive number of seconds", self.interval_s)
        _check(self.predictions_per_day >= 1, "energy.predictions_per_day", "at least 1",
               self.predictions_per_day)


@dataclass
class ComputeConfig:
    """``[compute]``: where the audits' independent trainings run, and on how many CPU threads.

    ``backend``: "local" trains them one after another in this process; "ray" runs each as a
    Ray task (``pip install 'nnaudit[ray]'``, docs/scale.md), on a Ray started for the run or
    on the cluster at ``address`` ("auto", "ray://head:10001"). ``gpus_per_task``: the GPUs
    a task asks Ray for when the run's device is CUDA (0.25 packs four on a GPU).
    ``cpu_threads``: torch's intra-op threads for the run's work on a CPU (0: torch's default,
    every core); one by default, because the course networks' small steps lose more to
    synchronizing threads than they gain as soon as another process holds a core
    (docs/BENCHMARKS.md).
    """

    backend: str = "local"
    address: str = ""
    gpus_per_task: float = 1.0
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        _one_of(self.backend, BACKENDS, "compute.backend")
        _check(not self.address or self.backend == "ray", "compute.address",
               "empty unless compute.backend is 'ray'", self.address)
        if self.address not in ("", "auto"):
            ray_host_port(self.address)  # the shape only; check_reachable tries it
        _check(_finite(self.gpus_per_task) and self.gpus_per_task > 0, "compute.gpus_per_task",
               "a positive number of GPUs", self.gpus_per_task)
        _check(self.cpu_threads >= 0, "compute.cpu_threads", "at least 0 (0: every core)",
               self.cpu_threads)
        if self.backend == "ray" and importlib.util.find_spec("ray") is None:  # before any run
            raise UserInputError("compute.backend = 'ray' needs Ray: pip install 'nnaudit[ray]'.")


def ray_host_port(address: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``ray://HOST:PORT`` (a Ray head, or its client server) as (host,
    port); anything else is refused naming ``compute.address``."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or "/" in host:
        raise UserInputError(f"compute.address must be 'auto', 'HOST:PORT' or "
                             f"'ray://HOST:PORT', not {address!r}.")
    return host.strip("[]"), int(port)


@dataclass
class ReportConfig:
    """``[report]``: which report files a run writes, and their language."""

    html: bool = True
    pdf: bool = False
    lang: str = "en"

    def __post_init__(self) -> None:
        _one_of(self.lang, LANGUAGES, "report.lang")


@dataclass
class ModelCardConfig:
    """``[model_card]``: what only a person can say; empty fields read "to be completed"."""

    intended_use: str = ""
    out_of_scope: str = ""
    owners: str = ""
    license: str = ""
    contact: str = ""


@dataclass
class RunConfig:
    """Everything a run needs; ``to_dict()`` is what config.toml and the manifest record."""

    name: str = ""  # slug of the run directory; derived from dataset and model when empty
    seed: int = 0
    device: str = "auto"
    out: str = "runs"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    audits: AuditsConfig = field(default_factory=AuditsConfig)
    fairness: FairnessConfig = field(default_factory=FairnessConfig)
    saliency: SaliencyConfig = field(default_factory=SaliencyConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    model_card: ModelCardConfig = field(default_factory=ModelCardConfig)

    def __post_init__(self) -> None:
        _check(isinstance(self.seed, int) and 0 <= self.seed <= MAX_SEED, "seed",
               f"an integer between 0 and {MAX_SEED}", self.seed)
        _check(self.device in DEVICES or self.device.startswith("cuda:"), "device",
               "auto, cpu, cuda or cuda:N", self.device)
        self.train.seed = self.seed  # one seed drives the run, its training included
        # data.options and model.options are checked by the pipeline before any data
        # (`nnaudit.pipeline.check_settings`): the registries import torch, and `nnaudit audit`
        # hands model.options to the user's own factory instead of a registered model.

    def to_dict(self) -> dict[str, Any]:
        """Plain data, without the derived keys (``train.seed`` is the top-level ``seed``)."""
        return _without_derived(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "the config") -> "RunConfig":
        """Build from plain data, checking every key and coercing strings from the CLI."""
        return _build(cls, data, source, ())


# Options whose values have a range beyond their type, whichever model or dataset takes them.
OPTION_RANGES = {"dropout": (0.0, 1.0, "a probability from 0 to 1"),
                 "skew": (0.0, 1.0, "a share from 0 to 1")}


FREE_FORM = {("data", "options"), ("model", "options")}
DEFAULTS = RunConfig()


def load_config(path: Path | None = None,
                overrides: dict[str, Any] | None = None) -> RunConfig:
    """Defaults, then the TOML file at ``path``, then ``overrides`` (dotted keys allowed)."""
    merged: dict[str, Any] = {}
    if path is not None:
        _merge(merged, read_toml(Path(path)), str(path))
    for dotted, value in (overrides or {}).items():
        _merge(merged, _nest(dotted, value), "the command line")
    return _build(RunConfig, merged, "the config", ())




def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserInputError(f"config file {path} does not exist.")
    too_deep = UserInputError(f"config file {path} is nested more than {MAX_DEPTH} levels deep "
                              "(arrays, tables or dotted keys); no setting is that deep.")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except RecursionError:
        raise too_deep from None
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"config file {path} is not valid TOML: {exc}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"config file {path} cannot be read: {exc}.") from None
    if nesting_depth(data) > MAX_DEPTH:
        raise too_deep
    return data


def parse_assignment(text: str) -> tuple[str, Any]:
    """``train.epochs=3`` -> ("train.epochs", 3); the value is read as TOML when it parses."""
    if "=" not in text:
        raise UserInputError(f"--set expects KEY=VALUE (e.g. train.epochs=3), not {text!r}.")
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        value = raw
    if key.count(".") >= MAX_DEPTH or nesting_depth(value) > MAX_DEPTH:
        raise UserInputError(f"--set {_short(key)}=...: no setting is nested more than "
                             f"{MAX_DEPTH} levels deep.")
    return key, value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- building sections from plain data -----------------------------------------------------

def _merge(base: dict[str, Any], new: dict[str, Any], source: str) -> None:
    """Deep-merge ``new`` into ``base``; each leaf keeps the source it came from."""
    for key, value in new.items():
        if isinstance(value, dict):
            if not isinstance(base.get(key), dict):
                base[key] = {}
            _merge(base[key], value, source)
        else:
            base[key] = _Sourced(value, source)


@dataclass(frozen=True)
class _Sourced:
    """A value and where it was set (a file or the command line), for error messages."""

    value: Any
    source: str


def _plain(value: Any) -> Any:
    if isinstance(value, _Sourced):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _build(cls: type, data: dict[str, Any], source: str, prefix: tuple[str, ...]):
    """An instance of dataclass ``cls`` from ``data``; unknown keys are refused."""
    hints = typing.get_type_hints(cls)
    known = [f.name for f in fields(cls) if not f.metadata.get("derived")]
    kwargs: dict[str, Any] = {}
    for key, raw in data.items():
        where = ".".join(prefix + (key,))
        origin = raw.source if isinstance(raw, _Sourced) else source
        if key not in known:
            scope = f" in [{'.'.join(prefix)}]" if prefix else ""
            raise UserInputError(f"config key '{where}' (from {origin}) does not exist; known "
                                 f"keys{scope}: {', '.join(sorted(known))}.")
        target = hints[key]
        if prefix + (key,) in FREE_FORM:
            value = _plain(raw)
            if not isinstance(value, dict):
                raise UserInputError(f"config key '{where}' (from {origin}) must be a table.")
            kwargs[key] = value
        elif isinstance(target, type) and hasattr(target, "__dataclass_fields__"):
            if not isinstance(raw, dict):
                raise UserInputError(f"config key '{where}' (from {origin}) must be a table.")
            kwargs[key] = _build(target, raw, source, prefix + (key,))
        else:
            kwargs[key] = _coerce(target, _plain(raw), where, origin)
    return cls(**kwargs)


def _coerce(target: Any, value: Any, key: str, source: str) -> Any:
    """Give ``value`` the declared type; strings from the command line are parsed."""
    kind = typing.get_origin(target) or target
    if kind is list:
        item = typing.get_args(target)[0]
        items = ([v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str)
                 else list(value) if isinstance(value, (list, tuple)) else None)
        if items is not None:
            return [_coerce(item, v, f"{key}[{i}]", source) for i, v in enumerate(items)]
    elif isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool)):
        return value
    else:
        try:
            if kind is bool and isinstance(value, str):
                if value.lower() in ("true", "1", "yes", "on"):
                    return True
                if value.lower() in ("false", "0", "no", "off"):
                    return False
            elif kind is float and isinstance(value, (int, str)) and not isinstance(value, bool):
                return float(value)
            elif kind is int and isinstance(value, str):
                return int(value)
            elif kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
        except ValueError:
            pass
    raise UserInputError(f"config key '{key}' (from {source}) must be {kind.__name__}, "
                         f"not {value!r}.")


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _without_derived(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _without_derived(getattr(obj, f.name)) for f in fields(obj)
                if not f.metadata.get("derived")}
    if isinstance(obj, dict):
        return {k: _without_derived(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_without_derived(v) for v in obj]
    return obj


__all__ = ["RunConfig", "DataConfig", "ModelConfig", "TrainConfig", "AuditsConfig",
           "FairnessConfig", "SaliencyConfig", "RobustnessConfig", "EnergyConfig",
           "ComputeConfig", "ReportConfig", "ModelCardConfig", "DEFAULTS", "load_config",
           "read_toml", "parse_assignment"]
