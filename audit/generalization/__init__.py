"""Generalization audit: memorization, label noise, regularizers, membership leakage, seeds,
gradients.

Zhang et al. 2016 ("Understanding deep learning requires rethinking generalization") showed that
a network fitting true labels also fits random ones; this audit runs that test on the user's
architecture and data, and the questions that follow from it. See docs/generalization.md for
what each result means and what it does not prove.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import Any, Sequence

import pandas as pd
import torch
from torch import nn

from nnaudit.errors import UserInputError
from nnaudit.generalization import _figures, _findings
from nnaudit.generalization._ablation import run_ablation
from nnaudit.generalization._gradients import (EXPLODING_RATIO, VANISHING_RATIO, gradient_health,
                                             gradient_norms)
from nnaudit.generalization._membership import example_losses, membership_table, roc_points
from nnaudit.generalization._noise_sweep import corrupt_labels, run_noise_sweep
from nnaudit.generalization._protocol import ABLATION_ROWS, make_protocol
from nnaudit.generalization._random_labels import random_label_tables, train_on_random_pixels
from nnaudit.generalization._seeds import run_seed_stability
from nnaudit.generalization._subsets import draw_subsets
from nnaudit.results import AuditResult
from nnaudit.train import TrainConfig
from nnaudit.models import get_model

__all__ = ["generalization_audit"]

# The course's textbook vanishing-gradient example: the same deep MLP with sigmoid and ReLU.
DEEP_MLP_WIDTHS = (256,) * 6


def generalization_audit(dataset, model_name: str, model_options: dict[str, Any] | None,
                         train_config: TrainConfig, device: torch.device | str, *,
                         protocol: str = "default", seed: int = 0,
                         fairness_groups: Sequence[str] | None = None) -> AuditResult:
    """Run the generalization audit of ``model_name`` on ``dataset``.

    Parameters
    ----------
    dataset : nnaudit.data.AuditDataset
    model_name, model_options : the architecture, as for `nnaudit.models.get_model`.
    train_config : the hyper-parameters of the audited training; every experiment uses them,
        with the protocol's epoch budget in place of ``epochs`` where it says so.
    protocol : "default" (bounded, for two CPU cores) or "full" (the complete protocol, GPU).
    fairness_groups : sensitive columns for the per-subgroup numbers (default: the dataset's).
    """
    device = torch.device(device)
    plan = make_protocol(protocol, device)
    options = dict(model_options or {})
    groups = list(fairness_groups) if fairness_groups is not None else list(dataset.sensitive)
    missing = [g for g in groups if g not in dataset.train.groups.columns]
    if missing:
        raise UserInputError(f"fairness group {missing[0]!r} is not a sensitive column of "
                             f"dataset {dataset.name!r} ({', '.join(dataset.sensitive) or 'none'}).")
    shape, n_classes = dataset.input_shape, dataset.num_classes
    probe = get_model(model_name, shape, n_classes, **options)
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in probe.modules()):
        raise UserInputError(f"the generalization audit trains many copies of {model_name!r} "
                             f"at once, which BatchNorm does not allow: build it without "
                             f"batch_norm.")
    config = replace(train_config, seed=seed)
    # The memorization experiments (random labels, noise sweep, ablation, membership) measure
    # whether and how fast a model *can* fit, so they take more and larger steps than the audited
    # training: a smaller batch (small subsets give few steps) and a 3x learning rate. At the
    # configured 1e-3, LeNet-5 stalled near 97 % training accuracy on 500 shades-mnist images
    # after 50 epochs, true labels included (the few low-contrast dark-tone digits); at 3e-3
    # true, half-noisy and random labels reached 99 % at epochs 17, 37 and 32.
    memo_config = replace(config, batch_size=plan.batch_size or config.batch_size,
                          lr=config.lr * plan.lr_scale)
    data = draw_subsets(dataset, plan.n_train, seed)
    chance = 1.0 / n_classes
    budget, target = plan.epoch_budget, plan.target_train_acc
    common = (model_name, options, shape, n_classes)
    seconds: dict[str, float] = {}
    tables, figures, findings = {}, {}, []

    # Random-label test and label-noise sweep: one stack of models, one per corruption rate.
    clock = time.perf_counter()
    fractions = plan.noise_fractions
    sweep_result, sweep_labels, sweep = run_noise_sweep(
        data, *common, memo_config, device, fractions, budget, target, seed)
    true_k, random_k = fractions.index(0.0), fractions.index(1.0)
    runs = {"true labels": (sweep_result, true_k), "random labels": (sweep_result, random_k)}
    if plan.random_pixels:
        runs["random pixels"] = (train_on_random_pixels(data, *common, memo_config, device, budget,
                                                        target, seed), 0)
    random_table, curves, slowdown = random_label_tables(runs, target)
    seconds["random_labels_and_noise_sweep"] = time.perf_counter() - clock
    tables.update(random_labels=random_table, learning_curves=curves, noise_sweep=sweep)
    figures.update(learning_curves=_figures.learning_curves(curves, target, chance),
                   noise_sweep=_figures.noise_sweep(sweep, chance))
    findings += _findings.random_label_findings(random_table, slowdown, chance, budget, target)
    findings += _findings.noise_findings(sweep)

    # Regularizer ablation on true and random labels; the sweep already has the plain row.
    clock = time.perf_counter()
    base_settings = {"augment": config.augment, "dropout": float(options.get("dropout", 0.0)),
                     "weight_decay": config.weight_decay}
    tables["regularizer_ablation"] = ablation = run_ablation(
        data, *common, memo_config, device, plan.ablation_rows,
        {"true": sweep_labels[true_k], "random": sweep_labels[random_k]}, budget, target, seed,
        reuse=(base_settings, sweep_result, {"true": true_k, "random": random_k}))
    seconds["regularizer_ablation"] = time.perf_counter() - clock
    findings += _findings.ablation_findings(ablation, target)

    # Membership inference on the true- and random-label models, and the control attack.
    clock = time.perf_counter()
    attacked = {"true labels": true_k, "random labels": random_k}
    members_probs = dict(zip(attacked.values(),
                             sweep_result.predict_proba(data.x_train, attacked.values())))
    heldout_probs = dict(zip(attacked.values(),
                             sweep_result.predict_proba(data.x_heldout, attacked.values())))
    attacks, roc = {}, {}
    for name, k in attacked.items():
        heldout_labels = corrupt_labels(data.y_heldout, fractions[k], n_classes,
                                        torch.Generator().manual_seed(seed + 10_000 + k))
        attacks[name] = {
            "members": example_losses(members_probs[k], sweep_labels[k]),
            "nonmembers": example_losses(heldout_probs[k], heldout_labels),
            "member_groups": data.groups_train, "nonmember_groups": data.groups_heldout,
            "train_test_gap": float(sweep.train_acc[k] - sweep.test_acc[k])}
        roc[name] = roc_points(attacks[name]["members"], attacks[name]["nonmembers"])
    half = len(data.y_heldout) // 2
    control = attacks["true labels"]["nonmembers"]
    attacks["control"] = {"members": control[:half], "nonmembers": control[half:],
                          "member_groups": data.groups_heldout.iloc[:half],
                          "nonmember_groups": data.groups_heldout.iloc[half:],
                          "train_test_gap": 0.0}
    roc["control (non-members only)"] = roc_points(control[:half], control[half:])
    tables["membership"] = membership = membership_table(attacks, groups, n_boot=plan.n_boot,
                                                         seed=seed)
    figures["membership_roc"] = _figures.membership_roc(roc)
    findings += _findings.membership_findings(membership)
    seconds["membership"] = time.perf_counter() - clock

    # Seed stability of accuracy and of the subgroup error rates.
    clock = time.perf_counter()
    n_seed_train = plan.seed_train_size or len(dataset.train)
    seed_x, seed_y = ((data.x_train, data.y_train) if n_seed_train <= len(data.y_train)
                      else (dataset.train.x, dataset.train.y))
    seed_config = replace(memo_config, epochs=plan.seed_epochs or config.epochs)
    seed_runs, seed_groups, seed_summary = run_seed_stability(
        seed_x, seed_y, data, groups, *common, seed_config, device,
        [seed + k for k in range(plan.n_seeds)])
    tables.update(seed_runs=seed_runs, seed_groups=seed_groups, seed_summary=seed_summary)
    findings += _findings.seed_findings(seed_runs, seed_summary)
    seconds["seed_stability"] = time.perf_counter() - clock

    # Gradient health of the audited architecture, and the course's sigmoid/ReLU comparison.
    clock = time.perf_counter()
    norms = gradient_norms(*common, data.x_train, data.y_train, config, device,
                           steps=plan.gradient_steps, seed=seed)
    tables["gradient_norms"] = norms
    tables["gradient_health"] = health = gradient_health(norms)
    figures["gradient_norms"] = _figures.gradient_norms(norms)
    findings += _findings.gradient_findings(health, VANISHING_RATIO, EXPLODING_RATIO)
    if plan.compare_activations:
        comparison = [gradient_health(gradient_norms(
            "mlp", {"widths": DEEP_MLP_WIDTHS, "activation": act}, shape, n_classes,
            data.x_train, data.y_train, config, device, steps=plan.gradient_steps, seed=seed))
            .assign(activation=act) for act in ("sigmoid", "relu")]
        tables["gradient_activations"] = comparison = pd.concat(comparison, ignore_index=True)
        findings.append(_findings.activation_finding(comparison))
    seconds["gradient_health"] = time.perf_counter() - clock

    if plan.name == "default":
        findings.append(_findings.Finding(_findings.REDUCED, {
            "n_train": len(data.y_train), "budget": budget, "n_seeds": plan.n_seeds,
            "rows": ", ".join(plan.ablation_rows)}))
    random_row = random_table.set_index("condition").loc["random labels"]
    true_row = random_table.set_index("condition").loc["true labels"]
    overall = membership[(membership.attribute == "all")].set_index("model")
    summary = {
        "random_label_train_acc": float(random_row.train_acc),
        "random_label_test_acc": float(random_row.test_acc),
        "true_label_test_acc": float(true_row.test_acc),
        "slowdown": slowdown if slowdown == slowdown else None,
        "mia_auc": float(overall.auc["true labels"]),
        "mia_auc_random_labels": float(overall.auc["random labels"]),
        "seed_test_acc_std": float(seed_runs.test_acc.std()) if len(seed_runs) > 1 else None,
        "vanishing_layers": int((health.status == "vanishing").sum()),
    }
    protocol_dict = {
        **plan.to_dict(), "device": str(device), "seed": seed, "model": model_name,
        "model_options": options, "train_config": asdict(config),
        "n_train_used": len(data.y_train), "n_heldout": len(data.y_heldout),
        "n_test": len(data.y_test), "seed_stability_train_size": len(seed_y),
        "seed_stability_epochs": seed_config.epochs, "group_columns": groups,
        "ablation_settings": {row: ABLATION_ROWS[row] for row in plan.ablation_rows},
        "vanishing_ratio": VANISHING_RATIO, "exploding_ratio": EXPLODING_RATIO,
        "deep_mlp_widths": list(DEEP_MLP_WIDTHS) if plan.compare_activations else None,
        "seconds": seconds,
    }
    return AuditResult(name="generalization", tables=tables, figures=figures, findings=findings,
                       summary=summary, protocol=protocol_dict,
                       models={"random_labels": sweep_result.model(random_k).cpu()})
