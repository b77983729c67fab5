"""Tensor factories: tensor, zeros, ones, full, arange, rand, ... and the global RNG."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _device, _dtype
from chainrule.autograd.function import _wrap
from chainrule.ops._util import shape_arg
from chainrule.tensor import Tensor

_DataError = type("DataError", (TypeError, RuntimeError), {})
_DataError.__doc__ = "Data torch cannot hold; a TypeError, and a RuntimeError as torch raises."


def _infer_dtype(data: Any) -> np.dtype:
    """torch's dtype for nested Python data: each item's own type (bool, int64 for int,
    float32 for float, a NumPy scalar's or array's dtype), promoted by category as torch does.
    Refuses what torch refuses, with its exception types."""
    found: set = set()
    stack = [(data, 0)]
    while stack:
        item, dep = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend((v, dep + 1) for v in item)
        elif isinstance(item, Tensor):
            found.add(item.data.dtype)
        elif isinstance(item, (np.ndarray, np.generic)):
            found.add(_dtype.from_np(item.dtype).np)
        elif isinstance(item, bool):
            found.add(np.dtype(np.bool_))
        elif isinstance(item, int):
            found.add(_dtype.DEFAULT_INT)
        elif isinstance(item, float):
            found.add(_dtype.DEFAULT_FLOAT)
        elif isinstance(item, str):
            if dep == 0:
                raise TypeError(f"new(): invalid data type 'str' (got {item!r})")
            raise ValueError(f"too many dimensions 'str' ({item!r} at depth {dep})")
        elif item is None:
            raise _DataError(f"Could not infer dtype of NoneType (a None at depth {dep})")
        else:
            raise _DataError(f"Could not infer dtype of {type(item).__name__}")
    if not found:
        return _dtype.DEFAULT_FLOAT  # tensor([]) is float32
    best = max(_dtype._category(d.kind) for d in found)
    result = None
    for d in found:
        if _dtype._category(d.kind) == best:
            result = d if result is None else np.promote_types(result, d)
    return result


def _check_nesting(data: Any) -> None:
    """TypeError for a scalar where a sequence was expected (torch: `[1, [2]]`)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)) and item:
            seqs = [isinstance(v, (list, tuple)) for v in item]
            if any(seqs) and not all(seqs):
                raise TypeError(
                    "a nested sequence mixes numbers and sequences at the same depth: "
                    f"{item!r:.60}"
                )
            stack.extend(v for v in item if isinstance(v, (list, tuple)))


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Data (scalars, nested lists, arrays, tensors) as a fresh array of torch's inferred dtype."""
    want = None if dtype is None else _dtype.to_np(dtype)
    if isinstance(data, Tensor):
        arr = data.data.copy()
    elif isinstance(data, np.ndarray):
        if data.dtype.kind in "OUSV" or data.dtype not in {d.np for d in _dtype.ALL}:
            _dtype.from_np(data.dtype)
        arr = data.copy()
    elif isinstance(data, np.generic):
        arr = np.array(data)
        _dtype.from_np(arr.dtype)
    else:
        inferred = _infer_dtype(data)
        _check_nesting(data)
        try:
            arr = np.array(
                [v.item() if isinstance(v, Tensor) else v for v in data]
                if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in data)
                else data
            )
        except ValueError as e:
            raise ValueError(f"expected a rectangular nested sequence (ragged data): {e}") from None
        if arr.dtype.kind == "O":
            raise ValueError("expected a rectangular nested sequence of numbers (ragged data)")
        if want is None:
            want = inferred
    if want is not None and arr.dtype != want:
        arr = arr.astype(want)
    return arr


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (Python scalars, nested lists, arrays)."""
    _device.check(device)
    return _leaf(_to_array(data, dtype), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    _device.check(device)
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_np(dtype) == data.data.dtype):
        return data
    return tensor(data, dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    _dtype.from_np(arr.dtype)
    return _wrap(arr, None)


def _factory(shape: tuple, dtype: Any, requires_grad: bool, fill: Any, default: Any,
             device: Any = None) -> Tensor:
    _device.check(device)
    dt = _dtype.to_np(dtype) if dtype is not None else default
    shp = shape_arg(shape)
    if any(s < 0 for s in shp):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shp)}")
    arr = fill(shp, dt)
    return _leaf(arr, requires_grad)


def _leaf(arr: np.ndarray, requires_grad: bool = False) -> Tensor:
    t = _wrap(arr, None)
    if requires_grad:
        t.requires_grad = True  # validates the dtype
    return t


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          **_: Any) -> Tensor:
    return _factory(size, dtype, requires_grad, np.zeros, _dtype.DEFAULT_FLOAT, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          **_: Any) -> Tensor:
    return _factory(size, dtype, requires_grad, np.ones, _dtype.DEFAULT_FLOAT, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None,
          **_: Any) -> Tensor:
    return _factory(size, dtype, requires_grad, np.empty, _dtype.DEFAULT_FLOAT, device)


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False,
         device: Any = None, **_: Any) -> Tensor:
    _device.check(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _to_array(fill_value, None).dtype
    return _factory((size,) if isinstance(size, int) else tuple(size), dtype, requires_grad,
                    lambda s, dt: np.full(s, fill_value, dt), None)


def _like(fn: Any) -> Any:
    def like(input: Tensor, *args: Any, dtype: Any = None, requires_grad: bool = False,
             **kw: Any) -> Tensor:
        dt = input.dtype if dtype is None else dtype
        if fn is full:
            return full(input.shape, args[0] if args else kw.pop("fill_value"), dtype=dt,
                        requires_grad=requires_grad)
        return fn(input.shape, dtype=dt, requires_grad=requires_grad)

    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
full_like = _like(full)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
           requires_grad: bool = False, **_: Any) -> Tensor:
    """Values from start (inclusive) to end (exclusive); int64 for integer args, else float32."""
    _device.check(_.get("device"))
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    floaty = any(isinstance(v, float) for v in vals)
    dt = _dtype.to_np(dtype) if dtype is not None else (
        _dtype.DEFAULT_FLOAT if floaty else _dtype.DEFAULT_INT
    )
    if not floaty:
        arr = np.arange(vals[0], vals[1], vals[2], dtype=dt)
        return _leaf(arr, requires_grad)
    n = max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
    # torch computes start + i * step in double precision, then casts
    arr = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]).astype(dt)
    return _leaf(arr, requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    _device.check(_.get("device"))
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_FLOAT
    arr = np.linspace(start, end, int(steps)).astype(dt)
    return _leaf(arr, requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False,
        **_: Any) -> Tensor:
    _device.check(_.get("device"))
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_FLOAT
    arr = np.eye(n, n if m is None else m, dtype=dt)
    return _leaf(arr, requires_grad)


# --- random numbers: NumPy's PCG64, seeded by manual_seed (streams differ from torch's) -------

class Generator:
    """A random-number generator object, as torch.Generator (manual_seed, initial_seed)."""

    def __init__(self, device: Any = "cpu") -> None:
        self._seed = int(np.random.SeedSequence().entropy % (2**63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed


def manual_seed(seed: int) -> Generator:
    """Seed the global generator; returns it as torch does."""
    return _default.manual_seed(seed)


_default = Generator()


def _gen(generator: Generator | None) -> np.random.Generator:
    return generator.rng if generator is not None else _default.rng


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         requires_grad: bool = False, **_: Any) -> Tensor:
    """Uniform samples on [0, 1)."""
    _device.check(_.get("device"))
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_FLOAT
    arr = _gen(generator).random(shape_arg(size), dtype=np.float64).astype(dt)
    return _leaf(arr, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          requires_grad: bool = False, **_: Any) -> Tensor:
    """Standard normal samples."""
    _device.check(_.get("device"))
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_FLOAT
    arr = _gen(generator).standard_normal(shape_arg(size)).astype(dt)
    return _leaf(arr, requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, **_: Any) -> Tensor:
    """Integers uniform on [low, high)."""
    _device.check(_.get("device"))
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_INT
    arr = _gen(generator).integers(low, high, size=tuple(size)).astype(dt)
    return _leaf(arr)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None, **_: Any) -> Tensor:
    _device.check(_.get("device"))
    dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_INT
    return _leaf(_gen(generator).permutation(n).astype(dt))


rand_like = _like(rand)
randn_like = _like(randn)
