"""SliceLine (Sagadeeva & Boehm, SIGMOD 2021) through `sliceline.Slicefinder`, on counts.

The search runs on one row per distinct combination of bins, with its number of rows (what
DuckDB's ``GROUP BY`` returns; rows in memory are grouped the same way first). Slicefinder
cannot serve as it is: its ``fit`` takes no weights, a combination is many rows, and its
evaluation of a level's candidates materializes the partial matches of every row with every
candidate (``x_encoded @ slices.T``): 583 M entries, 4.3 GiB, for 90 k rows and the 13.7 k
third-level candidates of ten columns, which grows with the rows. Expanding counts into rows
would bring both problems back, so a subclass replaces the places where SliceLine sums over
rows, and only those:

- the size and error of the 1-predicate slices (``_create_and_score_basic_slices``) and of the
  candidates of each level (``_eval_slice``): sums of the counts and of the errors over the
  combinations in the slice; a level's candidates are evaluated per set of columns, by one
  ``bincount`` over the cells of those columns, in memory linear in the combinations;
- the largest error of a row in the slice (the upper bound's ``max_slice_errors``): 1 where the
  slice has an error, as on 0/1 rows;
- the average error (``average_error_``): errors over rows, not over combinations.

Everything else (the lattice enumeration, the pruning by size, error and score bound, the
deduplication, the top-k with its ties) is Slicefinder's own code; tests/slices checks that the
top slices, their sizes, errors and scores are those of the unmodified `Slicefinder` on the
rows. The subclass also records every slice it evaluates, for the multiple-testing correction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse as sp
from sliceline import Slicefinder


def _predicates(slices: sp.csr_matrix) -> np.ndarray:
    """The one-hot columns of each slice, sorted (slices of one level have as many each)."""
    slices = sp.csr_matrix(slices)
    slices.sort_indices()
    return slices.indices.reshape(slices.shape[0], -1)


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


class _CountedSlicefinder(Slicefinder):
    """Slicefinder over distinct combinations, each with its number of rows (see the module)."""

    def __init__(self, counts: np.ndarray, **options):
        super().__init__(verbose=False, **options)
        self._counts = np.asarray(counts, dtype=float)
        self._rows = float(self._counts.sum())
        self._row_average = 0.0
        self._categories: np.ndarray | None = None
        self.evaluated: list[tuple[sp.csr_matrix, np.ndarray, np.ndarray]] = []

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
        self._codes = codes
        return self.fit(codes, errors)

    def _create_and_score_basic_slices(self, x_encoded, n_col_x_encoded, errors):
        sizes = np.asarray(x_encoded.T @ self._counts).ravel()
        slice_errors = np.asarray(x_encoded.T @ errors).ravel()
        largest = (np.asarray(x_encoded.T @ (errors > 0).astype(float)).ravel() > 0).astype(float)
        self._record(sp.identity(n_col_x_encoded, format="csr", dtype=bool), sizes, slice_errors)
        valid = (sizes >= self._min_sup_actual) & (slice_errors > 0)
        attributes = np.arange(1, n_col_x_encoded + 1)[valid]
        scores = self._score(sizes[valid], slice_errors[valid], self._rows)
        statistics = np.column_stack((scores, slice_errors[valid], largest[valid], sizes[valid]))
        return self._dummify(attributes, n_col_x_encoded), statistics

    def _eval_slice(self, x_encoded, errors, slices, level):
        sizes, slice_errors, largest = self._cell_sums(errors, sp.csr_matrix(slices))
        scores = self._score(sizes, slice_errors, self._rows)
        self._record(slices, sizes, slice_errors)
        return np.column_stack([scores, slice_errors, largest, sizes])

    def _cell_sums(self, errors, slices: sp.csr_matrix):
        """Rows, errors and largest row error of each slice, per set of columns: the cells of
        those columns summed once by ``bincount``, each slice one cell."""
        if slices.shape[0] == 0:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        categories = self._one_hot_encoder.categories_
        domains = np.array([len(c) for c in categories])
        if self._categories is None:  # each combination's category index, column by column
            self._categories = np.column_stack([np.searchsorted(c, self._codes[:, j])
                                                for j, c in enumerate(categories)])
        owner = np.repeat(np.arange(len(categories)), domains)
        index = np.concatenate([np.arange(d) for d in domains])
        one_hot = _predicates(slices)                 # slice x level, sorted one-hot columns
        columns, group = np.unique(owner[one_hot], axis=0, return_inverse=True)
        sums = np.zeros((slices.shape[0], 3))
        weights = (self._counts, errors, (errors > 0).astype(float))
        for g, chosen in enumerate(columns):
            strides = np.cumprod([1, *domains[chosen[:0:-1]]])[::-1]
            cell = self._categories[:, chosen] @ strides
            members = np.flatnonzero(group.ravel() == g)
            at = index[one_hot[members]] @ strides
            for k, w in enumerate(weights):
                sums[members, k] = np.bincount(cell, weights=w,
                                               minlength=int(np.prod(domains[chosen])))[at]
        return sums[:, 0], sums[:, 1], (sums[:, 2] > 0).astype(float)

    def _record(self, slices, sizes, errors) -> None:
        self.evaluated.append((sp.csr_matrix(slices, dtype=bool), np.asarray(sizes, float).ravel(),
                               np.asarray(errors, float).ravel()))


def find_slices(codes: np.ndarray, events: np.ndarray, counts: np.ndarray, *, k: int,
                max_level: int, min_support: int, alpha: float) -> SearchResult:
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
        finder = _CountedSlicefinder(counts, **options).fit_counts(codes, events)
    categories = finder._one_hot_encoder.categories_
    # one-hot column -> (column position, code)
    owner = np.repeat(np.arange(len(categories)), [len(c) for c in categories])
    value = np.concatenate(categories).astype(int)

    def decode(slices) -> list[tuple[tuple[int, int], ...]]:
        """Each slice as ((column, code), ...) in column order."""
        one_hot = _predicates(slices)
        return [tuple(zip(c, v)) for c, v in zip(owner[one_hot].tolist(), value[one_hot].tolist())]

    best = sp.csr_matrix(finder._top_slices_enc)  # of several levels: row by row
    top = [{int(owner[j]): int(value[j]) for j in best[i].indices} for i in range(best.shape[0])]
    scores = [s["slice_score"] for s in finder.top_slices_statistics_]
    parts = []
    for slices, sizes, errors in finder.evaluated:
        kept = np.flatnonzero(sizes >= min_support)
        if len(kept):
            parts.append(pd.DataFrame({"slice": decode(slices[kept]), "n": sizes[kept],
                                       "events": errors[kept]}))
    examined = pd.concat(parts, ignore_index=True).drop_duplicates("slice") if parts else \
        pd.DataFrame({"slice": [], "n": [], "events": []})
    return SearchResult(top, scores, examined.reset_index(drop=True),
                        [len(c) for c in categories])
