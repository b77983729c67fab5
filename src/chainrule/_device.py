"""torch.device, and what chainrule says about devices: its tensors are NumPy arrays in host
memory, so 'cpu' is the one device that holds them. Other device types can be named (code that
builds `torch.device("cuda" if torch.cuda.is_available() else "cpu")` runs), but putting a
tensor or module there fails as on a CPU-only build of torch.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["device"]

_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip
_SPEC = re.compile(r"([a-z_]+)(?::(\d+))?$")


class device:  # noqa: N801 - torch's name
    """Where a tensor lives: `device('cpu')`, `device('cuda:0')`, `device('cuda', 0)`."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        elif isinstance(type, int):
            type, index = "cuda", type  # noqa: A001 - torch: a bare index names a cuda device
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments: {type!r}")
        else:
            m = _SPEC.match(type)
            if m is None or (m[2] is not None and index is not None):
                raise RuntimeError(f"Invalid device string: {type!r}")
            if m[1] not in _TYPES:
                raise RuntimeError(
                    f"Expected one of {', '.join(_TYPES)} device type at start of device "
                    f"string: {type}"
                )
            type, index = m[1], int(m[2]) if m[2] is not None else index  # noqa: A001
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def check(where: Any) -> None:
    """Nothing for None or a cpu device; torch's CPU-build error for any other device."""
    if where is None or isinstance(where, device) and where.type == "cpu":
        return
    dev = device(where)
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        raise AssertionError(
            "Torch not compiled with CUDA enabled (chainrule computes with NumPy on the CPU; "
            "use device 'cpu')"
        )
    raise RuntimeError(
        f"chainrule computes with NumPy on the CPU; device {str(dev)!r} is not available"
    )
