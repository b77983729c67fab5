"""Chain-rule derivations read off a recorded backward graph.

`derive(y, x)` walks `y.grad_fn` through `next_functions` and looks each node's type name up in
the table of `_rules.py`: what the node computed, its derivative by the chain rule, and the
same local derivative as numbers from what the node saved in its forward. The symbolic form is
printed; the number is a reverse pass of our own over those saved values -- not the engine's --
so `Derivation.check(x.grad)` compares two independent computations.

The symbolic form is per element (`dz/dx_i`): exact for elementwise graphs ending in a
reduction, the tutorial's kind. The number is exact for any graph the table covers. A node
type missing from the table is named in the text and differentiated by its own backward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.autograd.function import AccumulateGrad
from chainrule.diagnostics._expr import ONE, ZERO, Expr, TooBig, fmt_values, num, render
from chainrule.diagnostics._rules import ADDITIVE, View, rule_for
from chainrule.ops._dual import sum_to
from chainrule.tensor import Tensor

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
    rules, edges = {}, {}
    for n in order:
        rules[n], edges[n] = rule_for(n, n.next_functions)
    views = _values(order, edges, rules, output)
    xi = x_name + ("_i" if wrt.data.size > 1 else "")
    lhs = f"d{out_name}/d{xi}"
    value = _gradient(order, edges, rules, views, output, wrt)
    try:
        text = _symbolic(order, edges, rules, views, wrt, label, named, xi)
    except TooBig:
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


def _values(order: list, edges: dict, rules: dict, output: Tensor) -> dict:
    """Each node's view: what it saved, its inputs' values, its output's value where the graph
    holds them. A node's output is known when it saved it, when a consumer saved it as an input,
    or by recomputing it from known inputs; a constant that nothing saved (the 1 in `x + 1`) is
    solved from the output's value."""
    views, known = {}, {(output.grad_fn, getattr(output, "_output_nr", 0)): output.data}
    for n in order:
        saved = tuple(s.data if isinstance(s, Tensor) else s for s in (n._saved or ()))
        v = views[n] = View(n, saved, [], None)
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
        if rule.solve and v.out is not None and len(missing) == 1:
            v.ins[missing[0]] = rule.solve(v.out, v.ins, missing[0])
        elif rule.value and v.out is None and not missing:
            v.out = rule.value(v.ins, v)
        if v.out is not None:
            known.setdefault((n, 0), v.out)
    return views


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
        if type(child).__name__ in ADDITIVE and child not in named:
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
            sym = render(rules[n].chain(sa, onehot, views[n]))
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
