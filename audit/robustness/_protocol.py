"""What the default and the full protocol run, and the checks on the user's choices.

The default protocol is sized for ``nnaudit run`` on two CPU cores (a LeNet-5 on shades-mnist:
a few seconds): a sample of the test split, three severities, a 10-step PGD. The full protocol
runs every corruption and severity on the whole test split and a 40-step PGD (Madry et al.
2018's MNIST evaluation), with a finer search for each image's flipping radius.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

from nnaudit.config import PROTOCOLS
from nnaudit.errors import UserInputError
from nnaudit.robustness._attacks import ATTACKS
from nnaudit.robustness._corruptions import CORRUPTIONS, MAX_SEVERITY

# Radii per norm, for images in [0, 1] (or standardized features). L-infinity 0.3 and L2 2 are
# the usual MNIST budgets; 0.03 (8/255) and 0.5 the CIFAR-10 ones.
DEFAULT_RADII = {
    "default": {"Linf": (0.01, 0.03, 0.1, 0.3), "L2": (0.5, 1.0, 2.0)},
    "full": {"Linf": (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3),
             "L2": (0.25, 0.5, 1.0, 2.0, 3.0)},
}


@dataclass(frozen=True)
class Protocol:
    """One protocol's sizes; ``to_dict()`` goes into the result's ``protocol``."""

    name: str
    n_examples: int | None        # test images audited (a seeded sample); None: all
    n_attacked: int | None        # the first of them also attacked; None: all
    severities: tuple[int, ...]
    pgd_steps: int
    flip_levels: int              # bisection levels over 2**levels radii (see radius_grid)
    radii: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # norm -> radii

    def to_dict(self) -> dict:
        out = asdict(self)
        out["severities"] = list(self.severities)
        out["radii"] = {norm: list(r) for norm, r in self.radii.items()}
        return out


def make_protocol(name: str) -> Protocol:
    if name == "default":
        return Protocol("default", n_examples=500, n_attacked=250, severities=(1, 3, 5),
                        pgd_steps=10, flip_levels=5, radii=DEFAULT_RADII["default"])
    if name == "full":
        return Protocol("full", n_examples=None, n_attacked=None,
                        severities=tuple(range(1, MAX_SEVERITY + 1)),
                        pgd_steps=40, flip_levels=8, radii=DEFAULT_RADII["full"])
    raise UserInputError(f"unknown robustness protocol {name!r}; choose one of: "
                         f"{', '.join(PROTOCOLS)}.")


def check_corruptions(names: Sequence[str] | None) -> list[str]:
    return _check_names(names, CORRUPTIONS, "corruption")


def check_severities(severities: Sequence[int] | None, default: tuple[int, ...]) -> list[int]:
    """Sorted severities, 0 (the clean input) always included."""
    chosen = default if severities is None else severities
    chosen = [chosen] if isinstance(chosen, (numbers.Real, str)) else list(chosen)
    for severity in chosen:
        if isinstance(severity, bool) or not isinstance(severity, numbers.Real) or not (
                float(severity).is_integer() and 0 <= severity <= MAX_SEVERITY):
            raise UserInputError(f"severity {severity!r} is outside 0-{MAX_SEVERITY}; severities "
                                 f"are whole numbers from 0 (clean) to {MAX_SEVERITY}.")
    return sorted({0, *(int(s) for s in chosen)})


def check_attacks(names: Sequence[str] | None) -> list[str]:
    return _check_names(names, ATTACKS, "attack")


def _check_names(names: Sequence[str] | str | None, known: Mapping, what: str) -> list[str]:
    """The chosen names in order, without repeats; None = all ``known``."""
    if names is None:
        return list(known)
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in known:
            raise UserInputError(f"unknown {what} {name!r}; choose from: {', '.join(known)}.")
    return list(dict.fromkeys(names))


def check_radii(radii: Sequence[float] | Mapping[str, Sequence[float]] | None,
                attacks: list[str], plan: Protocol) -> dict[str, list[float]]:
    """Radii per attack: the protocol's for its norm, one list for all, or one per attack."""
    if radii is None:
        chosen = {a: plan.radii[ATTACKS[a].norm] for a in attacks}
    elif isinstance(radii, Mapping):
        unknown = [a for a in radii if a not in attacks]
        if unknown:
            raise UserInputError(f"radii are given for {unknown[0]!r}, which is not among the "
                                 f"attacks run ({', '.join(attacks) or 'none'}).")
        chosen = {a: radii.get(a, plan.radii[ATTACKS[a].norm]) for a in attacks}
    else:
        chosen = {a: radii for a in attacks}
    for attack, values in chosen.items():
        values = [values] if isinstance(values, (numbers.Real, str)) else list(values)
        if not values:
            raise UserInputError(f"no radius is given for the attack {attack!r}.")
        for radius in values:
            if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not (
                    math.isfinite(radius) and radius >= 0):
                raise UserInputError(f"attack radius {radius!r} for {attack!r} must be a finite "
                                     "number of at least 0.")
        chosen[attack] = sorted({float(r) for r in values})
    return chosen


def check_n_examples(n_examples: int | None, plan: Protocol) -> tuple[int | None, int | None]:
    """Images audited under corruption, and how many of them are attacked (None: all).

    A number given by the user applies to both; the protocol's attack fewer images.
    """
    if n_examples is None:
        return plan.n_examples, plan.n_attacked
    if isinstance(n_examples, bool) or not isinstance(n_examples, numbers.Integral) or (
            n_examples < 1):
        raise UserInputError(f"robustness n_examples must be a positive whole number, got "
                             f"{n_examples!r}.")
    return int(n_examples), int(n_examples)


def check_reference_accuracy(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise UserInputError(f"reference_accuracy must be a share between 0 and 1, got {value!r}.")
    return float(value)
