"""A small expression language for derivations: just enough to print a formula as one reads it.

Constructors simplify as a person would while differentiating (drop `+ 0` and `* 1`, put a
number first in a product) but never fold numbers together, so `(1/3) * 2` stays legible.
`render` writes Python syntax, so a rendered formula with numbers substituted evaluates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

MAX_SIZE = 400  # expression nodes; past this a formula is unreadable, so it is left out


class TooBig(Exception):
    """An expression grew past MAX_SIZE nodes."""


class Expr:
    """A node of an expression tree; `op` is num, var, atom, call, gt0, neg or a binary op."""

    __slots__ = ("op", "args", "size")

    def __init__(self, op: str, *args: Any) -> None:
        self.op, self.args = op, args
        self.size = 1 + sum(a.size for a in args if isinstance(a, Expr))
        if self.size > MAX_SIZE:
            raise TooBig


def num(v: float, text: str | None = None) -> Expr:
    return Expr("num", float(v), text)


ZERO, ONE = num(0), num(1)


def is_num(e: Expr, v: float) -> bool:
    return e.op == "num" and e.args[0] == v


def add(a: Expr, b: Expr) -> Expr:
    if is_num(a, 0):
        return b
    if is_num(b, 0):
        return a
    if b.op == "neg":
        return sub(a, b.args[0])
    if b.op == "num" and b.args[0] < 0 and b.args[1] is None:
        return sub(a, num(-b.args[0]))
    if render(a) == render(b):  # x + x, as the product rule gives for x * x
        return mul(num(2), a)
    return Expr("add", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if is_num(b, 0):
        return a
    if is_num(a, 0):
        return neg(b)
    if b.op == "neg":
        return add(a, b.args[0])
    return Expr("sub", a, b)


def neg(a: Expr) -> Expr:
    if a.op == "num" and a.args[1] is None:
        return num(-a.args[0])
    return a.args[0] if a.op == "neg" else Expr("neg", a)


def mul(a: Expr, b: Expr) -> Expr:
    if is_num(a, 0) or is_num(b, 0):
        return ZERO
    if is_num(a, 1) or is_num(b, 1):
        return b if is_num(a, 1) else a
    if is_num(a, -1) or is_num(b, -1):
        return neg(b if is_num(a, -1) else a)
    if a.op == "neg" or b.op == "neg":
        return neg(mul(a.args[0], b) if a.op == "neg" else mul(a, b.args[0]))
    return Expr("mul", b, a) if b.op == "num" and a.op != "num" else Expr("mul", a, b)


def div(a: Expr, b: Expr) -> Expr:
    return a if is_num(a, 0) or is_num(b, 1) else Expr("div", a, b)


def power(a: Expr, p: float) -> Expr:
    return ONE if p == 0 else a if p == 1 else Expr("pow", a, num(p))


def call(fn: str, a: Expr, extra: str = "") -> Expr:
    return Expr("call", fn, a, extra)


_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SYM = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}


def render(e: Expr, values: Mapping[str, float] | None = None, index: bool = False) -> str:
    """Python-readable text of `e`; `values` substitutes numbers for variables, `index` writes
    multi-element variables as `x_i`."""
    return _render(e, values or {}, index)[0]


def _render(e: Expr, values: Mapping[str, float], index: bool) -> tuple[str, int]:
    op, a = e.op, e.args
    if op == "num" or (op == "var" and a[0] in values):
        s = (a[1] or fmt(a[0])) if op == "num" else fmt(values[a[0]])
        return s, 3 if s.startswith("-") else 5
    if op == "var":
        return a[0] + ("_i" if index and a[1] else ""), 5
    if op == "atom":
        return a[0], 5
    if op == "call":
        return f"{a[0]}({_render(a[1], values, index)[0]}{a[2]})", 5
    if op == "gt0":
        return f"({_render(a[0], values, index)[0]} > 0)", 5
    if op == "neg":
        s, p = _render(a[0], values, index)
        return "-" + (f"({s})" if p <= 3 else s), 3
    prec = _PREC[op]
    ls, lp = _render(a[0], values, index)
    rs, rp = _render(a[1], values, index)
    if op == "pow":
        return (f"({ls})" if lp <= 4 else ls) + "**" + (f"({rs})" if rp < 5 else rs), 4
    if lp < prec:
        ls = f"({ls})"
    if rp < prec or (rp == prec and (op in ("sub", "div") or a[1].op == "div")) or rs[0] == "-":
        rs = f"({rs})"
    sym = _SYM[op]
    if op in ("mul", "div") and any(" " in s or "(" in s for s in (ls, rs)):
        sym = f" {sym} "
    return ls + sym + rs, prec


def fmt(v: float) -> str:
    """A number as a person writes it: 7, 0.5, 0.6667, 1e-05."""
    v = float(v)
    if not math.isfinite(v) or (v == int(v) and abs(v) < 1e15):
        return str(int(v)) if math.isfinite(v) else str(v)
    if 1e-2 <= abs(v) < 1e6:
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return f"{v:.4g}"


def fmt_values(a: Any) -> str:
    """One number when every element agrees (the per-element derivative), else a list."""
    a = np.asarray(a, dtype=np.float64).ravel()
    if a.size and np.allclose(a, a[0], rtol=1e-6, atol=0):
        return fmt(a[0])
    items = [fmt(v) for v in a[:6]] + (["..."] if a.size > 6 else [])
    return "[" + ", ".join(items) + "]"


