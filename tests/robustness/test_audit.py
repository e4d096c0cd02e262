"""The robustness audit on trained LeNet-5s: tables, effects it must find, and clean controls."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from nnaudit.data.dataset import Split
from nnaudit.fairness import proportion_interval
from nnaudit.results import AuditResult
from nnaudit.robustness import CORRUPTIONS, corrupt, robustness_audit
from nnaudit.robustness._audit import RESERVED_COLUMNS
from nnaudit.robustness._findings import (ADVERSARIAL_GAP, CORRUPTION_GAP, FLIP_RADIUS_GAP,
                                          NO_GROUP_GAP, SHIFT)
from nnaudit.train import predict_proba


def _rows(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def test_the_default_protocol_fills_every_table_and_figure(default_result):
    result = default_result
    assert isinstance(result, AuditResult) and result.name == "robustness"
    assert set(result.tables) == {"clean", "corruptions", "corruption_gaps", "corruption_error",
                                  "corruption_error_gaps", "adversarial", "adversarial_gaps",
                                  "flip_radius", "flip_radii"}
    assert set(result.figures) == {"corruptions", "adversarial", "flip_radius",
                                   "adversarial_examples"}
    assert all(isinstance(f, Figure) for f in result.figures.values())
    corruptions = result.tables["corruptions"]
    assert set(corruptions["corruption"]) == set(CORRUPTIONS)
    assert sorted(corruptions["severity"].unique()) == [0, 1, 3, 5]
    assert result.protocol["n_examples"] == 500 and result.protocol["n_attacked"] == 250
    assert result.protocol["attacks"]["pgd"]["steps"] == 10
    json.dumps(result.summary), json.dumps(result.protocol)  # both go into the manifest


def test_tables_name_every_attribute_in_its_own_column(default_result):
    for name, table in default_result.tables.items():
        if "group" not in table.columns or name == "flip_radii":
            continue
        intersection = table[table["attribute"] == "tone x stroke"]
        assert not intersection.empty, name
        assert (intersection["subgroup"] == intersection["tone"] + " x "
                + intersection["stroke"]).all(), name
        tone_only = table[table["attribute"] == "tone"]
        assert tone_only["stroke"].isna().all() and tone_only["tone"].notna().all(), name
        overall = table[table["attribute"] == "overall"]
        assert (overall["subgroup"] == "all").all() and overall[["tone", "stroke"]].isna().all().all()


def test_every_table_column_is_reserved_against_attribute_names(default_result):
    for name, table in default_result.tables.items():
        unknown = set(table.columns) - RESERVED_COLUMNS - {"tone", "stroke"}
        gap_columns = {c for c in unknown if c.startswith(("worst", "best", "difference", "p_"))}
        assert unknown - gap_columns - {"significant"} == set(), name


def test_severity_zero_reproduces_the_clean_accuracy_exactly(default_result, shades_lenet,
                                                            shades):
    result = default_result
    corruptions, clean = result.tables["corruptions"], result.tables["clean"]
    for name in CORRUPTIONS:
        zero = _rows(corruptions, corruption=name, severity=0).reset_index(drop=True)
        assert (zero["accuracy"] == clean["accuracy"]).all()
        assert (zero["drop"] == 0).all()
    # ... and that accuracy is the model's, recomputed independently on the same sample.
    sample = torch.randperm(len(shades.test.y), generator=torch.Generator().manual_seed(0))[:500]
    predicted = predict_proba(shades_lenet, shades.test.x[sample], "cpu").argmax(dim=1)
    expected = (predicted == shades.test.y[sample]).float().mean().item()
    assert _rows(clean, attribute="overall")["accuracy"].item() == pytest.approx(expected)


def test_a_cell_matches_a_hand_count_with_its_wilson_interval(default_result, shades_lenet,
                                                             shades):
    sample = torch.randperm(len(shades.test.y), generator=torch.Generator().manual_seed(0))[:500]
    x, y = shades.test.x[sample], shades.test.y[sample]
    groups = shades.test.groups.iloc[sample.numpy()].reset_index(drop=True)
    noisy = corrupt(x, "gaussian_noise", 3, seed=0)
    right = (predict_proba(shades_lenet, noisy, "cpu").argmax(dim=1) == y).numpy()
    dark_thin = ((groups["tone"] == "dark") & (groups["stroke"] == "thin")).to_numpy()
    row = _rows(default_result.tables["corruptions"], corruption="gaussian_noise", severity=3,
                subgroup="dark x thin").iloc[0]
    k, n = int(right[dark_thin].sum()), int(dark_thin.sum())
    assert (row["correct"], row["n"]) == (k, n)
    low, high = proportion_interval(k, n)
    assert (row["accuracy_low"], row["accuracy_high"]) == pytest.approx((low, high))


def test_noise_hurts_the_low_contrast_dark_digits_and_the_audit_says_so(default_result):
    """Dark-tone digits have a third of the light ones' ink contrast: noise of the same
    amplitude must break more of those the model reads, significantly, and a finding must
    say it."""
    gaps = _rows(default_result.tables["corruption_gaps"], corruption="gaussian_noise",
                 severity=5, attribute="tone").iloc[0]
    assert gaps["worst_group"] == "dark" and gaps["significant"]
    assert gaps["difference_low"] > 0.2
    table = _rows(default_result.tables["corruptions"], corruption="gaussian_noise", severity=5)
    dark = _rows(table, subgroup="dark").iloc[0]
    assert dark["flip_rate"] == pytest.approx(dark["lost"] / dark["clean_correct"])
    assert any(f.template == CORRUPTION_GAP and "dark" in f.params["group"]
               for f in default_result.findings)


def test_dark_digits_sit_closer_to_the_decision_boundary(default_result):
    radii = default_result.tables["flip_radius"]
    dark, light = (_rows(radii, attribute="tone", subgroup=g).iloc[0] for g in ("dark", "light"))
    assert dark["median_radius_high"] < light["median_radius_low"]
    assert any(f.template == FLIP_RADIUS_GAP for f in default_result.findings)
    adversarial = _rows(default_result.tables["adversarial_gaps"], attack="pgd",
                        attribute="tone")
    assert (adversarial["worst_group"] == "dark").all() and adversarial["significant"].any()
    assert any(f.template == ADVERSARIAL_GAP for f in default_result.findings)


def test_robust_accuracy_falls_with_the_radius(default_result):
    table = _rows(default_result.tables["adversarial"], attribute="overall")
    for _, part in table.groupby("attack"):
        assert part.sort_values("radius")["accuracy"].is_monotonic_decreasing
    pgd = _rows(table, attack="pgd").set_index("radius")["accuracy"]
    fgsm = _rows(table, attack="fgsm").set_index("radius")["accuracy"]
    assert (pgd <= fgsm + 1e-9).all()
    assert pgd[0.3] < 0.05


def test_a_random_attribute_shows_no_gap_a_clean_control(shades_lenet, shades):
    """Groups drawn at random, independent of the images: no gap may survive the correction."""
    coin = np.random.default_rng(1).choice(["heads", "tails"], len(shades.test.y))
    control = Split(shades.test.x, shades.test.y, pd.DataFrame({"coin": coin}))
    result = robustness_audit(shades_lenet, control, shades.classes, "cpu", n_examples=400,
                              corruptions=["gaussian_noise", "contrast", "rotation", "jpeg"],
                              attacks=["fgsm"], seed=0)
    assert not result.tables["corruption_gaps"]["significant"].any()
    assert not result.tables["adversarial_gaps"]["significant"].any()
    assert [f.template for f in result.findings].count(NO_GROUP_GAP) == 1


def test_rotation_augmentation_buys_robustness_to_rotation(plain_lenet, rotation_lenet,
                                                          balanced_shades):
    """Same network, data and seed; the one trained with rotations up to 45 degrees loses
    less accuracy when the test digits are turned by 23 and 34 degrees (severities 2, 3)."""
    drops = {}
    for name, model in (("plain", plain_lenet), ("rotated", rotation_lenet)):
        result = robustness_audit(model, balanced_shades.test, balanced_shades.classes, "cpu",
                                  corruptions=["rotation"], severities=[2, 3], attacks=[],
                                  n_examples=1000)
        drops[name] = _rows(result.tables["corruptions"], attribute="overall").set_index(
            "severity")
    for severity in (2, 3):
        assert drops["rotated"].loc[severity, "drop_high"] < drops["plain"].loc[severity,
                                                                                 "drop_low"]


def test_the_same_seed_gives_the_same_tables(shades_lenet, shades):
    kwargs = dict(n_examples=120, corruptions=["shot_noise", "elastic"], attacks=["fgsm"],
                  radii=[0.05], seed=3)
    first = robustness_audit(shades_lenet, shades.test, shades.classes, "cpu", **kwargs)
    second = robustness_audit(shades_lenet, shades.test, shades.classes, "cpu", **kwargs)
    for name, table in first.tables.items():
        pd.testing.assert_frame_equal(table, second.tables[name])


def test_fgsm_at_radius_zero_keeps_the_clean_accuracy_in_the_table(shades_lenet, shades):
    result = robustness_audit(shades_lenet, shades.test, shades.classes, "cpu", n_examples=100,
                              corruptions=[], attacks=["fgsm"], radii=[0.0])
    table = result.tables["adversarial"]
    assert (table["accuracy"] == table["clean_accuracy"]).all()
    assert (table["lost"] == 0).all() and (table["gained"] == 0).all()
    assert "flip_radius" not in result.tables  # nothing to search below radius 0


def test_shift_compares_with_the_accuracy_on_the_models_own_split(shades_lenet, shades):
    result = robustness_audit(shades_lenet, shades.test, shades.classes, "cpu", n_examples=200,
                              corruptions=["jpeg"], attacks=[], reference_accuracy=0.99)
    shift = result.tables["shift"]
    overall = _rows(shift, attribute="overall").iloc[0]
    assert overall["difference"] == pytest.approx(0.99 - overall["accuracy"])
    assert result.summary["accuracy_drop_under_shift"] == pytest.approx(overall["difference"])
    finding = next(f for f in result.findings if f.template == SHIFT)
    assert finding.severity == "warning"  # 0.99 lies above the interval of this accuracy


def test_feature_vectors_get_noise_and_unbounded_attacks_the_rest_is_skipped():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 6, generator=g)
    y = (x[:, 0] - x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(100):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    groups = pd.DataFrame({"sex": np.where(np.arange(400) % 2, "female", "male")})
    result = robustness_audit(model, Split(x, y, groups), ["no", "yes"], "cpu",
                              attacks=["pgd"], radii=[0.5, 2.0])
    assert set(result.tables["corruptions"]["corruption"]) == {"gaussian_noise"}
    skipped = result.protocol["skipped"]
    assert set(skipped) == set(CORRUPTIONS) - {"gaussian_noise"}
    assert set(skipped.values()) == {"applies to images only"}
    assert result.protocol["bounds"] is None
    assert "adversarial_examples" not in result.figures
    accuracy = _rows(result.tables["adversarial"], attribute="overall")["accuracy"]
    assert accuracy.iloc[-1] < 0.2  # standardized features moved by 2 in L-infinity


def test_findings_are_computed_sentences_with_shares_as_fractions(default_result):
    assert default_result.findings
    for finding in default_result.findings:
        assert finding.text and "{" not in finding.text
        for name, value in finding.params.items():
            if name.endswith("_pct"):
                assert 0 <= value <= 1, (finding.template, name, value)
    severities = [f.severity for f in default_result.findings]
    order = {"alert": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.get)


def test_without_sensitive_attributes_the_tables_hold_everyone_only(shades_lenet, shades):
    split = Split(shades.test.x, shades.test.y, shades.test.groups[[]])
    result = robustness_audit(shades_lenet, split, shades.classes, "cpu", n_examples=100,
                              corruptions=["contrast"], severities=[0], attacks=["fgsm"],
                              radii=[0.05])
    for name in ("clean", "corruptions", "adversarial", "flip_radius"):
        assert set(result.tables[name]["attribute"]) == {"overall"}, name
    assert result.tables["corruption_gaps"].empty and "corruption_error" not in result.tables
    assert NO_GROUP_GAP not in [f.template for f in result.findings]
