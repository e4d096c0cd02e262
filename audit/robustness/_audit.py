"""`robustness_audit`: fix the parameters, vary the inputs, per subgroup."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from nnaudit.errors import UserInputError
from nnaudit.modelprep import prepare_model, rows_per_pass
from nnaudit.results import AuditResult
from nnaudit.robustness import _figures, _findings
from nnaudit.robustness._attacks import (ATTACKS, GRID_SPAN, flip_radii, gradient_problem,
                                         perturb, predict, radius_grid)
from nnaudit.robustness._corruptions import BATCH_SIZE, CORRUPTIONS, corrupted_batches
from nnaudit.robustness._protocol import (check_attacks, check_corruptions, check_n_examples,
                                          check_radii, check_reference_accuracy,
                                          check_severities, make_protocol)
from nnaudit.robustness._tables import (Subgroups, accuracy_table, corruption_error_table,
                                        flip_radius_table, gap_table)
from nnaudit.train import cpu_threads

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs

# Columns of the robustness tables; a sensitive attribute may not take one of these names.
RESERVED_COLUMNS = frozenset({
    "attribute", "subgroup", "corruption", "severity", "attack", "norm", "radius", "steps", "n",
    "correct", "accuracy", "accuracy_low", "accuracy_high", "clean_accuracy", "drop",
    "drop_low", "drop_high", "lost", "gained", "clean_correct", "flip_rate", "flip_rate_low",
    "flip_rate_high", "small_group", "clean_error", "corruption_error",
    "relative_corruption_error", "relative_corruption_error_low",
    "relative_corruption_error_high", "wrong_clean", "not_flipped", "median_radius",
    "median_radius_low", "median_radius_high", "max_radius", "searched", "test_index", "label",
    "prediction", "reference_accuracy", "difference"})
# The attack whose flipping radius is searched, when it runs; else the first one that runs.
FLIP_ATTACK = "pgd"
FIGURE_EXAMPLES = 4


def robustness_audit(model: nn.Module, test_split, classes: Sequence[str],
                     device: torch.device | str, *, protocol: str = "default",
                     corruptions: Sequence[str] | None = None,
                     severities: Sequence[int] | None = None,
                     attacks: Sequence[str] | None = None,
                     radii: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
                     n_examples: int | None = None, seed: int = 0,
                     reference_accuracy: float | None = None) -> AuditResult:
    """Accuracy of ``model`` under common corruptions and adversarial attacks, per subgroup.

    Parameters
    ----------
    model : the trained classifier (not modified: the audit works on an eval-mode copy).
    test_split : an `nnaudit.data.Split` in memory: ``x`` images (N, C, H, W) in [0, 1] or
        standardized features (N, F), ``y``, and ``groups`` (one str column per sensitive
        attribute). It may come from another dataset than the model's own (a shift).
    classes : class names, index = label.
    device : where the corruptions, predictions and attacks run.
    protocol : "default" (sized for two CPU cores: a 500-image sample, severities 1, 3 and 5,
        10-step PGD) or "full" (the whole split, severities 1 to 5, 40-step PGD).
    corruptions : names from `nnaudit.robustness.CORRUPTIONS`; None = all that apply (feature
        vectors take Gaussian noise only; the others are recorded as skipped).
    severities : whole numbers 0 (clean) to 5; 0 is always included.
    attacks : names from `nnaudit.robustness.ATTACKS` ("fgsm", "pgd", "pgd_l2"); None = all,
        or none with the reason recorded when the model has no input gradients. ``[]`` runs
        no attack.
    radii : one list for every attack, or {attack: radii}; None = the protocol's per norm.
    n_examples : test images audited, a seeded sample; None = the protocol's.
    seed : drives the sample and every random draw of the corruptions.
    reference_accuracy : the model's accuracy on its own test split, when ``test_split`` is
        another dataset: the audit then compares the two.

    Returns
    -------
    AuditResult named "robustness".
    """
    started = time.perf_counter()
    plan = make_protocol(protocol)
    chosen_corruptions = check_corruptions(corruptions)
    chosen_severities = check_severities(severities, plan.severities)
    chosen_attacks = check_attacks(attacks)
    chosen_radii = check_radii(radii, chosen_attacks, plan)
    n_examples, n_attacked = check_n_examples(n_examples, plan)
    reference_accuracy = check_reference_accuracy(reference_accuracy)
    if not isinstance(model, nn.Module):
        raise UserInputError(f"the robustness audit needs a torch model (nn.Module), not a "
                             f"{type(model).__name__}.")
    if test_split.x is None:
        raise UserInputError("the robustness audit needs the test split in memory; this "
                             "dataset only streams it.")
    _check_groups(test_split.groups)
    device = torch.device(device)
    with cpu_threads(1, device):  # small parallel regions: see cpu_threads
        audited = prepare_model(model, device)
        sample = _Sample.draw(test_split, n_examples, seed, device)
        batch_size = rows_per_pass(audited, sample.x[:1], device)
        sample.predict(audited, batch_size)

        skipped = {}
        if chosen_attacks:  # before any work, so that a refusal wastes none
            reason = gradient_problem(audited, sample.x)
            if reason is not None and attacks is not None:
                raise UserInputError(f"the attacks {', '.join(chosen_attacks)} need the model's "
                                     f"input gradients, and {reason}.")
            if reason is not None:
                skipped["attacks"] = reason
                chosen_attacks = []

        tables = {"clean": _clean_table(sample.clean, sample.subgroups)}
        figures = {}
        seconds = {"clean": time.perf_counter() - started}
        runnable = _applicable(chosen_corruptions, sample.x, skipped)
        if runnable:
            more_tables, more_figures = _corruption_part(audited, sample, runnable,
                                                         chosen_severities, seed, batch_size)
            tables.update(more_tables)
            figures.update(more_figures)
            seconds["corruptions"] = time.perf_counter() - started - sum(seconds.values())
        flip = None
        if chosen_attacks:
            attacked = sample.head(n_attacked)
            more_tables, more_figures, flip = _attack_part(audited, attacked, chosen_attacks,
                                                           chosen_radii, plan, classes, batch_size,
                                                           seconds)
            tables.update(more_tables)
            figures.update(more_figures)
        if reference_accuracy is not None:
            shift = tables["clean"].copy()
            shift["reference_accuracy"] = reference_accuracy
            shift["difference"] = reference_accuracy - shift["accuracy"]
            tables["shift"] = shift

        findings = _findings.compute(tables, severities=chosen_severities, skipped=skipped,
                                     flip_attack=flip["attack"] if flip else None,
                                     reference_accuracy=reference_accuracy)
        summary = _summary(tables, reference_accuracy, skipped, flip)
        record = {
            **plan.to_dict(), "protocol": plan.name, "seed": seed, "device": str(device),
            "n_examples": len(sample), "n_attacked": len(attacked) if chosen_attacks else 0,
            "sample": "seeded random sample of the test split"
            if len(sample) < len(test_split.y) else "the whole test split",
            "corruptions": {name: {"family": CORRUPTIONS[name].family,
                                   "levels": [_plain(v) for v in CORRUPTIONS[name].levels],
                                   "source": CORRUPTIONS[name].source} for name in runnable},
            "severities": chosen_severities, "corruption_batch_size": BATCH_SIZE,
            "attacks": {a: {"norm": ATTACKS[a].norm, "steps": _steps(a, plan),
                            "radii": chosen_radii[a], "source": ATTACKS[a].source}
                        for a in chosen_attacks},
            "attack_loss": "cross-entropy of the true label (untargeted), no random start",
            "bounds": list(_bounds(sample.x)) if sample.x.dim() == 4 else None,
            "flip_radius": flip, "rows_per_pass": int(batch_size),
            "reference_accuracy": reference_accuracy, "skipped": skipped,
            "seconds": {**{k: round(v, 3) for k, v in seconds.items()},
                        "total": round(time.perf_counter() - started, 3)},
        }
        return AuditResult(name="robustness", tables=tables, figures=figures, findings=findings,
                           summary=summary, protocol=record)


@dataclass
class _Sample:
    """The audited test images on the device, their labels, groups and clean predictions.

    ``index``: their positions in the test split, a seeded random order, so that the first
    ones (the attacked ones) are a random sample too.
    """

    index: np.ndarray
    x: torch.Tensor
    y: torch.Tensor
    groups: pd.DataFrame
    predictions: torch.Tensor | None = None

    @classmethod
    def draw(cls, split, n: int | None, seed: int, device: torch.device) -> "_Sample":
        order = torch.randperm(len(split.y), generator=torch.Generator().manual_seed(seed))[:n]
        return cls(order.numpy(), split.x[order].to(device=device, dtype=torch.float32),
                   split.y[order].to(device),
                   split.groups.iloc[order.numpy()].reset_index(drop=True))

    def __len__(self) -> int:
        return len(self.index)

    def predict(self, model, batch_size: int) -> None:
        self.predictions = predict(model, self.x, batch_size)

    def head(self, n: int | None) -> "_Sample":
        n = len(self) if n is None else min(n, len(self))
        return _Sample(self.index[:n], self.x[:n], self.y[:n], self.groups.iloc[:n],
                       self.predictions[:n])

    @cached_property
    def subgroups(self) -> Subgroups:
        return Subgroups.from_groups(self.groups)

    @property
    def clean(self) -> np.ndarray:
        return (self.predictions == self.y).cpu().numpy()


def _corruption_part(model, sample: _Sample, names: list[str], severities: list[int], seed: int,
                     batch_size: int) -> tuple[dict, dict]:
    """Accuracy under each corruption and severity, per subgroup; the group gaps."""
    correct = {name: _corruption_hits(model, sample, name, severities, seed, batch_size)
               for name in names}
    conditions = pd.DataFrame([(name, s) for name in names for s in severities],
                              columns=["corruption", "severity"])
    table = accuracy_table(conditions, np.concatenate([correct[n] for n in names]),
                           sample.clean, sample.subgroups)
    corrupted = table[table["severity"] > 0]
    tables = {"corruptions": table, "corruption_gaps": gap_table(
        corrupted, ["corruption", "severity"], "flip_rate", "higher", size="clean_correct",
        count="lost")}
    if len(severities) > 1:
        errors = corruption_error_table(names, {n: correct[n][1:] for n in names}, sample.clean,
                                        sample.subgroups)
        tables["corruption_error"] = errors
        tables["corruption_error_gaps"] = gap_table(errors, ["corruption"], "flip_rate",
                                                    "higher", size="clean_correct")
    return tables, {"corruptions": _figures.corruption_figure(table, sample.subgroups.finest)}


def _attack_part(model, sample: _Sample, attacks: list[str], radii: dict[str, list[float]],
                 plan, classes, batch_size: int,
                 seconds: dict[str, float]) -> tuple[dict, dict, dict | None]:
    """Robust accuracy per attack and radius, per subgroup; each image's flipping radius.

    Returns the tables, the figures and the record of the flipping-radius search (None when
    the largest radius is 0: there is nothing to search); adds its phases to ``seconds``.
    """
    started = time.perf_counter()
    bounds = _bounds(sample.x)
    conditions = pd.DataFrame([(a, ATTACKS[a].norm, r, _steps(a, plan)) for a in attacks
                               for r in radii[a]], columns=["attack", "norm", "radius", "steps"])
    correct = np.stack([
        (predict(model, perturb(model, sample.x, sample.y, ATTACKS[row.attack], row.radius,
                                steps=row.steps, bounds=bounds, batch_size=batch_size),
                 batch_size) == sample.y).cpu().numpy()
        for row in conditions.itertuples()])
    table = accuracy_table(conditions, correct, sample.clean, sample.subgroups)
    tables = {"adversarial": table,
              "adversarial_gaps": gap_table(table, ["attack", "norm", "radius"], "accuracy",
                                            "lower", size="n", count="correct")}
    figures = {"adversarial": _figures.attack_figure(
        table, _clean_table(sample.clean, sample.subgroups), sample.subgroups.finest)}

    seconds["attacks"] = time.perf_counter() - started
    name = FLIP_ATTACK if FLIP_ATTACK in attacks else attacks[0]
    attack, max_radius = ATTACKS[name], max(radii[name])
    if max_radius == 0:
        return tables, figures, None
    started = time.perf_counter()
    grid = radius_grid(max_radius, plan.flip_levels)
    at_largest = ((conditions["attack"] == name) & (conditions["radius"] == max_radius)).to_numpy()
    found = flip_radii(model, sample.x, sample.y, attack, grid, steps=_steps(name, plan),
                       bounds=bounds, batch_size=batch_size,
                       flipped_at_largest=~correct[np.flatnonzero(at_largest)[0]])
    tables["flip_radius"] = flip_radius_table(found, sample.subgroups, max_radius)
    tables["flip_radii"] = pd.concat([pd.DataFrame({
        "test_index": sample.index, "label": [classes[i] for i in sample.y.tolist()],
        "prediction": [classes[i] for i in sample.predictions.tolist()], "radius": found}),
        sample.groups], axis=1)
    figures["flip_radius"] = _figures.flip_radius_figure(
        tables["flip_radii"], sample.subgroups.attributes, name, grid)
    if sample.x.dim() == 4:
        figures["adversarial_examples"] = _example_figure(model, sample, found, classes, attack,
                                                          _steps(name, plan), batch_size)
    seconds["flip_radius"] = time.perf_counter() - started
    return tables, figures, {
        "attack": name, "max_radius": max_radius,
        "grid": f"0, then {len(grid) - 1} radii spaced geometrically from about "
                f"max_radius / {GRID_SPAN} to max_radius",
        "relative_step": float(grid[-1] / grid[-2]),
        "method": "bisection over the grid, images sharing a midpoint attacked together"}


def _steps(attack: str, plan) -> int:
    return plan.pgd_steps if ATTACKS[attack].iterative else 1


def _bounds(x: torch.Tensor) -> tuple[float, float]:
    """Images stay in [0, 1]; standardized features have no bounds."""
    return (0.0, 1.0) if x.dim() == 4 else (-math.inf, math.inf)


def _check_groups(groups: pd.DataFrame) -> None:
    for column in groups.columns:
        if str(column) in RESERVED_COLUMNS:
            raise UserInputError(f"sensitive attribute {column!r} has the name of a column of the "
                                 "robustness tables; rename it.")
        missing = int(groups[column].isna().sum())
        if missing:
            raise UserInputError(f"sensitive attribute {column!r} has {missing} missing values; "
                                 "every row needs a group.")


def _applicable(names: list[str], x: torch.Tensor, skipped: dict[str, str]) -> list[str]:
    """The corruptions that apply to ``x``; the others go into ``skipped`` with the reason."""
    runnable = []
    for name in names:
        if x.dim() != 4 and not CORRUPTIONS[name].tabular:
            skipped[name] = "applies to images only"
        elif x.dim() == 4 and x.shape[1] not in (1, 3) and name in ("contrast", "jpeg"):
            skipped[name] = f"needs 1 or 3 channels, the images have {x.shape[1]}"
        else:
            runnable.append(name)
    return runnable


def _corruption_hits(model, sample: _Sample, name: str, severities: list[int], seed: int,
                     batch_size: int) -> np.ndarray:
    """(severities, N) bool: the model is right on each corrupted image (severity 0: the
    clean predictions themselves, so that it reproduces the clean accuracy exactly)."""
    rows = []
    for severity in severities:
        if severity == 0:
            rows.append(sample.clean)
            continue
        hits = [predict(model, batch, batch_size) == sample.y[start:start + len(batch)]
                for start, batch in zip(range(0, len(sample), BATCH_SIZE),
                                        corrupted_batches(sample.x, name, severity, seed=seed))]
        rows.append(torch.cat(hits).cpu().numpy())
    return np.stack(rows)


def _clean_table(clean: np.ndarray, subgroups: Subgroups) -> pd.DataFrame:
    """Clean accuracy per subgroup with its interval (no drop: it is the reference)."""
    table = accuracy_table(pd.DataFrame(index=[0]), clean[None], clean, subgroups)
    return table.drop(columns=["clean_accuracy", "drop", "drop_low", "drop_high", "lost",
                               "gained", "clean_correct", "flip_rate", "flip_rate_low",
                               "flip_rate_high"])


def _example_figure(model, sample: _Sample, radii: np.ndarray, classes, attack, steps: int,
                    batch_size: int):
    """A few images flipped by ``attack``, one per finest subgroup where possible, each at
    the median flipping radius of its subgroup (a typical image, not the most fragile)."""
    labels = (sample.groups.astype(str).agg(" x ".join, axis=1) if sample.groups.shape[1]
              else pd.Series("everyone", index=sample.groups.index)).to_numpy()
    picks = []
    for label in sorted(set(labels)):
        flipped = np.flatnonzero((labels == label) & np.isfinite(radii) & (radii > 0))
        if len(flipped):
            picks.append(flipped[np.argsort(radii[flipped], kind="stable")[len(flipped) // 2]])
    picks = picks[:FIGURE_EXAMPLES]
    x, y = sample.x[picks], sample.y[picks]
    adversarial = torch.cat([perturb(model, x[i:i + 1], y[i:i + 1], attack, float(radii[p]),
                                     steps=steps, bounds=_bounds(x), batch_size=batch_size)
                             for i, p in enumerate(picks)]) if picks else x

    def names(indices: torch.Tensor) -> list[str]:
        return [classes[i] for i in indices.tolist()]

    return _figures.example_figure(
        x.cpu(), adversarial.cpu(), names(y), names(sample.predictions[picks]),
        names(predict(model, adversarial, batch_size)) if picks else [],
        [float(radii[p]) for p in picks], [labels[p] for p in picks], attack.name)


def _summary(tables, reference_accuracy, skipped, flip) -> dict:
    """Headline numbers for the manifest and the run list (JSON: no infinities)."""
    clean = tables["clean"]
    overall = clean[clean["attribute"] == "overall"].iloc[0]
    summary = {"clean_accuracy": float(overall["accuracy"]), "n_examples": int(overall["n"])}
    if "corruption_error" in tables:
        errors = tables["corruption_error"]
        mean = errors[(errors["corruption"] == "all") & (errors["attribute"] == "overall")].iloc[0]
        summary["mean_corruption_error"] = float(mean["corruption_error"])
        summary["relative_corruption_error"] = float(mean["relative_corruption_error"])
        per = errors[(errors["corruption"] != "all") & (errors["attribute"] == "overall")]
        summary["worst_corruption"] = str(per.loc[per["corruption_error"].idxmax(), "corruption"])
        gaps = tables["corruption_error_gaps"]
        gaps = gaps[gaps["corruption"] == "all"].sort_values("difference", ascending=False)
        summary["most_affected_group"] = str(gaps["worst_group"].iloc[0]) if len(gaps) else None
    if "adversarial" in tables:
        table = tables["adversarial"]
        overall_rows = table[table["attribute"] == "overall"]
        summary["robust_accuracy"] = {
            attack: {str(r): float(a) for r, a in zip(part["radius"], part["accuracy"])}
            for attack, part in overall_rows.groupby("attack", sort=False)}
    if "flip_radius" in tables:
        radius = tables["flip_radius"]
        median = float(radius.loc[radius["attribute"] == "overall", "median_radius"].iloc[0])
        summary["median_flip_radius"] = median if math.isfinite(median) else None
        summary["flip_attack"] = flip["attack"]
    summary["attacks_skipped"] = skipped.get("attacks")
    if reference_accuracy is not None:
        summary["reference_accuracy"] = reference_accuracy
        summary["accuracy_drop_under_shift"] = reference_accuracy - summary["clean_accuracy"]
    return summary


def _plain(value):
    """A corruption level as JSON (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def run(inputs: AuditInputs) -> AuditResult:
    """The robustness audit's entry point (`nnaudit.audits`): ``[robustness]`` of the config."""
    options = inputs.config.robustness
    attacks = [] if options.attacks == ["none"] else options.attacks or None
    return robustness_audit(inputs.model, inputs.dataset.test, inputs.dataset.classes,
                            inputs.device, protocol=inputs.config.audits.protocol,
                            corruptions=options.corruptions or None,
                            severities=options.severities or None, attacks=attacks,
                            radii=options.radii or None, n_examples=options.n_examples or None,
                            seed=inputs.config.seed,
                            reference_accuracy=inputs.reference_accuracy)
