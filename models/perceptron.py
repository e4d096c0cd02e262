"""The perceptron (Rosenblatt 1958): one linear layer from the flattened input to class scores."""

from __future__ import annotations

import math

from torch import nn


class Perceptron(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(math.prod(input_shape), num_classes)

    def forward(self, x):
        return self.fc(self.flatten(x))


def perceptron(input_shape, num_classes) -> Perceptron:
    return Perceptron(input_shape, num_classes)
