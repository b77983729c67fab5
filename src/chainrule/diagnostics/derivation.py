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
from dataclasses import replace as dc_replace
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


def _nodes(root: Any) -> tuple[list, list]:
    """Every node reachable from `root`, twice: each before the nodes that consume it (children
    first), and in the order a reader reaches them from the output. Iterative: depth unbounded."""
    post, pre, seen = [], [root], {root}
    stack = [(root, iter(root.next_functions))]
    while stack:
        node, edges = stack[-1]
        for child, _ in edges:
            if _is_node(child) and child not in seen:
                seen.add(child)
                pre.append(child)
                stack.append((child, iter(child.next_functions)))
                break
        else:
            stack.pop()
            post.append(node)
    return post, pre


def graph_paths(output: Tensor, names: Mapping[str, Tensor] | None = None,
                limit: int = 16, width: int = 12) -> list[str]:
    """Each path from `output.grad_fn` down to a leaf, as `AddBackward0 <- PowBackward0 <- x`.

    Leaves are labelled from `names` ({"x": x}) or as AccumulateGrad. A path longer than `width`
    nodes keeps its two ends; past `limit` paths the list ends with "...".
    """
    label = {id(t): n for n, t in (names or {}).items()}
    paths: list[str] = []
    # a path is a linked list (name, rest) from the newest node up: extending it costs O(1)
    stack: list = [(output.grad_fn, None)] if output.grad_fn is not None else []
    while stack:
        fn, path = stack.pop()
        if not isinstance(fn, AccumulateGrad):
            path = (type(fn).__name__, path)
            stack.extend((c, path) for c, _ in reversed(fn.next_functions) if c is not None)
            continue
        if len(paths) == limit:
            return paths + ["..."]
        names_ = [label.get(id(fn.variable), "AccumulateGrad")]
        while path is not None:
            names_.append(path[0])
            path = path[1]
        names_.reverse()
        if len(names_) > width:
            names_[width - 3:-2] = [f"... ({len(names_) - width + 1} more)"]
        paths.append(" <- ".join(names_))
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
    names = dict(names or {})
    label = {id(t): n for n, t in names.items()}
    out_name, x_name = label.setdefault(id(output), "y"), label.setdefault(id(wrt), "x")
    post, pre = _nodes(output.grad_fn)
    rules, edges = {}, {}
    for n in post:
        if getattr(n, "_released", False):
            raise RuntimeError(
                f"derive(): {type(n).__name__} already released what it saved (backward() ran "
                "without retain_graph=True); derive before backward(), or pass retain_graph=True")
        rules[n], edges[n] = rule_for(n, n.next_functions)
    # named tensors' values help too: a constant nothing saved is solved from them
    views = _values(post, edges, rules, [output, *names.values()], wrt.data.shape)
    xi = x_name + ("_i" if wrt.data.size > 1 else "")
    value = _gradient(post, edges, rules, views, output, wrt)
    named = {t.grad_fn: n for n, t in names.items() if t is not output and t.grad_fn is not None}
    try:
        w = _Writer(post, edges, rules, views, wrt, label, named, xi)
        defs, steps, nodes = w.definitions(out_name), w.steps(), w.listing(pre)
    except TooBig:
        defs, steps, nodes = [f"({len(post)} nodes: too large to write out)"], [], []
    d = Derivation(f"d{out_name}/d{xi}", x_name, defs, steps, value, nodes,
                   graph_paths(output, {x_name: wrt}))
    if grad is not None:
        d.check(grad)
    return d


def _values(order: list, edges: dict, rules: dict, tensors: list, wrt_shape: tuple) -> dict:
    """Each node's view: what it saved, its inputs' values, its output's value where the graph
    holds them. A node's output is known when it saved it, when a consumer saved it as an input,
    or by recomputing it from known inputs; a constant that nothing saved (the 1 in `x + 1`) is
    solved from the output's value."""
    views = {}
    known = {(t.grad_fn, getattr(t, "_output_nr", 0)): t.data for t in tensors
             if t.grad_fn is not None}
    for n in order:
        saved = tuple(s.data if isinstance(s, Tensor) else s for s in (n._saved or ()))
        v = views[n] = View(n, saved, [], None, wrt_shape)
        ins = rules[n].saved_ins(v) if saved else []
        v.ins = ins + [None] * (len(edges[n]) - len(ins))
        if saved and rules[n].saved_out is not None:
            v.out = rules[n].saved_out(v)
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


class _Writer:
    """Every node's expressions, built children first: what it computed (in full, and with named
    tensors by name), its derivative, and its derivative one chain-rule step deep (through sums,
    down to the first other node, left as `d(...)/dx`)."""

    def __init__(self, post: list, edges: dict, rules: dict, views: dict, wrt: Tensor,
                 label: dict, named: dict, xi: str) -> None:
        if len(post) > 200:
            raise TooBig
        self.post, self.edges, self.rules, self.views = post, edges, rules, views
        self.wrt, self.label, self.named, self.xi = wrt, label, named, xi
        self.consts: dict = {}  # id(array) -> (its variable, the array)
        self.unknown = False  # a constant nothing saved and nothing could solve
        self.n_auto = 0
        self.full, self.short, self.dx, self.top, self.args = {}, {}, {}, {}, {}
        for n in post:
            self._visit(n)

    def _leaf(self, t: Tensor) -> Expr:
        if id(t) not in self.label:  # an unnamed leaf other than x: w0, w1, ...
            self.label[id(t)] = f"w{self.n_auto}"
            self.n_auto += 1
        return Expr("var", self.label[id(t)], t.data.size > 1)

    def _const(self, val: Any) -> Expr:
        if val is None:
            self.unknown = True
            return Expr("atom", "c")
        a = np.asarray(val, np.float64)
        if a.size and np.all(a == a.flat[0]):
            return num(a.flat[0])
        if id(val) not in self.consts:
            self.consts[id(val)] = (Expr("var", f"c{len(self.consts)}", True), a)
        return self.consts[id(val)][0]

    def _placeholder(self, child: Any) -> Expr:
        if child is None or isinstance(child, AccumulateGrad):
            return ONE if child is not None and child.variable is self.wrt else ZERO
        if child in self.named:
            multi = getattr(child, "_n_out", 1) == 1 and int(np.prod(child._shape)) > 1
            what = self.named[child] + ("_i" if multi else "")
        elif type(child).__name__ in ADDITIVE:
            return self.top[child]
        else:
            what = f"({render(self.full[child], index=True)})"
        return Expr("atom", f"d{what}/d{self.xi}")

    def _visit(self, n: Any) -> None:
        v, rule = self.views[n], self.rules[n]
        fa, sa, ds = [], [], []
        for k, (child, _) in enumerate(self.edges[n]):
            if child is None:
                fa.append(self._const(v.ins[k]))
                ds.append(ZERO)
            elif isinstance(child, AccumulateGrad):
                fa.append(self._leaf(child.variable))
                ds.append(ONE if child.variable is self.wrt else ZERO)
            else:
                fa.append(self.full[child])
                ds.append(self.dx[child])
            named = child in self.named
            sa.append(Expr("var", self.named[child], False) if named else
                      self.short[child] if _is_node(child) else fa[-1])
        pa = [self._placeholder(child) for child, _ in self.edges[n]]
        self.full[n], self.short[n] = rule.show(fa, v), rule.show(sa, v)
        self.dx[n], self.top[n] = rule.chain(fa, ds, v), rule.chain(fa, pa, v)
        self.args[n] = sa

    def steps(self) -> list[str]:
        """One chain-rule step, the derivative in full, and with the leaves' numbers in it."""
        root = self.post[-1]
        scalars = {self._leaf(t).args[0]: float(t.data.ravel()[0])
                   for t in self._leaves() if t.data.size == 1}
        return [render(self.top[root], index=True), render(self.dx[root], index=True),
                render(self.dx[root], scalars, index=True)]

    def definitions(self, out_name: str) -> list[str]:
        root = self.post[-1]
        defs = [f"{name} = {fmt_values(a)}" for name, a in
                ((e.args[0], a) for e, a in self.consts.values())]
        if self.unknown:
            defs.append("c: a constant the graph does not keep (the node saved nothing)")
        defs += [f"{self.named[n]} = {render(self.short[n])}" for n in self.post
                 if n in self.named and n is not root]
        return defs + [f"{out_name} = {render(self.short[root])}"]

    def listing(self, pre: list) -> list[NodeStep]:
        """Each node (in the order reached from the output) with its local derivatives: the
        table's formula and its value from what the node saved."""
        nodes = []
        for n in pre:
            sa, rule = self.args[n], self.rules[n]
            local = dc_replace(self.views[n], wrt_shape=None)  # per element: d out_i / d in_i
            g = (np.ones(n._shape) if getattr(n, "_n_out", 1) == 1
                 else tuple(np.ones(s) for s in n._shape))
            locs = []
            for k, (child, _) in enumerate(self.edges[n]):
                if child is None:
                    continue
                of = render(sa[k]) if sa[k].op == "var" else f"({render(sa[k])})"
                sym = render(rule.chain(sa, [ONE if j == k else ZERO for j in range(len(sa))],
                                        local))
                val = fmt_values(rule.vjp(g, k, local))
                locs.append(f"d/d{of} = {sym}" + (f" = {val}" if val != sym else ""))
            nodes.append(NodeStep(type(n).__name__, render(self.short[n]), locs))
        return nodes

    def _leaves(self) -> list:
        seen: dict = {}
        for n in self.post:
            for child, _ in self.edges[n]:
                if isinstance(child, AccumulateGrad):
                    seen.setdefault(id(child.variable), child.variable)
        return list(seen.values())
