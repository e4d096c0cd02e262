"""Bad input: one clear sentence naming the value, or the part recorded as skipped with why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from nnaudit.data.dataset import Split
from nnaudit.errors import UserInputError
from nnaudit.robustness import ATTACKS, CORRUPTIONS, robustness_audit
from nnaudit.robustness._audit import RESERVED_COLUMNS
from nnaudit.robustness._findings import ATTACKS_SKIPPED

CHECKS = settings(max_examples=25, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])


class _Tiny(nn.Module):
    """A linear classifier of 8 x 8 images: the checks run before any real work."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(64, 3)

    def forward(self, x):
        return self.linear(x.flatten(1))


class _OutsideAutograd(_Tiny):
    def forward(self, x):
        with torch.no_grad():
            return torch.from_numpy(super().forward(x).numpy())


@pytest.fixture(scope="module")
def split():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 1, 8, 8, generator=g)
    groups = pd.DataFrame({"tone": np.where(np.arange(40) % 2, "dark", "light")})
    return Split(x, torch.arange(40) % 3, groups)


def _audit(split, model=None, **kwargs):
    return robustness_audit(model or _Tiny(), split, ["a", "b", "c"], "cpu", **kwargs)


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message


@CHECKS
@given(name=st.text(min_size=1, max_size=20).filter(lambda n: n not in CORRUPTIONS))
def test_an_unknown_corruption_is_named(split, name):
    with pytest.raises(UserInputError, match="unknown corruption") as error:
        _audit(split, corruptions=["gaussian_noise", name])
    assert repr(name) in str(error.value) and _one_sentence(str(error.value))


@CHECKS
@given(severity=st.one_of(st.integers(max_value=-1), st.integers(min_value=6),
                          st.floats(0, 5).filter(lambda s: not float(s).is_integer()),
                          st.just("3"), st.just(True)))
def test_a_severity_outside_0_to_5_is_named(split, severity):
    with pytest.raises(UserInputError, match="severity") as error:
        _audit(split, severities=[1, severity])
    assert repr(severity) in str(error.value) and _one_sentence(str(error.value))


@CHECKS
@given(radius=st.one_of(st.floats(max_value=-1e-9), st.just(float("nan")),
                        st.just(float("inf")), st.just("0.1")))
def test_a_negative_or_non_finite_radius_is_named(split, radius):
    with pytest.raises(UserInputError, match="radius") as error:
        _audit(split, attacks=["fgsm"], radii=[0.1, radius])
    assert repr(radius) in str(error.value) and _one_sentence(str(error.value))


@CHECKS
@given(name=st.text(min_size=1, max_size=20).filter(lambda n: n not in ATTACKS))
def test_an_unknown_attack_is_named(split, name):
    with pytest.raises(UserInputError, match="unknown attack") as error:
        _audit(split, attacks=[name])
    assert repr(name) in str(error.value)


@CHECKS
@given(n=st.one_of(st.integers(max_value=0), st.floats(0.5, 10), st.just("10")))
def test_n_examples_must_be_a_positive_whole_number(split, n):
    with pytest.raises(UserInputError, match="n_examples"):
        _audit(split, n_examples=n)


@pytest.mark.parametrize("kwargs, message", [
    ({"protocol": "quick"}, "unknown robustness protocol 'quick'"),
    ({"reference_accuracy": 1.5}, "reference_accuracy must be a share"),
    ({"radii": {"pgd_l2": [1.0]}, "attacks": ["pgd"]}, "not among the attacks run"),
])
def test_other_bad_arguments_get_one_sentence(split, kwargs, message):
    with pytest.raises(UserInputError, match=message):
        _audit(split, **kwargs)


@pytest.mark.parametrize("column", sorted(RESERVED_COLUMNS)[:5] + ["severity", "radius"])
def test_an_attribute_named_like_a_table_column_is_refused(split, column):
    renamed = Split(split.x, split.y, split.groups.rename(columns={"tone": column}))
    with pytest.raises(UserInputError, match=f"{column!r}"):
        _audit(renamed, corruptions=["jpeg"], attacks=[])


def test_a_streamed_split_and_a_model_that_is_no_module_are_refused(split):
    with pytest.raises(UserInputError, match="in memory"):
        _audit(Split(None, split.y, split.groups, stream=object()))
    with pytest.raises(UserInputError, match="nn.Module"):
        _audit(split, model=lambda x: x)


def test_a_model_without_gradients_skips_the_attacks_and_says_why(split):
    result = _audit(split, model=_OutsideAutograd(), corruptions=["contrast"])
    assert "corruptions" in result.tables and "adversarial" not in result.tables
    reason = result.protocol["skipped"]["attacks"]
    assert "gradient" in reason and result.summary["attacks_skipped"] == reason
    assert any(f.template == ATTACKS_SKIPPED for f in result.findings)


def test_asking_for_attacks_on_a_model_without_gradients_is_an_error(split):
    with pytest.raises(UserInputError, match="need the model's input gradients") as error:
        _audit(split, model=_OutsideAutograd(), attacks=["pgd"])
    assert _one_sentence(str(error.value))
