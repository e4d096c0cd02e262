"""The trainer: device-resident data, bf16, CUDA graphs, seeded, resumable.

`train_model` trains any `nn.Module` classifier on an `nnaudit.data.Split`; `train_many` trains
K copies of one small architecture at once (stacked parameters under ``vmap``) for the audits
that retrain many models. What makes them fast on a GPU, in the order it matters for the small
course networks:

- A split that fits is moved to the device once; a batch is an index slice of a device-side
  permutation, so there is no per-batch host copy (`_batches`).
- Loss and accuracy are summed on the device and read once per epoch: no `.item()` per step.
- On CUDA the whole step (forward, backward, fused optimizer) is captured once in a CUDA graph
  and replayed, because a LeNet-5 step is a few dozen tiny kernels whose launch cost dominates
  (`_steps`).
- bf16 autocast, channels_last (on CPU too), cudnn autotuning, fused Adam/SGD (`_optim`),
  optional `torch.compile`.
- Augmentation (random crop, optional flip, small affine) is one batched `grid_sample` on the
  device (`_augment`).

On CPU the same code runs eagerly and is deterministic: the same seed gives the same history.
Checkpoints after every epoch make a run resumable to the same numbers (`_checkpoint`). The
trainer never prints; ``on_epoch`` receives each epoch's numbers.

May import: nnaudit.config, nnaudit.atomic, nnaudit.errors, nnaudit.models, torch; never the
audits, the store, the pipeline or the renderers.
"""

from nnaudit.config import TrainConfig
from nnaudit.train._augment import augment_images
from nnaudit.train._checkpoint import SPEED_ONLY, check_checkpoint
from nnaudit.train._device import cpu_threads, resolve_device, seed_everything
from nnaudit.train._loop import HISTORY_COLUMNS, TrainingDiverged, TrainResult, train_model
from nnaudit.train._many import ManyResult, has_batch_norm, train_many
from nnaudit.train._optim import lr_factor, make_optimizer
from nnaudit.train._predict import predict_proba

__all__ = ["SPEED_ONLY", "TrainConfig", "TrainResult", "TrainingDiverged", "train_model", "predict_proba",
           "train_many", "ManyResult", "has_batch_norm", "resolve_device", "cpu_threads",
           "seed_everything",
           "augment_images", "make_optimizer", "lr_factor", "check_checkpoint", "HISTORY_COLUMNS"]
