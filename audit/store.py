"""The run directory: the one contract between the engine and its renderers.

Layout::

    runs/<UTC timestamp>-<slug>/
      config.toml          the resolved config, written first (`nnaudit run --config` repeats it)
      checkpoint.pt        training state while a run is in progress (for --resume)
      model.pt             state_dict only (load with weights_only=True)
      history.parquet      per-epoch train/val loss and accuracy
      predictions.parquet  test-split labels, predictions, class scores and sensitive attributes
                           (trained runs only: a black-box run never copies the user's rows)
      cell_counts.parquet, score_histograms.parquet
                           the fairness audit's input as counts per intersection cell (see
                           nnaudit.fairness.CellCounts); the dashboard's threshold moves on them
      <audit>/<table>.parquet, <audit>/findings.json
      figures/<audit>__<figure>.png
      report.html, report.pdf
      manifest.json        written last: a directory without it is an interrupted run

Every file is written atomically (temporary file in the same folder, then `os.replace`), so a
crash never leaves a half file under a real name, and the manifest is the commit record. Files are
created with the user's umask, as any file they make.

Reading is confined, by one rule (`is_inside`) that every reader goes through (`Run`,
`nnaudit query`, reports, the dashboard, mitigate): a run directory is read only when its real
path (symbolic links resolved) stays inside the folder that holds it, and a file of a run only
when its real path stays inside the run (`Run.file`). A run that leaves its folder is listed as
corrupt with the reason and nothing in it is read; a file that leaves its run is refused with a
`UserInputError`. A manifest is read only when it has the shape of `MANIFEST_SCHEMA`; any other
is listed as corrupt with the reason.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import re
import string
import tomllib
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

from nnaudit.atomic import atomic_torch_save, atomic_write, atomic_write_text
from nnaudit.nesting import MAX_DEPTH, nesting_depth
from nnaudit.errors import UserInputError, environment_error, one_line
from nnaudit.results import AuditResult, Finding
from nnaudit.schema import SchemaError, TableSchema

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "config.toml"
CHECKPOINT = "checkpoint.pt"


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy and torch scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=True)


def utc_stamp() -> str:
    """The timestamp that starts a run directory's name."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "run"


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("nnaudit", "torch", "torchvision", "fairlearn", "captum", "codecarbon",
                 "numpy", "pandas"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def check_writable_folder(folder: Path) -> None:
    """Make ``folder`` and write a file in it, before a command computes for minutes: a
    read-only or full place fails now with the OSError that `environment_error` words."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserInputError(f"the output folder {str(folder)!r} is a file, not a folder.")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / ".nnaudit-write-check", "")
    (folder / ".nnaudit-write-check").unlink()


class RunWriter:
    """Writes one run directory; `finish` writes the manifest last."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.audits: dict[str, dict[str, Any]] = {}

    @classmethod
    def create(cls, out_dir: Path, slug: str, config: dict[str, Any]) -> "RunWriter":
        """A new run directory ``<UTC timestamp>-<slug>`` under ``out_dir`` (``-2``, ``-3``, ...
        when the name is taken), with its config written."""
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise UserInputError(f"the output folder {str(out_dir)!r} is a file, not a folder.")
        out_dir.mkdir(parents=True, exist_ok=True)
        base = f"{utc_stamp()}-{slugify(slug)}"
        for n in itertools.count(1):
            path = out_dir / (base if n == 1 else f"{base}-{n}")
            try:  # mkdir is the check: of two processes that pick one name, exactly one gets it
                path.mkdir()
            except FileExistsError:
                continue
            writer = cls(path)
            writer.write_config(config)
            return writer

    def discard(self) -> None:
        """Remove the run directory this writer created (a run that can never be completed)."""
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)

    def write_config(self, config: dict[str, Any]) -> None:
        import tomli_w

        atomic_write(self.path / CONFIG,
                     lambda p: p.write_bytes(tomli_w.dumps(_drop_none(config)).encode()))

    def write_table(self, relpath: str, df: pd.DataFrame) -> Path:
        return atomic_write(self.path / relpath, lambda p: df.to_parquet(p, index=False))

    def write_json(self, relpath: str, obj: Any) -> Path:
        return atomic_write_text(self.path / relpath, to_json(obj))

    def write_figure(self, relpath: str, fig: Any) -> Path:
        import matplotlib.pyplot as plt

        def save(p: Path) -> None:
            with warnings.catch_warnings():
                # A glyph the font lacks (an emoji in a group name) is drawn as a box; the
                # warning would only reach the user's terminal, not the figure.
                warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
                fig.savefig(p, format="png", dpi=110, bbox_inches="tight")

        out = atomic_write(self.path / relpath, save)
        plt.close(fig)
        return out

    def write_model(self, model: Any, relpath: str = "model.pt") -> Path:
        """Save the state_dict only: loading it needs no pickle (torch.load(weights_only=True))."""
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        return atomic_torch_save(self.path / relpath, state)

    def write_audit(self, result: AuditResult, schemas: Mapping[str, TableSchema]) -> None:
        """Write an audit's tables, figures and findings, and remember them for the manifest.

        Every table is checked against the audit's declared schema first (``schemas``, table
        name -> `nnaudit.schema.TableSchema`: the caller has them from the registry,
        `nnaudit.audits.table_schemas`): a table that breaks it is a bug, reported before
        anything of the audit is written.
        """
        name = result.name
        for table_name, df in result.tables.items():
            if table_name not in schemas:
                raise SchemaError(f"{name}/{table_name}: the audit declares no such table")
            schemas[table_name].check(df, f"{name}/{table_name}")
        tables = {}
        for table_name, df in result.tables.items():
            rel = f"{name}/{table_name}.parquet"
            self.write_table(rel, df)
            tables[table_name] = rel
        figures = {}
        for fig_name, fig in result.figures.items():
            rel = f"figures/{name}__{fig_name}.png"
            self.write_figure(rel, fig)
            figures[fig_name] = rel
        models = {}
        for model_name, model in result.models.items():
            models[model_name] = rel = f"{name}/{model_name}.pt"
            self.write_model(model, rel)
        findings = [f.to_dict() for f in result.findings]
        self.write_json(f"{name}/findings.json", findings)
        self.audits[name] = {"status": "complete", "tables": tables, "figures": figures,
                             "findings": findings, "summary": result.summary,
                             "protocol": result.protocol, **({"models": models} if models else {})}

    def record_skipped(self, name: str, reason: str) -> None:
        self.audits[name] = {"status": "skipped", "reason": reason}

    def finish(self, manifest: dict[str, Any], status: str = "complete") -> Path:
        """Write manifest.json, the last file of a run: from here on it is a result."""
        full = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.path.name,
            "status": status,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": library_versions(),
            **manifest,
            "audits": self.audits,
        }
        return self.write_json(MANIFEST, full)


# What a reader accepts of a run's own files: a manifest or config beyond these is damaged or
# hostile (a real manifest is a few hundred kB, nested 8 levels), and is listed as corrupt.
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_CONFIG_BYTES = 2**20
TOO_DEEP = f"it is nested more than {MAX_DEPTH} levels deep"


def read_bounded(path: Path, limit: int) -> str:
    """The text of a regular file of at most ``limit`` bytes: a pipe or a device (which would
    block or never end) and an oversized file are refused with a ValueError saying which."""
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens, never blocks
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file (a pipe, a device or a socket)")
        if info.st_size > limit:
            raise ValueError(f"{path.name} is larger than {limit // 2**20} MiB")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name} is larger than {limit // 2**20} MiB")
    return data.decode("utf-8")


def _drop_none(obj: Any) -> Any:
    """TOML has no null: leave unset values out (the loader fills in defaults)."""
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_drop_none(v) for v in obj]
    return obj


# The shape of manifest.json that readers rely on (JSON Schema); unknown fields are allowed.
_TEXT = {"type": "string"}
_OBJECT = {"type": "object"}
_NAMES_TO_FILES = {"type": "object", "additionalProperties": _TEXT}
FINDING_SCHEMA = {
    "type": "object", "required": ["template"],
    "properties": {"template": _TEXT, "params": _OBJECT, "text": _TEXT,
                   "severity": {"enum": ["info", "warning", "alert"]}},
}
AUDIT_SCHEMA = {
    "type": "object", "required": ["status"],
    "properties": {"status": _TEXT, "reason": _TEXT, "error": _TEXT, "traceback": _TEXT,
                   "tables": _NAMES_TO_FILES, "figures": _NAMES_TO_FILES, "models": _NAMES_TO_FILES,
                   "findings": {"type": "array", "items": FINDING_SCHEMA},
                   "summary": _OBJECT, "protocol": _OBJECT},
}
MANIFEST_SCHEMA = {
    "type": "object", "required": ["status"],
    "properties": {
        "schema_version": {"type": "integer", "minimum": 1},
        "status": {"enum": ["complete", "failed"]},
        "run_id": _TEXT, "kind": _TEXT, "created_at": _TEXT, "finished_at": _TEXT,
        "device": _TEXT, "error": _TEXT, "seed": {"type": ["integer", "null"]},
        "config": _OBJECT, "versions": _OBJECT, "timings": _OBJECT, "model_card": _OBJECT,
        "dataset": {"type": "object", "properties": {"name": _TEXT, "card": _OBJECT}},
        "model": {"type": "object", "properties": {"name": _TEXT, "options": _OBJECT}},
        "metrics": {"type": "object",
                    "additionalProperties": {"type": ["number", "boolean", "null"]}},
        "audits": {"type": "object", "additionalProperties": AUDIT_SCHEMA},
    },
}


def manifest_problem(data: Any) -> str | None:
    """Why a parsed manifest cannot be read as one, as a phrase; None when it has the shape of
    `MANIFEST_SCHEMA`, a schema this nnaudit reads and finding templates that fit their params."""
    from jsonschema.exceptions import best_match

    if isinstance(data, dict) and type(data.get("schema_version")) is int \
            and data["schema_version"] > SCHEMA_VERSION:
        return f"manifest schema {data['schema_version']} is newer than this nnaudit"
    error = best_match(_manifest_validator().iter_errors(data))
    if error is not None:
        return (f"manifest.json has the wrong shape at {error.json_path}: "
                f"{_shorten(error.message)}")
    for audit, entry in data.get("audits", {}).items():
        for i, finding in enumerate(entry.get("findings", [])):
            problem = _template_problem(finding["template"], finding.get("params", {}))
            if problem:
                return f"manifest.json finding {i} of audit {audit!r} {problem}"
    return None


@cache
def _manifest_validator():
    from jsonschema import Draft202012Validator  # imported on the first manifest read only

    return Draft202012Validator(MANIFEST_SCHEMA)


def _template_problem(template: str, params: dict[str, Any]) -> str | None:
    """A finding template names only its params, without format specs (`Finding`)."""
    try:
        fields = [(name, spec, conversion)
                  for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as exc:
        return f"has a malformed template ({exc})"
    for name, spec, conversion in fields:
        if name not in params or spec or conversion:
            return (f"has a template field {{{_shorten(name)}}} that is not one of its params "
                    "or has a format spec")
    return None


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def lookup(data: Any, *keys: str) -> Any:
    """``data[k1][k2]...``, or None as soon as a level is missing or not a dict."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def is_inside(path: Path | str, root: Path | str) -> bool:
    """Whether the real path of ``path`` (symbolic links and '..' resolved) lies strictly under
    the real path of ``root``: the confinement rule of every reader of run directories."""
    return Path(root).resolve() in Path(path).resolve().parents


@dataclass
class Run:
    """A run directory opened for reading. Never raises for a corrupt manifest: `status` says.

    The folder that holds ``path`` (as given, before resolving links) is its runs folder.
    """

    path: Path

    @classmethod
    def open(cls, path: Path | str) -> "Run":
        path = Path(path)
        if not path.is_dir():
            raise UserInputError(f"{path} is not a directory, so it is not a run directory.")
        if not (path / MANIFEST).exists() and not (path / CONFIG).exists():
            raise UserInputError(
                f"{path} is not a run directory: it has neither {MANIFEST} nor {CONFIG}.")
        run = cls(path)
        if run.escapes_folder:
            raise UserInputError(f"{path} is refused: {run.problem}.")
        return run

    @cached_property
    def real_path(self) -> Path:
        return self.path.resolve()

    @cached_property
    def escapes_folder(self) -> bool:
        """Whether the run's real path leaves the folder that holds it (a symbolic link)."""
        return not is_inside(self.path, Path(os.path.abspath(self.path)).parent)

    @cached_property
    def _manifest_or_error(self) -> tuple[dict[str, Any] | None, str | None]:
        if self.escapes_folder:
            return None, ("its real path leaves its runs folder (a symbolic link); "
                          "nothing in it is read")
        try:
            file = self.file(MANIFEST)
            if not file.exists():
                return None, None
            data = json.loads(read_bounded(file, MAX_MANIFEST_BYTES))
        except RecursionError:
            return None, f"manifest.json cannot be read: {TOO_DEEP}"
        except (OSError, ValueError) as exc:  # UserInputError (outside the run) is a ValueError
            return None, f"manifest.json cannot be read: {one_line(exc)}"
        if nesting_depth(data) > MAX_DEPTH:
            return None, f"manifest.json cannot be read: {TOO_DEEP}"
        problem = manifest_problem(data)
        return (None, problem) if problem else (data, None)

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest, or {} for an incomplete or corrupt run."""
        return self._manifest_or_error[0] or {}

    @property
    def status(self) -> str:
        """complete, failed, incomplete (no manifest yet) or corrupt (unreadable manifest, or a
        run outside its folder)."""
        data, error = self._manifest_or_error
        if error or self._config_or_error[1]:
            return "corrupt"
        if data is None:
            return "incomplete"
        return str(data["status"])

    @property
    def problem(self) -> str | None:
        """Why this run is not a result, in one sentence; for a complete run, the reports its
        config asked for that were not written (an interruption after the manifest), or None."""
        data, error = self._manifest_or_error
        error = error or (None if self.escapes_folder else self._config_or_error[1])
        if error:
            return error
        if data is None:
            if (self.path / CHECKPOINT).is_file():
                return ("interrupted: no manifest.json (resume it with "
                        f"`nnaudit run --resume {self.path}`)")
            return ("interrupted: no manifest.json and no checkpoint to resume from; "
                    "run it again")
        if data["status"] != "complete":
            return data.get("error") or f"status is {data['status']}"
        return self._unwritten_reports()

    def _unwritten_reports(self) -> str | None:
        """A complete run whose config asked for reports that are not there: the run was
        interrupted (or failed) while they were written, after its manifest."""
        report = self.config.get("report")
        if not isinstance(report, dict):
            return None
        missing = [ext for ext in ("html", "pdf")
                   if report.get(ext) is True and not (self.path / f"report.{ext}").is_file()]
        if not missing:
            return None
        lang = report.get("lang") if report.get("lang") in ("en", "fr") else "en"
        return (f"its report ({', '.join(f'report.{ext}' for ext in missing)}) was not "
                f"written: write it with `nnaudit report {self.path} --format "
                f"{','.join(missing)} --lang {lang}`")

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def _config_or_error(self) -> tuple[dict[str, Any], str | None]:
        try:  # Run.file refuses a run outside its folder (UserInputError, a ValueError)
            file = self.file(CONFIG)
            if not file.exists():
                return self.manifest.get("config", {}), None
            data = tomllib.loads(read_bounded(file, MAX_CONFIG_BYTES))
        except RecursionError:
            return {}, f"config.toml cannot be read: {TOO_DEEP}"
        except (OSError, ValueError) as exc:  # tomllib.TOMLDecodeError is a ValueError
            return {}, f"config.toml cannot be read: {one_line(exc)}"
        if nesting_depth(data) > MAX_DEPTH:
            return {}, f"config.toml cannot be read: {TOO_DEEP}"
        return data, None

    @property
    def config(self) -> dict[str, Any]:
        """config.toml, else the manifest's config; {} when neither can be read."""
        return self._config_or_error[0]

    @property
    def audits(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("audits", {})

    def audit_ran(self, name: str) -> bool:
        return self.audits.get(name, {}).get("status") == "complete"

    def file(self, rel: str) -> Path:
        """A file of the run, refused when its real path leads outside the run (or the run
        outside its folder)."""
        path = (self.path / rel).resolve()
        if self.escapes_folder or not is_inside(path, self.path):
            raise UserInputError(
                f"run {self.name}: {rel!r} leads outside the run directory (a symbolic link or "
                "a '..' path), so it is not read.")
        return path

    def table(self, audit: str, name: str) -> pd.DataFrame:
        rel = self.audits.get(audit, {}).get("tables", {}).get(name)
        if rel is None:
            raise KeyError(f"run {self.name} has no table {audit}/{name}")
        return self._read_table(rel)

    def tables(self, audit: str) -> dict[str, pd.DataFrame]:
        return {n: self.table(audit, n) for n in self.audits.get(audit, {}).get("tables", {})}

    def figures(self, audit: str) -> dict[str, Path]:
        rels = self.audits.get(audit, {}).get("figures", {})
        files = {n: self.file(rel) for n, rel in rels.items()}
        return {n: path for n, path in files.items() if path.exists()}

    def findings(self, audit: str) -> list[Finding]:
        return [Finding.from_dict(d) for d in self.audits.get(audit, {}).get("findings", [])]

    def history(self) -> pd.DataFrame | None:
        return self._optional_table("history.parquet")

    def predictions(self) -> pd.DataFrame | None:
        return self._optional_table("predictions.parquet")

    def cell_counts(self) -> pd.DataFrame | None:
        return self._optional_table("cell_counts.parquet")

    def score_histograms(self) -> pd.DataFrame | None:
        return self._optional_table("score_histograms.parquet")

    def _optional_table(self, name: str) -> pd.DataFrame | None:
        return self._read_table(name) if (self.path / name).exists() else None

    def _read_table(self, rel: str) -> pd.DataFrame:
        """A Parquet file of the run; a damaged one is bad input that names itself."""
        file = self.file(rel)
        if file.exists() and not file.is_file():  # pyarrow would read a folder as a dataset
            raise UserInputError(f"run {self.name} is corrupt: {rel} is a folder or a device, "
                                 "not a Parquet file.")
        try:
            return pd.read_parquet(file)
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            if environment_error(exc):  # a permission or device fault: said as such
                raise
            raise UserInputError(f"run {self.name}: {rel} cannot be read as a Parquet table "
                                 f"({one_line(exc)}).") from None


def require_complete(path: Path | str) -> Run:
    """Open a run that must be a result (reports, show): a clear error otherwise."""
    run = Run.open(path)
    if not run.is_complete:
        raise UserInputError(f"{run.path} is not a complete run ({run.problem}).")
    return run


def iter_run_dirs(root: Path | str) -> Iterator[Path]:
    root = Path(root)
    if not root.is_dir():
        return
    for child in sorted(root.iterdir()):
        if child.is_dir() and ((child / MANIFEST).exists() or (child / CONFIG).exists()):
            yield child


def list_runs(root: Path | str) -> list[Run]:
    """Every run directory directly under ``root``, newest first (those that lead outside
    ``root`` included, as corrupt)."""
    return sorted((Run(p) for p in iter_run_dirs(root)), key=lambda r: r.name, reverse=True)
