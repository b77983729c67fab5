"""dtypes spelled as torch spells them, and torch's type-promotion rules over NumPy arrays."""

from __future__ import annotations

import numpy as np


class dtype:  # noqa: N801 - torch's name
    """A tensor element type: `chainrule.float32`, `chainrule.int64`, ..."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype: type, rank: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._rank = rank

    def __repr__(self) -> str:
        return f"chainrule.{self.name}"

    def __reduce__(self) -> str:
        return self.name


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 2)
int16 = dtype("int16", np.int16, 3)
int32 = dtype("int32", np.int32, 4)
int64 = dtype("int64", np.int64, 5)
float16 = dtype("float16", np.float16, 6)
float32 = dtype("float32", np.float32, 7)
float64 = dtype("float64", np.float64, 8)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
DEFAULT_FLOAT = np.dtype(np.float32)
DEFAULT_INT = np.dtype(np.int64)
_SUPPORTED = ", ".join(d.name for d in ALL)


def from_np(np_dtype: np.dtype) -> dtype:
    """The chainrule dtype of a NumPy dtype; TypeError for dtypes chainrule does not hold."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
            f"{_SUPPORTED}."
        ) from None


def to_np(d: object) -> np.dtype:
    """A NumPy dtype from a chainrule dtype, a NumPy dtype, or a Python type (float, int, bool)."""
    if isinstance(d, dtype):
        return d.np
    if d is float:
        return DEFAULT_FLOAT
    if d is int:
        return DEFAULT_INT
    if d is bool:
        return np.dtype(np.bool_)
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"expected a chainrule dtype, got {d!r}") from None
    from_np(nd)
    return nd


def _category(k: str) -> int:
    return 0 if k == "b" else (2 if k == "f" else 1)


def result_type(x: object, y: object) -> np.dtype:
    """torch's promotion for a binary op between arrays and Python scalars.

    Categories bool < integer < float decide first. Within the winning category, dimensioned
    arrays outrank 0-d arrays, which outrank Python scalars (a float scalar with integer arrays
    gives the default float32, as torch). NumPy's own rules differ for 0-d arrays and int/float
    mixes, hence this function.
    """
    best = None  # (category, priority, dtype)
    for v in (x, y):
        if isinstance(v, np.ndarray):
            d = v.dtype
            key = (_category(d.kind), 2 if v.ndim else 1)
        elif isinstance(v, bool):
            d, key = np.dtype(np.bool_), (0, 0)
        elif isinstance(v, int):
            d, key = DEFAULT_INT, (1, 0)
        elif isinstance(v, float):
            d, key = DEFAULT_FLOAT, (2, 0)
        elif isinstance(v, np.generic):
            d = v.dtype
            key = (_category(d.kind), 1)
        else:
            raise TypeError(f"unsupported operand type {type(v).__name__}")
        if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] > best[1]):
            best = (key[0], key[1], d)
        elif key == best[:2] and d != best[2]:
            best = (key[0], key[1], np.promote_types(d, best[2]))
    return best[2]


# torch's ScalarType names, as its messages spell them ("not implemented for 'Long'")
SCALAR_TYPE = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
}  # fmt: skip


def kernel_error(kernel: str, dt: np.dtype) -> NotImplementedError:
    """torch's error for a dtype a kernel has no loop for (`"mse_cpu" not implemented ...`)."""
    name = np.dtype(dt).name
    return NotImplementedError(f"\"{kernel}\" not implemented for '{SCALAR_TYPE.get(name, name)}'")


def wrap_int(v: int, dt: np.dtype) -> int:
    """A Python int as integer dtype dt holds it, modulo 2**bits: torch converts the scalar
    operand of integer arithmetic so (`uint8 + -1` adds 255). Ints beyond int64 are left for
    NumPy to refuse."""
    if dt.kind not in "iu" or not -(2**63) <= v < 2**64:
        return v
    bits = dt.itemsize * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if dt.kind == "i" and v >> (bits - 1) else v


def checked_scalar(v: object, dt: np.dtype) -> object:
    """A number converted to dt as torch's fill-type arguments are (fill values, thresholds,
    alpha): RuntimeError where c10::overflows says so -- a float outside the integer range, an
    int outside it (unsigned types also take negatives down to -max, modulo) -- else truncated
    (floats) or wrapped (ints)."""
    dt = np.dtype(dt)
    if dt.kind not in "iu" or not isinstance(v, (int, float, np.integer, np.floating)):
        return v
    if isinstance(v, (bool, np.bool_)):
        return v
    info = np.iinfo(dt)
    if isinstance(v, (float, np.floating)):
        bad = not info.min <= v <= info.max  # NaN included
        v = 0 if bad else int(v)
    else:
        v = int(v)
        low = -int(info.max) if dt.kind == "u" else int(info.min)
        bad = v < low or v > info.max
    if bad:
        raise RuntimeError(f"value cannot be converted to type {dt.name}_t without overflow")
    return wrap_int(v, dt)


def set_default_dtype(d: dtype) -> None:
    """Make `d` (a floating dtype) the dtype of new float tensors and of Python floats."""
    global DEFAULT_FLOAT
    nd = to_np(d)
    if nd.kind != "f":
        raise TypeError("only floating-point types are supported as the default type")
    DEFAULT_FLOAT = nd


def get_default_dtype() -> dtype:
    """The dtype of new float tensors (float32 unless set_default_dtype changed it)."""
    return from_np(DEFAULT_FLOAT)
