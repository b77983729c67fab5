"""torch.nn.functional: convolutions and pooling (primitives in ops/conv.py and ops/pool.py)."""

from __future__ import annotations

from typing import Any

from chainrule.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from chainrule.ops.pool import (
    _adaptive_avg_pool2d,
    _adaptive_max_pool2d,
    _avg_pool2d,
    _max_pool2d,
    adaptive_avg_pool1d,
    avg_pool1d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from chainrule.ops.pool import adaptive_max_pool1d as _adaptive_max_pool1d
from chainrule.ops.pool import max_pool1d as _max_pool1d
from chainrule.tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
]  # fmt: skip


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """1-D max pooling; with return_indices, (values, indices into each input row)."""
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """2-D max pooling; with return_indices, (values, flat indices into each input plane)."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling of (N, C, H, W) or (C, H, W) input."""
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)  # fmt: skip


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to an output of `output_size` (an int, or a pair with None = keep)."""
    return _adaptive_avg_pool2d(input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to an output of `output_size`; with return_indices, (values, indices)."""
    return _adaptive_max_pool2d(input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(
    input: Tensor, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """(values, flat indices) of 2-D adaptive max pooling."""
    return _adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """1-D adaptive max pooling; with return_indices, (values, indices)."""
    res = _adaptive_max_pool1d(input, output_size)
    return res if return_indices else res[0]


def adaptive_max_pool1d_with_indices(
    input: Tensor, output_size: Any, return_indices: bool = False
) -> tuple[Tensor, Tensor]:
    """(values, indices) of 1-D adaptive max pooling."""
    return _adaptive_max_pool1d(input, output_size)
