"""Constraints-lite: the parameter and support checks of torch.distributions.constraints."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.ops.creation import tensor
from chainrule.tensor import Tensor

__all__ = [
    "Constraint",
    "boolean",
    "dependent_property",
    "greater_than",
    "independent",
    "integer_interval",
    "interval",
    "less_than",
    "one_hot",
    "positive",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]


def _arr(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _fmt(bound: Any) -> str:
    """A bound as torch prints it: a number, or a tensor's repr unless it is 0-d."""
    if isinstance(bound, Tensor) and bound.dim() == 0:
        return repr(bound.item())
    return repr(bound)


class Constraint:
    """A region of valid values; `check` gives a bool tensor over the batch shape."""

    is_discrete = False
    event_dim = 0

    def _ok(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def check(self, value: Any) -> Tensor:
        """Whether each event of `value` satisfies the constraint."""
        with np.errstate(invalid="ignore"):
            return tensor(np.asarray(self._ok(_arr(value)), dtype=bool))

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def _ok(self, v):
        return v == v  # NaN is the only real value that fails


class _Boolean(Constraint):
    is_discrete = True

    def _ok(self, v):
        return (v == 0) | (v == 1)


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def _ok(self, v):
        return _arr(self.lower_bound) < v

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={_fmt(self.lower_bound)})"


class _LessThan(Constraint):
    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def _ok(self, v):
        return v < _arr(self.upper_bound)

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={_fmt(self.upper_bound)})"


class _Interval(Constraint):
    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def _ok(self, v):
        return (_arr(self.lower_bound) <= v) & (v <= _arr(self.upper_bound))

    def __repr__(self) -> str:
        lo, hi = _fmt(self.lower_bound), _fmt(self.upper_bound)
        return f"{type(self).__name__.lstrip('_')}(lower_bound={lo}, upper_bound={hi})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def _ok(self, v):
        return (v % 1 == 0) & super()._ok(v)


class _Simplex(Constraint):
    event_dim = 1

    def _ok(self, v):
        return np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - 1) < 1e-6)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def _ok(self, v):
        return np.all((v == 0) | (v == 1), axis=-1) & (v.sum(-1) == 1)


class _Independent(Constraint):
    """A base constraint on each element, reduced over the `n` rightmost dims."""

    def __init__(self, base: Constraint, n: int) -> None:
        self.base, self.event_dim = base, base.event_dim + n

    def _ok(self, v):
        ok = self.base._ok(v)
        return np.all(ok, axis=tuple(range(-self.event_dim + self.base.event_dim, 0)))

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base!r}, {self.event_dim - self.base.event_dim})"


real = _Real()
boolean = _Boolean()
positive = _GreaterThan(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
one_hot = _OneHot()
real_vector = _Independent(real, 1)
independent = _Independent
greater_than = _GreaterThan
less_than = _LessThan
interval = _Interval
integer_interval = _IntegerInterval


class dependent_property(property):  # noqa: N801 - torch's name
    """A property whose constraint depends on the instance (torch's dependent_property)."""

    def __init__(self, fn: Any = None, *, is_discrete: bool = False, event_dim: int = 0) -> None:
        super().__init__(fn)
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, fn: Any) -> dependent_property:
        return dependent_property(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)
