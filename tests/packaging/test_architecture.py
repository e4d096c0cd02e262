"""The architecture holds (docs/ARCHITECTURE.md): no import cycle, no package reaching into
another's private modules, one audit contract, the layers contract and ruff.

grimp (import-linter's graph) walks one folder per top-level package, and nnaudit's subpackages
models/, reports/ and dashboards/ live in folders of their own (pyproject's package-dir): the
graph here is built from the sources of all four folders, with the same rule as
import-linter's `exclude_type_checking_imports` (imports under ``if TYPE_CHECKING:`` are for
type checkers only and never run).
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import tomllib
from functools import cache
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


def package_dirs() -> dict[str, Path]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {name: ROOT / folder for name, folder in setuptools["package-dir"].items()}


@cache
def source_modules() -> dict[str, Path]:
    """Every nnaudit module -> its file."""
    dirs = package_dirs()
    found = {}
    for name, folder in dirs.items():
        for path in folder.rglob("*.py"):
            if any(other.startswith(name + ".") and path.is_relative_to(dirs[other])
                   for other in dirs):
                continue  # a subpackage mapped from inside this folder: listed under its name
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([name, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool, *, runtime_only: bool):
    """(imported module, line) of every import in ``tree``, functions' bodies included."""
    known = source_modules()
    stack = [tree]
    while stack:
        node = stack.pop()
        if runtime_only and isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno
        stack.extend(ast.iter_child_nodes(node))


@cache
def import_graph(runtime_only: bool = True) -> dict[str, dict[str, int]]:
    """importer -> {imported nnaudit module: line}."""
    known = source_modules()
    graph: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = graph.setdefault(module, {})
        for imported, line in _imports(tree, module, path.name == "__init__.py",
                                       runtime_only=runtime_only):
            while imported and imported not in known:  # `import a.b.c` names a.b.c's module
                imported = imported.rpartition(".")[0]
            if imported and imported != module and imported.startswith("nnaudit"):
                edges.setdefault(imported, line)
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, {}):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def private_owner(module: str) -> str | None:
    """The package a private module belongs to (``a.b`` of ``a.b._c.d``), or None."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


# --- the graph helpers can fail --------------------------------------------------------------

def test_the_cycle_finder_finds_a_cycle_and_only_one():
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1, "c": 1}, "b": {"c": 1}, "c": {}}) is None


def test_the_graph_sees_every_folder_and_skips_type_checking_imports():
    graph = import_graph()
    assert "nnaudit.reports.view" in graph and "nnaudit.dashboards.app" in graph
    assert "nnaudit.models.registry" in graph
    # fairness/_counts imports _inputs for a type hint only; _inputs imports _counts to run
    assert "nnaudit.fairness._inputs" not in graph["nnaudit.fairness._counts"]
    assert "nnaudit.fairness._inputs" in import_graph(runtime_only=False)["nnaudit.fairness._counts"]
    assert "nnaudit.fairness._counts" in graph["nnaudit.fairness._inputs"]


# --- the rules -------------------------------------------------------------------------------

def test_no_import_cycle_among_nnaudit_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_imports_another_packages_private_module():
    offenders = [f"{importer} -> {imported} (line {line})"
                 for importer, edges in import_graph(runtime_only=False).items()
                 for imported, line in edges.items()
                 if (owner := private_owner(imported)) is not None
                 and importer != owner and not importer.startswith(owner + ".")]
    assert offenders == [], "give the helper a public home: " + "; ".join(offenders)


@pytest.mark.xfail(strict=True, reason="issue 24, left: nnaudit.pipeline.write_reports renders "
                   "at the end of each run; the CLI and the API should call it after the run")
def test_the_engine_never_imports_its_renderers():
    """Reports and dashboards read run directories; only the entry points (CLI, Python API)
    call them after the pipeline."""
    renderers = ("nnaudit.reports", "nnaudit.dashboards")
    callers = ("nnaudit.cli", "nnaudit.api")
    offenders = [f"{importer} -> {imported}"
                 for importer, edges in import_graph().items()
                 if not importer.startswith(renderers + callers)
                 for imported in edges if imported.startswith(renderers)]
    assert offenders == []


def test_the_renderers_and_models_stay_below_the_engine():
    """What import-linter cannot see (reports/, dashboards/, models/ live in folders of their
    own): the renderers never reach the pipeline, the trainer or the CLI; models only need
    torch, nnaudit.errors and the plugin registry."""
    above = ("nnaudit.cli", "nnaudit.api", "nnaudit.pipeline", "nnaudit.mitigation",
             "nnaudit.compute", "nnaudit.train")
    graph = import_graph()
    offenders = [f"{importer} -> {imported}" for importer, edges in graph.items()
                 if importer.startswith(("nnaudit.reports", "nnaudit.dashboards"))
                 for imported in edges if imported.startswith(above)]
    offenders += [f"{importer} -> {imported}" for importer, edges in graph.items()
                  if importer.startswith("nnaudit.models")
                  for imported in edges if not imported.startswith(
                      ("nnaudit.models", "nnaudit.errors", "nnaudit._plugins"))]
    assert offenders == []


def test_every_registered_audit_has_the_one_entry_point():
    from nnaudit.audits import AUDITS, table_schemas
    from nnaudit.schema import TableSchema

    for spec in AUDITS:
        module = import_module(spec.module)
        assert list(inspect.signature(module.run).parameters) == ["inputs"], spec.name
        assert module.TABLES and all(isinstance(t, TableSchema) for t in module.TABLES.values())
        assert table_schemas(spec.name) is module.TABLES
    assert set(table_schemas("energy")) and set(table_schemas("mitigation"))
    with pytest.raises(KeyError):
        table_schemas("no_such_audit")


def test_the_registry_imports_no_audit():
    """Reading audit names (the config, the CLI's help) must not import an audit or torch."""
    code = ("import sys, nnaudit.audits, nnaudit.config, nnaudit.inputs; "
            "heavy = [m for m in sys.modules if m in ('torch', 'pandas') or "
            "m.startswith(('nnaudit.fairness', 'nnaudit.generalization', 'nnaudit.saliency', "
            "'nnaudit.robustness'))]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_three_predictions_satisfy_the_protocol():
    from nnaudit.engines import count_predictions
    from nnaudit.inputs import Predictions
    from nnaudit.mitigation import DecisionSpace
    from nnaudit.mitigation._base import Decisions
    from nnaudit.pipeline import ModelPredictions

    groups = pd.DataFrame({"sex": ["f", "m", "f", "m"]})
    y = np.array([0, 1, 1, 0])
    model = ModelPredictions(y_true=y, probs=np.eye(2)[[0, 1, 0, 0]], classes=["no", "yes"],
                             groups=groups, positive="yes", threshold=0.5,
                             training_groups=None)
    counted = count_predictions(pd.DataFrame({"y": y, "p": [0, 1, 0, 0], "sex": groups.sex}),
                                label="y", pred="p", groups=["sex"], engine="pandas")
    decisions = Decisions(y_true=y, y_pred=np.array([0, 1, 0, 0]),
                          space=DecisionSpace(classes=["no", "yes"], positive=1),
                          groups=groups)
    for predictions in (model, counted, decisions):
        assert isinstance(predictions, Predictions), type(predictions).__name__
    assert not isinstance(groups, Predictions)  # a control: rows are not counted predictions


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)


def test_the_layers_contract_holds():
    """pyproject's [tool.importlinter]; a broken layer is named with its import chain."""
    done = _run("-c", "import sys; from importlinter.cli import lint_imports_command; "
                      "sys.exit(lint_imports_command())", "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_passes():
    done = _run("-m", "ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr
