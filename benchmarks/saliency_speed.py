"""Attribution throughput: images per second per method, batched against one image at a time.

Issue 9: Integrated Gradients with 32 steps, images per second per method on CPU and GPU, with
batch sizes chosen so memory is used and not exceeded. The reference is the same Captum call
made per image (what a notebook loop over examples does); the ratio is what batching buys.
Synthetic inputs of the real shapes: only torch, torchvision and captum are needed.

    python -m benchmarks.saliency_speed [--quick]
"""

from __future__ import annotations

import sys
import time

import torch

from audit.saliency._methods import Budget, image_methods, prepare_model
from benchmarks.common import describe_environment, human, print_table, synchronize
from models import get_model

IG_STEPS = 32
# (model, input shape, images per attribution call on CPU / on CUDA)
CASES = [("lenet5", (1, 28, 28), 256, 8192), ("cifar_cnn", (3, 32, 32), 64, 2048)]


def internal_batch_size(model, shape, device, share: float = 0.5) -> int | None:
    """Rows per IG/SmoothGrad chunk: ``share`` of free CUDA memory over the measured cost of one
    input's forward+backward; None (no chunking) on CPU."""
    if device.type != "cuda":
        return None
    probe = 256
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    x = torch.rand(probe, *shape, device=device, requires_grad=True)
    model(x).sum().backward()
    per_input = max(1, (torch.cuda.max_memory_allocated(device) - before) / probe)
    del x
    free, _ = torch.cuda.mem_get_info(device)
    return max(probe, int(share * free / per_input))


def throughput(method, model, x, target, repeats: int) -> float:
    """Images per second of ``method`` over ``x`` (best of ``repeats`` after one warm-up)."""
    method.attribute(model, x[:2], target[:2])
    best = float("inf")
    for _ in range(repeats):
        synchronize(x.device)
        start = time.perf_counter()
        method.attribute(model, x, target)
        synchronize(x.device)
        best = min(best, time.perf_counter() - start)
    return len(x) / best


def per_image_throughput(method, model, x, target) -> float:
    synchronize(x.device)
    start = time.perf_counter()
    for i in range(len(x)):
        method.attribute(model, x[i:i + 1], target[i:i + 1])
    synchronize(x.device)
    return len(x) / (time.perf_counter() - start)


def main(quick: bool = False) -> list[dict]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(describe_environment(device))
    rows = []
    cases = CASES[:1] if quick else CASES
    for name, shape, cpu_batch, cuda_batch in cases:
        batch = cuda_batch if device.type == "cuda" else (64 if quick else cpu_batch)
        model = prepare_model(get_model(name, shape, 10), device)
        budget = Budget(ig_steps=IG_STEPS, internal_batch_size=internal_batch_size(model, shape,
                                                                                    device))
        generator = torch.Generator().manual_seed(0)
        x = torch.rand(batch, *shape, generator=generator).to(device)
        target = torch.randint(0, 10, (batch,), generator=generator).to(device)
        reference_n = min(len(x), 8 if quick else 32)
        for method in image_methods(budget):
            ours = throughput(method, model, x, target, repeats=1 if quick else 3)
            reference = per_image_throughput(method, model, x[:reference_n], target[:reference_n])
            rows.append({"case": f"{name} {method.name}", "batch": batch,
                         "internal_batch": budget.internal_batch_size or "all",
                         "nnaudit": f"{human(ours)} img/s",
                         "reference": f"{human(reference)} img/s",
                         "ratio": round(ours / reference, 1)})
    print_table(rows)
    return rows


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
