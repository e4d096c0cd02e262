"""Declared schemas of the audits' tables: the contract between the engine and its renderers.

Each audit declares the tables it writes (``TABLES`` beside its entry point, named in
`nnaudit.audits`), and `nnaudit.store.RunWriter` checks every table against its declaration
when it writes it. Reports, the dashboard and ``nnaudit query`` can then rely on the columns: a
subgroup is one column per sensitive attribute (its value, or null when the grouping does not
involve it) beside a display label, never an "a x b" string to split.

Column kinds: ``str`` (text, nulls allowed), ``int`` (integers), ``float`` (any number; NaN
allowed), ``bool``. A table with ``attributes=True`` may have any further text columns: the
sensitive attributes, named by the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

KINDS = ("str", "int", "float", "bool")


class SchemaError(RuntimeError):
    """A table does not match its declaration: a bug in the audit that wrote it."""


def columns(spec: str) -> dict[str, str]:
    """``"n:int share:float"`` -> ``{"n": "int", "share": "float"}``."""
    out = {}
    for item in spec.split():
        name, _, kind = item.partition(":")
        if kind not in KINDS:
            raise ValueError(f"column {name!r}: unknown kind {kind!r}")
        out[name] = kind
    return out


def with_intervals(*names: str) -> dict[str, str]:
    """A float column and its ``_low`` / ``_high`` 95 % interval columns, for each name."""
    return {f"{name}{suffix}": "float" for name in names for suffix in ("", "_low", "_high")}


@dataclass(frozen=True)
class TableSchema:
    """What one table holds.

    required:   column -> kind, always present.
    optional:   column -> kind, present in some runs (a score column, a binary task's rates).
    attributes: any further column is a sensitive attribute's text column.
    """

    description: str
    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    attributes: bool = False

    def check(self, df: pd.DataFrame, where: str) -> None:
        """Raise `SchemaError` naming the first column that breaks the declaration."""
        for name in df.columns:
            if not isinstance(name, str):
                raise SchemaError(f"{where}: column {name!r} is not named by a string")
        for name in self.required:
            if name not in df.columns:
                raise SchemaError(f"{where}: the declared column {name!r} is missing")
        for name in df.columns:
            kind = self.required.get(name) or self.optional.get(name)
            if kind is None:
                if not self.attributes:
                    raise SchemaError(f"{where}: column {name!r} is not declared")
                kind = "str"
            if len(df) and not _is_kind(df[name], kind):  # an empty column has no type to check
                raise SchemaError(f"{where}: column {name!r} is {df[name].dtype}, declared {kind}")


def _is_kind(series: pd.Series, kind: str) -> bool:
    if kind == "float":
        return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if kind == "int":
        return pd.api.types.is_integer_dtype(series)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(series)
    values = series.dropna()
    return (pd.api.types.is_string_dtype(series) or series.dtype == object) and \
        all(isinstance(v, str) for v in values)
