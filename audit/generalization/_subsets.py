"""The images every experiment of the audit shares: members, held-out non-members, test."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from nnaudit.errors import UserInputError


@dataclass
class Subsets:
    """``train``: the memorization experiments' training images (the attack's members);
    ``heldout``: training-distribution images none of those models saw (the non-members:
    unused training rows, then the validation split); ``test``: the test split."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    groups_train: pd.DataFrame
    x_heldout: torch.Tensor
    y_heldout: torch.Tensor
    groups_heldout: pd.DataFrame
    x_test: torch.Tensor
    y_test: torch.Tensor
    groups_test: pd.DataFrame


def draw_subsets(dataset, n_train: int, seed: int) -> Subsets:
    """Draw up to ``n_train`` training images at random and as many held-out ones (the rest of
    the training split, then the validation split), fewer when the two splits are smaller."""
    n_all, n_val = len(dataset.train), len(dataset.val)
    if n_all < 20:
        raise UserInputError(f"dataset {dataset.name!r} has {n_all} training examples; the "
                             f"generalization audit needs at least 20.")
    n_train = min(n_train, (n_all + n_val) // 2, n_all)
    order = torch.randperm(n_all, generator=torch.Generator().manual_seed(seed))
    members, rest = order[:n_train], order[n_train:]
    n_heldout = min(n_train, len(rest) + n_val)
    from_train = rest[:n_heldout]
    from_val = torch.arange(n_heldout - len(from_train))
    return Subsets(
        *_rows(dataset.train, members),
        *_join(_rows(dataset.train, from_train), _rows(dataset.val, from_val)),
        *_rows(dataset.test, torch.arange(len(dataset.test))))


def _rows(split, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, pd.DataFrame]:
    if split.x is not None:
        x = split.x[index]
    elif len(index):  # a streamed split: only the rows this audit uses are read
        x = torch.stack([split.stream[int(i)][0] for i in index])
    else:
        x = None
    return x, split.y[index], split.groups.iloc[index.numpy()].reset_index(drop=True)


def _join(a, b):
    if b[0] is None:
        return a
    if a[0] is None:
        return b
    return (torch.cat([a[0], b[0]]), torch.cat([a[1], b[1]]),
            pd.concat([a[2], b[2]], ignore_index=True))
