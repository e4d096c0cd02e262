"""Black-box mode: a predictions file in, fairness_audit inputs out; each bad input refused."""

import numpy as np
import pandas as pd
import pytest

from nnaudit.engines import load_predictions
from nnaudit.errors import UserInputError
from nnaudit.fairness import fairness_audit


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 400
    label = rng.integers(0, 2, n)
    return pd.DataFrame({
        "truth": label,
        "guess": np.where(rng.random(n) < 0.1, 1 - label, label),
        "decile": np.clip(np.round(label * 4 + rng.random(n) * 6) + 1, 1, 10),
        "race": rng.choice(["a", "b"], n), "sex": rng.choice(["f", "m"], n),
        "kind": rng.choice(["x", "y", "z"], n)})


def write(frame, tmp_path, name="preds.csv"):
    path = tmp_path / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


def test_pred_column_csv_and_parquet_agree(frame, tmp_path):
    results = []
    for name in ("preds.csv", "preds.parquet"):
        inputs = load_predictions(write(frame, tmp_path, name), label="truth", pred="guess",
                                  groups="race,sex")
        assert inputs.classes == ["0", "1"] and inputs.positive is None
        assert list(inputs.groups.columns) == ["race", "sex"]
        result = fairness_audit(**inputs.audit_kwargs(), n_boot=50)
        results.append(result.tables["by_group"])
    pd.testing.assert_frame_equal(results[0], results[1])
    errors = (frame["truth"] != frame["guess"]).mean()
    overall = fairness_audit(**inputs.audit_kwargs(), n_boot=0).tables["overall"]
    assert overall["error_rate"].iloc[0] == pytest.approx(errors)
    assert inputs.card["size"] == {"test": 400}
    assert sum(inputs.card["subgroup_counts"]["test"].values()) == 400
    assert inputs.counts.n == 400


def test_score_and_threshold(frame, tmp_path):
    path = write(frame, tmp_path)
    inputs = load_predictions(path, label="truth", score="decile", threshold=7, groups=["race"])
    assert inputs.positive == "1" and inputs.threshold == 7
    result = fairness_audit(**inputs.audit_kwargs(), n_boot=50)
    overall = result.tables["overall"].iloc[0]
    predicted = frame["decile"] >= 7
    assert overall["tp"] == int((predicted & (frame["truth"] == 1)).sum())
    assert overall["fp"] == int((predicted & (frame["truth"] == 0)).sum())
    assert 0.5 < overall["auc"] <= 1 and "auc" in result.tables["by_group"]
    assert result.protocol["threshold"] == 7


@pytest.mark.parametrize("kwargs, message", [
    (dict(label="truth", pred="nope", groups=["race"]), r"'nope' not found in .*preds\.csv"),
    (dict(label="truth", pred="guess", groups=["race", "ghost"]), "'ghost'"),
    (dict(label="truth", groups=["race"]), "either a prediction column"),
    (dict(label="truth", pred="guess", score="decile", groups=["race"]), "not both"),
    (dict(label="kind", score="decile", threshold=5, groups=["race"]), "3 values.*binary"),
    (dict(label="truth", pred="guess", positive="yes", groups=["race"]), "'yes' does not occur"),
    (dict(label="truth", score="decile", threshold=11, groups=["race"]), "outside the range"),
    (dict(label="truth", score="decile", threshold=0.5, groups=["race"]), "outside the range"),
])
def test_bad_arguments(frame, tmp_path, kwargs, message):
    with pytest.raises(UserInputError, match=message):
        load_predictions(write(frame, tmp_path), **kwargs)


def test_missing_group_values(frame, tmp_path):
    frame["race"] = frame["race"].astype(object)
    frame.loc[3, "race"] = None
    with pytest.raises(UserInputError, match="'race'.*1 missing"):
        load_predictions(write(frame, tmp_path), label="truth", pred="guess", groups=["race"])
    frame.loc[3, "race"] = "  "
    with pytest.raises(UserInputError, match="'race'.*missing or empty"):
        load_predictions(write(frame, tmp_path, "p.parquet"), label="truth", pred="guess",
                         groups=["race"])


def test_missing_predictions_are_named_with_their_row(frame, tmp_path):
    frame["guess"] = frame["guess"].astype(float)
    frame.loc[[5, 9], "guess"] = np.nan
    with pytest.raises(UserInputError, match=r"Prediction column 'guess'.*2 missing values "
                                             r"\(first at row 5\)"):
        load_predictions(write(frame, tmp_path), label="truth", pred="guess", groups=["race"])


def test_missing_labels_are_named_as_labels(frame, tmp_path):
    # issue 13: a NaN label was reported as "predictions and labels differ in length"
    frame["truth"] = frame["truth"].astype(float)
    frame.loc[[17, 30], "truth"] = np.nan
    with pytest.raises(UserInputError, match=r"Label column 'truth'.*2 missing values "
                                             r"\(first at row 17\); every row needs its true label"):
        load_predictions(write(frame, tmp_path), label="truth", pred="guess", groups=["race"])


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(UserInputError, match="does not exist"):
        load_predictions(tmp_path / "none.csv", label="a", pred="b", groups=["c"])
    (tmp_path / "p.json").write_text("{}")
    with pytest.raises(UserInputError, match="neither CSV"):
        load_predictions(tmp_path / "p.json", label="a", pred="b", groups=["c"])


def test_multiclass_file_with_positive(frame, tmp_path):
    frame["guess3"] = np.where(np.arange(len(frame)) % 5 == 0, "y", frame["kind"])
    inputs = load_predictions(write(frame, tmp_path), label="kind", pred="guess3",
                              groups=["sex"], positive="z")
    result = fairness_audit(**inputs.audit_kwargs(), n_boot=50)
    assert result.protocol["positive"] == "z"
    assert set(result.tables["per_class"]["class"]) == {"x", "y", "z"}
    assert "tpr" in result.tables["by_group"]
