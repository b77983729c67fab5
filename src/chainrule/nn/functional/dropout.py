"""torch.nn.functional: dropout (elementwise, channel-wise, alpha), re-exported by norm.py.

Masks come from chainrule's global generator (manual_seed), so they differ from torch's; each is
a constant factor, so the gradient is the same mask times the same scale (MulBackward0).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from chainrule.autograd.function import _wrap
from chainrule.ops.creation import _gen
from chainrule.tensor import Tensor

__all__ = [
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(
    input: Tensor, p: float, train: bool, inplace: bool, lead: int = 0, alpha: bool = False
) -> Tensor:
    """input * mask / (1 - p) with a Bernoulli(1 - p) mask from chainrule's global generator,
    as ATen's _dropout_impl: the mask is a constant, so the gradient is g * mask / (1 - p)
    (MulBackward0). lead: 0 for one draw per element, else one per index of the first `lead`
    dims (channel dropout); alpha: the SELU-preserving affine instead of the 1 / (1 - p) scale."""
    x = input.data
    if p == 0 or not train or x.size == 0:
        return input
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    if p == 1:
        return _times(input, np.zeros((), dt), inplace)
    if lead and x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = x.shape[:lead] + (1,) * (x.ndim - lead) if lead else x.shape
    keep = (_gen(None).random(shape) >= p).astype(dt)
    if not alpha:
        return _times(input, keep / dt.type(1 - p), inplace)
    a_ = 1.7580993408473766
    a = 1.0 / math.sqrt((a_ * a_ * p + 1) * (1 - p))
    shift = _wrap(((keep - 1) * (a_ * a) + a_ * a * p).astype(dt), None)
    out = _times(input, keep * dt.type(a), inplace)
    return out.add_(shift) if inplace else out + shift


def _times(input: Tensor, noise: np.ndarray, inplace: bool) -> Tensor:
    noise = _wrap(noise, None)
    return input.mul_(noise) if inplace else input * noise


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p)."""
    _check_p(p)
    return _dropout(input, p, training, inplace)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout that keeps a SELU network's mean and variance (dropped values go to -alpha')."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """alpha_dropout of whole channels."""
    _check_p(p)
    return _dropout(input, p, training, inplace, lead=2, alpha=True)


def _unbatched(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Channel dropout of an input without its batch dim: through a batch of one, as torch."""
    if inplace:
        return _dropout(input, p, training, True, lead=1)
    return _dropout(input.unsqueeze(0), p, training, False, lead=2).squeeze(0)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of a (N, C, L) or (C, L) input with probability p."""
    _check_p(p)
    ndim = input.data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs)."
        )
    if ndim == 2:
        return _unbatched(input, p, training, inplace)
    return _dropout(input, p, training, inplace, lead=2)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels (input[n, c]) with probability p; a 3-D input is read as (N, C, L)."""
    _check_p(p)
    ndim = input.data.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout(input, p, training, inplace, lead=2)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    _check_p(p)
    ndim = input.data.ndim
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    if ndim != 5:
        return _unbatched(input, p, training, inplace)
    return _dropout(input, p, training, inplace, lead=2)
