"""The slice audit's table, as `nnaudit.store.RunWriter` checks it (see `nnaudit.schema`)."""

from nnaudit.schema import TableSchema, columns, with_intervals

TABLES = {
    "slices": TableSchema(
        "The top slices by SliceLine's score, ranked: each slice's predicates (as text and as "
        "a SQL WHERE), rows, events, rate with its Wilson interval, excess over the overall "
        "rate, test against the rest, Benjamini-Hochberg across every slice examined.",
        columns("slice:int description:str where:str columns:str level:int n:int events:int")
        | with_intervals("rate")
        | columns("overall_rate:float excess:float rest_rate:float p_value:float "
                  "p_adjusted:float score:float sensitive:bool significant:bool")),
    "composition": TableSchema(
        "With declared sensitive attributes: each value's share of each top slice's rows, "
        "against its share of all rows.",
        columns("slice:int attribute:str value:str share:float share_overall:float")),
}
