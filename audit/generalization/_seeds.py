"""Seed stability: would another seed have given another accuracy, or another worst subgroup?

Bouthillier et al. 2021, "Accounting for variance in machine learning benchmarks". The model is
retrained with K seeds (initialization and data order), all at once with `train_many`
(one `nnaudit.compute` job).
"""

from __future__ import annotations

import pandas as pd

from nnaudit.compute import TrainingJob
from nnaudit.train import ManyResult


def seeds_job(x_train, y_train, factory, config, seeds: list[int]) -> TrainingJob:
    """The architecture trained once per seed (initialization and data order), stacked."""
    return TrainingJob("seed_stability", "seeds " + ", ".join(map(str, seeds)), factory, x_train,
                       y_train.expand(len(seeds), -1), config, tuple(seeds),
                       track_train_acc=False)


def seed_tables(result: ManyResult, subsets, group_columns: list[str],
                seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (per-seed accuracy, per-seed subgroup errors, per-subgroup summary).

    The summary has, for each attribute and group, the mean, spread and range of the error
    rate over seeds and in how many seeds the group was that attribute's worst.
    """
    predicted = result.predict_proba(subsets.x_test).argmax(-1)
    runs, groups = [], []
    for k, seed in enumerate(seeds):
        wrong = (predicted[k] != subsets.y_test).numpy()
        runs.append({"seed": seed, "test_acc": float(1 - wrong.mean())})
        for column in group_columns:
            errors = pd.Series(wrong).groupby(subsets.groups_test[column].to_numpy())
            for group, error in errors.mean().items():
                groups.append({"seed": seed, "attribute": column, "subgroup": str(group),
                               "n": int(errors.size()[group]), "error": float(error)})
    runs = pd.DataFrame(runs)
    groups = pd.DataFrame(groups, columns=["seed", "attribute", "subgroup", "n", "error"]).astype(
        {"seed": "int64", "n": "int64", "error": "float64"})
    if groups.empty:  # a dataset without sensitive attributes
        return runs, groups, pd.DataFrame(
            {"attribute": pd.Series(dtype=object), "subgroup": pd.Series(dtype=object),
             **{c: pd.Series(dtype="float64") for c in ("mean_error", "std_error", "min_error",
                                                        "max_error")},
             "times_worst": pd.Series(dtype="int64")})
    worst = groups.loc[groups.groupby(["seed", "attribute"]).error.idxmax()]
    times_worst = worst.groupby(["attribute", "subgroup"]).size()
    summary = (groups.groupby(["attribute", "subgroup"]).error
               .agg(mean_error="mean", std_error="std", min_error="min", max_error="max")
               .assign(times_worst=lambda t: times_worst.reindex(t.index, fill_value=0))
               .reset_index())
    return runs, groups, summary
