"""What the CLI shows of runs: a JSON-able summary of one run, and Rich renderings of it.

Read only from the run directory (never recomputed), like the reports and the dashboard.
"""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from nnaudit.headline import headline_values
from nnaudit.store import Run, lookup
from nnaudit.terminal import user_text


def run_summary(run: Run) -> dict[str, Any]:
    manifest = run.manifest
    return {
        "run": str(run.path),
        "status": run.status,
        "problem": run.problem,
        "kind": manifest.get("kind"),
        "created_at": manifest.get("created_at"),
        "dataset": lookup(manifest, "dataset", "name") or _text(lookup(run.config, "data", "name")),
        "model": lookup(manifest, "model", "name") or _text(lookup(run.config, "model", "name")),
        "device": manifest.get("device"),
        "metrics": manifest.get("metrics", {}),
        "headline": headline_values(run.manifest),
        "audits": {name: {"status": a.get("status"), "summary": a.get("summary", {}),
                          "findings": [f.text for f in run.findings(name)],
                          **({"error": a["error"]} if "error" in a else {}),
                          **({"reason": a["reason"]} if "reason" in a else {})}
                   for name, a in run.audits.items()},
        "files": sorted(p.name for p in run.path.iterdir() if p.is_file() and not p.name.startswith("."))
                 if not run.escapes_folder else [],
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{100 * value:.1f}%" if pct else f"{value:.3g}"
    return str(value)


# Energy and CO2e as a person reads them: the largest unit that keeps the number at 1 or more,
# three significant digits, never E-notation (4.7E-5 kWh is 47 mWh).
ENERGY_UNITS = (("kWh", 1.0), ("Wh", 1e-3), ("mWh", 1e-6))
MASS_UNITS = (("kg", 1.0), ("g", 1e-3), ("mg", 1e-6))


def in_units(value: float, units: tuple[tuple[str, float], ...]) -> str:
    """``value`` (in the first unit) in the largest unit where it reads 1 or more."""
    if value == 0:
        return f"0 {units[-1][0]}"
    for name, size in units:
        if abs(value) >= size or size == units[-1][1]:
            shown = value / size
            if abs(shown) < 0.01:
                return f"< 0.01 {name}"
            digits = max(0, 2 - math.floor(math.log10(abs(shown))))
            return f"{shown:,.{digits}f} {name}"
    raise AssertionError("unreachable: the last unit always matches")


STATUS_STYLE = {"complete": "green", "failed": "red", "incomplete": "yellow", "corrupt": "red"}


def _status(status: str) -> Text:
    return user_text(status, STATUS_STYLE.get(status, "white"))


# Findings printed per audit; the rest are counted, and all are in the reports.
SHOWN_FINDINGS = 4

# Every string that comes from a run (names, groups, findings, errors, paths) goes to Rich as
# `user_text`: never parsed for markup ("[/]", "[link=...]") nor emoji codes, and its control
# characters escaped (nnaudit.terminal).

def print_run_table(runs: list[Run], console) -> None:
    from rich.table import Table

    if not runs:
        console.print("No runs yet: `nnaudit run` makes one.")
        return
    table = Table("run", "status", "date", "dataset", "model", "test acc", "worst group error",
                  "energy", "problem")
    table.columns[0].no_wrap = True  # a run name is copied whole into the next command
    for run in runs:
        summary = run_summary(run)
        h = summary["headline"]
        table.add_row(user_text(run.name), _status(summary["status"]),
                      user_text((summary["created_at"] or "")[:19]),
                      user_text(summary["dataset"] or "-"),
                      user_text(summary["model"] or "-"), _fmt(h["test_accuracy"], pct=True),
                      user_text(f"{_fmt(h['worst_group_error'], pct=True)} "
                                f"({h['worst_group'] or '-'})")
                      if h["worst_group_error"] is not None else "-",
                      in_units(h["energy_kwh"], ENERGY_UNITS)
                      if h["energy_kwh"] is not None else "-",
                      user_text(summary["problem"] or ""))
    console.print(table)


def print_run_summary(run: Run, console) -> None:
    summary = run_summary(run)
    title = Text.assemble(user_text(run.name, "bold"), "  ", _status(summary["status"]))
    if summary["problem"]:
        title.append(user_text(f"  ({summary['problem']})"))
    console.print(title)
    h = summary["headline"]
    line = [f"dataset {summary['dataset']}", f"model {summary['model']}"]
    if h["test_accuracy"] is not None:
        line.append(f"test accuracy {_fmt(h['test_accuracy'], pct=True)}")
    if h["worst_group_error"] is not None:
        line.append(f"worst subgroup {h['worst_group']} error {_fmt(h['worst_group_error'], pct=True)}")
    if h["fairness_verdict"] is not None:
        from nnaudit.fairness import CRITERION_TERMS, METRIC_TERMS

        criterion = summary["audits"]["fairness"]["summary"].get("criterion")
        criterion = CRITERION_TERMS.get(criterion) or METRIC_TERMS.get(criterion, criterion)
        line.append(f"fairness verdict on {criterion}: {h['fairness_verdict']}")
    if h["energy_kwh"] is not None:
        label = "" if h["energy_measured"] else " (estimated)"
        line.append(f"energy {in_units(h['energy_kwh'], ENERGY_UNITS)}, "
                    f"{in_units(h['co2_kg'] or 0, MASS_UNITS)} CO2eq{label}")
    console.print(user_text(" | ".join(line)))
    for name, audit in summary["audits"].items():
        state = str(audit["status"])
        heading = Text.assemble("\n", user_text(name, "bold"), " ",
                                user_text(state, STATUS_STYLE.get(state, "dim")))
        if state != "complete":
            heading.append(user_text(f": {audit.get('error') or audit.get('reason')}"))
        console.print(heading)
        for text in audit["findings"][:SHOWN_FINDINGS]:
            console.print(user_text(f"  - {text}"))
        hidden = len(audit["findings"]) - SHOWN_FINDINGS
        if hidden > 0:  # said, so a remedy or a group further down is not taken as absent
            console.print(Text(f"  ... and {hidden} more finding{'s' * (hidden > 1)} in the "
                               "report (report.html) and in manifest.json.", style="dim"))
    # Paths are printed unwrapped, so they can be copied from any terminal width.
    console.print(Text("\nRun directory: ").append(user_text(run.path)), soft_wrap=True)
    next_steps = [f"nnaudit show {run.path}"]
    if (run.path / "report.html").exists():
        next_steps.insert(0, f"open {run.path / 'report.html'}")
    next_steps.append(f"nnaudit dashboard {run.path.parent}")
    console.print(user_text("Next: " + "  |  ".join(next_steps)), soft_wrap=True)
