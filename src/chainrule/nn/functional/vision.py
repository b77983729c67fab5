"""torch.nn.functional: interpolate (nearest, nearest-exact, linear, bilinear) and the
deprecated upsample aliases; the primitives are in ops/resample.py."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from chainrule._dtype import kernel_error
from chainrule.ops.resample import upsample as _resample
from chainrule.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}  # the input dim each linear mode takes


# torch's CPU kernel for each (mode, input dim): its name, and whether it takes uint8
_KERNELS = {
    ("nearest", 3): ("compute_indices_weights_nearest", True),
    ("nearest", 4): ("upsample_nearest2d_channels_last", True),
    ("linear", 3): ("compute_indices_weights_linear", False),
    ("bilinear", 4): ("upsample_bilinear2d_channels_last", False),
}


def _check_dtype(dt: np.dtype, mode: str, ndim: int) -> None:
    """torch's kernel error for a dtype its kernel has no loop for (bool, and integers but uint8
    for nearest). torch's bilinear also takes uint8, with fixed-point rounding of its own that
    chainrule does not reproduce: refused here."""
    if dt.kind == "f":
        return
    kernel, takes_uint8 = _KERNELS[("nearest" if mode == "nearest-exact" else mode, ndim)]
    if dt == np.uint8 and takes_uint8:
        return
    if dt == np.uint8 and mode == "bilinear":
        raise NotImplementedError(
            "interpolate(mode='bilinear') on uint8 input is not implemented in chainrule"
        )
    raise kernel_error(kernel, dt)


def _is_integer(x: Any) -> bool:
    if isinstance(x, (bool, int, np.integer)):
        return True
    return isinstance(x, Tensor) and x.data.dtype.kind in "iub"


def _sizes_and_scales(
    input: Tensor, size: Any, scale_factor: Any, dim: int, recompute: bool | None
) -> tuple[list, list]:
    """Output sizes and the scales handed to the kernel (None where the size decides)."""
    spatial = list(input.data.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}"
                )
            return [int(s) for s in size], [None] * dim
        return [int(size)] * dim, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and "
                f"scale_factor of shape {scale_factor}. "
                "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "scale_factor in (s1, s2, ...,sK) format."
            )
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    if recompute:  # the size from the scale, then the scale from the sizes
        return [math.floor(n * s) for n, s in zip(spatial, scales)], [None] * dim
    return [int(n * s) for n, s in zip(spatial, scales)], scales  # C++ truncates the double


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resample the spatial dims (all after the first two) to `size` or by `scale_factor`."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the "
                "interpolating modes: linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    ndim = input.data.ndim
    dim = ndim - 2
    sizes, scales = _sizes_and_scales(input, size, scale_factor, dim, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    known = (mode in ("nearest", "nearest-exact") and ndim in (3, 4)) or _NEEDS.get(mode) == ndim
    if not known:
        if mode in _NEEDS and ndim in (3, 4, 5):
            raise NotImplementedError(
                f"Got {ndim}D input, but {mode} mode needs {_NEEDS[mode]}D input"
            )
        if mode in _MODES.split(" | ") and ndim in (3, 4, 5):
            raise NotImplementedError(
                f"interpolate(mode={mode!r}) on a {ndim}-D input is not implemented in "
                "chainrule yet: it has nearest and nearest-exact (3-D, 4-D), linear (3-D) and "
                "bilinear (4-D)"
            )
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the "
            f"modes: {_MODES} (got {mode})"
        )
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not implemented in chainrule")
    spatial = input.data.shape[2:]
    if min(spatial, default=1) <= 0 or min(sizes) <= 0:
        names = ("D", "H", "W")[3 - dim :]
        given = ", ".join(f"{k}: {n}" for k, n in zip(names, spatial))
        wanted = ", ".join(f"{k}: {n}" for k, n in zip(names, sizes))
        joint = " and output" if dim == 1 else " output"  # torch's two wordings
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({given}){joint} "
            f"({wanted})"
        )
    if math.prod(input.data.shape[1:]) == 0:
        raise RuntimeError(
            f"Non-empty {ndim}D data tensor expected but got a tensor with sizes "
            f"{list(input.data.shape)}"
        )
    _check_dtype(input.data.dtype, mode, ndim)
    return _resample(input, mode, tuple(sizes), tuple(scales), bool(align_corners))


def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of interpolate (warns as torch does)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(..., mode='nearest')."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
