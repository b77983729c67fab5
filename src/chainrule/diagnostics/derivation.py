"""Chain-rule derivations read off a recorded backward graph.

`derive(y, x)` walks `y.grad_fn` through `next_functions` and looks each node's type name up in
RULES, a table that says, per node type, what the node computed, its derivative by the chain
rule (symbolically, from its inputs' expressions and their derivatives), and the same local
derivative as numbers, from what the node saved in its forward. The symbolic form is printed;
the number is a vector-Jacobian pass of our own over those saved values -- not the engine's --
so `Derivation.check(x.grad)` compares two independent computations.

The symbolic form is per element (`dz/dx_i`): exact for elementwise graphs ending in a
reduction, the tutorial's kind. The number is exact for any graph the table covers. A node
type missing from the table is named in the text and differentiated by its own backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.autograd.function import AccumulateGrad
from chainrule.autograd.grad_mode import no_grad
from chainrule.ops._dual import sum_to
from chainrule.tensor import Tensor

_MAX_SIZE = 400  # expression nodes; past this a formula is unreadable, so it is left out


# --- a small expression language: just enough to print a derivative as one reads it ------------


class _TooBig(Exception):
    pass


class Expr:
    """A node of an expression tree; `op` is num, var, atom, call, gt0, neg or a binary op."""

    __slots__ = ("op", "args", "size")

    def __init__(self, op: str, *args: Any) -> None:
        self.op, self.args = op, args
        self.size = 1 + sum(a.size for a in args if isinstance(a, Expr))
        if self.size > _MAX_SIZE:
            raise _TooBig


def num(v: float, text: str | None = None) -> Expr:
    return Expr("num", float(v), text)


ZERO, ONE = num(0), num(1)


def _is(e: Expr, v: float) -> bool:
    return e.op == "num" and e.args[0] == v


def add(a: Expr, b: Expr) -> Expr:
    if _is(a, 0):
        return b
    if _is(b, 0):
        return a
    if b.op == "neg":
        return sub(a, b.args[0])
    if b.op == "num" and b.args[0] < 0 and b.args[1] is None:
        return sub(a, num(-b.args[0]))
    return Expr("add", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if _is(b, 0):
        return a
    if _is(a, 0):
        return neg(b)
    if b.op == "neg":
        return add(a, b.args[0])
    return Expr("sub", a, b)


def neg(a: Expr) -> Expr:
    if a.op == "num" and a.args[1] is None:
        return num(-a.args[0])
    return a.args[0] if a.op == "neg" else Expr("neg", a)


def mul(a: Expr, b: Expr) -> Expr:
    if _is(a, 0) or _is(b, 0):
        return ZERO
    if _is(a, 1) or _is(b, 1):
        return b if _is(a, 1) else a
    if _is(a, -1) or _is(b, -1):
        return neg(b if _is(a, -1) else a)
    if a.op == "neg" or b.op == "neg":
        return neg(mul(a.args[0], b) if a.op == "neg" else mul(a, b.args[0]))
    return Expr("mul", b, a) if b.op == "num" and a.op != "num" else Expr("mul", a, b)


def div(a: Expr, b: Expr) -> Expr:
    return a if _is(a, 0) or _is(b, 1) else Expr("div", a, b)


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
        s = a[1] or fmt(a[0]) if op == "num" else fmt(values[a[0]])
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
    if rp < prec or (rp == prec and op in ("sub", "div")) or rs.startswith("-"):
        rs = f"({rs})"
    sym = _SYM[op]
    if op in ("mul", "div") and any(" " in s or s.startswith("(") for s in (ls, rs)):
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


# --- the per-node-type table ------------------------------------------------------------------


@dataclass
class _View:
    """What one node offers a rule: the node, what it saved, its inputs' values and its output's
    (None where the graph does not hold them)."""

    node: Any
    saved: tuple
    ins: list
    out: Any


@dataclass(frozen=True)
class Rule:
    show: Callable  # (input exprs, view) -> what the node computed
    chain: Callable  # (input exprs, input derivatives, view) -> d(output)
    vjp: Callable  # (grad of output, input index, view) -> grad of that input, as numbers
    saved_ins: Callable = lambda v: []  # view -> input values read from what forward saved
    value: Callable | None = None  # (input values, view) -> output, when nothing saved it
    solve: Callable | None = None  # (output, input values, index) -> the missing constant


def _reduction(fn: str) -> Rule:
    """sum/mean: the output's gradient broadcast back to the input's shape, over n for mean."""

    def scale(v: _View) -> float:
        return 1.0 / v.node.n if fn == "mean" else 1.0

    def dims(v: _View) -> str:
        axes = [i for i, k in enumerate(v.node.kept) if k == 1 and v.node.shape[i] != 1]
        whole = len(axes) == len(v.node.shape) or len(v.node.kept) == 0
        return "" if whole else f", dim={axes[0] if len(axes) == 1 else tuple(axes)}"

    def value(ins: list, v: _View) -> Any:
        axes = tuple(i for i, k in enumerate(v.node.kept) if k == 1)
        return np.reshape(getattr(np, fn)(ins[0], axis=axes), v.node._shape)

    return Rule(
        show=lambda a, v: call(fn, a[0], dims(v)),
        chain=lambda a, d, v: mul(num(scale(v), f"(1/{v.node.n})"), d[0]) if fn == "mean" else d[0],
        vjp=lambda g, k, v: np.broadcast_to(np.reshape(g * scale(v), v.node.kept), v.node.shape),
        value=value,
    )


def _first(v: _View) -> list:
    return [v.saved[0]]


def _unary(fn: str, local: Callable, vjp: Callable, saves_input: bool = True) -> Rule:
    """f(u), whose chain rule is local(u) * du."""
    return Rule(
        show=lambda a, v: call(fn, a[0]),
        chain=lambda a, d, v: mul(local(a[0]), d[0]),
        vjp=vjp,
        saved_ins=_first if saves_input else (lambda v: []),
    )


def _sigmoid(u: Expr) -> Expr:
    return mul(call("sigmoid", u), sub(ONE, call("sigmoid", u)))


RULES: dict[str, Rule] = {
    "AddBackward0": Rule(
        show=lambda a, v: Expr("add", *a),
        chain=lambda a, d, v: add(d[0], d[1]),
        vjp=lambda g, k, v: g,
        value=lambda ins, v: ins[0] + ins[1],
        solve=lambda out, ins, k: out - ins[1 - k],
    ),
    "SubBackward0": Rule(
        show=lambda a, v: Expr("sub", *a),
        chain=lambda a, d, v: sub(d[0], d[1]),
        vjp=lambda g, k, v: g if k == 0 else -g,
        value=lambda ins, v: ins[0] - ins[1],
        solve=lambda out, ins, k: ins[0] - out if k == 1 else out + ins[1],
    ),
    "RsubBackward1": Rule(  # inputs (u, c): out = c - u
        show=lambda a, v: Expr("sub", a[1], a[0]),
        chain=lambda a, d, v: neg(d[0]),
        vjp=lambda g, k, v: -g,
        value=lambda ins, v: ins[1] - ins[0],
        solve=lambda out, ins, k: out + ins[0],
    ),
    "NegBackward0": Rule(
        show=lambda a, v: Expr("neg", a[0]),
        chain=lambda a, d, v: neg(d[0]),
        vjp=lambda g, k, v: -g,
        value=lambda ins, v: -ins[0],
    ),
    "MulBackward0": Rule(  # the product rule
        show=lambda a, v: mul(a[1], a[0]) if a[1].op == "num" else Expr("mul", *a),
        chain=lambda a, d, v: add(mul(d[0], a[1]), mul(a[0], d[1])),
        vjp=lambda g, k, v: g * v.ins[1 - k],
        saved_ins=lambda v: list(v.saved[:2]),
        value=lambda ins, v: ins[0] * ins[1],
    ),
    "DivBackward0": Rule(  # the quotient rule
        show=lambda a, v: Expr("div", *a),
        chain=lambda a, d, v: sub(div(d[0], a[1]), div(mul(a[0], d[1]), power(a[1], 2))),
        vjp=lambda g, k, v: g / v.ins[1] if k == 0 else -g * v.ins[0] / v.ins[1] ** 2,
        saved_ins=lambda v: list(v.saved[:2]),
        value=lambda ins, v: ins[0] / ins[1],
    ),
    "RdivBackward0": Rule(  # c / u, recorded as DivBackward0 (as torch); saved (u, out)
        show=lambda a, v: Expr("div", a[1], a[0]),
        chain=lambda a, d, v: neg(div(mul(a[1], d[0]), power(a[0], 2))),
        vjp=lambda g, k, v: -g * v.out / v.ins[0],
        saved_ins=lambda v: [v.saved[0], v.saved[1] * v.saved[0]],
    ),
    "PowBackward0": Rule(  # u ** p, p a number: p * u**(p - 1), and 0 when p == 0 (as torch)
        show=lambda a, v: Expr("pow", a[0], a[1]),
        chain=lambda a, d, v: mul(mul(num(v.node.p), power(a[0], v.node.p - 1)), d[0])
        if v.node.p != 0 else ZERO,
        vjp=lambda g, k, v: g * v.node.p * v.ins[0] ** (v.node.p - 1) if v.node.p != 0
        else np.zeros_like(g),
        saved_ins=lambda v: [v.saved[0], v.node.p],
        value=lambda ins, v: ins[0] ** ins[1],
    ),
    "ExpBackward0": _unary("exp", lambda u: call("exp", u), lambda g, k, v: g * v.out, False),
    "LogBackward0": Rule(
        show=lambda a, v: call("log", a[0]),
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


def _rule_name(node: Any) -> str:
    name = type(node).__name__
    forward = getattr(type(node), "_forward_cls", None)
    return "RdivBackward0" if forward is not None and forward.__name__ == "Rdiv" else name


def _fallback(name: str) -> Rule:
    """A node type outside the table: named in the text, differentiated by its own backward."""

    def local(k: int) -> Expr:
        return Expr("atom", f"d[{name}]/d(arg{k})")

    def chain(a: list, d: list, v: _View) -> Expr:
        out = ZERO
        for k, dk in enumerate(d):
            out = add(out, mul(local(k), dk))
        return out

    def vjp(g: Any, k: int, v: _View) -> Any:
        with no_grad():  # g is a tuple for a node of several outputs
            res = v.node(*g) if isinstance(g, tuple) else v.node(g)
        return (res if isinstance(res, tuple) else (res,))[k]

    return Rule(show=lambda a, v: Expr("atom", f"{name}({', '.join(map(render, a))})"),
                chain=chain, vjp=vjp)


_ADDITIVE = {"AddBackward0", "SubBackward0", "RsubBackward1", "NegBackward0"}


# --- reading the graph ------------------------------------------------------------------------


def _is_node(fn: Any) -> bool:
    return fn is not None and not isinstance(fn, AccumulateGrad)


def _nodes(root: Any) -> list:
    """Every node reachable from `root`, each before the nodes that consume it (children first).
    Iterative, so graph depth is unbounded."""
    post, seen = [], {root}
    stack = [(root, iter(root.next_functions))]
    while stack:
        node, edges = stack[-1]
        for child, _ in edges:
            if _is_node(child) and child not in seen:
                seen.add(child)
                stack.append((child, iter(child.next_functions)))
                break
        else:
            stack.pop()
            post.append(node)
    return post


def graph_paths(output: Tensor, names: Mapping[str, Tensor] | None = None,
                limit: int = 16) -> list[str]:
    """Each path from `output.grad_fn` down to a leaf, as `AddBackward0 <- PowBackward0 <- x`.

    Leaves are labelled from `names` ({"x": x}) or as AccumulateGrad; past `limit` paths the
    list ends with "...".
    """
    label = {id(t): n for n, t in (names or {}).items()}
    paths: list[str] = []
    stack = [(output.grad_fn, ())] if output.grad_fn is not None else []
    while stack:
        fn, path = stack.pop()
        if isinstance(fn, AccumulateGrad):
            if len(paths) == limit:
                return paths + ["..."]
            paths.append(" <- ".join(path + (label.get(id(fn.variable), "AccumulateGrad"),)))
            continue
        path = path + (type(fn).__name__,)
        stack.extend((c, path) for c, _ in reversed(fn.next_functions) if c is not None)
    return paths


@dataclass
class NodeStep:
    """One node as the derivation read it: its type, what it computed, its local derivatives."""

    name: str
    expr: str
    locals: list[str]


@dataclass
class Derivation:
    """d(output)/d(wrt) written out by the chain rule, and its value from the graph's data."""

    lhs: str  # "dy/dx", or "dz/dx_i" when x has several elements
    wrt_name: str
    definitions: list[str]  # "y = x**2 + 3*x + 1", one per named tensor, output last
    steps: list[str]  # right-hand sides, one chain-rule step to numbers substituted
    value: np.ndarray  # the gradient, from the nodes' saved values (not from the engine)
    nodes: list[NodeStep]  # output's node first
    paths: list[str]
    engine: np.ndarray | None = field(default=None)

    @property
    def equation(self) -> str:
        parts: list[str] = []
        for p in self.steps + [fmt_values(self.value)]:
            if not parts or parts[-1] != p:
                parts.append(p)
        return f"{self.lhs} = " + " = ".join(parts)

    def check(self, grad: Any) -> bool:
        """Compare with the engine's gradient (x.grad, or autograd.grad's result)."""
        if grad is None:
            raise RuntimeError(
                f"{self.wrt_name}.grad is None: run backward() first, then check against it"
            )
        self.engine = np.asarray(grad.data if isinstance(grad, Tensor) else grad, np.float64)
        return self.agrees

    @property
    def agrees(self) -> bool:
        e = self.engine
        return e is not None and e.shape == self.value.shape and bool(
            np.allclose(self.value, e, rtol=1e-4, atol=1e-6))

    def check_line(self) -> str:
        verdict = "agree" if self.agrees else "DISAGREE"
        return (f"read off the graph: {fmt_values(self.value)}; the engine's {self.wrt_name}.grad: "
                f"{fmt_values(self.engine)} -> {verdict}")

    def node_table(self) -> list[str]:
        w1 = max(len(n.name) for n in self.nodes)
        w2 = max(len(n.expr) for n in self.nodes)
        return [f"{n.name:<{w1}}  {n.expr:<{w2}}  {', '.join(n.locals)}".rstrip()
                for n in self.nodes]

    def lines(self) -> list[str]:
        return self.definitions + [self.equation] + (
            [self.check_line()] if self.engine is not None else [])

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _multi(node: Any) -> bool:
    return getattr(node, "_n_out", 1) == 1 and int(np.prod(node._shape)) > 1


def derive(output: Tensor, wrt: Tensor, names: Mapping[str, Tensor] | None = None,
           grad: Any = None) -> Derivation:
    """Read the chain rule for d(output)/d(wrt) off `output`'s recorded graph.

    `output` has one element and `wrt` is a leaf it depends on. Call before backward(), or after
    backward(retain_graph=True): the numbers come from what the nodes saved. `names` labels
    tensors in the text ({"x": x, "y": y, "z": z}); unnamed, the output is y and wrt is x.
    `grad`, when given (x.grad after backward), is checked at once (see Derivation.check).
    """
    if not isinstance(output, Tensor) or output.grad_fn is None:
        raise RuntimeError("derive() needs an output computed from a tensor that requires grad "
                           "(it reads output.grad_fn); this one has no grad_fn")
    if output.data.size != 1:
        raise RuntimeError(f"derive() needs a one-element output, got shape "
                           f"{list(output.data.shape)}: reduce it first (.sum() or .mean())")
    if not isinstance(wrt, Tensor) or wrt.grad_fn is not None or not wrt.requires_grad:
        raise RuntimeError("derive() differentiates with respect to a leaf that requires grad "
                           "(a tensor created with requires_grad=True)")
    label = {id(t): n for n, t in (names or {}).items()}
    out_name = label.setdefault(id(output), "y")
    x_name = label.setdefault(id(wrt), "x")
    named = {t.grad_fn: n for n, t in (names or {}).items()
             if t is not output and t.grad_fn is not None}
    root = output.grad_fn
    order = _nodes(root)
    for n in order:
        if getattr(n, "_released", False):
            raise RuntimeError(
                f"derive(): {type(n).__name__} already released what it saved (backward() ran "
                "without retain_graph=True); derive before backward(), or pass retain_graph=True")
    edges = {n: n.next_functions for n in order}
    rules = {n: RULES.get(_rule_name(n)) or _fallback(type(n).__name__) for n in order}
    views, known = _values(order, edges, rules, root, output)
    xi = x_name + ("_i" if wrt.data.size > 1 else "")
    lhs = f"d{out_name}/d{xi}"
    value = _gradient(order, edges, rules, views, output, wrt)
    try:
        text = _symbolic(order, edges, rules, views, wrt, label, named, xi)
    except _TooBig:
        text = None
    if text is None:
        d = Derivation(lhs, x_name, [f"({len(order)} nodes: too large to write out)"], [], value,
                       [], graph_paths(output, {x_name: wrt}))
    else:
        defs, steps, nodes = text
        defs.append(f"{out_name} = {defs.pop()}")
        d = Derivation(lhs, x_name, defs, steps, value, nodes, graph_paths(output, {x_name: wrt}))
    if grad is not None:
        d.check(grad)
    return d


def _values(order: list, edges: dict, rules: dict, root: Any, output: Tensor) -> tuple:
    """Each node's view: what it saved, its inputs' values, its output's value where the graph
    holds them. A node's output is known when it saved it, when a consumer saved it as an input,
    or by recomputing it from known inputs; a constant that nothing saved (the 1 in `x + 1`) is
    solved from the output's value."""
    views, known = {}, {(root, getattr(output, "_output_nr", 0)): output.data}
    for n in order:
        saved = tuple(s.data if isinstance(s, Tensor) else s for s in (n._saved or ()))
        v = views[n] = _View(n, saved, [], None)
        ins = rules[n].saved_ins(v) if saved else []
        v.ins = ins + [None] * (len(edges[n]) - len(ins))
        if saved and getattr(n, "_out_saved", -1) >= 0:
            v.out = saved[n._out_saved]
        for (child, nr), val in zip(edges[n], v.ins):
            if val is not None and _is_node(child):
                known[(child, nr)] = val
    for n in order:
        v, rule = views[n], rules[n]
        for k, (child, nr) in enumerate(edges[n]):
            if v.ins[k] is None and child is not None:
                v.ins[k] = (child.variable.data if isinstance(child, AccumulateGrad)
                            else known.get((child, nr)))
        if v.out is None:
            v.out = known.get((n, 0))
        missing = [k for k, val in enumerate(v.ins) if val is None]
        if rule.solve and v.out is not None and len(missing) == 1 and edges[n][missing[0]][0] is None:
            v.ins[missing[0]] = rule.solve(v.out, v.ins, missing[0])
        elif rule.value and v.out is None and not missing:
            v.out = rule.value(v.ins, v)
        if v.out is not None:
            known.setdefault((n, 0), v.out)
    return views, known


def _gradient(order: list, edges: dict, rules: dict, views: dict, output: Tensor,
              wrt: Tensor) -> np.ndarray:
    """d(output)/d(wrt) as numbers: a reverse pass of the table's local derivatives over the
    nodes' saved values, parents before children, broadcast gradients summed back to shape."""
    root = output.grad_fn
    grads = {(root, getattr(output, "_output_nr", 0)): np.ones(output.data.shape, np.float64)}
    total = np.zeros(wrt.data.shape, np.float64)
    for n in reversed(order):
        n_out = getattr(n, "_n_out", 1)
        gs = [grads.pop((n, nr), None) for nr in range(n_out)]
        if all(g is None for g in gs):
            continue
        if n_out > 1:  # a node of several outputs: zeros for the outputs nothing used
            g = tuple(np.zeros(s) if g is None else g for g, s in zip(gs, n._shape))
        else:
            g = gs[0]
        for k, (child, nr) in enumerate(edges[n]):
            if child is None:
                continue
            gk = rules[n].vjp(g, k, views[n])
            if gk is None:
                continue
            if isinstance(child, AccumulateGrad):
                if child.variable is wrt:
                    total = total + sum_to(np.asarray(gk, np.float64), wrt.data.shape)
                continue
            shape = child._shape[nr] if getattr(child, "_n_out", 1) > 1 else child._shape
            gk = sum_to(np.asarray(gk, np.float64), shape)
            grads[(child, nr)] = gk if (child, nr) not in grads else grads[(child, nr)] + gk
    return total


def _symbolic(order: list, edges: dict, rules: dict, views: dict, wrt: Tensor, label: dict,
              named: dict, xi: str) -> tuple | None:
    """Definitions, the chain-rule steps and the node listing, as text; None for big graphs."""
    if len(order) > 200:
        return None
    consts: dict = {}

    def leaf(t: Tensor) -> Expr:
        if id(t) not in label:
            label[id(t)] = f"w{sum(n.startswith('w') for n in label.values())}"
        return Expr("var", label[id(t)], t.data.size > 1)

    def const(val: Any) -> Expr:
        if val is None:
            return Expr("atom", "c")
        a = np.asarray(val, np.float64)
        if a.size and np.all(a == a.flat[0]):
            return num(a.flat[0])
        return consts.setdefault(id(val), Expr("var", f"c{len(consts)}", True))

    def placeholder(child: Any, nr: int, top: dict) -> Expr:
        if child is None or isinstance(child, AccumulateGrad):
            return ONE if child is not None and child.variable is wrt else ZERO
        if type(child).__name__ in _ADDITIVE and child not in named:
            return top[child]
        what = (named[child] + ("_i" if _multi(child) else "") if child in named
                else f"({render(full[child], index=True)})")
        return Expr("atom", f"d{what}/d{xi}")

    full, short, dx, top, args = {}, {}, {}, {}, {}
    for n in order:
        v, rule = views[n], rules[n]
        fa, sa, ds, pa = [], [], [], []
        for k, (child, nr) in enumerate(edges[n]):
            if child is None:
                fa.append(const(v.ins[k]))
                sa.append(fa[-1])
                ds.append(ZERO)
            elif isinstance(child, AccumulateGrad):
                fa.append(leaf(child.variable))
                sa.append(fa[-1])
                ds.append(ONE if child.variable is wrt else ZERO)
            else:
                fa.append(full[child])
                sa.append(Expr("var", named[child], _multi(child)) if child in named
                          else short[child])
                ds.append(dx[child])
            pa.append(placeholder(child, nr, top))
        full[n], short[n] = rule.show(fa, v), rule.show(sa, v)
        dx[n], top[n], args[n] = rule.chain(fa, ds, v), rule.chain(fa, pa, v), (fa, sa)
    root = order[-1]
    scalars = {e.args[0]: float(np.asarray(t.data).ravel()[0]) for e, t in
               ((leaf(t), t) for t in _leaves(order, edges)) if t.data.size == 1}
    steps = [render(top[root], index=True), render(dx[root], index=True),
             render(dx[root], scalars, index=True)]
    defs = [f"{named[n]} = {render(short[n])}" for n in order if n in named and n is not root]
    defs.append(render(short[root]))
    nodes = []
    for n in reversed(order):
        fa, sa = args[n]
        locs = []
        for k, (child, _) in enumerate(edges[n]):
            if child is None:
                continue
            onehot = [ONE if j == k else ZERO for j in range(len(fa))]
            wrt_text = render(sa[k])
            wrt_text = wrt_text if sa[k].op == "var" else f"({wrt_text})"
            sym = render(rules[n].chain(fa if False else sa, onehot, views[n]))
            g = np.ones(n._shape) if getattr(n, "_n_out", 1) == 1 else tuple(
                np.ones(s) for s in n._shape)
            val = fmt_values(rules[n].vjp(g, k, views[n]))
            locs.append(f"d/d{wrt_text} = {sym}" + (f" = {val}" if val != sym else ""))
        nodes.append(NodeStep(type(n).__name__, render(short[n]), locs))
    return defs, steps, nodes


def _leaves(order: list, edges: dict) -> list:
    seen, out = set(), []
    for n in order:
        for child, _ in edges[n]:
            if isinstance(child, AccumulateGrad) and id(child.variable) not in seen:
                seen.add(id(child.variable))
                out.append(child.variable)
    return out
