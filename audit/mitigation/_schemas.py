"""The mitigation audit's tables, as `nnaudit.store.RunWriter` checks them (`nnaudit.schema`)."""

from nnaudit.fairness import TABLES as FAIRNESS_TABLES
from nnaudit.schema import TableSchema, columns, with_intervals

_BY_GROUP = FAIRNESS_TABLES["by_group"]

TABLES = {
    "by_group": TableSchema(
        "Every subgroup's rates with their Wilson intervals, decided by the base model "
        "(method 'base') and by each remedy, on the same evaluation rows.",
        columns("method:str")
        | {name: kind for name, kind in _BY_GROUP.required.items() if name != "significant"},
        _BY_GROUP.optional, attributes=True),
    "disparity_change": TableSchema(
        "Per remedy, grouping and rate: the gap between the highest and the lowest subgroup "
        "before and after, and its change, with paired bootstrap intervals.",
        columns("method:str attribute:str metric:str targeted:bool groups:int "
                "highest_before:str lowest_before:str highest_after:str lowest_after:str "
                "significant:bool")
        | with_intervals("before", "after", "change")),
    "methods": TableSchema(
        "Per remedy: what it did and on which rows, the accuracy before and after, its "
        "headline gap, and the energy of its own training or fitting.",
        columns("method:str remedy:str attributes:str fitted_on:str evaluated_on:str "
                "evaluated_rows:int energy_label:str seconds:float")
        | with_intervals("accuracy_before", "accuracy_after", "accuracy_change"),
        columns("constraint:str gap_attribute:str gap_metric:str extra_kwh:float "
                "base_training_kwh:float")
        | with_intervals("gap_before", "gap_after", "gap_change")),
    "thresholds": TableSchema(
        "The rule of each group of a threshold remedy: with probability p0 the decision is "
        "'score operator0 threshold0', otherwise 'score operator1 threshold1'.",
        columns("method:str subgroup:str p0:float operator0:str threshold0:float p1:float "
                "operator1:str threshold1:float"), attributes=True),
}
