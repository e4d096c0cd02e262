"""Train K copies of one small architecture at once, each with its own labels and seed.

The K parameter sets are stacked (``torch.func.stack_module_state``) and one forward pass runs
them all with ``torch.func.functional_call`` under ``vmap``: linear layers become batched matrix
products and convolutions grouped convolutions, so 8 LeNet-5s cost far less than 8 trainings.
The summed loss gives each model the gradient of its own mean loss (the models share no
parameter), and because Adam and SGD update each element independently, one ``torch.optim``
optimizer over the stacked leaves is exactly K independent optimizers.

Model k sees its own label vector ``ys[k]`` (noise levels, random labels), its own
initialization and its own data order, both drawn from ``seeds[k]``: model k of a stack is the
model a K=1 call with the same seed trains, up to floating-point summation order.

BatchNorm is not supported (its running statistics are updated in place, which ``vmap`` over
stacked buffers cannot do); dropout is, with independent masks per model.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from nnaudit.train import TrainConfig, augment_images, lr_factor, make_optimizer
from nnaudit.models import get_model

EVAL_BATCH_SIZE = 4096  # images per stacked forward pass when measuring accuracy


@dataclass
class ManyResult:
    """K trained models of one architecture, stacked.

    history: one row per model and epoch: ``model``, ``seed``, ``epoch``, ``train_loss`` (mean
    batch loss during the epoch), ``train_acc`` (eval mode, after the epoch, against the
    model's own labels; NaN when not tracked), ``test_acc`` (NaN without a test set),
    ``seconds`` (wall time since training started).
    """

    model_name: str
    model_options: dict[str, Any]
    input_shape: tuple[int, ...]
    num_classes: int
    seeds: list[int]
    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]
    history: pd.DataFrame
    epochs_run: int
    train_seconds: float
    images_per_second: float

    def model(self, k: int) -> nn.Module:
        """Model ``k`` as an ordinary module (eval mode, on the device it was trained on)."""
        module = get_model(self.model_name, self.input_shape, self.num_classes,
                           **self.model_options)
        state = {name: t[k].detach().clone() for name, t in {**self.params, **self.buffers}.items()}
        module.load_state_dict(state)
        return module.to(next(iter(self.params.values())).device).eval()

    def predict_proba(self, x: torch.Tensor, models: Sequence[int] | None = None,
                      batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
        """Class probabilities of ``models`` (default: all K): (len, N, C) float32 on the CPU."""
        base = get_model(self.model_name, self.input_shape, self.num_classes,
                         **self.model_options).to("meta").eval()
        params, buffers = self.params, self.buffers
        if models is not None:
            index = list(models)
            params = {name: t[index] for name, t in params.items()}
            buffers = {name: t[index] for name, t in buffers.items()}
        return _stacked_logits(base, params, buffers, x, batch_size).softmax(-1).cpu()


def _one_cpu_thread(train: Callable[..., "ManyResult"]) -> Callable[..., "ManyResult"]:
    """Run ``train`` with one intra-op thread when it trains on the CPU.

    A stacked step is many small parallel regions, and each waits for its slowest thread: when
    other processes hold the cores, two threads made it 9 to 60 times slower than one
    (2 cores, 3 stacked LeNet-5s, 500 images, 5 epochs, batch 32: 33 s against 3.5 s beside
    two busy processes, 170 s against 2.8 s on a loaded CI machine), against 1.7 times for one
    model trained the plain way. On idle cores one thread costs nothing at batch 32 (1.9 s
    against 1.8 s) and up to half the speed at batch 128; robustness wins.
    """
    @functools.wraps(train)
    def wrapper(*args, **kwargs):
        if torch.device(kwargs["device"]).type != "cpu":
            return train(*args, **kwargs)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return train(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapper


@_one_cpu_thread
def train_many(model_name: str, model_options: dict[str, Any] | None,
               input_shape: Sequence[int], num_classes: int,
               x: torch.Tensor, ys: torch.Tensor, *, config: TrainConfig,
               device: torch.device | str,
               x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
               seeds: Sequence[int] | None = None, track_train_acc: bool = True,
               stop_at_train_acc: float | None = None) -> ManyResult:
    """Train K models of ``model_name`` together, model k on labels ``ys[k]``.

    Parameters
    ----------
    x : (N, ...) float tensor shared by all models.
    ys : (K, N) int64 labels, one row per model (a (N,) vector means K=1).
    config : the trainer's TrainConfig; epochs, batch_size, optimizer, lr, momentum,
        weight_decay, schedule, augment, amp and seed are used as `train_model` uses them
        (same data order and learning-rate schedule, last partial batch dropped); ``patience``
        is not (there is no validation split here).
    seeds : one seed per model (init and data order); default ``config.seed + k``.
    track_train_acc : evaluate training accuracy after each epoch (needed by
        ``stop_at_train_acc``; off for pure throughput measurements).
    stop_at_train_acc : stop once every model reached this training accuracy (the budget is
        ``config.epochs`` either way).
    """
    device = torch.device(device)
    model_options = dict(model_options or {})
    ys = torch.as_tensor(ys, dtype=torch.long)
    ys = ys[None] if ys.ndim == 1 else ys
    k_models, n = ys.shape
    if x.shape[0] != n:
        raise ValueError(f"x has {x.shape[0]} rows but ys has {n} labels per model.")
    seeds = [int(config.seed) + k for k in range(k_models)] if seeds is None else list(seeds)
    if len(seeds) != k_models:
        raise ValueError(f"{len(seeds)} seeds for {k_models} label vectors.")
    if stop_at_train_acc is not None and not track_train_acc:
        raise ValueError("stop_at_train_acc needs track_train_acc=True.")

    modules = []
    for seed in seeds:
        torch.manual_seed(seed)
        modules.append(get_model(model_name, tuple(input_shape), num_classes, **model_options))
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in modules[0].modules()):
        raise ValueError("train_many does not support BatchNorm layers; build the model "
                         "without batch_norm or train it with nnaudit.train.train_model.")
    stacked_params, stacked_buffers = stack_module_state(modules)
    params = {name: p.detach().to(device).requires_grad_(True) for name, p in stacked_params.items()}
    buffers = {name: b.to(device) for name, b in stacked_buffers.items()}
    base = _meta_copy(modules[0])
    del modules, stacked_params, stacked_buffers

    x_dev = x.to(device, torch.float32)
    ys_dev = ys.to(device)
    x_test_dev = None if x_test is None else x_test.to(device, torch.float32)
    y_test_dev = None if y_test is None else torch.as_tensor(y_test).to(device)
    orders = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    augment_rng = torch.Generator(device=device).manual_seed(seeds[0] + 1)
    augment = config.augment and x.dim() == 4
    torch.manual_seed(seeds[0])  # dropout masks

    batch = min(config.batch_size, n)
    steps_per_epoch = max(1, n // config.batch_size)
    optimizer = make_optimizer(list(params.values()), config, device)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_factor(config.schedule, config.epochs, steps_per_epoch))
    amp = config.amp and device.type == "cuda"

    def per_model_logits(p, b, xb):
        return functional_call(base, (p, b), (xb,))

    forward = vmap(per_model_logits, in_dims=(0, 0, 0), randomness="different")
    model_index = torch.arange(k_models, device=device)[:, None]

    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    train_seconds = 0.0
    epochs_run = 0
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        base.train()
        perms = torch.stack([torch.randperm(n, generator=g, device=device) for g in orders])
        loss_sum = torch.zeros(k_models, device=device)
        for step in range(steps_per_epoch):
            idx = perms[:, step * batch:(step + 1) * batch]
            xb, yb = x_dev[idx], ys_dev[model_index, idx]
            if augment:
                xb = augment_images(xb.flatten(0, 1), augment_rng,
                                    flip=x.shape[1] == 3).view_as(xb)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = forward(params, buffers, xb)
            losses = F.cross_entropy(logits.float().flatten(0, 1), yb.flatten(),
                                     reduction="none").view(k_models, -1).mean(1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            optimizer.step()
            if config.schedule != "none":  # as train_model: spares the scheduler's kernels
                scheduler.step()
            loss_sum += losses.detach()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        train_seconds += time.perf_counter() - epoch_start
        epochs_run = epoch

        base.eval()
        train_acc = (_accuracy(base, params, buffers, x_dev, ys_dev)
                     if track_train_acc else None)
        test_acc = (_accuracy(base, params, buffers, x_test_dev, y_test_dev)
                    if x_test_dev is not None else None)
        mean_loss = (loss_sum / steps_per_epoch).tolist()
        seconds = time.perf_counter() - start
        for k in range(k_models):
            rows.append({"model": k, "seed": seeds[k], "epoch": epoch, "train_loss": mean_loss[k],
                         "train_acc": float("nan") if train_acc is None else train_acc[k],
                         "test_acc": float("nan") if test_acc is None else test_acc[k],
                         "seconds": seconds})
        if stop_at_train_acc is not None and min(train_acc) >= stop_at_train_acc:
            break

    return ManyResult(
        model_name=model_name, model_options=model_options, input_shape=tuple(input_shape),
        num_classes=num_classes, seeds=seeds,
        params={name: p.detach() for name, p in params.items()}, buffers=buffers,
        history=pd.DataFrame(rows), epochs_run=epochs_run, train_seconds=train_seconds,
        images_per_second=k_models * batch * steps_per_epoch * epochs_run / max(train_seconds, 1e-9))


def _meta_copy(module: nn.Module) -> nn.Module:
    # functional_call only needs the module's structure: its own tensors may live nowhere.
    return copy.deepcopy(module).to("meta")


@torch.inference_mode()
def _stacked_logits(base, params, buffers, x, batch_size) -> torch.Tensor:
    device = next(iter(params.values())).device
    forward = vmap(lambda p, b, xb: functional_call(base, (p, b), (xb,)), in_dims=(0, 0, None))
    amp = device.type == "cuda"
    chunks = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(device, torch.float32)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            chunks.append(forward(params, buffers, xb).float())
    return torch.cat(chunks, dim=1)


def _accuracy(base, params, buffers, x, y) -> list[float]:
    """Accuracy of each model; ``y`` is (N,) shared or (K, N) per model."""
    predictions = _stacked_logits(base, params, buffers, x, EVAL_BATCH_SIZE).argmax(-1)
    return (predictions == y).float().mean(1).tolist()
