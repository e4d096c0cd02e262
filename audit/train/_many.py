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
import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import pandas as pd
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from nnaudit.config import TrainConfig
from nnaudit.models import ModelFactory
from nnaudit.train._augment import augment_images
from nnaudit.train._device import cpu_threads
from nnaudit.train._optim import lr_factor, make_optimizer
from nnaudit.train._steps import GraphedStep, TrainStep, stacked_cross_entropy

EVAL_BATCH_SIZE = 4096  # images per stacked forward pass when measuring accuracy on a GPU
# On a CPU smaller passes stay in the caches: 3 stacked LeNet-5s scored 1,000 images in about
# 200 ms in passes of 256 against 400 ms in one pass (one thread, 2026-12-02).
CPU_EVAL_BATCH_SIZE = 256


@dataclass
class ManyResult:
    """K trained models of one architecture, stacked.

    history: one row per model and epoch: ``model``, ``seed``, ``epoch``, ``train_loss`` (mean
    batch loss during the epoch), ``train_acc`` (eval mode, after the epoch, against the
    model's own labels; NaN when not tracked), ``test_acc`` (NaN without a test set),
    ``seconds`` (wall time since training started).
    """

    factory: ModelFactory
    seeds: list[int]
    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]
    history: pd.DataFrame
    epochs_run: int
    train_seconds: float
    images_per_second: float

    def to(self, device: torch.device | str) -> "ManyResult":
        """The same models with their parameters on ``device``."""
        return replace(
            self, params={name: t.to(device) for name, t in self.params.items()},
            buffers={name: t.to(device) for name, t in self.buffers.items()})

    def model(self, k: int) -> nn.Module:
        """Model ``k`` as an ordinary module (eval mode, on the device it was trained on)."""
        module = self.factory()
        state = {name: t[k].detach().clone() for name, t in {**self.params, **self.buffers}.items()}
        module.load_state_dict(state)
        return module.to(next(iter(self.params.values())).device).eval()

    def predict_proba(self, x: torch.Tensor, models: Sequence[int] | None = None,
                      batch_size: int | None = None) -> torch.Tensor:
        """Class probabilities of ``models`` (default: all K): (len, N, C) float32 on the CPU."""
        base = self.factory().to("meta").eval()
        params, buffers = self.params, self.buffers
        if models is not None:
            index = list(models)
            params = {name: t[index] for name, t in params.items()}
            buffers = {name: t[index] for name, t in buffers.items()}
        return _stacked_logits(base, params, buffers, x, batch_size).softmax(-1).cpu()


def _one_cpu_thread(train: Callable[..., "ManyResult"]) -> Callable[..., "ManyResult"]:
    """Run ``train`` with one intra-op thread when it trains on the CPU (`cpu_threads`)."""
    @functools.wraps(train)
    def wrapper(*args, **kwargs):
        with cpu_threads(1, kwargs["device"]):
            return train(*args, **kwargs)
    return wrapper


@_one_cpu_thread
def train_many(factory: ModelFactory, x: torch.Tensor, ys: torch.Tensor, *, config: TrainConfig,
               device: torch.device | str,
               x_test: torch.Tensor | None = None, y_test: torch.Tensor | None = None,
               seeds: Sequence[int] | None = None, track_train_acc: bool = True,
               stop_at_train_acc: float | None = None,
               test_every_epoch: bool | Sequence[int] = True) -> ManyResult:
    """Train K models built by ``factory`` together, model k on labels ``ys[k]``.

    Parameters
    ----------
    factory : fresh models of the architecture (`nnaudit.models.factory` for a registered one).
    x : (N, ...) float tensor shared by all models.
    ys : (K, N) int64 labels, one row per model (a (N,) vector means K=1).
    config : the trainer's TrainConfig; epochs, batch_size, optimizer, lr, momentum,
        weight_decay, schedule, augment, amp, cuda_graphs and seed are used as `train_model`
        uses them (same data order and learning-rate schedule, last partial batch dropped, the
        step captured in a CUDA graph on a GPU); ``patience`` is not (there is no validation
        split here).
    seeds : one seed per model (init and data order); default ``config.seed + k``.
    track_train_acc : evaluate training accuracy after each epoch (needed by
        ``stop_at_train_acc``; off for pure throughput measurements).
    stop_at_train_acc : each model stops once it reached this training accuracy, and leaves
        the stack: the others train on, without it, until they reach it too or the budget
        (``config.epochs``) ends. A model's history ends at its last epoch.
    test_every_epoch : the models whose test accuracy is measured after every epoch (True:
        all); the others' only after their last epoch (NaN before), which spares a pass over
        the test set per model and epoch where no learning curve is drawn.
    """
    device = torch.device(device)
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
        modules.append(factory())
    if has_batch_norm(modules[0]):
        raise ValueError("train_many does not support BatchNorm layers; build the model "
                         "without batch_norm or train it with nnaudit.train.train_model.")
    stacked_params, stacked_buffers = stack_module_state(modules)
    base = _meta_copy(modules[0])
    buffers = {name: b.to(device) for name, b in stacked_buffers.items()}  # never updated
    stack = _Stack(list(range(k_models)),
                   {name: p.detach().to(device) for name, p in stacked_params.items()},
                   buffers, base, config, device)
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
    lr_at = lr_factor(config.schedule, config.epochs, steps_per_epoch)
    curves = set(range(k_models)) if test_every_epoch is True else set(test_every_epoch or ())

    rows: list[dict[str, Any]] = []
    finished: dict[int, dict[str, torch.Tensor]] = {}  # model -> its parameters, once stopped
    start = time.perf_counter()
    train_seconds, model_steps, epochs_run = 0.0, 0, 0
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        base.train()
        stack.sums.zero_()
        models = torch.tensor(stack.models, device=device)
        perms = torch.stack([torch.randperm(n, generator=orders[k], device=device)
                             for k in stack.models])
        for step in range(steps_per_epoch):
            if config.schedule != "none":  # as train_model: no work when the rate is constant
                stack.set_lr(config.lr * lr_at((epoch - 1) * steps_per_epoch + step))
            idx = perms[:, step * batch:(step + 1) * batch]
            xb, yb = x_dev[idx], ys_dev[models[:, None], idx]
            if augment:
                xb = augment_images(xb.flatten(0, 1), augment_rng,
                                    flip=x.shape[1] == 3).view_as(xb)
            stack.step(xb, yb)
        mean_loss = (stack.sums[:, 0] / (steps_per_epoch * batch)).tolist()  # syncs the device
        train_seconds += time.perf_counter() - epoch_start
        model_steps += len(stack.models) * steps_per_epoch
        epochs_run = epoch

        base.eval()
        train_acc = (_accuracy(base, stack.params, stack.buffers, x_dev, ys_dev[models])
                     if track_train_acc else [math.nan] * len(stack.models))
        fitted = ([i for i, acc in enumerate(train_acc) if acc >= stop_at_train_acc]
                  if stop_at_train_acc is not None else [])
        last = range(len(stack.models)) if epoch == config.epochs else fitted
        test_acc = [math.nan] * len(stack.models)
        tested = [i for i, k in enumerate(stack.models) if k in curves or i in last]
        if x_test_dev is not None and tested:
            scores = _accuracy(base, {name: p[tested] for name, p in stack.params.items()},
                               {name: b[tested] for name, b in stack.buffers.items()},
                               x_test_dev, y_test_dev)
            for i, acc in zip(tested, scores):
                test_acc[i] = acc
        seconds = time.perf_counter() - start
        for i, k in enumerate(stack.models):
            rows.append({"model": k, "seed": seeds[k], "epoch": epoch, "train_loss": mean_loss[i],
                         "train_acc": train_acc[i], "test_acc": test_acc[i],
                         "seconds": seconds})
        finished.update(stack.parameters_of(fitted))
        if len(fitted) == len(stack.models):
            break
        if fitted:
            stack = stack.without(fitted)
    finished.update(stack.parameters_of(range(len(stack.models))))

    params = {name: torch.stack([finished[k][name] for k in range(k_models)])
              for name in stack.params}
    return ManyResult(
        factory=factory, seeds=seeds, params=params,
        buffers=buffers,
        history=pd.DataFrame(rows), epochs_run=epochs_run, train_seconds=train_seconds,
        images_per_second=batch * model_steps / max(train_seconds, 1e-9))


class _Stack:
    """The models of a `train_many` call that are still training: their stacked parameters,
    optimizer and step (captured in a CUDA graph on a GPU, as `train_model`'s is).

    ``models`` are the callers' indices of the stacked rows. A stack only shrinks
    (`without`): the remaining rows keep their parameters and optimizer state, and a captured
    step is captured anew for the smaller shapes.
    """

    def __init__(self, models: list[int], params: dict[str, torch.Tensor],
                 buffers: dict[str, torch.Tensor], base: nn.Module, config: TrainConfig,
                 device: torch.device, state: dict[str, dict[str, Any]] | None = None):
        self.models, self.base, self.config, self.device = models, base, config, device
        self.params = {name: p.requires_grad_(True) for name, p in params.items()}
        self.buffers = buffers
        graphs = device.type == "cuda" and config.cuda_graphs
        self.optimizer = make_optimizer(list(self.params.values()), config, device,
                                        capturable=graphs)
        for name, p in self.params.items():
            if state is not None and state.get(name):
                self.optimizer.state[p] = state[name]
        self.sums = torch.zeros(len(models), 2, dtype=torch.float64, device=device)
        forward = vmap(lambda p, b, xb: functional_call(base, (p, b), (xb,)),
                       in_dims=(0, 0, 0), randomness="different")
        step = TrainStep(lambda xb: forward(self.params, self.buffers, xb), self.optimizer,
                         self.sums, amp=config.amp and device.type == "cuda", device=device,
                         loss=stacked_cross_entropy)
        self.step = GraphedStep(step, self.optimizer) if graphs else step

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            if torch.is_tensor(group["lr"]):  # read in place by a captured step
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr

    def parameters_of(self, rows) -> dict[int, dict[str, torch.Tensor]]:
        """The current parameters of the stacked ``rows``, by the caller's model index."""
        return {self.models[i]: {name: p[i].detach().clone() for name, p in self.params.items()}
                for i in rows}

    def without(self, rows: list[int]) -> "_Stack":
        """The stack less ``rows``, each remaining model's optimizer state carried over."""
        keep = [i for i in range(len(self.models)) if i not in set(rows)]
        index = torch.tensor(keep, device=self.device)

        def rows_of(value):
            return (value[index].clone() if torch.is_tensor(value) and value.dim() > 0
                    else value.clone() if torch.is_tensor(value) else value)

        state = {name: {key: rows_of(v) for key, v in self.optimizer.state[p].items()}
                 for name, p in self.params.items()}
        return _Stack([self.models[i] for i in keep],
                      {name: p.detach()[index].clone() for name, p in self.params.items()},
                      {name: b[index] for name, b in self.buffers.items()},
                      self.base, self.config, self.device, state)


def has_batch_norm(model: nn.Module) -> bool:
    """BatchNorm updates running statistics in place, which ``vmap`` over stacked buffers cannot."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _meta_copy(module: nn.Module) -> nn.Module:
    # functional_call only needs the module's structure: its own tensors may live nowhere.
    return copy.deepcopy(module).to("meta")


@torch.inference_mode()
def _stacked_logits(base, params, buffers, x, batch_size: int | None = None) -> torch.Tensor:
    device = next(iter(params.values())).device
    batch_size = batch_size or (EVAL_BATCH_SIZE if device.type == "cuda" else CPU_EVAL_BATCH_SIZE)
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
    predictions = _stacked_logits(base, params, buffers, x).argmax(-1)
    return (predictions == y).float().mean(1).tolist()
