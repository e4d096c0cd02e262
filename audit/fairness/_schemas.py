"""The fairness audit's tables, as `nnaudit.store.RunWriter` checks them (see `nnaudit.schema`)."""

from nnaudit.fairness._macro import MACRO_RATES
from nnaudit.fairness._metrics import BINARY, CORRECTNESS
from nnaudit.schema import TableSchema, columns, with_intervals

_CELLS = {cell: "int" for cell in (*BINARY.cells, *CORRECTNESS.cells)}
# The AUC comes from score histograms: exact, or within auc_max_error (see CellCounts).
_RATES = with_intervals(*BINARY.rates, *CORRECTNESS.rates, "auc") | columns("auc_max_error:float")
# Multi-class runs without a positive class: PPV, TPR and FPR macro-averaged over the classes.
_MACRO = with_intervals(*(f"macro_{rate}" for rate in MACRO_RATES))
_GROUP = columns("attribute:str subgroup:str")

TABLES = {
    "overall": TableSchema(
        "Every rate over all test rows, with its Wilson interval (AUC: DeLong).",
        columns("n:int") | with_intervals("accuracy", "error_rate"),
        columns("positive:str threshold:float") | _CELLS | _RATES | _MACRO),
    "by_group": TableSchema(
        "One row per subgroup of each grouping (an attribute, a pair, the intersection): "
        "counts, share, every rate with its interval, flags.",
        _GROUP | columns("n:int share:float small_group:bool significant:bool")
        | with_intervals("accuracy", "error_rate"),
        _CELLS | _RATES | _MACRO | columns("own_positive:str"), attributes=True),
    "disparity": TableSchema(
        "Best against worst ranked subgroup per grouping and rate: difference and ratio with "
        "bootstrap intervals.",
        columns("attribute:str metric:str worst_group:str worst:float worst_n:int "
                "best_group:str best:float best_n:int significant:bool")
        | with_intervals("difference", "ratio")),
    "tests": TableSchema(
        "Each subgroup against the rest, per tested rate, Benjamini-Hochberg corrected.",
        _GROUP | columns("metric:str value:float rest:float p_value:float test:str "
                         "p_adjusted:float significant:bool"), attributes=True),
    "parity": TableSchema(
        "fairlearn's demographic parity and equalized odds differences per grouping.",
        columns("attribute:str groups:int")
        | with_intervals("demographic_parity_difference", "equalized_odds_difference")),
    "per_class": TableSchema(
        "One-vs-rest binary rates of every class, overall and per subgroup.",
        columns("class:str") | _GROUP | columns("n:int share:float small_group:bool")
        | {cell: "int" for cell in BINARY.cells} | with_intervals(*BINARY.rates),
        with_intervals("auc") | columns("auc_max_error:float"), attributes=True),
    "verdicts": TableSchema(
        "The declared criterion's verdict per group and rate against its reference: the "
        "difference with its 90% Newcombe interval (two one-sided tests at 5%), the tolerance, "
        "and within, outside or inconclusive (with the rows needed for a conclusive answer).",
        columns("criterion:str metric:str attribute:str subgroup:str reference:str n:int "
                "reference_n:int value:float reference_value:float tolerance:float verdict:str "
                "needed_n:float")
        | with_intervals("difference", "ratio") | columns("tolerance_ratio:float")),
    "calibration": TableSchema(
        "Reliability per subgroup: rows, mean score and observed rate of the positive class "
        "(multi-class: mean confidence and accuracy) with its Wilson interval, per score bin.",
        columns("attribute:str subgroup:str bin:int n:int mean_score:float observed_rate:float "
                "observed_low:float observed_high:float")),
    "calibration_error": TableSchema(
        "Expected calibration error per subgroup with its bootstrap interval, and the "
        "Hosmer-Lemeshow test of calibration within the subgroup (Benjamini-Hochberg corrected).",
        columns("attribute:str subgroup:str n:int ece:float ece_low:float ece_high:float "
                "statistic:float p_value:float p_adjusted:float calibrated:bool")),
    "training_shares": TableSchema(
        "Each audited subgroup's share of the training data, and its balanced share.",
        _GROUP | columns("share:float balanced_share:float"), attributes=True),
}
