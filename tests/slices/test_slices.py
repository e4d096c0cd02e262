"""The slice audit: an injected conjunction is found, a clean control finds nothing, the counts
give the rows' slices, and each slice's numbers and SQL are those of its rows."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from nnaudit.engines import read_slice_data
from nnaudit.errors import UserInputError
from nnaudit.fairness import proportion_interval
from nnaudit.slices import RATES, TABLES, slices_audit
from nnaudit.slices._search import find_slices
from sliceline import Slicefinder


def biased_predictions(n=20_000, seed=0, error=0.45, base=0.10):
    """Binary predictions wrong ``base`` of the time, and ``error`` of the time in the
    conjunction region == 'north' and age < 25 (ages 18 to 52, so age <= 24 is the lowest
    fifth: a quantile bin); income and job are noise."""
    rng = np.random.default_rng(seed)
    age = 18 + np.arange(n) % 35
    region = rng.choice(["north", "south", "east", "west"], n)
    y = rng.integers(0, 2, n)
    wrong = rng.random(n) < np.where((region == "north") & (age < 25), error, base)
    return pd.DataFrame({"age": age, "region": region, "income": rng.normal(50, 10, n),
                         "job": rng.choice([f"job {i}" for i in range(40)], n),
                         "y": y, "pred": np.where(wrong, 1 - y, y)})


def audit(source, aggregate, **options):
    data = read_slice_data(source, label="y", pred="pred", aggregate=aggregate)
    return slices_audit(data, **options)


@pytest.mark.parametrize("aggregate", [False, True], ids=["rows", "counts"])
def test_the_injected_conjunction_is_the_top_slice(tmp_path, aggregate):
    path = tmp_path / "preds.parquet"
    biased_predictions().to_parquet(path)
    result = audit(path, aggregate, sensitive=["region"])
    top = result.tables["slices"].iloc[0]
    assert top["description"] == "age ≤ 24 & region = 'north'"
    assert top["where"] == "\"age\" <= 24 AND \"region\" = 'north'"
    assert top["significant"] and top["sensitive"]
    assert top["rate_low"] > 0.40 > top["overall_rate"] * 3
    for name, schema in TABLES.items():
        schema.check(result.tables[name], f"slices/{name}")
    # who is in each slice: the top one is all north (a quarter of the rows overall)
    composition = result.tables["composition"].set_index(["slice", "attribute", "value"])
    north = composition.loc[(1, "region", "north")]
    assert north["share"] == 1.0 and 0.23 < north["share_overall"] < 0.27
    assert composition.groupby(level=[0, 1])["share"].sum().to_numpy() == pytest.approx(1.0)
    # the finding says the top slice involves the declared attribute
    assert result.findings[0].params["slice"] == 1 and "declared sensitive" in result.findings[0].template


def test_without_declared_attributes_the_top_slice_is_new():
    result = audit(biased_predictions(), True)
    first = result.findings[0]
    assert first.severity == "alert" and "nobody named" in first.template
    assert first.params["description"] == "age ≤ 24 & region = 'north'"


def test_predictions_independent_of_every_column_give_no_significant_slice():
    frame = biased_predictions(error=0.10)  # the same columns, no bias anywhere
    result = audit(frame, True, min_support=100)
    # among the slices examined some look worse by chance: uncorrected, they would pass
    assert result.summary["uncorrected_significant"] > 0
    assert result.summary["significant_examined"] == 0
    assert not result.tables["slices"]["significant"].any()
    assert "No slice" in result.findings[0].template
    assert result.summary["significant_slices"] == 0 and result.summary["worst_slice"] is None


def test_numbers_are_those_of_the_rows_hand_worked():
    # 200 rows: group a wrong 30 of 50 times, group b 10 of 150 (min support 30)
    frame = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 150,
                          "y": [1] * 200,
                          "pred": [0] * 30 + [1] * 20 + [0] * 10 + [1] * 140})
    result = audit(frame, True)
    table = result.tables["slices"]
    assert list(table["description"]) == ["g = 'a'"]
    row = table.iloc[0]
    assert (row["n"], row["events"]) == (50, 30)
    assert row["rate"] == pytest.approx(0.6) and row["overall_rate"] == pytest.approx(0.2)
    assert row["excess"] == pytest.approx(0.4) and row["rest_rate"] == pytest.approx(10 / 150)
    assert (row["rate_low"], row["rate_high"]) == pytest.approx(proportion_interval(30, 50))
    # Fisher's exact test, one-sided: 50 rows drawn from 200 holding 40 errors hold >= 30
    assert row["p_value"] == pytest.approx(hypergeom.sf(29, 200, 40, 50))
    assert row["p_value"] < 1e-12
    # two slices examined and possible (g = a, g = b): BH multiplies the smaller p-value by 2
    assert result.summary["slices_examined"] == result.summary["slices_tested"] == 2
    assert row["p_adjusted"] == pytest.approx(2 * row["p_value"])


def sliceline_on_rows(data, **options):
    """The unmodified `sliceline.Slicefinder` on every row: top slices (column -> code) with
    their score, errors and size."""
    codes = data.table[[f"c{i}" for i in range(len(data.bins))]].to_numpy()
    finder = Slicefinder(verbose=False, **options).fit(codes, data.table["wrong"].to_numpy(float))
    top = [{j: int(v) for j, v in enumerate(row) if v is not None} for row in finder.top_slices_]
    return top, [(s["slice_score"], s["sum_slice_error"], s["slice_size"])
                 for s in finder.top_slices_statistics_]


@pytest.mark.parametrize("seed", [0, 1])
def test_the_counted_search_finds_what_sliceline_finds_on_the_rows(seed):
    frame = biased_predictions(n=6000, seed=seed).drop(columns="job")
    frame["visits"] = frame.index % 4
    rows = read_slice_data(frame, label="y", pred="pred", aggregate=False)
    counts = read_slice_data(frame, label="y", pred="pred")
    assert len(counts.table) < len(rows.table)
    events = counts.table["wrong"].to_numpy(float) * counts.table["n"].to_numpy()
    codes = counts.table[[f"c{i}" for i in range(len(counts.bins))]].to_numpy()
    for alpha, k in ((0.95, 10), (0.99, 4)):
        expected, statistics = sliceline_on_rows(rows, alpha=alpha, k=k, max_l=3, min_sup=30)
        found = find_slices(codes, events, counts.table["n"].to_numpy(), k=k, max_level=3,
                            min_support=30, alpha=alpha)
        assert found.top == expected and len(expected) >= 3
        assert found.scores == pytest.approx([s for s, _, _ in statistics])
        examined = dict(zip(found.examined["slice"], zip(found.examined["n"],
                                                          found.examined["events"])))
        assert [examined[tuple(sorted(s.items()))] for s in found.top] == \
            [(size, errors) for _, errors, size in statistics]


@pytest.mark.parametrize("rate", list(RATES))
def test_counts_give_the_same_slices_as_the_rows(tmp_path, rate):
    frame = biased_predictions(n=6000, seed=3)
    frame["flag"] = frame["income"] > 55                  # a boolean column
    frame["visits"] = frame.index % 4                     # few numeric values: kept as values
    rng = np.random.default_rng(4)                        # more positives for visits 0,
    frame.loc[(frame["visits"] == 0) & (rng.random(6000) < 0.4), "pred"] = 1
    frame.loc[(frame["visits"] == 1) & (rng.random(6000) < 0.4), "pred"] = 0  # fewer for 1
    frame.loc[frame.index % 17 == 0, "income"] = np.nan   # missing values: a bin of their own
    frame.loc[frame.index % 23 == 0, "job"] = None
    path = tmp_path / "preds.csv"
    frame.to_csv(path, index=False)
    on_rows = audit(path, False, rate=rate, min_support=60)
    on_counts = audit(path, True, rate=rate, min_support=60)
    pd.testing.assert_frame_equal(on_rows.tables["slices"], on_counts.tables["slices"])
    assert on_rows.summary == on_counts.summary
    assert len(on_rows.tables["slices"]) > 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(40, 400), levels=st.integers(1, 6))
def test_counts_equal_rows_on_random_frames(seed, n, levels):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.integers(0, levels, n), "b": rng.choice(list("xyz"), n),
                          "c": rng.normal(size=n).round(1), "y": rng.integers(0, 2, n)})
    frame["pred"] = np.where(rng.random(n) < 0.3, 1 - frame["y"], frame["y"])
    tables = [audit(frame, aggregate, min_support=5).tables["slices"] for aggregate in (False, True)]
    pd.testing.assert_frame_equal(*tables)


def test_each_where_selects_exactly_its_slice_even_with_hostile_names(tmp_path):
    frame = biased_predictions(n=4000, seed=1).rename(columns={"region": 're"gion\'s'})
    frame['re"gion\'s'] = frame['re"gion\'s'].replace({"north": "o'north\"; DROP TABLE x; --"})
    path = tmp_path / "preds.parquet"
    frame.to_parquet(path)
    table = audit(path, True, min_support=40).tables["slices"]
    assert "DROP TABLE" in table["description"].iloc[0]
    connection = duckdb.connect()
    for row in table.itertuples():
        n, events = connection.execute(
            f"SELECT COUNT(*), SUM(CASE WHEN y <> pred THEN 1 ELSE 0 END) "
            f"FROM read_parquet('{path}') WHERE {row.where}").fetchone()
        assert (n, events) == (row.n, row.events), row.where


def test_score_and_threshold_decide_like_a_prediction():
    frame = biased_predictions(n=4000, seed=2)
    frame["risk"] = np.where(frame["pred"] == 1, 0.8, 0.2)
    by_score = slices_audit(read_slice_data(frame.drop(columns="pred"), label="y", score="risk",
                                            threshold=0.5))
    by_pred = slices_audit(read_slice_data(frame.drop(columns="risk"), label="y", pred="pred"))
    pd.testing.assert_frame_equal(by_score.tables["slices"], by_pred.tables["slices"])


def test_high_cardinality_columns_keep_their_frequent_values_and_an_other_bucket():
    frame = biased_predictions(n=3000)
    data = read_slice_data(frame, label="y", pred="pred", max_values=5)
    job = next(b for b in data.bins if b.column == "job")
    assert job.other and len(job.values) == 4
    age = next(b for b in data.bins if b.column == "age")
    assert age.kind == "number" and age.cuts[0] == 24       # quantile cuts, actual values


@pytest.mark.parametrize("change, options, fragment", [
    (lambda f: f, {"columns": ["nope"]}, "'nope' not found"),
    (lambda f: f, {"columns": ["y"]}, "label or the prediction"),
    (lambda f: f.assign(y=f["y"].astype(object).where(f.index != 7)), {}, "missing values"),
    (lambda f: f[["y", "pred"]], {}, "no column to slice on"),
    (lambda f: f.iloc[:0], {}, "no rows"),
])
def test_bad_input_is_one_sentence(change, options, fragment):
    with pytest.raises(UserInputError, match=fragment):
        read_slice_data(change(biased_predictions(n=200)), label="y", pred="pred", **options)


def test_a_rate_that_needs_a_positive_class_refuses_several_classes():
    frame = biased_predictions(n=600).assign(y=lambda f: f.index % 3, pred=lambda f: f.index % 3)
    with pytest.raises(UserInputError, match="positive class"):
        slices_audit(read_slice_data(frame, label="y", pred="pred"), rate="fpr")


def test_the_pipeline_entry_slices_a_models_predictions_and_refuses_counts():
    from nnaudit.audits import BY_NAME
    from nnaudit.inputs import AuditInputs
    from nnaudit.config import load_config
    from nnaudit.pipeline import ModelPredictions
    from nnaudit.slices import run

    frame = biased_predictions(n=4000, seed=6)
    y = frame["y"].to_numpy()
    probs = np.eye(2)[frame["pred"].to_numpy()]
    predictions = ModelPredictions(y_true=y, probs=probs, classes=["no", "yes"],
                                   groups=frame[["region", "job"]].astype(str), positive="yes",
                                   threshold=0.5, training_groups=None)
    inputs = AuditInputs(load_config(None, {}), predictions=predictions)
    assert BY_NAME["slices"].missing(inputs.available()) is None
    result = run(inputs)
    assert result.tables["slices"]["description"].iloc[0] == "region = 'north'"
    assert result.tables["slices"]["sensitive"].all()  # the columns are the declared ones

    class Counted:
        attributes = ["region"]
        counts = None
    with pytest.raises(UserInputError, match="rows"):
        run(AuditInputs(load_config(None, {}), predictions=Counted()))


def test_the_audit_reads_in_french():
    from nnaudit.reports.formatting import Formatter
    from nnaudit.reports.i18n import has_translation
    from nnaudit.slices._findings import TEMPLATES

    from tests.reports.test_column_labels import untranslated

    result = audit(biased_predictions(n=3000), True, sensitive=["region"])
    assert untranslated(result.tables) == []
    labels = Formatter("en")
    keys = [*result.summary, *result.protocol, "slices"]
    assert [k for k in keys if not has_translation(labels.label(k), "fr")] == []
    assert all(has_translation(t, "fr") for t in TEMPLATES)


def test_predicates_read_as_text_and_as_sql():
    from nnaudit.engines import MISSING, ColumnBins
    from nnaudit.slices._predicates import bin_label, describe, where

    bins = [ColumnBins("city", "values", values=("L'Isle", "Lyon", "Paris"), other=True),
            ColumnBins('a"ge', "number", cuts=(24.0, 31.5)),
            ColumnBins("visits", "values", values=(0.0, 1.0), numeric=True)]
    assert describe({0: 0, 1: 1, 2: 1}, bins) == "city = \"L'Isle\" & 24 < a\"ge ≤ 31.5 & visits = 1"
    assert where({0: 0, 1: 1, 2: 1}, bins) == \
        "\"city\" = 'L''Isle' AND \"a\"\"ge\" > 24 AND \"a\"\"ge\" <= 31.5 AND \"visits\" = 1"
    assert where({0: 3}, bins) == "\"city\" NOT IN ('L''Isle', 'Lyon', 'Paris')"
    assert describe({1: 2, 0: MISSING}, bins) == "city IS NULL & a\"ge > 31.5"
    assert [bin_label(bins[1], c) for c in (0, 1, 2, MISSING)] == \
        ["≤ 24", "24 < · ≤ 31.5", "> 31.5", "NULL"]
