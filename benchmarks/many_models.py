"""Many models at once: 8 LeNet-5s with `train_many` against 1 and 8 `train_model` runs.

Same synthetic MNIST-shaped data, same TrainConfig (Adam, batch 128), no evaluation during
training on either side. Rows give training images per second (all models counted) and the
ratio "time of 8 stacked / time of 1", the issue 9 target being at most 2 on a GPU.

    PYTHONPATH=. python -m benchmarks.many_models [--quick]
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch

from benchmarks.common import human, run_standalone, timeit_cuda_aware
from nnaudit.data.dataset import Split
from nnaudit.models import factory, get_model
from nnaudit.train import TrainConfig, train_many, train_model

K = 8


def main(quick: bool = False) -> list[dict]:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n, epochs = (2_000, 2) if quick else (60_000, 3)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    ys = torch.stack([y[torch.randperm(n, generator=g)] for _ in range(K)])
    config = TrainConfig(epochs=epochs, batch_size=128)
    split = Split(x, y, pd.DataFrame(index=range(n)))

    def one_model(seed: int) -> None:
        torch.manual_seed(seed)
        train_model(get_model("lenet5", (1, 28, 28), 10), split, None,
                    TrainConfig(**{**config.__dict__, "seed": seed}), device)

    def stacked(settings: TrainConfig = config) -> None:
        train_many(factory("lenet5", (1, 28, 28), 10), x, ys, config=settings, device=device,
                   track_train_acc=False)

    one_model(0)  # warm-up: allocator, cudnn autotuning, kernels
    stacked()
    t_one = _timed(lambda: one_model(1), device)
    t_seq = _timed(lambda: [one_model(s) for s in range(K)], device)
    t_many = _timed(stacked, device)
    images = n * epochs
    rows = [{"benchmark": "many_models", "case": f"{K} LeNet-5 (train_many) vs 1 (train_model)",
             "nnaudit": human(K * images / t_many, " img/s"),
             "reference": human(images / t_one, " img/s"),
             "ratio": round(t_many / t_one, 2), "note": "time ratio, target <= 2 on GPU"},
            {"benchmark": "many_models", "case": f"{K} LeNet-5: train_many vs {K} sequential",
             "nnaudit": f"{t_many:.2f} s", "reference": f"{t_seq:.2f} s",
             "ratio": round(t_seq / t_many, 2), "note": "speed-up"}]
    if device.type == "cuda":  # what capturing the stacked step as one CUDA graph buys
        eager = replace(config, cuda_graphs=False)
        stacked(eager)
        t_eager = _timed(lambda: stacked(eager), device)
        rows.append({"benchmark": "many_models",
                     "case": f"{K} LeNet-5 stacked: CUDA graph vs eager steps",
                     "nnaudit": f"{t_many:.2f} s", "reference": f"{t_eager:.2f} s",
                     "ratio": round(t_eager / t_many, 2), "note": "speed-up"})
    return rows


def _timed(fn, device) -> float:
    return timeit_cuda_aware(fn, repeats=1, warmup=0, device=device)["best_s"]


if __name__ == "__main__":
    run_standalone(main)
