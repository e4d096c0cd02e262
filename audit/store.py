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
crash never leaves a half file under a real name, and the manifest is the commit record.
"""

from __future__ import annotations

import json
import os
import platform
import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from nnaudit.errors import UserInputError
from nnaudit.results import AuditResult, Finding

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "config.toml"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy and torch scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=_json_default, allow_nan=True)


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


class RunWriter:
    """Writes one run directory; `finish` writes the manifest last."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.audits: dict[str, dict[str, Any]] = {}

    @classmethod
    def create(cls, out_dir: Path, slug: str, config: dict[str, Any]) -> "RunWriter":
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = Path(out_dir) / f"{stamp}-{slugify(slug)}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        path.mkdir(parents=True)
        writer = cls(path)
        writer.write_config(config)
        return writer

    def write_config(self, config: dict[str, Any]) -> None:
        import tomli_w

        atomic_write(self.path / CONFIG, lambda p: p.write_bytes(tomli_w.dumps(_drop_none(config)).encode()))

    def write_table(self, relpath: str, df: pd.DataFrame) -> Path:
        return atomic_write(self.path / relpath, lambda p: df.to_parquet(p, index=False))

    def write_json(self, relpath: str, obj: Any) -> Path:
        return atomic_write_text(self.path / relpath, to_json(obj))

    def write_figure(self, relpath: str, fig: Any) -> Path:
        import matplotlib.pyplot as plt

        def save(p: Path) -> None:
            fig.savefig(p, format="png", dpi=110, bbox_inches="tight")

        out = atomic_write(self.path / relpath, save)
        plt.close(fig)
        return out

    def write_model(self, model: Any, relpath: str = "model.pt") -> Path:
        """Save the state_dict only: loading it needs no pickle (torch.load(weights_only=True))."""
        import torch

        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        return atomic_write(self.path / relpath, lambda p: torch.save(state, p))

    def write_audit(self, result: AuditResult) -> None:
        """Write an audit's tables, figures and findings, and remember them for the manifest."""
        name = result.name
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


def _drop_none(obj: Any) -> Any:
    """TOML has no null: leave unset values out (the loader fills in defaults)."""
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_drop_none(v) for v in obj]
    return obj


@dataclass
class Run:
    """A run directory opened for reading. Never raises for a corrupt manifest: `status` says."""

    path: Path

    @classmethod
    def open(cls, path: Path | str) -> "Run":
        path = Path(path)
        if not path.is_dir():
            raise UserInputError(f"{path} is not a directory, so it is not a run directory.")
        if not (path / MANIFEST).exists() and not (path / CONFIG).exists():
            raise UserInputError(
                f"{path} is not a run directory: it has neither {MANIFEST} nor {CONFIG}.")
        return cls(path)

    @cached_property
    def _manifest_or_error(self) -> tuple[dict[str, Any] | None, str | None]:
        file = self.path / MANIFEST
        if not file.exists():
            return None, None
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return None, f"manifest.json cannot be read: {exc}"
        if not isinstance(data, dict) or "status" not in data:
            return None, "manifest.json has no status field"
        if data.get("schema_version", 0) > SCHEMA_VERSION:
            return None, f"manifest schema {data['schema_version']} is newer than this nnaudit"
        return data, None

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest, or {} for an incomplete or corrupt run."""
        return self._manifest_or_error[0] or {}

    @property
    def status(self) -> str:
        """complete, failed, incomplete (no manifest yet) or corrupt (unreadable manifest)."""
        data, error = self._manifest_or_error
        if error:
            return "corrupt"
        if data is None:
            return "incomplete"
        return str(data["status"])

    @property
    def problem(self) -> str | None:
        """Why this run is not a result, in one sentence; None for a complete run."""
        data, error = self._manifest_or_error
        if error:
            return error
        if data is None:
            return "interrupted: no manifest.json (resume it with `nnaudit run --resume`)"
        if data["status"] != "complete":
            return data.get("error") or f"status is {data['status']}"
        return None

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def config(self) -> dict[str, Any]:
        file = self.path / CONFIG
        if not file.exists():
            return self.manifest.get("config", {})
        with file.open("rb") as fh:
            return tomllib.load(fh)

    @property
    def audits(self) -> dict[str, dict[str, Any]]:
        return self.manifest.get("audits", {})

    def audit_ran(self, name: str) -> bool:
        return self.audits.get(name, {}).get("status") == "complete"

    def file(self, rel: str) -> Path:
        """A file named by the manifest, refused when the name leads outside the run."""
        path = (self.path / rel).resolve()
        if not path.is_relative_to(self.path.resolve()):
            raise UserInputError(f"run {self.name} names a file outside itself: {rel!r}.")
        return path

    def table(self, audit: str, name: str) -> pd.DataFrame:
        rel = self.audits.get(audit, {}).get("tables", {}).get(name)
        if rel is None:
            raise KeyError(f"run {self.name} has no table {audit}/{name}")
        return pd.read_parquet(self.file(rel))

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
        file = self.path / name
        return pd.read_parquet(file) if file.exists() else None


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
    """Every run directory directly under ``root``, newest first."""
    return sorted((Run(p) for p in iter_run_dirs(root)), key=lambda r: r.name, reverse=True)
