"""`saliency_audit`: where a trained model looks, and whether the maps can be trusted."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from nnaudit.config import PROTOCOLS
from nnaudit.errors import UserInputError
from nnaudit.modelprep import prepare_model, rows_per_pass
from nnaudit.results import AuditResult
from nnaudit.saliency import _figures, _findings
from nnaudit.saliency._faithfulness import (RANDOM_ORDER, captum_scores, curve_aucs,
                                          deletion_insertion_curves, importance)
from nnaudit.saliency._methods import AttributionMethod, Budget, attribute_batched, select_methods
from nnaudit.saliency._sanity import (SIMILARITY_THRESHOLD, cascading_randomization,
                                    data_randomization, learnable_layers, sanity_verdicts)
from nnaudit.saliency._subgroups import (FOREGROUND_DELTA, feature_importance_table,
                                       foreground_mask, foreground_share_table, mean_maps)
from nnaudit.train import predict_proba

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs

# The default protocol is sized for `nnaudit run` on 2 CPU cores (well under 30 s for LeNet-5).
BUDGETS = {"default": Budget(ig_steps=16, smoothgrad_samples=8, occlusion_window=4),
           "full": Budget(ig_steps=64, smoothgrad_samples=32, occlusion_window=2)}
SANITY_EXAMPLES = {"default": 8, "full": 64}       # examples in the randomization cascade
# Cascade steps: default = the top layer, the top two, then all layers; None = one layer a step.
CASCADE_LAYERS = {"default": 3, "full": None}
PREDICTION_POOL = 2048      # test examples scanned for the sample and misclassified examples
DELETION_STEPS = 20
FIGURE_EXAMPLES = 2         # correct and misclassified examples each in the grid (4 rows print legibly)


def saliency_audit(model: nn.Module, dataset, device: torch.device | str, *,
                   n_examples: int = 32,
                   methods: Sequence[str | AttributionMethod] | None = None,
                   random_label_model: nn.Module | None = None, seed: int = 0,
                   protocol: str = "default") -> AuditResult:
    """Attribution maps of ``model`` on test examples, with sanity and faithfulness checks.

    Parameters
    ----------
    model: the trained model (not modified: the audit works on an eval-mode copy).
    dataset: an `nnaudit.data.AuditDataset`; its test split is used.
    device: where attributions are computed.
    n_examples: test examples attributed (a seeded random sample).
    methods: method names from the default table, and/or extra `AttributionMethod` objects
        (e.g. a baseline that ignores the model, which the sanity check must flag).
        None = every default method for the data kind.
    random_label_model: same architecture trained on random labels, for the data-randomization
        test (Adebayo et al. 2018); skipped when None.
    seed: drives the sample, the randomized weights and the random deletion order.
    protocol: "default" (bounded for CPU) or "full" (more steps and examples, Captum's
        infidelity and max-sensitivity).

    Returns
    -------
    AuditResult named "saliency".
    """
    if protocol not in PROTOCOLS:
        raise UserInputError(f"unknown saliency protocol {protocol!r}; choose one of: "
                             f"{', '.join(PROTOCOLS)}.")
    if not isinstance(n_examples, int) or n_examples < 1:
        raise UserInputError(f"saliency n_examples must be a positive integer, got {n_examples!r}.")
    started = time.perf_counter()
    device = torch.device(device)
    test = dataset.test
    if test.x is None:
        raise UserInputError(f"the saliency audit needs the test split of {dataset.name!r} in "
                             "memory; this dataset only streams it.")
    explained = prepare_model(model, device)
    # Randomized copies and the random-label model share the architecture, hence the pass size.
    budget = replace(BUDGETS[protocol],
                     rows_per_pass=rows_per_pass(explained, test.x[:1], device))
    is_image = test.x.dim() == 4
    chosen = select_methods(explained, is_image, budget, methods)

    pool, pool_pred = _prediction_pool(explained, test.x, device, seed)
    sample = pool[:n_examples]
    x = test.x[sample].to(device)
    y = test.y[sample].numpy()
    y_pred = pool_pred[:n_examples]
    target = torch.as_tensor(y_pred, device=device)
    groups = test.groups.iloc[sample].reset_index(drop=True)
    maps = {m.name: attribute_batched(m, explained, x, target) for m in chosen}

    # Sanity checks (Adebayo et al. 2018).
    n_sanity = min(len(x), SANITY_EXAMPLES[protocol])
    cascade = cascading_randomization(
        explained, x[:n_sanity], target[:n_sanity], chosen,
        {name: m[:n_sanity] for name, m in maps.items()},
        max_layers=CASCADE_LAYERS[protocol], seed=seed)
    random_labels = None
    if random_label_model is not None:
        random_labels = data_randomization(
            prepare_model(random_label_model, device), x[:n_sanity], target[:n_sanity], chosen,
            {name: m[:n_sanity] for name, m in maps.items()})
    verdicts = sanity_verdicts(cascade.table, random_labels)

    # Faithfulness (Petsiuk et al. 2018), optionally Captum's metrics.
    curves = deletion_insertion_curves(
        explained, x, target, {m.name: importance(maps[m.name], m.kind) for m in chosen},
        steps=DELETION_STEPS, seed=seed)
    aucs = curve_aucs(curves)
    if protocol == "full":
        scores = pd.DataFrame([{"method": m.name, **captum_scores(explained, x, target, m,
                                                                  maps[m.name], seed=seed)}
                               for m in chosen])
        aucs = aucs.merge(scores, on="method", how="left")

    tables = {"sanity": verdicts, "cascade": cascade.table, "faithfulness": aucs,
              "deletion_curves": curves,
              "examples": _examples_table(sample, y, y_pred, dataset.classes, groups)}
    if random_labels is not None:
        tables["random_labels"] = random_labels
    figures = {"cascade": _figures.cascade_figure(cascade, verdicts),
               "deletion_curves": _figures.curves_figure(curves)}

    if is_image:
        tables["foreground_share"] = foreground_share_table(maps, foreground_mask(x), groups)
        figures["examples"] = _figures.example_grid(
            *_figure_examples(explained, chosen, test, pool, pool_pred, device),
            classes=dataset.classes)
        figures["subgroup_maps"] = _figures.mean_map_grid(
            {name: mean_maps(m, groups, dataset.classes, y_pred) for name, m in maps.items()})
    else:
        names = _feature_names(dataset, test.x.shape[1])
        tables["feature_importance"] = feature_importance_table(maps, groups, names)
        figures["feature_importance"] = _figures.feature_importance_figure(
            tables["feature_importance"])

    passing = verdicts.loc[verdicts["passes"], "method"].tolist()
    failing = verdicts.loc[~verdicts["passes"], "method"].tolist()
    auc_by_method = aucs.set_index("method")
    summary = {
        "methods_passing_sanity": passing, "methods_failing_sanity": failing,
        "deletion_auc": {m.name: float(auc_by_method.loc[m.name, "deletion_auc"]) for m in chosen},
        "insertion_auc": {m.name: float(auc_by_method.loc[m.name, "insertion_auc"])
                          for m in chosen},
        "random_order_deletion_auc": float(auc_by_method.loc[RANDOM_ORDER, "deletion_auc"]),
        "n_examples": int(len(x)),
    }
    findings = _findings.compute(verdicts, aucs, tables.get("foreground_share"),
                                 tables.get("feature_importance"))
    layers = [name for name, _ in learnable_layers(explained)]
    protocol_record = {
        "protocol": protocol, "seed": seed, "device": str(device),
        "n_examples": int(len(x)), "sample": "seeded random sample of the test split",
        "target": "the model's predicted class",
        "methods": [{"name": m.name, "kind": m.kind} for m in chosen],
        "budget": asdict(budget),
        "baselines": {"integrated_gradients": "zeros (black image / mean feature)",
                      "occlusion": "zeros", "deletion": "zeros",
                      "insertion": "Gaussian blur (sigma = side / 7)" if is_image else "zeros"},
        "sanity": {"examples": n_sanity, "layers_top_down": layers,
                   "max_cascade_steps": CASCADE_LAYERS[protocol],
                   "similarity_threshold": SIMILARITY_THRESHOLD,
                   "flag": "mean Spearman correlation of |maps| after full randomization "
                           "(or on the random-label model) above the threshold",
                   "data_randomization": random_label_model is not None},
        "faithfulness": {"steps": DELETION_STEPS, "random_order_seed": seed,
                         "captum_infidelity_sensitivity": protocol == "full"},
        "foreground": {"definition": "|gray - image median| > delta", "delta": FOREGROUND_DELTA}
        if is_image else None,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return AuditResult(name="saliency", tables=tables, figures=figures, findings=findings,
                       summary=summary, protocol=protocol_record)


def _prediction_pool(model, x_all, device, seed):
    """A seeded random subset of the test split and the model's predictions on it."""
    generator = torch.Generator().manual_seed(seed)
    pool = torch.randperm(len(x_all), generator=generator)[:PREDICTION_POOL].numpy()
    return pool, predict_proba(model, x_all[pool], device).argmax(dim=1).numpy()


def _figure_examples(model, methods, test, pool, pool_pred, device):
    """Up to FIGURE_EXAMPLES correct and misclassified examples from the pool, attributed."""
    correct = pool_pred == test.y[pool].numpy()
    picks = np.concatenate([pool[correct][:FIGURE_EXAMPLES], pool[~correct][:FIGURE_EXAMPLES]])
    preds = np.concatenate([pool_pred[correct][:FIGURE_EXAMPLES],
                            pool_pred[~correct][:FIGURE_EXAMPLES]])
    x = test.x[picks].to(device)
    target = torch.as_tensor(preds, device=device)
    maps = {m.name: attribute_batched(m, model, x, target).cpu() for m in methods}
    return x.cpu(), test.y[picks].numpy(), preds, maps


def _examples_table(sample, y, y_pred, classes, groups):
    table = pd.DataFrame({"test_index": sample, "label": [classes[i] for i in y],
                          "prediction": [classes[i] for i in y_pred], "correct": y == y_pred})
    return pd.concat([table, groups], axis=1)


def _feature_names(dataset, n_features):
    names = getattr(dataset, "feature_names", None) or dataset.card.get("feature_names")
    return list(names) if names and len(names) == n_features else [f"feature_{j}"
                                                                    for j in range(n_features)]


def run(inputs: AuditInputs) -> AuditResult:
    """The saliency audit's entry point (`nnaudit.audits`); its data-randomization test uses
    the memorization audit's random-label model when that audit ran."""
    options = inputs.config.saliency
    memorization = inputs.results.get("memorization")
    return saliency_audit(inputs.model, inputs.dataset, inputs.device,
                          n_examples=options.n_examples, methods=options.methods or None,
                          seed=inputs.config.seed, protocol=inputs.config.audits.protocol,
                          random_label_model=memorization.models.get("random_labels")
                          if memorization is not None else None)
