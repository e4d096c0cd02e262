"""The multi-layer perceptron of the course: flatten, then Linear -> activation blocks.

`activation="sigmoid"` gives the course's historical network, whose gradients vanish in the
first layers (the generalization audit's gradient-health check shows it).
"""

from __future__ import annotations

import math
from typing import Sequence

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU}


class MLP(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int,
                 widths: Sequence[int] = (512, 256), activation: str = "relu",
                 dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        layers: list[nn.Module] = [nn.Flatten()]
        fan_in = math.prod(input_shape)
        for width in widths:
            layers.append(nn.Linear(fan_in, width))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
            fan_in = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(fan_in, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def mlp(input_shape, num_classes, widths=(512, 256), activation="relu", dropout=0.0,
        batch_norm=False) -> MLP:
    return MLP(input_shape, num_classes, widths, activation, dropout, batch_norm)
