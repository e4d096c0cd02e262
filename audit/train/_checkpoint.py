"""Checkpoints: the full training state after each epoch, so an interrupted run resumes exactly."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nnaudit.config import TrainConfig
from nnaudit.errors import UserInputError
from nnaudit.atomic import atomic_torch_save

# Settings that change speed, not results: a checkpoint may be resumed with other values.
SPEED_ONLY = {"amp", "channels_last", "compile", "cuda_graphs"}
_STATE_KEYS = ("epoch", "history", "best", "stopped_early", "model", "optimizer", "scheduler",
               "rng")


def copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def save_checkpoint(path: Path, config: TrainConfig, epoch: int, rows: list[dict],
                     best: dict[str, Any], stopped_early: bool, model: nn.Module, optimizer: torch.optim.Optimizer,
                     scheduler: Any, order: torch.Generator, augment_rng: torch.Generator,
                     device: torch.device) -> None:
    state = {
        "config": asdict(config), "epoch": epoch, "history": rows, "best": best,
        "stopped_early": stopped_early,
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "order": order.get_state(),
                "augment": augment_rng.get_state(),
                "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None},
    }
    # through a Python file object: a full disk is an OSError (ENOSPC) said in one sentence,
    # not torch's own "enforce fail at inline_container.cc"
    atomic_torch_save(path, state)


def check_checkpoint(path: Path, config: TrainConfig,
                     device: torch.device | str = "cpu") -> dict[str, Any]:
    """The checkpoint's state, refused when unreadable or written with other training settings."""
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # truncated or foreign file: say which one, never suggest unpickling
        raise UserInputError(f"checkpoint {path} cannot be read ({exc.__class__.__name__}).") from None
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict) \
            or not all(key in state for key in _STATE_KEYS):
        raise UserInputError(f"checkpoint {path} is not an nnaudit training checkpoint (a "
                             "plain state_dict or another program's file); it cannot be resumed.")
    saved = state["config"]
    for f in fields(config):
        if f.name not in SPEED_ONLY and saved.get(f.name) != getattr(config, f.name):
            raise UserInputError(
                f"checkpoint {path} was written with {f.name}={saved.get(f.name)!r}, not "
                f"{getattr(config, f.name)!r}; resume with the same training settings.")
    return state


def load_checkpoint(path: Path, config: TrainConfig, model: nn.Module,
                    optimizer: torch.optim.Optimizer, scheduler: Any, order: torch.Generator,
                    augment_rng: torch.Generator, device: torch.device):
    state = check_checkpoint(path, config, device)
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
