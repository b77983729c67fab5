"""The per-node-type table of derivations: what each kind of node computed and its derivative.

One Rule per backward node type (keyed by torch's name, `MulBackward0`). A rule sees a node's
inputs in forward order -- the tensors of `next_functions`, then any number the op took as a
parameter (the 2 of `x**2`, the 1 of `1 - x`) -- and gives, side by side:

* `show`: the expression the node computed, from its inputs' expressions;
* `chain`: the node's derivative by the chain rule, from its inputs' expressions and their
  derivatives (so `chain` with one input's derivative set to 1 is that local derivative);
* `vjp`: the same local derivative as numbers: the gradient of one input, given the output's,
  from the values the node saved in its forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.autograd.grad_mode import no_grad
from chainrule.diagnostics._expr import (
    ONE,
    ZERO,
    Expr,
    add,
    call,
    div,
    is_num,
    mul,
    neg,
    num,
    power,
    render,
    sub,
)


@dataclass
class View:
    """What one node offers a rule: the node, what it saved, its inputs' values and its
    output's value (None where the graph does not hold them)."""

    node: Any
    saved: tuple
    ins: list
    out: Any
    wrt_shape: tuple | None = ()  # None: local derivatives, per element


@dataclass(frozen=True)
class Rule:
    nargs: int  # inputs in forward order: tensors, then numeric parameters
    show: Callable  # (input exprs, view) -> what the node computed
    chain: Callable  # (input exprs, input derivatives, view) -> d(output)
    vjp: Callable  # (grad of output, input index, view) -> grad of that input, as numbers
    saved_ins: Callable = lambda v: []  # view -> input values read from what forward saved
    saved_out: Callable | None = None  # view -> the output, for ops that saved it
    value: Callable | None = None  # (input values, view) -> output, when nothing saved it
    solve: Callable | None = None  # (output, input values, index) -> a constant nothing saved


def _first(v: View) -> list:
    return [v.saved[0]]


def _unary(fn: str, local: Callable, vjp: Callable, inverse: Callable | None = None) -> Rule:
    """f(u), whose chain rule is local(u) * du. Its forward saved u; or, given `inverse`, its
    output, from which u is recovered (for showing the constants in u, nothing else)."""

    def saved_ins(v: View) -> list:
        if inverse is None:
            return [v.saved[0]]
        with np.errstate(all="ignore"):
            u = inverse(np.asarray(v.saved[0], np.float64))
        return [u if np.all(np.isfinite(u)) else None]

    return Rule(1, show=lambda a, v: call(fn, a[0]), chain=lambda a, d, v: mul(local(a[0]), d[0]),
                vjp=vjp, saved_ins=saved_ins,
                saved_out=None if inverse is None else (lambda v: v.saved[0]))


def _where(ok: Callable, f: Callable) -> Callable:
    """An inverse defined where `ok` holds of the output (well conditioned there), else inf."""
    return lambda out: np.where(ok(out), f(out), np.inf)


def _reduction(fn: str) -> Rule:
    """sum/mean: the output's gradient broadcast back to the input's shape, over n for mean."""

    def scale(v: View) -> float:
        return 1.0 / v.node.n if fn == "mean" else 1.0

    def axes(v: View) -> tuple:
        return tuple(i for i, k in enumerate(v.node.kept) if k == 1)

    def show(a: list, v: View) -> Expr:
        # a kept size-1 dim looks reduced: name the dims that surely were, if any
        ax = [i for i in axes(v) if v.node.shape[i] != 1] or list(axes(v))
        whole = len(axes(v)) == len(v.node.shape)
        return call(fn, a[0], "" if whole else f", dim={ax[0] if len(ax) == 1 else tuple(ax)}")

    def chain(a: list, d: list, v: View) -> Expr:
        # per element (dz/dx_i) when the reduced tensor has as many elements as x; else x was
        # broadcast into it, and its derivative sums over the elements
        same = v.wrt_shape is None or int(np.prod(v.node.shape)) == int(np.prod(v.wrt_shape))
        du = d[0] if same or is_num(d[0], 0) else call("sum", d[0])
        return mul(num(scale(v), f"(1/{v.node.n})"), du) if fn == "mean" else du

    return Rule(
        1, show=show, chain=chain,
        vjp=lambda g, k, v: np.broadcast_to(np.reshape(g * scale(v), v.node.kept), v.node.shape),
        value=lambda ins, v: np.reshape(getattr(np, fn)(ins[0], axis=axes(v)), v.node._shape),
    )


def _pow_chain(a: list, d: list, v: View) -> Expr:
    p = v.node.p  # p * u**(p - 1), and 0 when p == 0 (as torch)
    return ZERO if p == 0 else mul(mul(num(p), power(a[0], p - 1)), d[0])


def _pow_vjp(g: Any, k: int, v: View) -> Any:
    p = v.node.p
    return np.zeros_like(g) if p == 0 else g * p * v.ins[0] ** (p - 1)


def _sigmoid(u: Expr) -> Expr:
    return mul(call("sigmoid", u), sub(ONE, call("sigmoid", u)))


RULES: dict[str, Rule] = {
    "AddBackward0": Rule(
        2, show=lambda a, v: Expr("add", *a),
        chain=lambda a, d, v: add(d[0], d[1]),
        vjp=lambda g, k, v: g,
        value=lambda ins, v: ins[0] + ins[1],
        solve=lambda out, ins, k: out - ins[1 - k],
    ),
    "SubBackward0": Rule(
        2, show=lambda a, v: Expr("sub", *a),
        chain=lambda a, d, v: sub(d[0], d[1]),
        vjp=lambda g, k, v: g if k == 0 else -g,
        value=lambda ins, v: ins[0] - ins[1],
        solve=lambda out, ins, k: ins[0] - out if k == 1 else out + ins[1],
    ),
    "RsubBackward1": Rule(  # c - u, recorded with inputs (u, c)
        2, show=lambda a, v: Expr("sub", a[1], a[0]),
        chain=lambda a, d, v: sub(d[1], d[0]),
        vjp=lambda g, k, v: -g,
        value=lambda ins, v: ins[1] - ins[0],
        solve=lambda out, ins, k: out + ins[0],
    ),
    "NegBackward0": Rule(
        1, show=lambda a, v: Expr("neg", a[0]),
        chain=lambda a, d, v: neg(d[0]),
        vjp=lambda g, k, v: -g,
        value=lambda ins, v: -ins[0],
    ),
    "MulBackward0": Rule(  # the product rule
        2, show=lambda a, v: mul(a[1], a[0]) if a[1].op == "num" else Expr("mul", *a),
        chain=lambda a, d, v: add(mul(d[0], a[1]), mul(a[0], d[1])),
        vjp=lambda g, k, v: g * v.ins[1 - k],
        saved_ins=lambda v: list(v.saved[:2]),
        value=lambda ins, v: ins[0] * ins[1],
    ),
    "DivBackward0": Rule(  # the quotient rule
        2, show=lambda a, v: Expr("div", *a),
        chain=lambda a, d, v: sub(div(d[0], a[1]), div(mul(a[0], d[1]), power(a[1], 2))),
        vjp=lambda g, k, v: g / v.ins[1] if k == 0 else -g * v.ins[0] / v.ins[1] ** 2,
        saved_ins=lambda v: list(v.saved[:2]),
        value=lambda ins, v: ins[0] / ins[1],
    ),
    "ReciprocalBackward0": Rule(  # 1/u (c / u records reciprocal(u) * c, as torch)
        1, show=lambda a, v: Expr("div", ONE, a[0]),
        chain=lambda a, d, v: neg(div(d[0], power(a[0], 2))),
        vjp=lambda g, k, v: -g * v.out**2,
        saved_ins=lambda v: [1 / np.asarray(v.saved[0], np.float64)],
        saved_out=lambda v: v.saved[0],
    ),
    "PowBackward0": Rule(  # u ** p, p a number kept on the node
        2, show=lambda a, v: Expr("pow", a[0], a[1]),
        chain=_pow_chain,
        vjp=_pow_vjp,
        saved_ins=lambda v: [v.saved[0], v.node.p],
        value=lambda ins, v: ins[0] ** ins[1],
    ),
    "ExpBackward0": _unary("exp", lambda u: call("exp", u), lambda g, k, v: g * v.out,
                           _where(lambda o: o > 0, np.log)),
    "LogBackward0": Rule(
        1, show=lambda a, v: call("log", a[0]),
        chain=lambda a, d, v: div(d[0], a[0]),
        vjp=lambda g, k, v: g / v.ins[0],
        saved_ins=_first,
    ),
    "SinBackward0": _unary("sin", lambda u: call("cos", u), lambda g, k, v: g * np.cos(v.ins[0])),
    "CosBackward0": _unary("cos", lambda u: neg(call("sin", u)),
                           lambda g, k, v: -g * np.sin(v.ins[0])),
    "SqrtBackward0": _unary("sqrt", lambda u: div(ONE, mul(num(2), call("sqrt", u))),
                            lambda g, k, v: g / (2 * v.out), np.square),  # inf at 0, as torch
    "AbsBackward0": _unary("abs", lambda u: call("sign", u),  # abs'(0) = sign(0) = 0 (as torch)
                           lambda g, k, v: g * np.sign(v.ins[0])),
    "TanhBackward0": _unary("tanh", lambda u: sub(ONE, power(call("tanh", u), 2)),
                            lambda g, k, v: g * (1 - v.out**2),
                            _where(lambda o: np.abs(o) < 0.999, np.arctanh)),
    "SigmoidBackward0": _unary("sigmoid", _sigmoid, lambda g, k, v: g * v.out * (1 - v.out),
                               _where(lambda o: np.abs(o - 0.5) < 0.499,
                                      lambda o: np.log(o / (1 - o)))),
    "ReluBackward0": _unary("relu", lambda u: Expr("gt0", u),  # relu'(0) = 0 (as torch)
                            lambda g, k, v: g * (v.out > 0), _where(lambda o: o > 0, np.copy)),
    "MeanBackward0": _reduction("mean"),
    "MeanBackward1": _reduction("mean"),
    "SumBackward0": _reduction("sum"),
    "SumBackward1": _reduction("sum"),
}

ADDITIVE = {"AddBackward0", "SubBackward0", "RsubBackward1", "NegBackward0"}


def rule_for(node: Any, edges: tuple) -> tuple[Rule, list]:
    """The node's rule and its inputs as (next function, output_nr) pairs, numeric parameters
    padded in as (None, 0); a node outside the table gets the fallback."""
    rule = RULES.get(type(node).__name__)
    if rule is not None and all(fn is None for fn, _ in edges[rule.nargs:]):
        return rule, (list(edges) + [(None, 0)] * rule.nargs)[:rule.nargs]
    return fallback(type(node).__name__, len(edges)), list(edges)


def fallback(name: str, nargs: int) -> Rule:
    """A node type outside the table: named in the text, differentiated by its own backward."""

    def local(k: int) -> Expr:
        return Expr("atom", f"d[{name}]/d(arg{k})")

    def chain(a: list, d: list, v: View) -> Expr:
        out = ZERO
        for k, dk in enumerate(d):
            out = add(out, mul(local(k), dk))
        return out

    def vjp(g: Any, k: int, v: View) -> Any:
        with no_grad():  # g is a tuple for a node of several outputs
            res = v.node(*g) if isinstance(g, tuple) else v.node(g)
        return (res if isinstance(res, tuple) else (res,))[k]

    return Rule(nargs, show=lambda a, v: Expr("atom", f"{name}({', '.join(map(render, a))})"),
                chain=chain, vjp=vjp)
