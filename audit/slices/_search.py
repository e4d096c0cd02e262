"""SliceLine (Sagadeeva & Boehm, SIGMOD 2021) through `sliceline.Slicefinder`, on rows or counts.

On rows, `sliceline.Slicefinder` runs as it is; a subclass only records the statistics of every
slice it evaluates, which the multiple-testing correction needs (how many slices were examined,
and each one's size and events).

On counts (one row per distinct combination of bins, with its number of rows), Slicefinder
cannot serve as it is: its ``fit`` takes no weights, and a combination is many rows. Expanding
each combination into its rows would bring a 100 M-row log back into memory, so the counted
subclass replaces the three places where SliceLine sums over rows, and only those:

- the size and error of the 1-predicate slices (``_create_and_score_basic_slices``) and of the
  candidates of each level (``_eval_slice``): sums of the counts and of the errors over the
  combinations in the slice, instead of over rows;
- the largest error of a row in the slice (the upper bound's ``max_slice_errors``): 1 where the
  slice has an error, as on 0/1 rows;
- the average error (``average_error_``): errors over rows, not over combinations.

Everything else (the lattice enumeration, the pruning by size, error and score bound, the
deduplication, the top-k with its ties) is Slicefinder's own code, so both paths evaluate the
same slices with the same scores and return the same top-k (tests/slices checks this).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse as sp
from sliceline import Slicefinder


@dataclass
class SearchResult:
    """The top slices and every slice examined.

    top: one dict per top slice, column position -> bin code, best first;
    examined: (column position -> code) per examined slice, with its ``n`` and ``events``;
    domains: the number of bins that occur in each column.
    """

    top: list[dict[int, int]]
    scores: list[float]
    examined: pd.DataFrame
    domains: list[int]


class _RecordingSlicefinder(Slicefinder):
    """Slicefinder that keeps (slice, size, errors) of every slice it evaluates."""

    def __init__(self, **options):
        super().__init__(verbose=False, **options)
        self.evaluated: list[tuple[sp.csr_matrix, np.ndarray, np.ndarray]] = []

    def _create_and_score_basic_slices(self, x_encoded, n_col_x_encoded, errors):
        sizes = np.asarray(x_encoded.sum(axis=0)).ravel()
        self._record(sp.identity(n_col_x_encoded, format="csr", dtype=bool), sizes,
                     errors @ x_encoded)
        return super()._create_and_score_basic_slices(x_encoded, n_col_x_encoded, errors)

    def _eval_slice(self, x_encoded, errors, slices, level):
        statistics = super()._eval_slice(x_encoded, errors, slices, level)
        self._record(slices, statistics[:, 3], statistics[:, 1])
        return statistics

    def _record(self, slices, sizes, errors) -> None:
        self.evaluated.append((sp.csr_matrix(slices, dtype=bool), np.asarray(sizes, float).ravel(),
                               np.asarray(errors, float).ravel()))


class _CountedSlicefinder(_RecordingSlicefinder):
    """Slicefinder over distinct combinations, each with its number of rows (see the module)."""

    def __init__(self, counts: np.ndarray, **options):
        super().__init__(**options)
        self._counts = np.asarray(counts, dtype=float)
        self._rows = float(self._counts.sum())
        self._row_average = 0.0

    @property
    def average_error_(self):
        return self._row_average

    @average_error_.setter
    def average_error_(self, _mean_over_combinations):
        # Slicefinder sets the mean of its error vector, here a mean over combinations; the
        # mean over rows is set by `fit_counts` before the search.
        pass

    def fit_counts(self, codes: np.ndarray, errors: np.ndarray) -> "_CountedSlicefinder":
        self._row_average = float(np.sum(errors) / self._rows)
        return self.fit(codes, errors)

    def _sums(self, members, errors):
        """Rows, errors and largest row error of each slice; ``members``: combination x slice."""
        sizes = members.T @ self._counts
        slice_errors = members.T @ errors
        largest = (members.T @ (errors > 0).astype(float) > 0).astype(float)
        return np.asarray(sizes).ravel(), np.asarray(slice_errors).ravel(), np.asarray(largest).ravel()

    def _create_and_score_basic_slices(self, x_encoded, n_col_x_encoded, errors):
        sizes, slice_errors, largest = self._sums(x_encoded, errors)
        self._record(sp.identity(n_col_x_encoded, format="csr", dtype=bool), sizes, slice_errors)
        valid = (sizes >= self._min_sup_actual) & (slice_errors > 0)
        attributes = np.arange(1, n_col_x_encoded + 1)[valid]
        scores = self._score(sizes[valid], slice_errors[valid], self._rows)
        statistics = np.column_stack((scores, slice_errors[valid], largest[valid], sizes[valid]))
        return self._dummify(attributes, n_col_x_encoded), statistics

    def _eval_slice(self, x_encoded, errors, slices, level):
        members = (x_encoded @ slices.T == level).astype(float)
        sizes, slice_errors, largest = self._sums(members, errors)
        scores = self._score(sizes, slice_errors, self._rows)
        self._record(slices, sizes, slice_errors)
        return np.column_stack([scores, slice_errors, largest, sizes])


def find_slices(codes: np.ndarray, events: np.ndarray, counts: np.ndarray | None = None, *,
                k: int, max_level: int, min_support: int, alpha: float) -> SearchResult:
    """The top-``k`` slices of ``codes`` (rows x columns of bin codes) by SliceLine's score.

    ``events``: per row, 1 where it counts against the model (an error, a false positive...);
    with ``counts``, each row of ``codes`` is a combination, ``counts`` its rows and ``events``
    its events. ``min_support``: the fewest rows a slice may have.
    """
    options = dict(alpha=alpha, k=k, max_l=max_level, min_sup=int(min_support))
    codes = np.asarray(codes)
    events = np.asarray(events, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numba's absence: only slower
        if counts is None:
            finder = _RecordingSlicefinder(**options).fit(codes, events)
        else:
            finder = _CountedSlicefinder(counts, **options).fit_counts(codes, events)
    categories = finder._one_hot_encoder.categories_
    # one-hot column -> (column position, code)
    owner = np.repeat(np.arange(len(categories)), [len(c) for c in categories])
    value = np.concatenate(categories).astype(int)

    def decode(row) -> dict[int, int]:
        return {int(owner[j]): int(value[j]) for j in row.indices}

    top = [decode(finder._top_slices_enc[i]) for i in range(finder._top_slices_enc.shape[0])]
    scores = [s["slice_score"] for s in finder.top_slices_statistics_]
    rows = []
    for slices, sizes, errors in finder.evaluated:
        for i in range(slices.shape[0]):
            if sizes[i] >= min_support:
                rows.append((tuple(sorted(decode(slices[i]).items())), sizes[i], errors[i]))
    examined = pd.DataFrame(rows, columns=["slice", "n", "events"]).drop_duplicates("slice")
    return SearchResult(top, scores, examined.reset_index(drop=True),
                        [len(c) for c in categories])
