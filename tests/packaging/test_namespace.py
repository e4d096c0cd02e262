"""One distribution, one import name: `nnaudit`, mapped onto the folders the design card fixes."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {"audit": "nnaudit", "models": "nnaudit.models", "reports": "nnaudit.reports",
           "dashboards": "nnaudit.dashboards"}


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_package_folder_is_listed_under_its_nnaudit_name():
    setuptools = _pyproject()["tool"]["setuptools"]
    assert setuptools["package-dir"] == {name: folder for folder, name in FOLDERS.items()}
    expected = set()
    for folder, name in FOLDERS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO / folder).parts
            expected.add(".".join((name, *parts)))
    assert set(setuptools["packages"]) == expected


def test_no_source_file_imports_the_folder_names():
    """`import models` works inside the checkout only; the code must say `nnaudit.models`."""
    offenders = []
    for folder in (*FOLDERS, "benchmarks", "tests"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                         else [])
                offenders += [f"{path.relative_to(REPO)}: {n}" for n in names
                              if n.split(".")[0] in FOLDERS]
    assert offenders == []


def test_installed_distribution_adds_only_nnaudit(tmp_path):
    """From a fresh interpreter outside the checkout: nnaudit and its parts import, the folder
    names do not, and `python -m nnaudit` runs."""
    script = (
        "import importlib.util, nnaudit, nnaudit.models, nnaudit.reports, nnaudit.dashboards\n"
        "print([m for m in ('audit', 'models', 'reports', 'dashboards')"
        " if importlib.util.find_spec(m) is not None])\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert proc.stdout.strip() == "[]"
    proc = subprocess.run([sys.executable, "-m", "nnaudit", "--help"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "nnaudit" in proc.stdout
