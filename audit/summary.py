"""What the CLI shows of runs: a JSON-able summary of one run, and Rich renderings of it.

Read only from the run directory (never recomputed), like the reports and the dashboard.
"""

from __future__ import annotations

from typing import Any

from nnaudit.headline import headline_values
from nnaudit.store import Run


def run_summary(run: Run) -> dict[str, Any]:
    manifest = run.manifest
    return {
        "run": str(run.path),
        "status": run.status,
        "problem": run.problem,
        "kind": manifest.get("kind"),
        "created_at": manifest.get("created_at"),
        "dataset": manifest.get("dataset", {}).get("name") or run.config.get("data", {}).get("name"),
        "model": manifest.get("model", {}).get("name") or run.config.get("model", {}).get("name"),
        "device": manifest.get("device"),
        "metrics": manifest.get("metrics", {}),
        "headline": headline_values(run.manifest),
        "audits": {name: {"status": a.get("status"), "summary": a.get("summary", {}),
                          "findings": [f["text"] for f in a.get("findings", [])],
                          **({"error": a["error"]} if "error" in a else {}),
                          **({"reason": a["reason"]} if "reason" in a else {})}
                   for name, a in run.audits.items()},
        "files": sorted(p.name for p in run.path.iterdir() if p.is_file() and not p.name.startswith(".")),
    }


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{100 * value:.1f}%" if pct else f"{value:.3g}"
    return str(value)


STATUS_STYLE = {"complete": "green", "failed": "red", "incomplete": "yellow", "corrupt": "red"}


def print_run_table(runs: list[Run], console) -> None:
    from rich.table import Table

    if not runs:
        console.print("No runs yet: `nnaudit run` makes one.")
        return
    table = Table("run", "status", "date", "dataset", "model", "test acc", "worst group error",
                  "energy kWh")
    for run in runs:
        summary = run_summary(run)
        h = summary["headline"]
        status = summary["status"]
        table.add_row(run.name, f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]",
                      (summary["created_at"] or "")[:19], summary["dataset"] or "-",
                      summary["model"] or "-", _fmt(h["test_accuracy"], pct=True),
                      f"{_fmt(h['worst_group_error'], pct=True)} ({h['worst_group'] or '-'})"
                      if h["worst_group_error"] is not None else "-",
                      _fmt(h["energy_kwh"]))
    console.print(table)


def print_run_summary(run: Run, console) -> None:
    summary = run_summary(run)
    status = summary["status"]
    console.print(f"[bold]{run.name}[/]  [{STATUS_STYLE.get(status, 'white')}]{status}[/]"
                  + (f"  ({summary['problem']})" if summary["problem"] else ""))
    h = summary["headline"]
    line = [f"dataset {summary['dataset']}", f"model {summary['model']}"]
    if h["test_accuracy"] is not None:
        line.append(f"test accuracy {_fmt(h['test_accuracy'], pct=True)}")
    if h["worst_group_error"] is not None:
        line.append(f"worst subgroup {h['worst_group']} error {_fmt(h['worst_group_error'], pct=True)}")
    if h["energy_kwh"] is not None:
        label = "" if h["energy_measured"] else " (estimated)"
        line.append(f"energy {h['energy_kwh']:.3g} kWh, {1000 * (h['co2_kg'] or 0):.3g} g CO2eq{label}")
    console.print(" | ".join(line))
    for name, audit in summary["audits"].items():
        state = audit["status"]
        console.print(f"\n[bold]{name}[/] [{STATUS_STYLE.get(state, 'dim')}]{state}[/]"
                      + (f": {audit.get('error') or audit.get('reason')}" if state != "complete" else ""))
        for text in audit["findings"][:4]:
            console.print(f"  - {text}")
    # Paths are printed unwrapped, so they can be copied from any terminal width.
    console.print(f"\nRun directory: {run.path}", soft_wrap=True)
    next_steps = [f"nnaudit show {run.path}"]
    if (run.path / "report.html").exists():
        next_steps.insert(0, f"open {run.path / 'report.html'}")
    next_steps.append(f"nnaudit dashboard {run.path.parent}")
    console.print("Next: " + "  |  ".join(next_steps), soft_wrap=True)
