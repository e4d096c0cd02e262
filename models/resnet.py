"""torchvision's ResNet-18 (He et al. 2016) trained from scratch, for larger face-like images.

Single-channel inputs are accepted by swapping the stem's first convolution."""

from __future__ import annotations

from torch import nn
from torchvision.models import resnet18 as tv_resnet18


def resnet18(input_shape, num_classes) -> nn.Module:
    model = tv_resnet18(weights=None, num_classes=num_classes)
    channels = input_shape[0]
    if channels != 3:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model
