"""The four generalization audits' public functions (re-exported by `nnaudit.generalization`)."""

from __future__ import annotations

import time
from dataclasses import asdict, replace

import pandas as pd
import torch
from torch import nn

from nnaudit.config import TrainConfig
from nnaudit.errors import UserInputError
from nnaudit.generalization import _figures, _findings
from nnaudit.compute import Backend, LocalBackend
from nnaudit.generalization._ablation import ablation_jobs, ablation_table
from nnaudit.generalization._gradients import (EXPLODING_RATIO, VANISHING_RATIO, gradient_health,
                                               gradient_norms)
from nnaudit.generalization._membership import (MIN_GROUP_SIZE, example_losses, membership_table,
                                                roc_points)
from nnaudit.generalization._noise_sweep import (corrupt_labels, noise_sweep_job,
                                                 noise_sweep_table, noisy_label_sets)
from nnaudit.generalization._protocol import ABLATION_ROWS, Protocol, make_protocol
from nnaudit.generalization._random_labels import random_label_tables, random_pixels_job
from nnaudit.generalization._schemas import (GRADIENT_TABLES, MEMBERSHIP_TABLES,
                                             MEMORIZATION_TABLES, SEED_TABLES)
from nnaudit.generalization._seeds import seed_tables, seeds_job
from nnaudit.generalization._subsets import draw_subsets
from nnaudit.models import ModelFactory, factory as registered_factory
from nnaudit.results import AuditResult
from nnaudit.train import has_batch_norm, predict_proba

__all__ = ["memorization_audit", "membership_audit", "seed_stability_audit",
           "gradient_health_audit", "MEMORIZATION_TABLES", "MEMBERSHIP_TABLES", "SEED_TABLES",
           "GRADIENT_TABLES"]

# The course's textbook vanishing-gradient example: the same deep MLP with sigmoid and ReLU.
DEEP_MLP_WIDTHS = (256,) * 6
# Held-out labels of the random-label model are drawn from this offset of the run's seed.
HELDOUT_LABEL_SEED = 10_000


def memorization_audit(dataset, factory: ModelFactory, train_config: TrainConfig,
                       device: torch.device | str, *, protocol: str = "default",
                       seed: int = 0, compute: Backend | None = None) -> AuditResult:
    """Can the architecture fit random labels, and what do label noise and regularizers change?

    Parameters
    ----------
    dataset : nnaudit.data.AuditDataset
    factory : fresh models of the audited architecture (`nnaudit.models.factory`).
    train_config : the audited training's hyper-parameters; the experiments use them with the
        protocol's batch size, learning-rate scale and epoch budget.
    protocol : "default" (bounded, for two CPU cores) or "full" (the complete protocol, GPU).
    compute : where the trainings run (`nnaudit.compute`); default: in this process.

    Every model trains until it reaches the protocol's training accuracy or its epoch budget,
    alone or stacked with the others alike. The result's ``models["random_labels"]`` is the
    model trained on random labels, which the membership attack and the saliency audit's
    data-randomization test reuse.
    """
    device = torch.device(device)
    backend = compute or LocalBackend(device)
    plan = make_protocol(protocol, device)
    _refuse_batch_norm(factory, "memorization")
    config = _memorization_config(train_config, plan, seed)
    config = replace(config, schedule=plan.schedule or config.schedule)
    data = draw_subsets(dataset, plan.n_train, seed)
    chance, budget, target = 1.0 / dataset.num_classes, plan.epoch_budget, plan.target_train_acc

    # The trainings, all handed to the backend at once (Ray runs them side by side): the
    # label-noise sweep (its rates 0 and 1 are the random-label test's true and random
    # labels), random pixels, and each regularizer row the sweep does not already have.
    fractions = plan.noise_fractions
    true_k, random_k = fractions.index(0.0), fractions.index(1.0)
    sweep_job, sweep_labels = noise_sweep_job(data, factory, dataset.num_classes, config,
                                              fractions, budget, target, seed)
    jobs = {"sweep": sweep_job}
    if plan.random_pixels:
        jobs["random pixels"] = random_pixels_job(data, factory, config, budget, target, seed)
    plain = {"augment": config.augment, "dropout": float(factory.options.get("dropout", 0.0)),
             "weight_decay": config.weight_decay}
    labels = {kind: sweep_labels[{"true": true_k, "random": random_k}[kind]]
              for kind in plan.ablation_labels}
    row_jobs = ablation_jobs(data, factory, config, plan.ablation_rows, labels, budget, target,
                             seed, trained=plain)
    jobs.update(row_jobs)
    clock = time.perf_counter()
    results = dict(zip(jobs, backend.run(list(jobs.values()))))
    seconds = {"trainings": time.perf_counter() - clock,
               **{job.condition: results[name].train_seconds for name, job in jobs.items()}}

    sweep_result = results["sweep"]
    sweep = noise_sweep_table(sweep_result, fractions, target)
    runs = {"true labels": (sweep_result, true_k), "random labels": (sweep_result, random_k)}
    if plan.random_pixels:
        runs["random pixels"] = (results["random pixels"], 0)
    random_table, curves, slowdown = random_label_tables(runs, target)
    ablation = ablation_table(plan.ablation_rows, {
        row: ((results[row], {kind: i for i, kind in enumerate(labels)}) if row in row_jobs
              else (sweep_result, {"true": true_k, "random": random_k}))
        for row in plan.ablation_rows}, target)

    findings = (_findings.random_label_findings(random_table, slowdown, chance, budget, target)
                + _findings.noise_findings(sweep) + _findings.ablation_findings(ablation, target))
    if plan.name == "default":
        findings.append(_findings.Finding(_findings.REDUCED, {
            "n_train": len(data.y_train), "budget": budget, "n_seeds": plan.n_seeds,
            "rows": ", ".join(plan.ablation_rows)}))
    rows = random_table.set_index("condition")
    return AuditResult(
        name="memorization",
        tables={"random_labels": random_table, "learning_curves": curves, "noise_sweep": sweep,
                "regularizer_ablation": ablation},
        figures={"learning_curves": _figures.learning_curves(curves, target, chance),
                 "noise_sweep": _figures.noise_sweep(sweep, chance)},
        findings=findings,
        summary={"random_label_train_acc": float(rows.train_acc["random labels"]),
                 "random_label_test_acc": float(rows.test_acc["random labels"]),
                 "true_label_test_acc": float(rows.test_acc["true labels"]),
                 "slowdown": slowdown if slowdown == slowdown else None},
        protocol={**_protocol_record(plan, device, seed, factory, config),
                  "n_train_used": len(data.y_train), "n_test": len(data.y_test),
                  "random_label_model": random_k,
                  "ablation_settings": {row: ABLATION_ROWS[row] for row in plan.ablation_rows},
                  "backend": backend.name, "seconds": seconds},
        models={"random_labels": sweep_result.model(random_k).cpu()})


def membership_audit(model: nn.Module, dataset, device: torch.device | str, *,
                     protocol: str = "default", seed: int = 0,
                     memorization: AuditResult | None = None) -> AuditResult:
    """Does the model's loss reveal which examples it was trained on? (Yeom et al. 2018)

    Members are a seeded sample of ``dataset.train`` (the model must have been trained on it),
    non-members as many examples of ``dataset.test``. A control attack between two halves of the
    non-members must find nothing. With the ``memorization`` audit's result, its random-label
    model is attacked too: a model that memorized leaks its members.
    """
    device = torch.device(device)
    plan = make_protocol(protocol, device)
    n = min(len(dataset.train), len(dataset.test), plan.n_members or len(dataset.test))
    if n < 2 * MIN_GROUP_SIZE:  # the control attack splits the non-members in two
        raise UserInputError(f"the membership attack needs at least {2 * MIN_GROUP_SIZE} "
                             f"training and test examples; dataset {dataset.name!r} gives {n}.")
    generator = torch.Generator().manual_seed(seed)
    member_rows = torch.randperm(len(dataset.train), generator=generator)[:n]
    nonmember_rows = torch.randperm(len(dataset.test), generator=generator)[:n]
    members = _rows(dataset.train, member_rows)
    nonmembers = _rows(dataset.test, nonmember_rows)
    groups = list(dataset.sensitive)

    model = model.to(device).eval()
    member_probs = predict_proba(model, members[0], device)
    nonmember_probs = predict_proba(model, nonmembers[0], device)
    accuracy = [float((p.argmax(1) == y).float().mean())
                for p, y in ((member_probs, members[1]), (nonmember_probs, nonmembers[1]))]
    attacks = {"audited model": {
        "members": example_losses(member_probs, members[1]),
        "nonmembers": example_losses(nonmember_probs, nonmembers[1]),
        "member_groups": members[2], "nonmember_groups": nonmembers[2],
        "train_test_gap": accuracy[0] - accuracy[1]}}
    if memorization is not None:
        attacks["random labels"] = _random_label_attack(memorization, dataset, device)
    control = attacks["audited model"]["nonmembers"]
    half = len(control) // 2
    attacks["control"] = {"members": control[:half], "nonmembers": control[half:],
                          "member_groups": nonmembers[2].iloc[:half],
                          "nonmember_groups": nonmembers[2].iloc[half:], "train_test_gap": 0.0}
    roc = {name: roc_points(a["members"], a["nonmembers"]) for name, a in attacks.items()}
    table = membership_table(attacks, groups, n_boot=plan.n_boot, seed=seed)
    overall = table[table.attribute == "all"].set_index("model")
    return AuditResult(
        name="membership", tables={"membership": table},
        figures={"membership_roc": _figures.membership_roc(roc)},
        findings=_findings.membership_findings(table),
        summary={"mia_auc": float(overall.auc["audited model"]),
                 "mia_advantage": float(overall.advantage["audited model"]),
                 "train_test_gap": float(accuracy[0] - accuracy[1]),
                 "mia_auc_random_labels": float(overall.auc["random labels"])
                 if "random labels" in overall.index else None},
        protocol={"protocol": plan.name, "seed": seed, "device": str(device),
                  "attack": "loss threshold (Yeom et al. 2018)",
                  "members": f"{n} examples of the training split, seeded sample",
                  "nonmembers": f"{n} examples of the test split, seeded sample",
                  "control": "first half of the non-members against the second half",
                  "random_label_model": memorization is not None, "n_boot": plan.n_boot,
                  "group_columns": groups})


def seed_stability_audit(dataset, factory: ModelFactory, train_config: TrainConfig,
                         device: torch.device | str, *, protocol: str = "default",
                         seed: int = 0, compute: Backend | None = None) -> AuditResult:
    """Would another seed have given another accuracy, or another worst subgroup?

    Bouthillier et al. 2021. The architecture is retrained with the protocol's seeds (all at
    once, stacked, as one job of ``compute``: `nnaudit.compute`) and each model's test errors
    are broken down by subgroup.
    """
    device = torch.device(device)
    plan = make_protocol(protocol, device)
    _refuse_batch_norm(factory, "seed_stability")
    config = _memorization_config(train_config, plan, seed)
    data = draw_subsets(dataset, plan.n_train, seed)
    n_seed_train = plan.seed_train_size or len(dataset.train)
    x, y = ((data.x_train, data.y_train) if n_seed_train <= len(data.y_train)
            else (dataset.train.x, dataset.train.y))
    config = replace(config, epochs=plan.seed_epochs or train_config.epochs)
    seeds = [seed + k for k in range(plan.n_seeds)]
    backend = compute or LocalBackend(device)
    [result] = backend.run([seeds_job(x, y, factory, config, seeds)])
    runs, groups, summary = seed_tables(result, data, list(dataset.sensitive), seeds)
    return AuditResult(
        name="seed_stability",
        tables={"seed_runs": runs, "seed_groups": groups, "seed_summary": summary},
        findings=_findings.seed_findings(runs, summary),
        summary={"seed_test_acc_mean": float(runs.test_acc.mean()),
                 "seed_test_acc_std": float(runs.test_acc.std()) if len(runs) > 1 else None},
        protocol={**_protocol_record(plan, device, seed, factory, config),
                  "seeds": seeds, "train_size": len(y), "backend": backend.name,
                  "epochs": config.epochs})


def gradient_health_audit(dataset, model_or_factory: nn.Module | ModelFactory,
                          train_config: TrainConfig, device: torch.device | str, *,
                          protocol: str = "default", seed: int = 0) -> AuditResult:
    """Does the gradient reach every layer, without vanishing or exploding? (Glorot & Bengio 2010)

    With a factory, the norms are traced over the first steps of training from initialization,
    where vanishing gradients show; with a trained model only, they are measured at its weights
    on training batches, without updating them.
    """
    device = torch.device(device)
    plan = make_protocol(protocol, device)
    data = draw_subsets(dataset, plan.n_train, seed)
    config = replace(train_config, seed=seed)
    norms = gradient_norms(model_or_factory, data.x_train, data.y_train, config, device,
                           steps=plan.gradient_steps, seed=seed)
    health = gradient_health(norms)
    tables = {"gradient_norms": norms, "gradient_health": health}
    findings = _findings.gradient_findings(health, VANISHING_RATIO, EXPLODING_RATIO)
    if plan.compare_activations:
        comparison = [gradient_health(gradient_norms(
            registered_factory("mlp", dataset.input_shape, dataset.num_classes,
                               widths=DEEP_MLP_WIDTHS, activation=activation),
            data.x_train, data.y_train, config, device, steps=plan.gradient_steps, seed=seed))
            .assign(activation=activation) for activation in ("sigmoid", "relu")]
        tables["gradient_activations"] = comparison = pd.concat(comparison, ignore_index=True)
        findings.append(_findings.activation_finding(comparison))
    trained = not isinstance(model_or_factory, ModelFactory)
    return AuditResult(
        name="gradient_health", tables=tables,
        figures={"gradient_norms": _figures.gradient_norms(norms)}, findings=findings,
        summary={"vanishing_layers": int((health.status == "vanishing").sum()),
                 "exploding_layers": int((health.status == "exploding").sum())},
        protocol={"protocol": plan.name, "seed": seed, "device": str(device),
                  "measured": "at the trained weights, no update" if trained
                              else "from initialization, over the first training steps",
                  "steps": plan.gradient_steps, "batch_size": min(config.batch_size,
                                                                  len(data.y_train)),
                  "vanishing_ratio": VANISHING_RATIO, "exploding_ratio": EXPLODING_RATIO,
                  "deep_mlp_widths": list(DEEP_MLP_WIDTHS) if plan.compare_activations
                  else None})


# --- shared pieces ---------------------------------------------------------------------------

def _refuse_batch_norm(factory: ModelFactory, audit: str) -> None:
    if has_batch_norm(factory()):
        raise UserInputError(f"the {audit} audit trains many copies of {factory.name!r} at "
                             "once, which BatchNorm does not allow: build it without batch_norm.")


def _memorization_config(train_config: TrainConfig, plan: Protocol, seed: int) -> TrainConfig:
    # The memorization experiments measure whether and how fast a model *can* fit, so they take
    # more and larger steps than the audited training: a smaller batch (small subsets give few
    # steps) and a 3x learning rate. At the configured 1e-3, LeNet-5 stalled near 97 % training
    # accuracy on 500 shades-mnist images after 50 epochs, true labels included (the few
    # low-contrast dark-tone digits); at 3e-3 true, half-noisy and random labels reached 99 % at
    # epochs 17, 37 and 32.
    return replace(train_config, seed=seed, batch_size=plan.batch_size or train_config.batch_size,
                   lr=train_config.lr * plan.lr_scale)


def _protocol_record(plan: Protocol, device, seed: int, factory: ModelFactory,
                     config: TrainConfig) -> dict:
    return {**plan.to_dict(), "device": str(device), "seed": seed, "model": factory.name,
            "model_options": dict(factory.options), "train_config": asdict(config)}


def _rows(split, index: torch.Tensor):
    """(x, y, groups) of some rows of a split; a streamed split reads only those rows."""
    x = split.x[index] if split.x is not None else torch.stack([split.stream[int(i)][0]
                                                                 for i in index])
    return x, split.y[index], split.groups.iloc[index.numpy()].reset_index(drop=True)


def _random_label_attack(memorization: AuditResult, dataset, device) -> dict:
    """The attack on the memorization audit's random-label model: its members are the subset it
    was trained on, with the random labels it fitted (both rebuilt from the audit's protocol)."""
    record = memorization.protocol
    data = draw_subsets(dataset, record["n_train"], record["seed"])
    k = record["random_label_model"]
    fractions = record["noise_fractions"]
    labels = noisy_label_sets(data.y_train, fractions, dataset.num_classes, record["seed"])[k]
    heldout = corrupt_labels(data.y_heldout, fractions[k], dataset.num_classes,
                             torch.Generator().manual_seed(record["seed"] + HELDOUT_LABEL_SEED + k))
    model = memorization.models["random_labels"].to(device)
    member_probs = predict_proba(model, data.x_train, device)
    heldout_probs = predict_proba(model, data.x_heldout, device)
    gap = (float((member_probs.argmax(1) == labels).float().mean())
           - float((heldout_probs.argmax(1) == heldout).float().mean()))
    return {"members": example_losses(member_probs, labels),
            "nonmembers": example_losses(heldout_probs, heldout),
            "member_groups": data.groups_train, "nonmember_groups": data.groups_heldout,
            "train_test_gap": gap}
