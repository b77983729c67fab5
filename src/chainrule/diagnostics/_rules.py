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


@dataclass(frozen=True)
class Rule:
    nargs: int  # inputs in forward order: tensors, then numeric parameters
    show: Callable  # (input exprs, view) -> what the node computed
    chain: Callable  # (input exprs, input derivatives, view) -> d(output)
    vjp: Callable  # (grad of output, input index, view) -> grad of that input, as numbers
    saved_ins: Callable = lambda v: []  # view -> input values read from what forward saved
    value: Callable | None = None  # (input values, view) -> output, when nothing saved it
    solve: Callable | None = None  # (output, input values, index) -> a constant nothing saved


def _first(v: View) -> list:
    return [v.saved[0]]


def _unary(fn: str, local: Callable, vjp: Callable, saves_input: bool = True) -> Rule:
    """f(u), whose chain rule is local(u) * du; `saves_input` False: forward saved its output."""
    return Rule(1, show=lambda a, v: call(fn, a[0]), chain=lambda a, d, v: mul(local(a[0]), d[0]),
                vjp=vjp, saved_ins=_first if saves_input else (lambda v: []))


def _reduction(fn: str) -> Rule:
    """sum/mean: the output's gradient broadcast back to the input's shape, over n for mean."""

    def scale(v: View) -> float:
        return 1.0 / v.node.n if fn == "mean" else 1.0

    def axes(v: View) -> tuple:
        return tuple(i for i, k in enumerate(v.node.kept) if k == 1)

    def show(a: list, v: View) -> Expr:
        ax = [i for i in axes(v) if v.node.shape[i] != 1]
        whole = len(axes(v)) == len(v.node.shape)
        return call(fn, a[0], "" if whole else f", dim={ax[0] if len(ax) == 1 else tuple(ax)}")

    def chain(a: list, d: list, v: View) -> Expr:
        return mul(num(scale(v), f"(1/{v.node.n})"), d[0]) if fn == "mean" else d[0]

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
    "RdivBackward0": Rule(  # c / u: torch names it DivBackward0 too; it saved (u, out)
        2, show=lambda a, v: Expr("div", a[1], a[0]),
        chain=lambda a, d, v: neg(div(mul(a[1], d[0]), power(a[0], 2))),
        vjp=lambda g, k, v: -g * v.out / v.ins[0],
        saved_ins=lambda v: [v.saved[0], v.saved[1] * v.saved[0]],
    ),
    "PowBackward0": Rule(  # u ** p, p a number kept on the node
        2, show=lambda a, v: Expr("pow", a[0], a[1]),
        chain=_pow_chain,
        vjp=_pow_vjp,
        saved_ins=lambda v: [v.saved[0], v.node.p],
        value=lambda ins, v: ins[0] ** ins[1],
    ),
    "ExpBackward0": _unary("exp", lambda u: call("exp", u), lambda g, k, v: g * v.out, False),
    "LogBackward0": Rule(
        1, show=lambda a, v: call("log", a[0]),
        chain=lambda a, d, v: div(d[0], a[0]),
        vjp=lambda g, k, v: g / v.ins[0],
        saved_ins=_first,
    ),
    "SinBackward0": _unary("sin", lambda u: call("cos", u), lambda g, k, v: g * np.cos(v.ins[0])),
    "CosBackward0": _unary("cos", lambda u: neg(call("sin", u)),
                           lambda g, k, v: -g * np.sin(v.ins[0])),
    "TanhBackward0": _unary("tanh", lambda u: sub(ONE, power(call("tanh", u), 2)),
                            lambda g, k, v: g * (1 - v.out**2), False),
    "SigmoidBackward0": _unary("sigmoid", _sigmoid, lambda g, k, v: g * v.out * (1 - v.out), False),
    "ReluBackward0": _unary("relu", lambda u: Expr("gt0", u),  # relu'(0) = 0 (as torch)
                            lambda g, k, v: g * (v.out > 0), False),
    "MeanBackward0": _reduction("mean"),
    "MeanBackward1": _reduction("mean"),
    "SumBackward0": _reduction("sum"),
    "SumBackward1": _reduction("sum"),
}

ADDITIVE = {"AddBackward0", "SubBackward0", "RsubBackward1", "NegBackward0"}


def rule_name(node: Any) -> str:
    """The table key of a node: its type's name, except c / x, which torch also calls Div."""
    forward = getattr(type(node), "_forward_cls", None)
    return "RdivBackward0" if getattr(forward, "__name__", "") == "Rdiv" else type(node).__name__


def rule_for(node: Any, edges: tuple) -> tuple[Rule, list]:
    """The node's rule and its inputs as (next function, output_nr) pairs, numeric parameters
    padded in as (None, 0); a node outside the table gets the fallback."""
    rule = RULES.get(rule_name(node))
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
