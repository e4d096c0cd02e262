"""What the default and the full protocol run: sizes, budgets, rows, seeds.

The default protocol is bounded for ``nnaudit run`` on two CPU cores (about a minute on
shades-mnist, every generalization audit together); the full protocol is the complete one,
meant for a GPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from nnaudit.errors import UserInputError

# Regularizer settings of the ablation rows (Zhang et al. 2016, Table 1).
ABLATION_ROWS = {
    "none": {"augment": False, "dropout": 0.0, "weight_decay": 0.0},
    "augmentation": {"augment": True, "dropout": 0.0, "weight_decay": 0.0},
    "dropout": {"augment": False, "dropout": 0.5, "weight_decay": 0.0},
    "weight decay": {"augment": False, "dropout": 0.0, "weight_decay": 5e-4},
    "all": {"augment": True, "dropout": 0.5, "weight_decay": 5e-4},
}


@dataclass(frozen=True)
class Protocol:
    """One protocol's parameters; ``to_dict()`` goes into the result's ``protocol``."""

    name: str
    n_train: int                  # training images of the memorization experiments
    epoch_budget: int             # epochs before a run that did not reach the target stops
    batch_size: int | None        # of the memorization experiments; None: the configured one
    lr_scale: float               # their learning rate, times the configured one
    target_train_acc: float       # "fitted" means this training accuracy
    noise_fractions: tuple[float, ...]
    random_pixels: bool
    ablation_rows: tuple[str, ...]
    n_seeds: int
    seed_train_size: int | None   # None: the whole training split
    seed_epochs: int | None       # None: the configured epochs
    gradient_steps: int
    compare_activations: bool     # the course's sigmoid-versus-ReLU MLP comparison
    n_members: int | None         # members and non-members attacked; None: as many as possible
    n_boot: int
    # the label kinds each regularizer row trains ("true", "random"); the "none" row always has
    # both (it is the noise sweep's)
    ablation_labels: tuple[str, ...] = ("true", "random")
    # the memorization experiments' learning-rate schedule; None: the configured one
    schedule: str | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["noise_fractions"] = list(self.noise_fractions)
        out["ablation_rows"] = list(self.ablation_rows)
        out["ablation_labels"] = list(self.ablation_labels)
        return out


def make_protocol(name: "str | Protocol", device: torch.device) -> Protocol:
    """The named protocol (a `Protocol` is returned as is); the default one runs fewer seeds on
    a CPU than on a GPU."""
    if isinstance(name, Protocol):
        return name
    if name == "default":
        # 1,500 images: on shades-mnist the true-label model generalizes (test accuracy
        # 74.9 % from 1,000 images, 86.5 % from 2,000; 60 % from 500, where the 25 dark-tone
        # digits were too few). A constant learning rate and 100 epochs let random labels reach
        # 99 %: under the cosine schedule the rate fades before they fit (96.6 % of the
        # balanced control's 1,500 images after 80 epochs). The augmentation and dropout rows
        # train true labels only: random labels under a regularizer take more than the budget
        # on two CPU cores, and a row "not fitted in 100" would read as "regularization
        # prevents memorization"; --full trains both. Numbers and costs: docs/generalization.md.
        return Protocol(
            name="default", n_train=1500, epoch_budget=100, batch_size=32, lr_scale=3.0,
            target_train_acc=0.99,
            noise_fractions=(0.0, 0.5, 1.0), random_pixels=False,
            ablation_rows=("none", "augmentation", "dropout"),
            n_seeds=3 if device.type == "cpu" else 5,
            seed_train_size=500, seed_epochs=None, gradient_steps=100,
            compare_activations=False, n_members=1000, n_boot=200, ablation_labels=("true",),
            schedule="none")
    if name == "full":
        return Protocol(
            name="full", n_train=20000, epoch_budget=200, batch_size=None, lr_scale=3.0,
            target_train_acc=0.99,
            noise_fractions=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), random_pixels=True,
            ablation_rows=tuple(ABLATION_ROWS), n_seeds=5, seed_train_size=None,
            seed_epochs=None, gradient_steps=300, compare_activations=True, n_members=None,
            n_boot=1000)
    raise UserInputError(f"generalization protocol must be 'default' or 'full', not {name!r}.")
