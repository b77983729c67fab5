"""torch.optim.lr_scheduler: learning-rate schedulers with torch's API and arithmetic."""

from chainrule.optim.lr_scheduler._base import EPOCH_DEPRECATION_WARNING, LRScheduler, _LRScheduler
from chainrule.optim.lr_scheduler._composite import ReduceLROnPlateau, SequentialLR
from chainrule.optim.lr_scheduler._cyclic import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    OneCycleLR,
)
from chainrule.optim.lr_scheduler._multiplicative import (
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
]
