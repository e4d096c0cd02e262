"""The mitigation audit reads in French: its sentences, table headers and labels."""

import re

import numpy as np
import pandas as pd

from nnaudit.mitigation import DecisionSpace, Evaluation, Remedy, mitigation_result
from nnaudit.mitigation._findings import TEMPLATES
from nnaudit.reports.formatting import Formatter
from nnaudit.reports.i18n import has_translation, translator
from nnaudit.reports.tables import table_view

INTERVAL = " [95% interval]"


def a_result():
    """A real mitigation result: a threshold remedy with its rules and a retraining."""
    rng = np.random.default_rng(0)
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], 400)})
    y = rng.integers(0, 2, 400)
    before = np.where(rng.random(400) < np.where(groups["sex"] == "f", 0.3, 0.1), 1 - y, y)
    after = np.where(rng.random(400) < 0.15, 1 - y, y)
    rules = pd.DataFrame({"subgroup": ["f", "m"], "p0": [1.0, 0.4], "operator0": [">", ">"],
                          "threshold0": [0.5, 0.6], "p1": [0.0, 0.6], "operator1": [">", ">"],
                          "threshold1": [0.5, 0.7], "sex": ["f", "m"]})
    evaluation = Evaluation(y, before, groups, DecisionSpace.of(["no", "yes"], None, 0.5),
                            ["sex"], "the test split (400 rows)", n_boot=100)
    return mitigation_result(evaluation, [
        Remedy("threshold", "threshold (equalized_odds)", after, ("tpr", "fpr"), "validation",
               constraint="equalized_odds", extra_kwh=1e-6, energy_label="estimated",
               thresholds=rules),
        Remedy("resample", "resample", after, ("error_rate",), "training")],
        base_training_kwh=1e-4, protocol={"base_run": "x"})


def test_every_template_is_translated_with_its_placeholders():
    fr = translator("fr")
    for template in TEMPLATES:
        assert has_translation(template, "fr"), template
        assert set(re.findall(r"{(\w+)}", fr(template))) == set(re.findall(r"{(\w+)}", template))


def test_every_header_table_name_and_label_is_translated():
    result = a_result()
    assert set(result.tables) == {"methods", "by_group", "disparity_change", "thresholds"}
    english = Formatter("en")
    missing = []
    for name, df in result.tables.items():
        headers = table_view(df.head(1), name, english, value_columns=["sex"]).headers
        missing += [h for h in (h.removesuffix(INTERVAL) for h in headers)
                    if not has_translation(h, "fr")]
    keys = [*result.tables, *result.figures, *result.summary, *result.protocol, result.name]
    missing += [english.label(k) for k in keys if not has_translation(english.label(k), "fr")]
    assert not missing, f"add to reports/locales/fr/LC_MESSAGES/nnaudit.po: {missing}"
