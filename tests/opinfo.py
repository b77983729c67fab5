"""The op database's machinery: the `OpInfo` record, sample values, shared sample sets.

The records themselves live in opdb.py and the `opdb_<family>.py` files it gathers.

Each record's `fn(m, *tensors)` is written against the torch API, so the same lambda runs with
`m = chainrule` and with `m = torch`. Adding an op means adding a record here; the generic tests
(forward/backward against torch in float32 and float64, gradcheck, gradgradcheck, second
derivatives against torch) pick it up.

Sample inputs are NumPy float64 arrays made by `make_inputs` from a record's domain: values are
steered away from the record's kinks, and for ops with ties (max, min, maximum, clamp with tensor
bounds) every element of every input is distinct, so finite differences are valid there. The
kink and tie *conventions* themselves are tested from the registry in test_conventions.py.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Shape = tuple[int, ...]

# rtol, atol per dtype for comparisons against torch
DEFAULT_TOL: dict[str, tuple[float, float]] = {
    "float32": (2e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}
LOOSE_TOL: dict[str, tuple[float, float]] = {  # BLAS, pow: different summation / formulas
    "float32": (1e-4, 1e-5),
    "float64": (1e-9, 1e-11),
}

KINK_MARGIN = 1e-2  # no sample element lies closer than this to a kink, or to another (ties)


@dataclass(frozen=True)
class OpInfo:
    """One op: how to call it, on what inputs, and how to check it."""

    name: str
    fn: Callable[..., Any]  # fn(module, *tensors) -> tensor; module is chainrule or torch
    samples: tuple[tuple[Shape, ...], ...]  # per sample, one shape per tensor argument
    domain: tuple[str, ...] = ("real",)  # per argument (the last one repeats): see DOMAINS
    kinks: tuple[float, ...] = ()  # points where the op is not differentiable
    distinct: bool = False  # all elements of all inputs pairwise apart (no ties)
    diff: tuple[bool, ...] | None = None  # which arguments require grad (None: all)
    gradcheck: bool = True  # finite differences in float64 are meaningful
    gradgrad: bool = True  # twice differentiable away from kinks: gradgradcheck too
    tol: dict[str, tuple[float, float]] | None = None

    @property
    def nargs(self) -> int:
        return len(self.samples[0])

    def domain_of(self, i: int) -> str:
        return self.domain[min(i, len(self.domain) - 1)]

    def differentiable(self, i: int) -> bool:
        return True if self.diff is None else self.diff[i]

    def tolerance(self, dtype: str) -> tuple[float, float]:
        return (self.tol or DEFAULT_TOL)[dtype]


# --- sample values ------------------------------------------------------------------------------


def _real(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.standard_normal(shape)


def _positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def _nonzero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def _unit(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(-0.9, 0.9, shape)


def _above_one(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(1.2, 3.0, shape)


def _probability(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(0.05, 0.95, shape)


DOMAINS: dict[str, Callable[[np.random.Generator, Shape], np.ndarray]] = {
    "real": _real,
    "positive": _positive,  # log, sqrt, the base of x ** y
    "nonzero": _nonzero,  # divisors
    "unit": _unit,  # inside (-1, 1): asin, acos, atanh, erfinv
    "above_one": _above_one,  # acosh
    "probability": _probability,  # inside (0, 1): binary cross-entropy inputs, logit
}


def _push_from_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    """Move every element closer than KINK_MARGIN to a kink out to exactly that distance."""
    for k in kinks:
        near = np.abs(x - k) < KINK_MARGIN
        x = np.where(near, k + np.where(x >= k, KINK_MARGIN, -KINK_MARGIN), x)
    return x


def _distinct(rng: np.random.Generator, shapes: tuple[Shape, ...]) -> list[np.ndarray]:
    """Values for all inputs on a shuffled half-integer grid of step 0.1, jittered by < 0.02.

    Any two elements (within or across inputs) are >= 0.06 apart and every element is >= 0.03
    from any multiple of 0.1 -- in particular from 0 and from the clamp bounds +-0.5.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    grid = (rng.permutation(total) - total // 2 + 0.5) * 0.1
    vals = grid + rng.uniform(-0.02, 0.02, total)
    out, start = [], 0
    for s, n in zip(shapes, sizes):
        out.append(vals[start : start + n].reshape(s))
        start += n
    return out


def seed_of(name: str, index: int) -> int:
    return zlib.crc32(name.encode()) + index


def make_inputs(op: OpInfo, shapes: tuple[Shape, ...], seed: int) -> list[np.ndarray]:
    """float64 arrays for one sample of `op`, in its domain and away from its kinks and ties."""
    rng = np.random.default_rng(seed)
    if op.distinct:
        arrays = _distinct(rng, shapes)
        for i, a in enumerate(arrays):
            if op.domain_of(i) == "positive":  # shift the grid, keeping it distinct
                arrays[i] = a - a.min(initial=0.0) + 0.5
    else:
        arrays = [DOMAINS[op.domain_of(i)](rng, s) for i, s in enumerate(shapes)]
    return [np.asarray(_push_from_kinks(a, op.kinks), dtype=np.float64) for a in arrays]


# --- shared sample sets --------------------------------------------------------------------------

UNARY: tuple[tuple[Shape, ...], ...] = (((),), ((3,),), ((2, 3),), ((1, 3, 1),), ((0,),), ((2, 0),))
BINARY: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,)),
    ((), ()),
    ((2, 3), (3,)),  # broadcasting a row
    ((2, 1), (1, 3)),  # both sides broadcast
    ((), (2, 3)),  # 0-d with n-d
    ((2, 3), ()),
    ((1, 3, 1), (2, 1, 2)),
    ((0,), (0,)),  # empty
    ((2, 0), (2, 1)),  # empty, broadcast
    ((0,), ()),
)
TERNARY: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,), (3,)),
    ((2, 3), (3,), ()),
    ((2, 1), (1, 3), (2, 3)),
    ((0,), (), (0,)),
)
MATMUL: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,)),  # 1-D @ 1-D: dot
    ((2, 3), (3, 4)),  # 2-D @ 2-D: mm
    ((2, 3), (3,)),  # 2-D @ 1-D: mv
    ((3,), (3, 2)),  # 1-D @ 2-D
    ((2, 2, 3), (2, 3, 2)),  # batched
    ((2, 1, 2, 3), (3, 3, 2)),  # batched with broadcasting batch dims
    ((3,), (2, 3, 2)),  # 1-D @ batched
    ((2, 2, 3), (3,)),  # batched @ 1-D
    ((2, 3), (2, 3, 2)),  # 2-D @ batched
    ((0, 3), (3, 2)),  # empty rows
    ((2, 0), (0, 3)),  # empty contraction: zeros
)


def _t(m: Any, data: Any, **kw: Any) -> Any:
    """A constant tensor (index, mask) in module m."""
    return m.tensor(data, **kw)


def shape_id(shapes: tuple[Shape, ...]) -> str:
    """`(2, 3), ()` as `2x3,0d` for test ids."""
    return ",".join("x".join(map(str, s)) if s else "0d" for s in shapes)


def samples(ops: list[OpInfo]) -> list[tuple[OpInfo, int, tuple[Shape, ...]]]:
    """(op, sample index, shapes) for every sample of every op."""
    return [(op, i, s) for op in ops for i, s in enumerate(op.samples)]
