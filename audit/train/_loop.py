"""The trainer: device-resident data, bf16, CUDA graphs, seeded, resumable.

One entry point, `train_model`, trains any `nn.Module` classifier on an `nnaudit.data.Split`.
What makes it fast on a GPU, in the order it matters for the small course networks:

- A split that fits is moved to the device once; a batch is an index slice of a device-side
  permutation (`torch.randperm` with a device generator), so there is no per-batch host copy.
- Loss and accuracy are summed on the device and read once per epoch: no `.item()` per step.
- On CUDA the whole step (forward, backward, fused optimizer) is captured once in a CUDA graph
  and replayed, because a LeNet-5 step is a few dozen tiny kernels whose launch cost dominates.
- bf16 autocast, channels_last (on CPU too), cudnn autotuning, fused Adam/SGD, optional
  `torch.compile`.
- Augmentation (random crop, optional flip, small affine) is one batched `grid_sample` on the
  device.

Two remedies for under-represented groups act here (`nnaudit.mitigation` uses them):
``sample_weights`` weighs each example's loss, and ``balance_groups`` draws every epoch's batches
so that each group is drawn equally often (with replacement, on the device).

On CPU the same code runs eagerly and is deterministic: the same seed gives the same history.
Splits that carry a `stream` (data too large for memory) go through a DataLoader with pinned
memory and non-blocking copies. The trainer never prints; `on_epoch` receives each epoch's
numbers (the CLI draws its progress bar from them).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from nnaudit.config import TrainConfig
from nnaudit.errors import UserInputError
from nnaudit.train._augment import augment_images
from nnaudit.train._batches import BatchSource, batch_source
from nnaudit.train._checkpoint import copy_state, load_checkpoint, save_checkpoint
from nnaudit.train._optim import lr_factor, make_optimizer
from nnaudit.train._steps import GraphedStep, TrainStep

if TYPE_CHECKING:
    from nnaudit.data import Split

HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]


class TrainingDiverged(UserInputError):
    """The loss became NaN or infinite: the settings (usually the learning rate) cannot train."""


@dataclass
class TrainResult:
    """What `train_model` returns.

    ``history`` has one row per epoch (columns `HISTORY_COLUMNS`; ``lr`` is the rate at the
    epoch's first step, ``seconds`` the whole epoch including validation).
    ``images_per_second`` is the training throughput over the epochs after the first (which
    pays for cudnn autotuning, graph capture and compilation), or over the only epoch.
    """

    model: nn.Module
    history: pd.DataFrame
    epochs_run: int
    stopped_early: bool
    images_per_second: float


def train_model(model: nn.Module, train: "Split", val: "Split | None", config: TrainConfig,
                device: torch.device | str, *, checkpoint_path: Path | None = None,
                resume: bool = False,
                on_epoch: Callable[[dict[str, Any]], None] | None = None,
                sample_weights: torch.Tensor | None = None,
                balance_groups: torch.Tensor | None = None) -> TrainResult:
    """Train ``model`` on ``train``, validating on ``val`` after each epoch.

    With ``checkpoint_path`` the full training state is written there atomically after every
    epoch; ``resume=True`` continues from it (or starts afresh when it does not exist yet) and
    ends, on CPU, with exactly the numbers of an uninterrupted run. An interruption (Ctrl-C)
    leaves the last complete epoch's checkpoint intact.

    ``sample_weights`` (N,): non-negative loss weight of each training example, rescaled to
    mean 1; the loss of a batch is then the mean of weight x cross-entropy (Shimodaira 2000,
    J. Stat. Plan. Inference 90(2): importance-weighted empirical risk).
    ``balance_groups`` (N,): an integer group code per training example; each epoch then
    draws its examples with replacement, example i with probability 1 / (G n_g(i)), so each of
    the G groups is drawn equally often (the history's train_loss and train_acc are over
    those draws).
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    early_stopping = config.patience > 0
    if early_stopping and val is None:
        raise UserInputError("early stopping (train.patience) needs a validation split; none "
                             "was given.")
    torch.manual_seed(config.seed)  # dropout and other global-RNG layers
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")

    train_data = batch_source(train, device,
                              loss_weights=_mean_one(sample_weights, len(train.y)),
                              draw_weights=_balanced_draw(balance_groups, len(train.y)))
    val_data = batch_source(val, device) if val is not None else None
    image_input = train_data.sample_dim == 4
    # NHWC pays on CPUs too (oneDNN): LeNet-5 steps 15-30 % faster alone, training on
    # shades-mnist about 6 % faster end to end (2 cores, batch 32).
    memory_format = (torch.channels_last if config.channels_last and image_input
                     else torch.contiguous_format)
    model.to(device=device, memory_format=memory_format)
    forward = torch.compile(model) if config.compile else model

    steps_per_epoch = train_data.steps(config.batch_size)
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad], config, device,
                               capturable=cuda and config.cuda_graphs)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_factor(config.schedule, config.epochs, steps_per_epoch))
    order = torch.Generator(device=train_data.order_device).manual_seed(config.seed)
    augment_rng = torch.Generator(device=device).manual_seed(config.seed + 1)

    rows: list[dict[str, Any]] = []
    best: dict[str, Any] = {"loss": math.inf, "state": None, "stale": 0}
    start_epoch, stopped_early = 0, False
    if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
        start_epoch, rows, best, stopped_early = load_checkpoint(
            Path(checkpoint_path), config, model, optimizer, scheduler, order, augment_rng, device)

    sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, correct count
    step = TrainStep(forward, optimizer, sums, amp=cuda and config.amp, device=device)
    if cuda and config.cuda_graphs:
        step = GraphedStep(step, optimizer)
    augment = config.augment and image_input
    flip = augment and train_data.channels == 3  # natural images only: a mirrored digit is wrong

    train_seconds: list[float] = []
    train_images = steps_per_epoch * min(config.batch_size, len(train_data))
    for epoch in range(start_epoch + 1, 0 if stopped_early else config.epochs + 1):
        started = time.perf_counter()
        lr = config.lr * scheduler.lr_lambdas[0](scheduler.last_epoch)
        model.train()
        sums.zero_()
        for xb, yb, wb in train_data.train_batches(config.batch_size, order):
            if augment:
                xb = augment_images(xb, augment_rng, flip=flip)
            step(xb.contiguous(memory_format=memory_format), yb, wb)
            if config.schedule != "none":  # spares three tiny kernels per step
                scheduler.step()
        loss_sum, correct = sums.tolist()  # the epoch's one host sync for training
        if not math.isfinite(loss_sum):
            raise TrainingDiverged(
                f"the training loss diverged (it became {loss_sum}) in epoch {epoch}: lower "
                f"train.lr (now {config.lr:g}) or look for non-finite values in the data.")
        train_seconds.append(time.perf_counter() - started)
        val_loss, val_acc = (_evaluate(model, val_data, config, device) if val_data is not None
                             else (math.nan, math.nan))
        row = {"epoch": epoch, "train_loss": loss_sum / train_images,
               "train_acc": correct / train_images, "val_loss": val_loss, "val_acc": val_acc,
               "lr": lr, "seconds": time.perf_counter() - started}
        rows.append(row)

        if early_stopping:
            if val_loss < best["loss"]:
                best = {"loss": val_loss, "stale": 0, "state": copy_state(model)}
            else:
                best["stale"] += 1
            stopped_early = best["stale"] >= config.patience and epoch < config.epochs
        if checkpoint_path is not None:
            save_checkpoint(Path(checkpoint_path), config, epoch, rows, best, stopped_early,
                             model, optimizer, scheduler, order, augment_rng, device)
        if on_epoch is not None:
            on_epoch({**row, "epochs": config.epochs,
                      "images_per_second": train_images / train_seconds[-1],
                      "best_val_loss": best["loss"] if early_stopping else None})
        if stopped_early:
            break

    if early_stopping and best["state"] is not None:
        model.load_state_dict(best["state"])
    steady = train_seconds[1:] or train_seconds
    return TrainResult(
        model=model,
        history=pd.DataFrame(rows, columns=HISTORY_COLUMNS),
        epochs_run=len(rows),
        stopped_early=stopped_early,
        images_per_second=train_images * len(steady) / sum(steady) if steady else math.nan,
    )


def _mean_one(weights: torch.Tensor | None, n: int) -> torch.Tensor | None:
    """Loss weights rescaled to mean 1, checked: one per example, finite, >= 0, not all 0."""
    if weights is None:
        return None
    weights = torch.as_tensor(weights, dtype=torch.float64).flatten()
    if len(weights) != n:
        raise UserInputError(f"sample_weights has {len(weights)} values for {n} training "
                             "examples; give one per example.")
    if not (torch.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
        raise UserInputError("sample_weights must be finite and non-negative, and not all 0.")
    return (weights / weights.mean()).float()


def _balanced_draw(groups: torch.Tensor | None, n: int) -> torch.Tensor | None:
    """Draw weights 1 / n_g per example: every group carries the same total weight."""
    if groups is None:
        return None
    groups = torch.as_tensor(groups).flatten()
    if len(groups) != n or groups.is_floating_point():
        raise UserInputError(f"balance_groups must hold one integer group code per training "
                             f"example ({n}), not {len(groups)} values of {groups.dtype}.")
    _, codes, sizes = torch.unique(groups, return_inverse=True, return_counts=True)
    return 1.0 / sizes[codes].double()


@torch.inference_mode()
def _evaluate(model: nn.Module, data: "BatchSource", config: TrainConfig,
              device: torch.device) -> tuple[float, float]:
    model.eval()
    sums = torch.zeros(2, dtype=torch.float64, device=device)
    amp = device.type == "cuda" and config.amp
    for xb, yb in data.eval_batches(max(config.batch_size, 1024)):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(xb)
        loss = F.cross_entropy(logits.float(), yb, reduction="sum")
        sums += torch.stack([loss.double(), (logits.argmax(dim=1) == yb).sum().double()])
    loss_sum, correct = sums.tolist()
    return loss_sum / len(data), correct / len(data)
