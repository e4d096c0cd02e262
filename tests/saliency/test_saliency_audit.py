"""The saliency audit on a trained LeNet-5: the checks find what they must find."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from nnaudit.errors import UserInputError
from nnaudit.saliency import SIMILARITY_THRESHOLD, AttributionMethod, saliency_audit
from nnaudit.modelprep import prepare_model
from nnaudit.saliency._methods import Budget, attribute_batched, image_methods
from nnaudit.saliency._sanity import cascading_randomization, sanity_verdicts
from nnaudit.models import get_model


def _input_itself(model, x, target):
    return x.clone()


def _sobel_edges(model, x, target):
    """An edge detector of the input: a 'saliency map' that never looks at the model."""
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], device=x.device)
    kernels = torch.stack([kx, kx.T])[:, None]
    gray = x.mean(dim=1, keepdim=True)
    edges = F.conv2d(gray, kernels, padding=1).pow(2).sum(dim=1, keepdim=True).sqrt()
    return edges.expand_as(x).contiguous()


BROKEN = [AttributionMethod("input_itself", _input_itself),
          AttributionMethod("sobel_edges", _sobel_edges)]


@pytest.fixture(scope="module")
def audit_result(trained_lenet, digit_test_set):
    return saliency_audit(trained_lenet, digit_test_set, "cpu", n_examples=16,
                          methods=["saliency", "integrated_gradients", *BROKEN], seed=0)


def test_every_image_method_returns_finite_maps_of_the_input_shape(trained_lenet, digits):
    x = digits[0][-6:]
    model = prepare_model(trained_lenet, torch.device("cpu"))
    target = model(x).argmax(dim=1)
    for method in image_methods(Budget(ig_steps=8, smoothgrad_samples=4)):
        maps = attribute_batched(method, model, x, target)
        assert maps.shape == x.shape, method.name
        assert torch.isfinite(maps).all(), method.name
        assert maps.abs().sum() > 0, method.name


def test_gradient_maps_change_under_full_parameter_randomization(trained_lenet, digits):
    x = digits[0][-8:]
    model = prepare_model(trained_lenet, torch.device("cpu"))
    target = model(x).argmax(dim=1)
    saliency = image_methods(Budget())[0]
    original = {"saliency": attribute_batched(saliency, model, x, target)}
    cascade = cascading_randomization(model, x, target, [saliency], original, seed=0)
    assert cascade.table["layer"].tolist() == [
        "classifier.7", "classifier.4", "classifier.1", "features.3", "features.0"]
    full = cascade.table.iloc[-1]
    assert full["spearman_abs"] < 0.5
    assert abs(full["spearman_signed"]) < 0.3
    assert sanity_verdicts(cascade.table, None)["passes"].tolist() == [True]
    # the trained model itself is untouched by the cascade
    assert torch.equal(attribute_batched(saliency, model, x, target), original["saliency"])


def test_audit_reports_gradient_passing_and_broken_methods_failing(audit_result):
    summary = audit_result.summary
    assert "saliency" in summary["methods_passing_sanity"]
    assert {"input_itself", "sobel_edges"} <= set(summary["methods_failing_sanity"])
    sanity = audit_result.tables["sanity"].set_index("method")
    assert sanity.loc["input_itself", "full_randomization_spearman_abs"] == pytest.approx(1.0)
    assert sanity.loc["sobel_edges", "full_randomization_spearman_abs"] == pytest.approx(1.0)
    assert sanity.loc["saliency", "full_randomization_spearman_abs"] < SIMILARITY_THRESHOLD
    alerts = {f.params["method"] for f in audit_result.findings if f.severity == "alert"}
    assert {"input_itself", "sobel_edges"} <= alerts
    assert "saliency" not in alerts


def test_integrated_gradients_deletion_beats_a_random_order(audit_result):
    deletion = audit_result.summary["deletion_auc"]
    random_order = audit_result.summary["random_order_deletion_auc"]
    assert deletion["integrated_gradients"] < random_order - 0.1
    aucs = audit_result.tables["faithfulness"].set_index("method")
    assert aucs.loc["integrated_gradients", "insertion_auc"] > aucs.loc["random order",
                                                                          "insertion_auc"]


def test_result_contract(audit_result):
    assert audit_result.name == "saliency"
    assert audit_result.summary["n_examples"] == 16
    assert set(audit_result.figures) == {"cascade", "deletion_curves", "examples", "subgroup_maps"}
    assert all(isinstance(f, Figure) for f in audit_result.figures.values())
    assert audit_result.protocol["sanity"]["similarity_threshold"] == SIMILARITY_THRESHOLD
    share = audit_result.tables["foreground_share"]
    assert set(share["subgroup"]) == {"all", "heavy", "light"}
    for finding in audit_result.findings:
        assert "{" not in finding.text and finding.severity in {"info", "warning", "alert"}


def test_data_randomization_flags_the_model_blind_method(trained_lenet, digit_test_set):
    untrained = get_model("lenet5", (1, 28, 28), 10)  # stands in for a random-label model
    result = saliency_audit(trained_lenet, digit_test_set, "cpu", n_examples=8,
                            methods=["saliency", BROKEN[0]], random_label_model=untrained)
    random_labels = result.tables["random_labels"].set_index("method")
    assert random_labels.loc["input_itself", "spearman_abs"] == pytest.approx(1.0)
    assert random_labels.loc["saliency", "spearman_abs"] < SIMILARITY_THRESHOLD
    assert result.protocol["sanity"]["data_randomization"] is True


def test_user_errors_name_the_value(trained_lenet, digit_test_set):
    with pytest.raises(UserInputError, match="'guided_backprop'"):
        saliency_audit(trained_lenet, digit_test_set, "cpu", methods=["guided_backprop"])
    with pytest.raises(UserInputError, match="n_examples"):
        saliency_audit(trained_lenet, digit_test_set, "cpu", n_examples=0)
    flat = AttributionMethod("flat", lambda model, x, target: x.flatten(1))
    with pytest.raises(UserInputError, match="'flat'"):
        saliency_audit(trained_lenet, digit_test_set, "cpu", n_examples=4, methods=[flat])


@pytest.mark.slow
def test_default_audit_runs_every_method(trained_lenet, digit_test_set):
    result = saliency_audit(trained_lenet, digit_test_set, "cpu")
    methods = {"saliency", "integrated_gradients", "smoothgrad", "grad_cam", "occlusion"}
    assert set(result.summary["deletion_auc"]) == methods
    assert set(result.summary["methods_passing_sanity"]) | set(
        result.summary["methods_failing_sanity"]) == methods
    assert {"saliency", "smoothgrad", "grad_cam"} <= set(result.summary["methods_passing_sanity"])
