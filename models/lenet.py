"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document recognition").

Two conv-pool stages (6 and 16 feature maps, 5x5 kernels) and a 120-84-classes head. Inputs
smaller than 32x32 are padded by the first convolution, as in the usual 28x28 MNIST variant.
ReLU and max-pooling replace the original scaled tanh and subsampling, as in the course.
"""

from __future__ import annotations

import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int] = (1, 28, 28), num_classes: int = 10,
                 dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        channels, height, _ = input_shape
        pad = 2 if height < 32 else 0

        def block(c_in, c_out, padding):
            layers = [nn.Conv2d(c_in, c_out, 5, padding=padding)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            return layers

        self.features = nn.Sequential(*block(channels, 6, pad), *block(6, 16, 0))
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *input_shape)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, 120), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def lenet5(input_shape, num_classes, dropout=0.0, batch_norm=False) -> LeNet5:
    return LeNet5(tuple(input_shape), num_classes, dropout, batch_norm)
