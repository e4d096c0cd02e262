"""Trainer throughput: `nnaudit.train.train_model` against a plain PyTorch training loop.

The reference is the loop of the tutorials: a DataLoader over a TensorDataset of CPU tensors,
a `.to(device)` per batch, fp32, `loss.item()` per step. Both train the same model from the
same initial weights with the same optimizer (Adam, lr 1e-3, no schedule), batch size and
epochs, and both are scored with the same `predict_proba` on the same held-out images.

Throughput is "steady": training images per second over the epochs after the first (which
pays for cudnn autotuning and CUDA graph capture in nnaudit, for nothing in the reference);
the end-to-end wall time of each call is printed next to it. On CUDA it also prints the
achieved FLOP/s (FlopCounterMode on one training step) as a share of the GPU's bf16 peak.

    PYTHONPATH=. python -m benchmarks.train_speed              # full sizes, meant for a GPU
    PYTHONPATH=. python -m benchmarks.train_speed --quick      # CPU-friendly sizes
    ... --profile     torch.profiler summary of one nnaudit training run
    ... --variants    also time eager vs CUDA graphs vs torch.compile and other batch sizes

Targets (issue 9, H100): LeNet-5 >= 1,000,000 images/s, course CNN >= 200,000, >= 20x the
reference loop, final accuracy within one point.
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from nnaudit.train import TrainConfig, predict_proba, train_model
from benchmarks.common import describe_environment, human, peak_bf16_flops, print_table, synchronize
from nnaudit.models import get_model


@dataclass(frozen=True)
class Case:
    model: str
    shape: tuple[int, int, int]
    n_train: int
    n_test: int
    epochs: int
    label: str


FULL = {
    "lenet5": Case("lenet5", (1, 28, 28), 60_000, 10_000, 5, "LeNet-5, MNIST-shaped"),
    "cifar_cnn": Case("cifar_cnn", (3, 32, 32), 50_000, 10_000, 4, "course CNN, CIFAR-shaped"),
}
QUICK = {
    "lenet5": replace(FULL["lenet5"], n_train=2048, n_test=512, epochs=3),
    "cifar_cnn": replace(FULL["cifar_cnn"], n_train=512, n_test=256, epochs=2),
}


@dataclass
class Split:
    """The two fields of nnaudit.data.Split the trainer reads."""
    x: torch.Tensor
    y: torch.Tensor
    stream: None = None


def synthetic_images(n: int, shape: tuple[int, int, int], classes: int = 10, seed: int = 0,
                     noise: float = 0.45) -> tuple[torch.Tensor, torch.Tensor]:
    """Images of a real data set's shape with a learnable but not trivial class signal.

    Each class is a smooth random pattern (7x7 upsampled); each image is its class pattern at a
    random contrast plus pixel noise.
    """
    g = torch.Generator().manual_seed(seed)
    channels, height, width = shape
    coarse = torch.rand(classes, channels, 7, 7, generator=g)
    templates = F.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    y = torch.randint(0, classes, (n,), generator=g)
    contrast = 0.5 + 0.5 * torch.rand(n, 1, 1, 1, generator=g)
    x = templates[y] * contrast
    x += noise * torch.randn(n, channels, height, width, generator=g)
    return x.clamp_(0, 1), y


def load_data(case: Case, seed: int = 0) -> tuple[Split, Split, str]:
    """shades-mnist for LeNet-5 when nnaudit.data provides it and the size fits, else synthetic."""
    if case.model == "lenet5":
        try:
            from nnaudit.data import load_dataset

            data = load_dataset("shades-mnist", seed=seed)
            if len(data.train.y) >= case.n_train:
                return (Split(data.train.x[:case.n_train], data.train.y[:case.n_train]),
                        Split(data.test.x[:case.n_test], data.test.y[:case.n_test]), "shades-mnist")
        except (ImportError, AttributeError):
            pass  # nnaudit.data or its optional dependencies are absent (e.g. on a bare GPU box)
    x, y = synthetic_images(case.n_train + case.n_test, case.shape, seed=seed)
    return (Split(x[:case.n_train], y[:case.n_train]), Split(x[case.n_train:], y[case.n_train:]),
            "synthetic")


def reference_loop(model: torch.nn.Module, train: Split, epochs: int, batch_size: int,
                   lr: float, device: torch.device) -> list[float]:
    """The tutorial loop; returns each epoch's seconds."""
    loader = DataLoader(TensorDataset(train.x, train.y), batch_size=batch_size, shuffle=True,
                        drop_last=True)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        running_loss, correct = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            correct += (logits.argmax(1) == yb).sum().item()
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    return seconds


def train_flops_per_image(case: Case) -> float:
    """Forward + backward FLOPs of one image (convolutions and matrix products)."""
    model = get_model(case.model, case.shape, 10)
    x, y = torch.rand(8, *case.shape), torch.randint(0, 10, (8,))
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / 8


def accuracy(model: torch.nn.Module, test: Split, device: torch.device) -> float:
    return (predict_proba(model, test.x, device).argmax(1) == test.y).float().mean().item()


def steady_rate(images_per_epoch: int, seconds: list[float]) -> float:
    steady = seconds[1:] or seconds
    return images_per_epoch * len(steady) / sum(steady)


def compare(case: Case, device: torch.device, batch_size: int) -> list[dict]:
    """One row per nnaudit setting (defaults, and with torch.compile on CUDA) against the loop."""
    train, test, source = load_data(case)
    torch.manual_seed(0)
    initial = get_model(case.model, case.shape, 10)
    images_per_epoch = (len(train.y) // batch_size) * batch_size

    start = time.perf_counter()
    reference_model = copy.deepcopy(initial)
    reference_seconds = reference_loop(reference_model, train, case.epochs, batch_size, 1e-3, device)
    reference_wall = time.perf_counter() - start
    reference_rate = steady_rate(images_per_epoch, reference_seconds)
    reference_acc = accuracy(reference_model, test, device)

    settings = {"defaults": {}}
    if device.type == "cuda":
        settings["compile"] = {"compile": True}
    rows = []
    for label, overrides in settings.items():
        config = TrainConfig(epochs=case.epochs, batch_size=batch_size, optimizer="adam",
                             lr=1e-3, schedule="none", seed=0, **overrides)
        synchronize(device)
        start = time.perf_counter()
        ours = train_model(copy.deepcopy(initial), train, None, config, device)
        synchronize(device)
        wall = time.perf_counter() - start
        row = {
            "case": f"{case.label} ({source}, {len(train.y)} img, b{batch_size}, "
                    f"{case.epochs} ep), nnaudit {label}",
            "nnaudit": f"{human(ours.images_per_second)} img/s",
            "reference": f"{human(reference_rate)} img/s",
            "ratio": round(ours.images_per_second / reference_rate, 1),
            "acc_nnaudit": round(accuracy(ours.model, test, device), 4),
            "acc_reference": round(reference_acc, 4),
            "wall_nnaudit_s": round(wall, 2),
            "wall_reference_s": round(reference_wall, 2),
        }
        peak = peak_bf16_flops(device)
        if peak is not None:
            achieved = train_flops_per_image(case) * ours.images_per_second
            row["tflops_nnaudit"] = round(achieved / 1e12, 2)
            row["peak_share"] = f"{100 * achieved / peak:.2f} %"
        rows.append(row)
        print(row, flush=True)
    return rows


def variants(case: Case, device: torch.device, batch_size: int,
             other_batch_sizes: list[int]) -> list[dict]:
    """nnaudit's throughput under each speed setting, to keep the one that measures faster."""
    train, _, _ = load_data(case)
    settings = [(batch_size, "eager", {"cuda_graphs": False}),
                (batch_size, "fp32 + cuda graphs", {"amp": False}),
                (batch_size, "fp32 + compile + cuda graphs", {"amp": False, "compile": True}),
                *((b, "cuda graphs", {}) for b in sorted({batch_size, *other_batch_sizes})),
                *((b, "compile + cuda graphs", {"compile": True})
                  for b in sorted({batch_size, *other_batch_sizes}))]
    rows = []
    for batch, label, overrides in settings:
        torch.manual_seed(0)
        model = get_model(case.model, case.shape, 10)
        config = TrainConfig(epochs=3, batch_size=batch, schedule="none", **overrides)
        try:
            start = time.perf_counter()
            result = train_model(model, train, None, config, device)
            rate = f"{human(result.images_per_second)} img/s"
            wall = round(time.perf_counter() - start, 1)
        except Exception as exc:  # e.g. no compiler on the machine: report, go on
            rate, wall = f"failed: {exc.__class__.__name__}: {str(exc)[:80]}", None
        rows.append({"case": case.model, "batch": batch, "setting": label, "nnaudit": rate,
                     "wall_s": wall})
        print(rows[-1], flush=True)
    return rows


def profile_summary(case: Case, device: torch.device, batch_size: int, rows: int = 15) -> None:
    """Where one nnaudit training run spends its time (top ops by device time)."""
    from torch.profiler import ProfilerActivity, profile

    train, _, _ = load_data(case)
    config = TrainConfig(epochs=2, batch_size=batch_size, schedule="none")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    train_model(get_model(case.model, case.shape, 10), train, None, config, device)  # warm caches
    synchronize(device)
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        train_model(get_model(case.model, case.shape, 10), train, None, config, device)
        synchronize(device)
    wall = time.perf_counter() - start
    sort = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    # The table's footer gives the total device time: compare it with this wall time.
    print(f"\n### profile: {case.label}, b{batch_size}, 2 epochs, {wall:.3f} s wall under the profiler")
    print(prof.key_averages().table(sort_by=sort, row_limit=rows, max_name_column_width=60))


def main(quick: bool = False, *, profile: bool = False, with_variants: bool = False,
         batch_size: int | None = None, cases: list[str] | None = None,
         device: str | None = None) -> list[dict]:
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    table = QUICK if quick else FULL
    batch_size = batch_size or (128 if quick else 512)
    names = cases or list(table)
    rows = [row for name in names for row in compare(table[name], device, batch_size)]
    print_table(rows)
    if profile:
        for name in names:
            profile_summary(table[name], device, batch_size)
    if with_variants:
        extra = [row for name in names
                 for row in variants(table[name], device, batch_size, [128, 1024, 2048])]
        print()
        print_table(extra)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="CPU-friendly sizes")
    parser.add_argument("--profile", action="store_true", help="print a torch.profiler summary")
    parser.add_argument("--variants", action="store_true",
                        help="time eager / CUDA graphs / torch.compile and batch sizes")
    parser.add_argument("--batch-size", type=int, help="default 512 (128 with --quick)")
    parser.add_argument("--cases", nargs="*", choices=sorted(FULL), help="default: all")
    parser.add_argument("--device", help="default: cuda when present, else cpu")
    args = parser.parse_args()
    print(describe_environment(args.device or ("cuda" if torch.cuda.is_available() else "cpu")))
    main(args.quick, profile=args.profile, with_variants=args.variants,
         batch_size=args.batch_size, cases=args.cases, device=args.device)
