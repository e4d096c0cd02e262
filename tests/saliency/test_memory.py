"""Pass sizes: the measured cost of a row, and methods that keep every pass within the budget."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nnaudit import modelprep
from nnaudit.modelprep import BACKWARD_FACTOR, bytes_per_row, prepare_model, rows_per_pass
from nnaudit.saliency._methods import Budget, attribute_batched, image_methods
from nnaudit.models import get_model


def _conv_net(width: int) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(width * 8 * 8, 10)).eval().requires_grad_(False)


def test_row_cost_grows_with_the_activations_it_must_keep():
    example = torch.rand(1, 1, 8, 8)
    narrow, wide = bytes_per_row(_conv_net(4), example), bytes_per_row(_conv_net(64), example)
    # The ReLU output (width x 8 x 8 float32) is saved for the backward pass of every row.
    assert wide >= BACKWARD_FACTOR * 64 * 8 * 8 * 4
    assert wide > 8 * narrow


def test_weights_saved_once_are_not_charged_to_each_row():
    # 4 MiB of weights, about 16 kB of activations a row.
    model = nn.Sequential(nn.Linear(64, 4096), nn.ReLU(), nn.Linear(4096, 256)).eval()
    model.requires_grad_(False)
    cost = bytes_per_row(model, torch.rand(1, 64))
    assert 4096 * 4 <= cost < 200_000


def test_cpu_pass_is_sized_to_the_working_set(monkeypatch):
    model, example = _conv_net(16), torch.rand(1, 1, 8, 8)
    expected = int(modelprep.CPU_PASS_BYTES // bytes_per_row(model, example))
    assert rows_per_pass(model, example, "cpu") == expected > 1
    monkeypatch.setattr(modelprep, "CPU_PASS_BYTES", 1)
    assert rows_per_pass(model, example, "cpu") == 1  # never less than one row


def _record_pass_sizes(model: nn.Module) -> list[int]:
    sizes: list[int] = []
    model.register_forward_pre_hook(lambda _module, args: sizes.append(args[0].shape[0]))
    return sizes


@pytest.mark.parametrize("rows", [12, 40])
def test_every_method_keeps_its_passes_within_the_budget(rows):
    model = prepare_model(get_model("lenet5", (1, 28, 28), 10), torch.device("cpu"))
    x, target = torch.rand(7, 1, 28, 28), torch.arange(7) % 10
    budget = Budget(ig_steps=16, smoothgrad_samples=8, occlusion_window=7, rows_per_pass=rows)
    for method in image_methods(budget):
        sizes = _record_pass_sizes(model)
        maps = attribute_batched(method, model, x, target)
        model._forward_pre_hooks.clear()
        assert maps.shape == x.shape
        assert 0 < max(sizes) <= rows, method.name


def test_passes_are_unbounded_without_a_budget():
    model = prepare_model(get_model("lenet5", (1, 28, 28), 10), torch.device("cpu"))
    x, target = torch.rand(7, 1, 28, 28), torch.arange(7) % 10
    ig = next(m for m in image_methods(Budget(ig_steps=16)) if m.name == "integrated_gradients")
    sizes = _record_pass_sizes(model)
    attribute_batched(ig, model, x, target)
    assert max(sizes) == 7 * 16


def test_splitting_into_passes_does_not_change_the_maps():
    # SmoothGrad is left out: its noise draws follow the split, so its maps differ by design.
    torch.manual_seed(0)
    model = prepare_model(get_model("lenet5", (1, 28, 28), 10), torch.device("cpu"))
    x, target = torch.rand(6, 1, 28, 28), torch.arange(6)
    whole = {m.name: m for m in image_methods(Budget(ig_steps=16, occlusion_window=7))}
    split = {m.name: m for m in image_methods(
        Budget(ig_steps=16, occlusion_window=7, rows_per_pass=10))}
    for name in ("saliency", "integrated_gradients", "grad_cam", "occlusion"):
        expected = attribute_batched(whole[name], model, x, target)
        actual = attribute_batched(split[name], model, x, target)
        torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.gpu
def test_gpu_pass_fills_a_share_of_the_free_memory():
    device = torch.device("cuda")
    model = prepare_model(get_model("cifar_cnn", (3, 32, 32), 10), device)
    example = torch.rand(1, 3, 32, 32, device=device)
    rows = rows_per_pass(model, example, device)
    free, _ = torch.cuda.mem_get_info(device)
    cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    room = modelprep.GPU_MEMORY_SHARE * (free + cached)
    assert rows == pytest.approx(room / bytes_per_row(model, example), rel=0.05)
    # A pass of that many rows runs and stays within the card.
    ig = next(m for m in image_methods(Budget(ig_steps=32, rows_per_pass=rows))
              if m.name == "integrated_gradients")
    x = torch.rand(2 * ig.images_per_call, 3, 32, 32, device=device)
    attribute_batched(ig, model, x, torch.zeros(len(x), dtype=torch.long, device=device))
