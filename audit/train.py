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

On CPU the same code runs eagerly and is deterministic: the same seed gives the same history.
Splits that carry a `stream` (data too large for memory) go through a DataLoader with pinned
memory and non-blocking copies. The trainer never prints; `on_epoch` receives each epoch's
numbers (the CLI draws its progress bar from them).
"""

from __future__ import annotations

import math
import os
import random
import time
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from nnaudit.errors import UserInputError

if TYPE_CHECKING:
    from nnaudit.data import Split

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("none", "cosine", "step")
HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
# Settings that change speed, not results: a checkpoint may be resumed with other values.
_SPEED_ONLY = {"amp", "channels_last", "compile", "cuda_graphs"}
# Eager steps before CUDA graph capture: optimizer state and cudnn autotuning must exist first.
_GRAPH_WARMUP_STEPS = 3
# A resident split may use at most this share of the free device memory.
_DEVICE_MEMORY_SHARE = 0.5


@dataclass
class TrainConfig:
    """How to train. Every field is plain data, so the config goes into the manifest as is.

    ``schedule``: "cosine" anneals the learning rate to zero step by step over all epochs;
    "step" divides it by 10 at 50 % and again at 75 % of the epochs. ``patience``: stop when
    the validation loss has not improved for that many epochs, and restore the best weights.
    ``amp``, ``channels_last``, ``compile`` and ``cuda_graphs`` only change speed: all but
    ``channels_last`` (image models, CPU too) act on CUDA only.
    """

    epochs: int = 8
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    patience: int | None = None
    augment: bool = False
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    cuda_graphs: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UserInputError(
                f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise UserInputError(
                f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}.")
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise UserInputError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if not self.lr > 0:
            raise UserInputError(f"lr must be positive, got {self.lr}.")
        if self.weight_decay < 0:
            raise UserInputError(f"weight_decay must not be negative, got {self.weight_decay}.")
        if self.patience is not None and self.patience < 1:
            raise UserInputError(f"patience must be at least 1 epoch, got {self.patience}.")


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


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" gives CUDA when present, else the CPU; "cpu", "cuda" and "cuda:N" are checked."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserInputError(f"unknown device {name!r}; use auto, cpu or cuda.") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserInputError(f"device {name!r} was asked for but no CUDA GPU is available.")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserInputError(
                f"device {name!r} does not exist; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s).")
    elif device.type != "cpu":
        raise UserInputError(f"unsupported device {name!r}; use auto, cpu or cuda.")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) from one integer."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def augment_images(x: torch.Tensor, generator: torch.Generator, *, flip: bool = False,
                   max_shift: int | None = None, degrees: float = 10.0,
                   scale: tuple[float, float] = (0.9, 1.1)) -> torch.Tensor:
    """Random crop, optional horizontal flip and small rotation/scaling of a batch, on its device.

    The crop is the classic "pad by ``max_shift`` with zeros, cut at a random offset" (Krizhevsky
    et al. 2012), written as an integer translation so that crop, flip, rotation and scaling
    compose into one affine map per image and a single ``grid_sample`` call. ``max_shift``
    defaults to an eighth of the height (4 px on 32x32, 3 px on 28x28).
    """
    n, _, height, width = x.shape
    shift = max(1, round(height / 8)) if max_shift is None else max_shift
    draws = torch.rand(n, 5, generator=generator, device=x.device, dtype=x.dtype)
    angle = (draws[:, 0] * 2 - 1) * math.radians(degrees)
    zoom = scale[0] + draws[:, 1] * (scale[1] - scale[0])
    # Integer offsets in [-shift, shift], in grid_sample's [-1, 1] coordinates.
    dx = (torch.floor(draws[:, 2] * (2 * shift + 1)) - shift) * (2 / width)
    dy = (torch.floor(draws[:, 3] * (2 * shift + 1)) - shift) * (2 / height)
    mirror = torch.where(draws[:, 4] < 0.5, -1.0, 1.0) if flip else torch.ones_like(angle)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([
        torch.stack([cos * mirror, -sin, dx], dim=1),
        torch.stack([sin * mirror, cos, dy], dim=1),
    ], dim=1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def train_model(model: nn.Module, train: "Split", val: "Split | None", config: TrainConfig,
                device: torch.device | str, *, checkpoint_path: Path | None = None,
                resume: bool = False,
                on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Train ``model`` on ``train``, validating on ``val`` after each epoch.

    With ``checkpoint_path`` the full training state is written there atomically after every
    epoch; ``resume=True`` continues from it (or starts afresh when it does not exist yet) and
    ends, on CPU, with exactly the numbers of an uninterrupted run. An interruption (Ctrl-C)
    leaves the last complete epoch's checkpoint intact.
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    if config.patience is not None and val is None:
        raise UserInputError("early stopping (patience) needs a validation split; none was given.")
    torch.manual_seed(config.seed)  # dropout and other global-RNG layers
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")

    train_data = _batch_source(train, device)
    val_data = _batch_source(val, device) if val is not None else None
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
        start_epoch, rows, best, stopped_early = _load_checkpoint(
            Path(checkpoint_path), config, model, optimizer, scheduler, order, augment_rng, device)

    sums = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, correct count
    step = _TrainStep(forward, optimizer, sums, amp=cuda and config.amp, device=device)
    if cuda and config.cuda_graphs:
        step = _GraphedStep(step, optimizer)
    augment = config.augment and image_input
    flip = augment and train_data.channels == 3  # natural images only: a mirrored digit is wrong

    train_seconds: list[float] = []
    train_images = steps_per_epoch * min(config.batch_size, len(train_data))
    for epoch in range(start_epoch + 1, 0 if stopped_early else config.epochs + 1):
        started = time.perf_counter()
        lr = config.lr * scheduler.lr_lambdas[0](scheduler.last_epoch)
        model.train()
        sums.zero_()
        for xb, yb in train_data.train_batches(config.batch_size, order):
            if augment:
                xb = augment_images(xb, augment_rng, flip=flip)
            step(xb.contiguous(memory_format=memory_format), yb)
            if config.schedule != "none":  # spares three tiny kernels per step
                scheduler.step()
        loss_sum, correct = sums.tolist()  # the epoch's one host sync for training
        train_seconds.append(time.perf_counter() - started)
        val_loss, val_acc = (_evaluate(model, val_data, config, device) if val_data is not None
                             else (math.nan, math.nan))
        row = {"epoch": epoch, "train_loss": loss_sum / train_images,
               "train_acc": correct / train_images, "val_loss": val_loss, "val_acc": val_acc,
               "lr": lr, "seconds": time.perf_counter() - started}
        rows.append(row)

        if config.patience is not None:
            if val_loss < best["loss"]:
                best = {"loss": val_loss, "stale": 0, "state": _copy_state(model)}
            else:
                best["stale"] += 1
            stopped_early = best["stale"] >= config.patience and epoch < config.epochs
        if checkpoint_path is not None:
            _save_checkpoint(Path(checkpoint_path), config, epoch, rows, best, stopped_early,
                             model, optimizer, scheduler, order, augment_rng, device)
        if on_epoch is not None:
            on_epoch({**row, "epochs": config.epochs,
                      "images_per_second": train_images / train_seconds[-1],
                      "best_val_loss": best["loss"] if config.patience is not None else None})
        if stopped_early:
            break

    if config.patience is not None and best["state"] is not None:
        model.load_state_dict(best["state"])
    steady = train_seconds[1:] or train_seconds
    return TrainResult(
        model=model,
        history=pd.DataFrame(rows, columns=HISTORY_COLUMNS),
        epochs_run=len(rows),
        stopped_early=stopped_early,
        images_per_second=train_images * len(steady) / sum(steady) if steady else math.nan,
    )


@torch.inference_mode()
def predict_proba(model: nn.Module, split_or_x: "Split | torch.Tensor", device: torch.device | str,
                  batch_size: int = 4096) -> torch.Tensor:
    """Class probabilities (N, C), float32 on the CPU, computed in batches in inference mode."""
    device = torch.device(device)
    if isinstance(split_or_x, torch.Tensor):
        chunks = (split_or_x[i:i + batch_size].to(device, non_blocking=True)
                  for i in range(0, len(split_or_x), batch_size))
    else:  # a Split: resident on the device when it fits, streamed otherwise
        chunks = (xb for xb, _ in _batch_source(split_or_x, device).eval_batches(batch_size))
    was_training = model.training
    model.eval()
    try:
        probs = [torch.softmax(model(xb).float(), dim=1) for xb in chunks]
    finally:
        model.train(was_training)
    return torch.cat(probs).cpu()


# --- steps ---------------------------------------------------------------------------------

class _TrainStep:
    """Forward, backward and optimizer step; loss and hits are summed into ``sums`` on device."""

    def __init__(self, forward: nn.Module, optimizer: torch.optim.Optimizer, sums: torch.Tensor,
                 *, amp: bool, device: torch.device):
        self.forward, self.optimizer, self.sums = forward, optimizer, sums
        self.amp, self.device_type = amp, device.type

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, zero_grad: bool = True) -> None:
        if zero_grad:
            self.optimizer.zero_grad(set_to_none=True)
        # cache_enabled=False: autocast's weight cache must not outlive a CUDA graph capture.
        with torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.amp,
                            cache_enabled=False):
            logits = self.forward(xb)
            loss = F.cross_entropy(logits, yb)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():
            hits = (logits.argmax(dim=1) == yb).sum()
            self.sums.add_(torch.stack([loss.detach().double() * yb.shape[0], hits.double()]))


class _GraphedStep:
    """The training step captured once as a CUDA graph and replayed for every batch.

    Follows PyTorch's whole-network capture recipe: a few eager warm-up steps on a side stream
    (they are real training steps), then capture with gradients set to None so backward
    allocates them from the graph's pool. Batches are copied into static input buffers.
    """

    def __init__(self, step: _TrainStep, optimizer: torch.optim.Optimizer):
        self.step, self.optimizer = step, optimizer
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_x: torch.Tensor | None = None
        self.static_y: torch.Tensor | None = None
        self.warm_steps = 0

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        if self.static_x is None:  # every training batch has this shape (last partial one dropped)
            self.static_x, self.static_y = torch.empty_like(xb), torch.empty_like(yb)
        self.static_x.copy_(xb, non_blocking=True)
        self.static_y.copy_(yb, non_blocking=True)
        if self.graph is None and self.warm_steps < _GRAPH_WARMUP_STEPS:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*capturable=True.*")
                self.step(self.static_x, self.static_y)
            torch.cuda.current_stream().wait_stream(side)
            self.warm_steps += 1
            return
        if self.graph is None:
            self.graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad(set_to_none=True)
            with torch.cuda.graph(self.graph):
                self.step(self.static_x, self.static_y, zero_grad=False)
        self.graph.replay()


def make_optimizer(params: list[torch.Tensor], config: TrainConfig, device: torch.device, *,
                   capturable: bool = False) -> torch.optim.Optimizer:
    """The configured Adam or SGD over ``params``, fused on CUDA (``capturable`` for graphs)."""
    fused = device.type == "cuda"
    # A tensor learning rate lets the scheduler change it in place under a captured graph.
    lr = torch.tensor(config.lr, device=device) if capturable else config.lr
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum,
                               weight_decay=config.weight_decay, fused=fused or None)
    return torch.optim.Adam(params, lr=lr, weight_decay=config.weight_decay,
                            fused=fused or None, capturable=capturable)


def lr_factor(schedule: str, epochs: int, steps_per_epoch: int) -> Callable[[int], float]:
    """Learning-rate multiplier as a function of the optimizer step count."""
    total = epochs * steps_per_epoch
    if schedule == "cosine":
        return lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    if schedule == "step":
        milestones = (math.ceil(epochs * 0.5), math.ceil(epochs * 0.75))
        return lambda step: 0.1 ** sum(step // steps_per_epoch >= m for m in milestones)
    return lambda step: 1.0


# --- evaluation ----------------------------------------------------------------------------

@torch.inference_mode()
def _evaluate(model: nn.Module, data: "_BatchSource", config: TrainConfig,
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


# --- data ----------------------------------------------------------------------------------

class _BatchSource:
    """Yields (x, y) batches on the device; implemented for resident and streamed data."""

    order_device: torch.device
    sample_dim: int
    channels: int

    def __len__(self) -> int:
        raise NotImplementedError

    def steps(self, batch_size: int) -> int:
        """Training steps per epoch: the last partial batch is dropped (shapes stay static)."""
        return max(1, len(self) // batch_size)

    def train_batches(self, batch_size: int, order: torch.Generator) -> Iterator[tuple]:
        raise NotImplementedError

    def eval_batches(self, batch_size: int) -> Iterator[tuple]:
        raise NotImplementedError


class _ResidentData(_BatchSource):
    def __init__(self, x: torch.Tensor, y: torch.Tensor, device: torch.device):
        self.x, self.y = x.to(device), y.to(device)
        self.order_device = device
        self.sample_dim, self.channels = x.dim(), (x.shape[1] if x.dim() > 1 else 1)

    def __len__(self) -> int:
        return self.x.shape[0]

    def train_batches(self, batch_size, order):
        perm = torch.randperm(len(self), generator=order, device=self.x.device)
        batch = min(batch_size, len(self))
        for i in range(self.steps(batch_size)):
            idx = perm[i * batch:(i + 1) * batch]
            yield self.x.index_select(0, idx), self.y.index_select(0, idx)

    def eval_batches(self, batch_size):
        for i in range(0, len(self), batch_size):
            yield self.x[i:i + batch_size], self.y[i:i + batch_size]


class _StreamedData(_BatchSource):
    """A dataset of (x, y) items read by a DataLoader; pinned memory and non-blocking copies."""

    def __init__(self, dataset: torch.utils.data.Dataset, device: torch.device):
        self.dataset, self.device = dataset, device
        self.order_device = torch.device("cpu")  # DataLoader shuffling draws from a CPU generator
        first = dataset[0][0]
        self.sample_dim, self.channels = first.dim() + 1, (first.shape[0] if first.dim() else 1)
        self.loader_options = {
            "pin_memory": device.type == "cuda",
            "num_workers": min(4, os.cpu_count() or 1) if device.type == "cuda" else 0,
        }

    def __len__(self) -> int:
        return len(self.dataset)

    def _to_device(self, loader):
        for xb, yb in loader:
            yield xb.to(self.device, non_blocking=True), yb.to(self.device, non_blocking=True)

    def train_batches(self, batch_size, order):
        loader = torch.utils.data.DataLoader(
            self.dataset, batch_size=min(batch_size, len(self)), shuffle=True, drop_last=True,
            generator=order, **self.loader_options)
        return self._to_device(loader)

    def eval_batches(self, batch_size):
        loader = torch.utils.data.DataLoader(self.dataset, batch_size=batch_size,
                                             **self.loader_options)
        return self._to_device(loader)


def _batch_source(split: Any, device: torch.device) -> _BatchSource:
    """Resident when the split's tensors fit in the device's memory, streamed otherwise."""
    if getattr(split, "x", None) is not None:
        if _fits(split.x, device):
            return _ResidentData(split.x, split.y, device)
        return _StreamedData(torch.utils.data.TensorDataset(split.x, split.y), device)
    if getattr(split, "stream", None) is not None:
        return _StreamedData(split.stream, device)
    raise UserInputError("the split has neither tensors (x) nor a stream to read from.")


def _fits(x: torch.Tensor, device: torch.device) -> bool:
    if device.type != "cuda" or x.device == device:
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return x.numel() * x.element_size() < _DEVICE_MEMORY_SHARE * free


# --- checkpoints ---------------------------------------------------------------------------

def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _save_checkpoint(path: Path, config: TrainConfig, epoch: int, rows: list[dict],
                     best: dict[str, Any], stopped_early: bool, model: nn.Module, optimizer: torch.optim.Optimizer,
                     scheduler: Any, order: torch.Generator, augment_rng: torch.Generator,
                     device: torch.device) -> None:
    from nnaudit.store import atomic_write

    state = {
        "config": asdict(config), "epoch": epoch, "history": rows, "best": best,
        "stopped_early": stopped_early,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "order": order.get_state(),
                "augment": augment_rng.get_state(),
                "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None},
    }
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def _load_checkpoint(path: Path, config: TrainConfig, model: nn.Module,
                     optimizer: torch.optim.Optimizer, scheduler: Any, order: torch.Generator,
                     augment_rng: torch.Generator, device: torch.device):
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # truncated or foreign file: say which one
        raise UserInputError(f"checkpoint {path} cannot be read ({exc.__class__.__name__}).") from None
    saved = state["config"]
    for f in fields(config):
        if f.name not in _SPEED_ONLY and saved.get(f.name) != getattr(config, f.name):
            raise UserInputError(
                f"checkpoint {path} was written with {f.name}={saved.get(f.name)!r}, not "
                f"{getattr(config, f.name)!r}; resume with the same training settings.")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"].cpu())
    order.set_state(rng["order"].cpu())
    augment_rng.set_state(rng["augment"].cpu())
    if rng["cuda"] is not None and device.type == "cuda":
        torch.cuda.set_rng_state(rng["cuda"].cpu(), device)
    return state["epoch"], state["history"], state["best"], state["stopped_early"]
