"""The course's small CIFAR-10 CNN: three conv-conv-pool blocks (32, 64, 128 maps), then a
fully connected head. Batch norm and dropout can be switched on for the regularizer ablation."""

from __future__ import annotations

import torch
from torch import nn


class CifarCNN(nn.Module):
    def __init__(self, input_shape: tuple[int, int, int] = (3, 32, 32), num_classes: int = 10,
                 widths: tuple[int, ...] = (32, 64, 128), dropout: float = 0.0,
                 batch_norm: bool = False):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = input_shape[0]
        for width in widths:
            for _ in range(2):
                layers.append(nn.Conv2d(c_in, width, 3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU(inplace=True))
                c_in = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.features(torch.zeros(1, *input_shape)).numel()
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(flat, 256), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(256, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def cifar_cnn(input_shape, num_classes, widths=(32, 64, 128), dropout=0.0,
              batch_norm=False) -> CifarCNN:
    return CifarCNN(tuple(input_shape), num_classes, tuple(widths), dropout, batch_norm)
