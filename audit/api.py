"""The Python entry points a user calls first: audit a model they bring, open a run.

    import nnaudit
    run = nnaudit.audit("runs/20261201T0000Z-lenet5-shades-mnist", "mnist",
                        settings={"data.data_dir": "data", "data.options.test_only": True})
    run.audits["fairness"]["summary"]["worst_group_error"]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from nnaudit.store import Run


def audit(model: Any, dataset: Any, *, audits: Iterable[str] | None = None,
          weights: str | Path | None = None, trained_on_dataset: bool = False,
          out: str | Path = "runs", settings: dict[str, Any] | None = None,
          config: str | Path | None = None, trust_model_file: bool = False) -> Run:
    """Audit ``model`` on ``dataset`` and return the run directory it wrote, opened.

    Parameters
    ----------
    model : a run directory (path or `Run`), ``"package.module:callable"`` or
        ``"file.py:callable"``, a ``.pt2`` / TorchScript file, a trained ``nn.Module`` (audited
        as is: the audits that retrain are skipped), or a callable returning a fresh
        ``nn.Module`` (a factory; give its trained ``weights``).
    dataset : a dataset name (`nnaudit.data.list_datasets`) or an `nnaudit.data.AuditDataset`.
    audits : audit names (default: every default audit); those the model cannot support are
        recorded as skipped with the reason.
    weights : a state_dict file for a factory's model (loaded with ``weights_only=True``).
    trained_on_dataset : the model was trained on this dataset's training split.
    settings : config keys, dotted (``{"data.data_dir": "data", "train.epochs": 3}``).
    config : a TOML config file, applied before ``settings``.
    trust_model_file : load an exported model file that nnaudit cannot prove runs no code
        (TorchScript, or a ``.pt2`` with pickled objects): only for a file you trust.
    """
    from nnaudit.config import load_config
    from nnaudit.pipeline import run_audit

    overrides = {"out": str(out), **(settings or {})}
    loaded = None
    if isinstance(dataset, str):
        overrides["data.name"] = dataset
    else:
        loaded = dataset
        overrides["data.name"] = dataset.name
    if audits is not None:
        overrides["audits.run"] = list(audits)
    path = run_audit(load_config(Path(config) if config else None, overrides), model,
                     weights=weights, dataset=loaded, trained_on_dataset=trained_on_dataset,
                     trust_model_file=trust_model_file)
    return Run.open(path)


def load_run(path: str | Path) -> Run:
    """Open a run directory for reading: ``.status``, ``.manifest``, ``.table(audit, name)``, ..."""
    return Run.open(path)
