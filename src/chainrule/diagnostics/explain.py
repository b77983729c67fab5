"""Explain mode: a backward that narrates itself.

`explain(y)` runs the engine's own backward -- so `.grad` ends exactly as after `y.backward()`
-- while node post-hooks (graph_draw.record_grads) note the order the nodes ran in and the
gradient each received and sent. Before it runs, each node's local derivative is read off the
graph with the table of `_rules.py` (the node listing of derivation.py), while the saved values
it needs still exist. Where gradients from several paths meet (a node or leaf with several
incoming edges), the contributions are listed and their sum shown: the chain rule's "paths add".
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from chainrule.autograd.function import AccumulateGrad
from chainrule.diagnostics._expr import fmt
from chainrule.diagnostics._rules import rule_for
from chainrule.diagnostics.derivation import _nodes, _values, _Writer
from chainrule.diagnostics.graph_draw import _array, record_grads
from chainrule.tensor import Tensor

SMALL = 8  # tensors up to this many elements are printed in full, larger ones as shape and norm
WIDTH = 100  # a formula longer than this is cut: past it, it is no help to a reader


def _cut(s: str) -> str:
    return s if len(s) <= WIDTH else s[: WIDTH - 5] + " ..."


def _val(a: Any) -> str:
    a = np.asarray(a)
    if a.size == 1:
        return fmt(a.ravel()[0])
    if a.size <= SMALL:
        return np.array2string(
            a, separator=", ", formatter={"all": lambda v: fmt(v)}, max_line_width=1 << 20
        ).replace("\n", "")
    norm = float(np.linalg.norm(np.asarray(a, np.float64).ravel()))
    return f"<shape {list(a.shape)}, norm {fmt(norm)}>"


def _leaf_names(post: list, names: Any) -> dict:
    """id(leaf) -> its name: from `names` (a dict or a Module), else x, or x0, x1, ..."""
    label: dict = {}
    if names is not None:
        items = (
            names.named_parameters()
            if hasattr(names, "named_parameters")
            else (names.items() if isinstance(names, Mapping) else names)
        )
        label = {id(t): n for n, t in items}
    leaves = list({id(e): e for n in post for e in n._edges if isinstance(e, Tensor)}.values())
    unnamed = [t for t in leaves if id(t) not in label]
    for k, t in enumerate(unnamed):
        label[id(t)] = "x" if len(unnamed) == 1 and "x" not in label.values() else f"x{k}"
    return label


def _formulas(post: list, pre: list, output: Tensor, label: dict) -> dict:
    """node -> NodeStep (what it computed, its local derivatives), or {} when the table cannot
    say (a graph too large to write out, or a node whose saved values are gone)."""
    leaves = [e for n in post for e in n._edges if isinstance(e, Tensor)]
    if not leaves:
        return {}
    wrt = leaves[0]
    try:
        rules, edges = {}, {}
        for n in post:
            rules[n], edges[n] = rule_for(n, n.next_functions)
        views = _values(post, edges, rules, [output], wrt.data.shape)
        xi = label[id(wrt)] + ("_i" if wrt.data.size > 1 else "")
        steps = _Writer(post, edges, rules, views, wrt, dict(label), {}, xi).listing(pre)
    except Exception:  # a diagnostic must never stop the backward it explains
        return {}
    return dict(zip(pre, steps))


def _sum_lines(parts: list, total: Any, pad: str) -> list[str]:
    """The contributions of several paths, one per line, then their sum."""
    lines = [f"{pad}from {src}: {_val(g)}" for src, g in parts]
    vals = [_val(g) for _, g in parts]
    lines.append(f"{pad}sum: {' + '.join(vals)} = {_val(total)}")
    return lines


def explain(
    output: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    file: IO[str] | None = None,
    *,
    create_graph: bool = False,
    inputs: Any = None,
    names: Any = None,
) -> str:
    """Run `output.backward(...)` and print how the gradient is computed, node by node.

    Prints the nodes in the order backward runs them (reverse topological), each node's local
    derivative, the gradient it received and what it sent to each input (values for small
    tensors, shape and norm for large ones), and where several paths' gradients are summed.
    `names` labels leaves (a dict name -> tensor, or a Module). Leaves the same `.grad` as a plain
    backward. Returns the text it printed.
    """
    from chainrule.autograd.engine import backward

    if not isinstance(output, Tensor):
        raise TypeError(f"explain() takes a Tensor, got {type(output).__name__}")
    root = output.grad_fn
    post, pre = _nodes(root) if root is not None else ([], [])
    if any(n._released for n in post):  # the engine's own error says it best
        backward(output, gradient, retain_graph, create_graph, inputs)
    label = _leaf_names(post, names)
    steps = _formulas(post, pre, output, label)
    # .grad from earlier backwards, to show what this one adds to it
    before = {
        id(e): np.array(e.grad.data)
        for n in post
        for e in n._edges
        if isinstance(e, Tensor) and e.grad is not None
    }
    with record_grads(output) as rec:
        backward(output, gradient, retain_graph, create_graph, inputs)
    lines = _report(output, root, rec, steps, label) + _leaf_lines(rec, label, before)
    text = "\n".join(lines) + "\n"
    print(text, end="", file=file if file is not None else sys.stdout)
    return text


def _report(output: Tensor, root: Any, rec: Any, steps: dict, label: dict) -> list[str]:
    seed = rec.seed
    head = f"explain: backward of a tensor of shape {list(output.data.shape)} ({output.data.dtype})"
    if root is None:
        return [head + ", a leaf: its gradient is the seed itself, accumulated into .grad"]
    lines = [
        head
        + f" made by {type(root).__name__}, seeded with "
        + (_val(seed) if seed is not None else "nothing (no gradient reached it)"),
        "nodes in the order backward ran them (reverse topological: a node runs once every "
        "path into it has delivered):",
    ]
    number = {n: k for k, n in enumerate(rec.order, 1)}
    into = _arrivals(rec)
    for n in rec.order:
        lines += _node_lines(n, number, rec, steps.get(n), into, label, root, output)
    return lines


def _arrivals(rec: Any) -> dict:
    """(node, output_nr), or id(leaf) -> [(sender, gradient)]: every gradient sent its way."""
    number = {n: k for k, n in enumerate(rec.order, 1)}
    into: dict = {}  # (node, output_nr) or id(leaf) -> [(sender's name, gradient)]
    for n in rec.order:
        for i, (child, nr) in enumerate(n.next_functions):
            g = rec.edges.get((n, i))
            if child is None or g is None:
                continue
            key = id(child.variable) if isinstance(child, AccumulateGrad) else (child, nr)
            into.setdefault(key, []).append((f"{type(n).__name__} [{number[n]}]", g))
    return into


def _node_lines(
    n: Any, number: dict, rec: Any, step: Any, into: dict, label: dict, root: Any, output: Tensor
) -> list[str]:
    name = type(n).__name__
    lines = [f"[{number[n]}] {name}" + (f": {_cut(step.expr)}" if step is not None else "")]
    pad = "      "
    if step is not None and step.locals:
        lines.append(f"{pad}local derivative: {'; '.join(map(_cut, step.locals))}")
    for nr, g in enumerate(rec.received[n]):
        if g is None:
            continue
        parts = into.get((n, nr), [])
        if n is root and nr == getattr(output, "_output_nr", 0):
            parts = [("the seed (output)", rec.seed)] + parts
        which = f" (output {nr})" if len(rec.received[n]) > 1 else ""
        if len(parts) > 1:
            lines.append(f"{pad}gradient in{which}: {len(parts)} paths meet here and are summed")
            lines += _sum_lines(parts, g, pad + "  ")
        else:
            lines.append(f"{pad}gradient in{which}: {_val(g)}")
    for i, (child, _) in enumerate(n.next_functions):
        if child is None:
            continue
        g = rec.edges.get((n, i))
        to = (
            label.get(id(child.variable), "leaf")
            if isinstance(child, AccumulateGrad)
            else f"{type(child).__name__} [{number.get(child, '-')}]"
        )
        lines.append(f"{pad}sends to {to}: " + ("nothing (None)" if g is None else _val(g)))
    return lines


def _leaf_lines(rec: Any, label: dict, before: dict) -> list[str]:
    leaves = {
        id(c.variable): c.variable
        for n in rec.order
        for c, _ in n.next_functions
        if isinstance(c, AccumulateGrad)
    }
    if not leaves:
        return []
    lines, into = ["leaves (each accumulates into its .grad):"], _arrivals(rec)
    for key, t in leaves.items():
        parts, name = into.get(key, []), label.get(key, "leaf")
        if not parts:
            lines.append(f"  {name}: no gradient reached it")
            continue
        total = parts[0][1]
        for _, g in parts[1:]:
            total = total + g
        if len(parts) > 1:
            lines.append(f"  {name}: {len(parts)} paths reach it; their gradients are summed")
            lines += _sum_lines(parts, total, "      ")
        else:
            lines.append(f"  {name}: from {parts[0][0]}: {_val(total)}")
        now = "None" if t.grad is None else _val(_array(t.grad))
        old = f"{_val(before[key])} (before) + {_val(total)} = " if key in before else ""
        lines.append(f"      {name}.grad = {old}{now}")
    return lines
