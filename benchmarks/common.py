"""Helpers shared by every benchmark: CUDA-aware timing, device facts, Markdown tables."""

from __future__ import annotations

import platform
import statistics
import time
from datetime import date
from typing import Any, Callable, Sequence

import torch

# Dense bf16 tensor-core peak, FLOP/s, from the vendors' data sheets (without sparsity).
PEAK_BF16_FLOPS = {
    "H100 PCIe": 756e12,
    "H100": 989e12,   # SXM and NVL; the same figure for H200
    "H200": 989e12,
    "A100": 312e12,
    "L4": 121e12,
    "T4": 65e12,      # fp16; T4 has no bf16 tensor cores
}


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait for queued GPU work, so a wall-clock reading covers it; no-op on CPU."""
    if torch.cuda.is_available() and (device is None or torch.device(device).type == "cuda"):
        torch.cuda.synchronize()


def timeit_cuda_aware(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1,
                      device: torch.device | str | None = None) -> dict[str, float]:
    """Median and best wall time of ``fn()`` in seconds, synchronizing the GPU around each call."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "best_s": min(times), "repeats": repeats}


def device_name(device: torch.device | str) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def describe_environment(device: torch.device | str) -> str:
    """One line for the top of a benchmark's output and for docs/BENCHMARKS.md."""
    return (f"{date.today().isoformat()} · {device_name(device)} · torch {torch.__version__} · "
            f"Python {platform.python_version()}")


def run_standalone(main: Callable[[bool], Sequence[dict[str, Any]]]) -> None:
    """``python -m benchmarks.NAME [--quick]``: the environment line, then ``main``'s table."""
    import sys

    print(describe_environment("cuda" if torch.cuda.is_available() else "cpu"))
    print_table(main("--quick" in sys.argv[1:]))


def peak_bf16_flops(device: torch.device | str) -> float | None:
    """The device's dense bf16 peak, or None when unknown (CPUs included)."""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key in sorted(PEAK_BF16_FLOPS, key=len, reverse=True):  # "H100 PCIe" before "H100"
        if key in name:
            return PEAK_BF16_FLOPS[key]
    return None


def human(value: float, unit: str = "") -> str:
    """1234567 -> "1.23M"; keeps tables narrow."""
    for threshold, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.3g}{suffix}{unit}"
    return f"{value:.3g}{unit}"


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    """Print rows as a Markdown table (pastes straight into docs/BENCHMARKS.md)."""
    if not rows:
        return
    columns = list(columns or dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e4 else human(value)
    return str(value)
