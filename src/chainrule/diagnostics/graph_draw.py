"""Drawing the backward graph: op nodes, leaves, saved arrays and the gradients along edges.

`draw_graph(y)` reads `y.grad_fn` through `next_functions` (the node listing of derivation.py)
into a small model -- nodes and edges with labels -- and writes it as DOT. With graphviz
installed (the `viz` extra) the result is a `graphviz.Digraph`, rendered by
`graph.render(path, format="svg")` or `graph.pipe(format="png")`; without it, a `DotGraph`
carrying the same `.source`.

Edges point the way data flowed in forward (input -> the node that used it -> ... -> output), as
torchviz draws them; gradients flow against them. `show_grads` labels each edge with the norm of
the gradient that travelled along it in backward, recorded by node post-hooks (`record_grads`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule.autograd.function import AccumulateGrad
from chainrule.diagnostics.derivation import _nodes
from chainrule.tensor import Tensor

INSTALL_HINT = "pip install 'chainrule[viz]' (the graphviz package) and the Graphviz `dot` program"


# --- recording the gradient along every edge --------------------------------------------------


class GradRecord:
    """The gradients that flowed along each edge of a graph during one backward.

    `edges[(node, i)]` is the gradient node `node` sent to its i-th input (shaped as that input);
    `received[node]` the gradients of its outputs as it ran (after every path's contribution
    was summed), and `order` the nodes in the order the engine ran them;
    `seed` is the gradient that entered at the output. Use as a context manager around a
    backward (`with record_grads(y) as rec: y.backward()`), then `draw_graph(y, show_grads=rec)`.
    """

    def __init__(self, output: Tensor) -> None:
        self.output = output
        self.edges: dict = {}
        self.seed: np.ndarray | None = None
        self.received: dict = {}
        self.order: list = []
        self._handles: list = []

    def __enter__(self) -> GradRecord:
        root = self.output.grad_fn
        if root is None:
            return self
        nr = getattr(self.output, "_output_nr", 0)
        post, _ = _nodes(root)
        for n in post:
            self._handles.append(n.register_hook(self._hook(n, nr if n is root else None)))
        return self

    def _hook(self, node: Any, out_nr: int | None) -> Any:
        def hook(grad_inputs: tuple, grad_outputs: tuple) -> None:
            self.order.append(node)
            self.received[node] = tuple(None if g is None else _array(g) for g in grad_outputs)
            for i, g in enumerate(grad_inputs):
                if g is not None:
                    self.edges[(node, i)] = _array(g)
            if out_nr is not None and grad_outputs[out_nr] is not None:
                self.seed = _array(grad_outputs[out_nr])

        return hook

    def __exit__(self, *exc: Any) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []


def record_grads(output: Tensor) -> GradRecord:
    """A context that records the gradient along every edge of `output`'s graph in a backward."""
    return GradRecord(output)


def _array(g: Any) -> np.ndarray:
    return np.asarray(g.data if isinstance(g, Tensor) else g)


def _own_pass(output: Tensor, gradient: Any) -> GradRecord:
    """Run a backward of our own (autograd.grad, retaining the graph, .grad untouched) to record
    what flows along each edge; the seed is `gradient`, or ones (the gradient of output.sum())."""
    from chainrule.autograd.engine import grad

    post, _ = _nodes(output.grad_fn)
    if any(n._released for n in post):
        raise RuntimeError(
            "draw_graph(show_grads=True) runs a backward of its own, but this graph already "
            "released its saved values in an earlier backward(). Draw before backward(), call "
            "backward(retain_graph=True), or record the real backward: "
            "`with record_grads(y) as rec: y.backward()`, then draw_graph(y, show_grads=rec)."
        )
    leaves = list({id(t): t for t in _leaves(post)}.values())
    seed = np.ones_like(output.data) if gradient is None else gradient
    with record_grads(output) as rec:
        grad(output, leaves, grad_outputs=seed, retain_graph=True, allow_unused=True)
    return rec


def _leaves(post: list) -> Iterable[Tensor]:
    for n in post:
        for e in n._edges:
            if isinstance(e, Tensor):
                yield e


# --- the model: nodes and edges with labels ---------------------------------------------------


@dataclass
class _Model:
    nodes: list = field(default_factory=list)  # (id, label, attrs)
    edges: list = field(default_factory=list)  # (tail, head, attrs)


def _shape(a: Any) -> str:
    return "(" + ", ".join(map(str, a.shape)) + ("," if len(a.shape) == 1 else "") + ")"


def _tensor_text(t: Tensor) -> str:
    return f"{_shape(t.data)} {t.data.dtype}"


def _param_names(params: Any) -> dict:
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    items = params.items() if isinstance(params, Mapping) else params
    return {id(t): name for name, t in items}


def _saved_lines(node: Any) -> list[str]:
    if node._released:
        return ["saved: released by backward()"]
    lines = []
    for k, s in enumerate(node._saved or ()):
        a = s.data if isinstance(s, Tensor) else s
        if isinstance(a, np.ndarray):
            lines.append(f"saved[{k}]: {_shape(a)} {a.dtype}, {a.nbytes} B")
    return lines


def _norm(g: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(g, np.float64).ravel()))


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _colour(norm: float, lo: float, hi: float) -> str:
    """Blue for the smallest gradient norm of the graph through to red for the largest (log
    scale, since norms span decades)."""
    if not math.isfinite(norm):
        return "magenta"
    span = hi - lo
    t = 0.0 if span <= 0 else (math.log10(norm + 1e-30) - lo) / span
    return f"{0.66 * (1 - min(max(t, 0.0), 1.0)):.3f} 0.9 0.85"


def _build(output: Tensor, params: Any, show_saved: bool, rec: GradRecord | None) -> _Model:
    names = _param_names(params)
    m = _Model()
    m.nodes.append(("out", f"output\n{_tensor_text(output)}", {"fillcolor": "darkolivegreen1"}))
    root = output.grad_fn
    if root is None:  # a leaf: nothing recorded
        return m
    post, pre = _nodes(root)
    ids = {n: f"n{i}" for i, n in enumerate(pre)}
    leaf_ids: dict = {}
    raw: list = []  # (tail, head, gradient or None)
    for n in pre:
        label = [type(n).__name__] + (_saved_lines(n) if show_saved else [])
        m.nodes.append((ids[n], "\n".join(label), {}))
        for i, (child, _) in enumerate(n.next_functions):
            if child is None:
                continue
            if isinstance(child, AccumulateGrad):
                t = child.variable
                if id(t) not in leaf_ids:
                    leaf_ids[id(t)] = f"l{len(leaf_ids)}"
                    text = f"{names.get(id(t), 'leaf')}\n{_tensor_text(t)}"
                    m.nodes.append((leaf_ids[id(t)], text, {"fillcolor": "lightblue"}))
                tail = leaf_ids[id(t)]
            else:
                tail = ids[child]
            raw.append((tail, ids[n], None if rec is None else rec.edges.get((n, i))))
    raw.append((ids[root], "out", None if rec is None else rec.seed))
    norms = [_norm(g) for _, _, g in raw if g is not None]
    logs = [math.log10(v + 1e-30) for v in norms if math.isfinite(v)]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
    for tail, head, g in raw:
        attrs: dict = {}
        if rec is not None and g is None:
            attrs = {"style": "dashed", "color": "gray", "label": "no grad"}
        elif g is not None:
            v = _norm(g)
            attrs = {"label": f"|g|={_fmt(v)}", "color": _colour(v, lo, hi), "penwidth": "2"}
        m.edges.append((tail, head, attrs))
    return m


# --- output: DOT text, graphviz.Digraph or DotGraph -------------------------------------------

_GRAPH_ATTRS = {"rankdir": "TB"}
_NODE_ATTRS = {
    "shape": "box",
    "style": "filled,rounded",
    "fillcolor": "lightgray",
    "fontname": "monospace",
    "fontsize": "10",
}
_EDGE_ATTRS = {"fontname": "monospace", "fontsize": "9"}


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(a: dict) -> str:
    return " [" + " ".join(f"{k}={_quote(str(v))}" for k, v in a.items()) + "]" if a else ""


def _dot(m: _Model) -> str:
    lines = [
        "digraph {",
        f"\tgraph{_attrs(_GRAPH_ATTRS)}",
        f"\tnode{_attrs(_NODE_ATTRS)}",
        f"\tedge{_attrs(_EDGE_ATTRS)}",
    ]
    lines += [f"\t{nid}{_attrs({'label': label, **attrs})}" for nid, label, attrs in m.nodes]
    lines += [f"\t{a} -> {b}{_attrs(attrs)}" for a, b, attrs in m.edges]
    return "\n".join(lines + ["}"]) + "\n"


class DotGraph:
    """The drawing as DOT text, when the graphviz package is not installed."""

    def __init__(self, source: str) -> None:
        self.source = source

    def save(self, filename: str) -> str:
        """Write the DOT text to `filename`."""
        with open(filename, "w") as f:
            f.write(self.source)
        return filename

    def render(self, *args: Any, **kwargs: Any) -> str:
        raise ImportError(
            f"rendering the graph needs graphviz: {INSTALL_HINT}. Without it, "
            "graph.source is the DOT text and graph.save(path) writes it."
        )

    pipe = render

    def __str__(self) -> str:
        return self.source


def _check(output: Any) -> None:
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph() takes a Tensor, got {type(output).__name__}")


def _model(output: Tensor, params: Any, show_saved: bool, show_grads: Any, gradient: Any) -> _Model:
    _check(output)
    rec = None
    if isinstance(show_grads, GradRecord):
        rec = show_grads
    elif show_grads and output.grad_fn is not None:
        rec = _own_pass(output, gradient)
    return _build(output, params, show_saved, rec)


def to_dot(
    output: Tensor,
    params: Any = None,
    show_saved: bool = False,
    show_grads: Any = False,
    gradient: Any = None,
) -> str:
    """The backward graph of `output` as DOT text (see draw_graph)."""
    return _dot(_model(output, params, show_saved, show_grads, gradient))


def draw_graph(
    output: Tensor,
    params: Any = None,
    show_saved: bool = False,
    show_grads: Any = False,
    gradient: Any = None,
) -> Any:
    """Draw the backward graph of `output`: a graphviz.Digraph, or a DotGraph without graphviz.

    `params` names leaves (a dict name -> tensor, or a Module / its named_parameters()).
    `show_saved` lists what each node saved for backward (shape, dtype, bytes). `show_grads`:
    True runs a backward of its own (seeded with `gradient`, default ones; .grad untouched, the
    graph retained) and labels each edge with the norm of the gradient along it -- the graph
    must not have been freed by an earlier backward; or pass a GradRecord from `record_grads`
    to show what a real backward sent.
    """
    m = _model(output, params, show_saved, show_grads, gradient)
    try:
        import graphviz
    except ImportError:
        return DotGraph(_dot(m))
    g = graphviz.Digraph(graph_attr=_GRAPH_ATTRS, node_attr=_NODE_ATTRS, edge_attr=_EDGE_ATTRS)
    for nid, label, attrs in m.nodes:
        g.node(nid, label.replace("\n", "\\n"), **attrs)
    for a, b, attrs in m.edges:
        g.edge(a, b, **attrs)
    return g
