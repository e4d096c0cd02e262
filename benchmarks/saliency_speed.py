"""Attribution throughput: images per second per method, batched against one image at a time.

Issue 9: Integrated Gradients with 32 steps, images per second per method on CPU and GPU, with
passes sized by `nnaudit.modelprep.rows_per_pass` (a share of free GPU memory, a
cache-sized working set on CPU). The reference is the same Captum call made per image (what a
notebook loop over examples does); the ratio is what batching buys. The last column computes
each call's rows in one pass, as Captum does by default, to show what the pass sizing buys.
Synthetic inputs of the real shapes: only torch, torchvision and captum are needed.

    python -m benchmarks.saliency_speed [--quick]
"""

from __future__ import annotations

import sys

import torch

from nnaudit.modelprep import prepare_model, rows_per_pass
from nnaudit.saliency._methods import Budget, attribute_batched, image_methods
from benchmarks.common import describe_environment, human, print_table, timeit_cuda_aware
from nnaudit.models import get_model

IG_STEPS = 32
# (model, input shape, images per attribution call on CPU / on CUDA)
CASES = [("lenet5", (1, 28, 28), 256, 8192), ("cifar_cnn", (3, 32, 32), 64, 2048)]


def throughput(method, model, x, target, repeats: int) -> float:
    """Images per second of ``method`` over ``x`` (best of ``repeats`` after one warm-up)."""
    method.attribute(model, x[:2], target[:2])
    timing = timeit_cuda_aware(lambda: attribute_batched(method, model, x, target),
                               repeats=repeats, warmup=0, device=x.device)
    return len(x) / timing["best_s"]


def per_image_throughput(method, model, x, target) -> float:
    def one_at_a_time():
        for i in range(len(x)):
            method.attribute(model, x[i:i + 1], target[i:i + 1])

    return len(x) / timeit_cuda_aware(one_at_a_time, repeats=1, warmup=0,
                                      device=x.device)["best_s"]


def main(quick: bool = False) -> list[dict]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(describe_environment(device))
    rows = []
    cases = CASES[:1] if quick else CASES
    for name, shape, cpu_batch, cuda_batch in cases:
        batch = cuda_batch if device.type == "cuda" else (64 if quick else cpu_batch)
        model = prepare_model(get_model(name, shape, 10), device)
        generator = torch.Generator().manual_seed(0)
        x = torch.rand(batch, *shape, generator=generator).to(device)
        target = torch.randint(0, 10, (batch,), generator=generator).to(device)
        rows_budget = rows_per_pass(model, x[:1], device)
        sized = image_methods(Budget(ig_steps=IG_STEPS, rows_per_pass=rows_budget))
        whole = image_methods(Budget(ig_steps=IG_STEPS))
        reference_n = min(len(x), 8 if quick else 32)
        repeats = 1 if quick else 3
        for method, unsized in zip(sized, whole):
            ours = throughput(method, model, x, target, repeats)
            at_once = throughput(unsized, model, x, target, repeats)
            reference = per_image_throughput(method, model, x[:reference_n], target[:reference_n])
            rows.append({"case": f"{name} {method.name}", "images": batch,
                         "rows_per_pass": rows_budget,
                         "nnaudit": f"{human(ours)} img/s",
                         "reference": f"{human(reference)} img/s",
                         "ratio": round(ours / reference, 1),
                         "all rows in one pass": f"{human(at_once)} img/s"})
    print_table(rows)
    return rows


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
