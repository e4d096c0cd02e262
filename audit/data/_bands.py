"""Numeric sensitive columns cut into bands: never one group per distinct value.

An ``age`` column audited as is gives one group per age ("81 subgroups have fewer than 30
examples: 20, 22, ..."). A numeric sensitive column with more than `MAX_VALUES` distinct values
is cut into `QUANTILE_BANDS` bands at its quantiles unless ``bins`` gives its edges (a list) or
its number of quantile bands (an integer); the dataset card says how each was cut.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from nnaudit.errors import UserInputError

MAX_VALUES = 10      # more distinct numbers than this: a measurement, not categories
QUANTILE_BANDS = 4   # quartiles


def numeric_bands(frame: pd.DataFrame, columns: Sequence[str], bins: dict | None,
                  where: str) -> tuple[dict[str, list[float]], dict[str, str]]:
    """The edges of every banded column (given edges kept, counts and numeric columns cut at
    quantiles of ``frame``), and per banded column the sentence that says how."""
    edges, notes = {}, {}
    for column in columns:
        given = (bins or {}).get(column)
        values = pd.to_numeric(frame[column], errors="coerce") if column in frame else None
        numeric = values is not None and values.notna().all() and \
            pd.api.types.is_numeric_dtype(frame[column])
        if isinstance(given, (list, tuple)):
            edges[column] = list(given)
            notes[column] = f"cut into the given bands {list(given)} (left edge included)"
            continue
        if given is None and not (numeric and values.nunique() > MAX_VALUES):
            continue
        if isinstance(given, bool) or not (given is None or isinstance(given, int)) or \
                (given is not None and given < 2):
            raise UserInputError(f"bins for {column!r} must be a list of edges or a number of "
                                 f"bands (2 or more), not {given!r}.")
        if not numeric:
            raise UserInputError(f"bins are given for {column!r} in {where}, which is not numeric.")
        count = given or QUANTILE_BANDS
        cut = np.unique(np.quantile(values.to_numpy(dtype=float), np.linspace(0, 1, count + 1)[:-1]))
        top = float(values.max())
        integer = bool((values == values.round()).all())
        cut = [float(c) for c in (np.floor(cut) if integer else cut)]
        edges[column] = [*cut, top + 1 if integer else float(np.nextafter(top, np.inf))]
        notes[column] = (f"numeric, cut into {len(cut)} bands at its quantiles {edges[column]} "
                         "(left edge included)")
    return edges, notes
