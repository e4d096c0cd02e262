"""French column headers: every column an audit table shows has a translation in the catalog.

`nnaudit.reports.tables.table_view` shows column ``c`` under ``Formatter.header(c)``; a missing
catalog entry leaves an English header in a French report. The tables here come from the real
audit code on tiny inputs (no real training: a few steps of untrained models on random data), so
a column added to an audit fails this test until the catalog translates it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nnaudit.reports.formatting import Formatter
from nnaudit.reports.i18n import has_translation
from nnaudit.reports.model_card import subgroup_counts_view
from nnaudit.reports.tables import table_view

INTERVAL_SUFFIX = " [95% interval]"


def shown_msgids(df: pd.DataFrame, value_columns=()) -> list[str]:
    """The msgids `table_view` looks up for ``df``: its English headers, interval note removed.

    Going through `table_view` itself keeps the test in step with which columns it hides
    (``c_low``/``c_high`` next to ``c``, ``small_group``).
    """
    headers = table_view(df.head(1), "table", Formatter("en"), value_columns=value_columns).headers
    return [h[:-len(INTERVAL_SUFFIX)] if h.endswith(INTERVAL_SUFFIX) else h for h in headers]


def untranslated(tables: dict[str, pd.DataFrame], value_columns=()) -> list[str]:
    """Headers without a French entry; ``value_columns`` (the sensitive attributes' own
    columns) are data, hidden as the reports hide them."""
    return [f"{name}: {msgid!r}" for name, df in tables.items()
            for msgid in shown_msgids(df, value_columns) if not has_translation(msgid, "fr")]


def test_the_check_sees_hidden_columns_and_missing_entries():
    df = pd.DataFrame({"group": ["a"], "error_rate": [0.2], "error_rate_low": [0.1],
                       "error_rate_high": [0.3], "small_group": [False],
                       "zz_not_in_the_catalog": [1]})
    assert shown_msgids(df) == ["group", "error rate", "zz not in the catalog"]
    assert untranslated({"t": df}) == ["t: 'zz not in the catalog'"]


def test_table_view_gives_french_headers():
    df = pd.DataFrame({"group": ["dark"], "n": [120], "error_rate": [0.25],
                       "error_rate_low": [0.2], "error_rate_high": [0.3], "tpr": [0.8],
                       "ppv": [0.7], "fpr": [0.1], "auc": [0.9], "kg_co2eq": [0.01]})
    view = table_view(df, "By group", Formatter("fr"))
    assert view.headers == ["groupe", "effectif", "taux d'erreur [intervalle à 95 %]",
                            "TVP (sensibilité)", "VPP", "TFP", "AUC", "kg éq. CO2"]


# ---- fairness: the trained-model pipeline and the black-box command ------------------------

def _groups(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"sex": rng.choice(["female", "male"], n),
                         "age": rng.choice(["young", "old"], n)})


def test_fairness_tables_of_a_trained_multiclass_model_are_translated():
    # as audit/pipeline.py calls it: class probabilities, no positive class, training groups
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(0)
    n = 300
    probs = rng.dirichlet([1.0, 1.0, 1.0], n)
    result = fairness_audit(rng.integers(0, 3, n), probs.argmax(axis=1), _groups(n, rng),
                            scores=probs, classes=["a", "b", "c"], n_boot=10, seed=0,
                            training_groups=_groups(n, rng))
    assert {"overall", "by_group", "disparity", "tests", "per_class",
            "training_shares"} <= set(result.tables)
    assert untranslated(result.tables, result.protocol["attributes"]) == []


@pytest.mark.parametrize("columns", [{"score": "risk", "threshold": 0.5}, {"pred": "decision"}],
                         ids=["score", "labels"])
def test_fairness_tables_of_the_blackbox_command_are_translated(tmp_path, columns):
    # as `nnaudit fairness` reads a predictions file (audit/pipeline.py::run_blackbox)
    from nnaudit.engines import load_predictions
    from nnaudit.fairness import fairness_audit

    rng = np.random.default_rng(1)
    n = 300
    frame = _groups(n, rng).assign(truth=rng.integers(0, 2, n), risk=rng.random(n))
    frame["decision"] = (frame["risk"] > 0.5).astype(int)
    frame.to_csv(tmp_path / "preds.csv", index=False)
    data = load_predictions(tmp_path / "preds.csv", label="truth", groups=["sex", "age"],
                            **columns)
    result = fairness_audit(**data.audit_kwargs(), n_boot=10, seed=0)
    assert {"overall", "by_group", "disparity", "tests", "parity"} <= set(result.tables)
    if "score" in columns:  # score-based AUC per group
        assert "auc" in result.tables["by_group"].columns
    assert untranslated(result.tables, result.protocol["attributes"]) == []


# ---- energy --------------------------------------------------------------------------------

def test_energy_tables_are_translated():
    from nnaudit.energy import EnergyMeter, PhaseRecord, energy_result

    def record(phase, kwh, items=None):
        return PhaseRecord(phase=phase, status="ok", reason="", duration_s=10.0, items=items,
                           cpu_kwh=kwh, gpu_kwh=kwh / 2, ram_kwh=kwh / 10,
                           kg_co2eq=kwh * 0.056, intensity_g_per_kwh=56.0,
                           cpu_label="measured", gpu_label="measured", ram_label="estimated",
                           cpu_method="RAPL energy counter", gpu_method="NVML energy counter",
                           ram_method="model", cpu_model="cpu", gpu_model="gpu")

    meter = EnergyMeter(country="FRA", enabled=False)
    meter.phases = [record("training", 2.0), record("inference", 0.1, items=1000),
                    record("audit:fairness", 0.5)]
    result = energy_result(meter, predictions_per_day=10_000)
    assert set(result.tables) == {"phases", "inference", "equivalents"}
    assert untranslated(result.tables) == []


# ---- generalization and saliency: real audits on tiny untrained models ----------------------

def test_generalization_tables_are_translated():
    torch = pytest.importorskip("torch")
    from nnaudit.config import TrainConfig
    from nnaudit.data.dataset import AuditDataset, Split
    from nnaudit.generalization import (gradient_health_audit, membership_audit,
                                        memorization_audit, seed_stability_audit)
    from nnaudit.generalization._protocol import ABLATION_ROWS, Protocol
    from nnaudit.models import factory, get_model

    generator = torch.Generator().manual_seed(0)

    def split(n):
        return Split(torch.rand(n, 4, generator=generator),
                     torch.randint(0, 2, (n,), generator=generator),
                     pd.DataFrame({"sex": np.array(["female", "male"])[np.arange(n) % 2]}))

    # Every optional experiment on (random pixels, all ablation rows, the sigmoid/ReLU
    # comparison), at a size that runs in about a second.
    tiny = Protocol(name="tiny", n_train=20, epoch_budget=2, batch_size=10, lr_scale=1.0,
                    target_train_acc=0.99, noise_fractions=(0.0, 1.0), random_pixels=True,
                    ablation_rows=tuple(ABLATION_ROWS), n_seeds=2, seed_train_size=20,
                    seed_epochs=1, gradient_steps=2, compare_activations=True, n_members=20,
                    n_boot=5)
    dataset = AuditDataset("tiny", split(40), split(10), split(20), ["no", "yes"], ["sex"], {})
    make = factory("mlp", (4,), 2, widths=(8,))
    config = TrainConfig(epochs=1, batch_size=10)
    memorization = memorization_audit(dataset, make, config, "cpu", protocol=tiny)
    results = [memorization,
               membership_audit(get_model("mlp", (4,), 2), dataset, "cpu", protocol=tiny,
                                memorization=memorization),
               seed_stability_audit(dataset, make, config, "cpu", protocol=tiny),
               gradient_health_audit(dataset, make, config, "cpu", protocol=tiny)]
    tables = {name: df for result in results for name, df in result.tables.items()}
    assert {"random_labels", "learning_curves", "noise_sweep", "regularizer_ablation",
            "membership", "seed_runs", "seed_groups", "seed_summary", "gradient_norms",
            "gradient_health", "gradient_activations"} <= set(tables)
    assert untranslated(tables) == []


def _dataset(x, y, classes, groups, **card):
    test = SimpleNamespace(x=x, y=y, groups=groups)
    return SimpleNamespace(name="tiny", test=test, classes=classes, card=card)


def test_saliency_tables_of_an_image_model_are_translated():
    torch = pytest.importorskip("torch")
    from nnaudit.data.shades import ATTRIBUTE_DEFINITIONS
    from nnaudit.saliency import saliency_audit
    from nnaudit.models import get_model

    torch.manual_seed(0)
    n = 8
    # the sensitive attributes of the embedded shades-mnist dataset: they become columns of
    # the ``examples`` table
    groups = pd.DataFrame({name: [f"{name}-{i % 2}" for i in range(n)]
                           for name in ATTRIBUTE_DEFINITIONS})
    dataset = _dataset(torch.rand(n, 1, 28, 28), torch.randint(0, 10, (n,)),
                       [str(d) for d in range(10)], groups)
    result = saliency_audit(get_model("lenet5", (1, 28, 28), 10), dataset, "cpu", n_examples=4,
                            methods=["saliency"], seed=0,
                            random_label_model=get_model("lenet5", (1, 28, 28), 10))
    assert {"sanity", "cascade", "faithfulness", "deletion_curves", "examples",
            "random_labels", "foreground_share"} <= set(result.tables)
    assert set(ATTRIBUTE_DEFINITIONS) <= set(result.tables["examples"].columns)
    assert untranslated(result.tables) == []


@pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")
def test_saliency_tables_of_a_tabular_model_are_translated():
    torch = pytest.importorskip("torch")
    from nnaudit.saliency import saliency_audit
    from nnaudit.models import get_model

    torch.manual_seed(0)
    n = 8
    groups = pd.DataFrame({"sex": ["female", "male"] * (n // 2)})
    dataset = _dataset(torch.rand(n, 5), torch.randint(0, 2, (n,)), ["no", "yes"], groups,
                       feature_names=["age", "hours", "income", "debt", "savings"])
    # the full protocol adds Captum's infidelity and sensitivity to the faithfulness table
    result = saliency_audit(get_model("mlp", (5,), 2), dataset, "cpu", n_examples=4,
                            methods=["input_x_gradient"], seed=0, protocol="full")
    assert {"infidelity", "sensitivity_max"} <= set(result.tables["faithfulness"].columns)
    assert "feature_importance" in result.tables
    # "sex" is this made-up dataset's attribute, data rather than a header of ours
    tables = {name: df.drop(columns=list(groups), errors="ignore")
              for name, df in result.tables.items()}
    assert untranslated(tables) == []


# ---- the subgroup counts table of the model card ------------------------------------------

def test_subgroup_counts_headers_are_french():
    card = {"subgroup_counts": {split: {"tone": {"dark": 10, "light": 90}}
                                for split in ("train", "val", "test")}}
    view = subgroup_counts_view(card, Formatter("fr"))
    assert view.headers == ["Groupe", "entraînement", "validation", "test"]



# ---- robustness: the real audit on a few test digits ----------------------------------------

def test_robustness_tables_are_translated():
    from real_results import robustness_result

    result = robustness_result()
    assert {"clean", "corruptions", "corruption_error", "adversarial", "flip_radius",
            "flip_radii"} <= set(result.tables)
    assert untranslated(result.tables, ["tone", "stroke"]) == []
