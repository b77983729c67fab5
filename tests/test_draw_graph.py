"""chainrule.diagnostics.graph_draw: the drawn graph has torch's structure, and its edges carry
the gradient norms that torch's own node hooks see."""

from __future__ import annotations

import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

import chainrule
from chainrule.diagnostics.graph_draw import DotGraph, draw_graph, record_grads, to_dot

torch = pytest.importorskip("torch")

NO_DOT = shutil.which("dot") is None
needs_dot = pytest.mark.skipif(NO_DOT, reason="the Graphviz `dot` program is not installed")

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def _attrs(text: str | None) -> dict:
    return {k: v.strip('"').replace("\\n", "\n") for k, v in _ATTR.findall(text or "")}


def parse(source: str) -> tuple[dict, list]:
    """DOT text -> ({node id: attrs}, [(tail, head, attrs)])."""
    nodes, edges = {}, []
    for line in source.splitlines():
        line = line.strip()
        m = re.match(r"^(\w+) -> (\w+)(?: \[(.*)\])?$", line)
        if m:
            edges.append((m[1], m[2], _attrs(m[3])))
            continue
        m = re.match(r"^(\w+) \[(.*)\]$", line)
        if m and m[1] not in ("graph", "node", "edge"):
            nodes[m[1]] = _attrs(m[2])
    return nodes, edges


def torch_graph(out, names: dict) -> tuple[Counter, Counter, int]:
    """Walk torch's graph: op names, leaf labels and the number of edges (output edge too)."""
    label = {id(t): n for n, t in names.items()}
    ops, leaves, n_edges = Counter(), Counter(), 1
    seen, stack = {out.grad_fn}, [out.grad_fn]
    while stack:
        fn = stack.pop()
        ops[fn.name()] += 1
        for child, _ in fn.next_functions:
            if child is None:
                continue
            n_edges += 1
            if child in seen:
                continue
            seen.add(child)
            if hasattr(child, "variable"):
                leaves[label.get(id(child.variable), "leaf")] += 1
            else:
                stack.append(child)
    return ops, leaves, n_edges


def torch_edge_norms(out, names: dict) -> Counter:
    """(sender, receiver, norm) for every edge of torch's graph, from node hooks in a backward."""
    label = {id(t): n for n, t in names.items()}
    got, seen, stack = Counter(), {out.grad_fn}, [out.grad_fn]
    hooks = []
    while stack:
        fn = stack.pop()

        def hook(gi, go, fn=fn):
            for (child, _), g in zip(fn.next_functions, gi):
                if child is None or g is None:
                    continue
                to = (
                    label.get(id(child.variable), "leaf")
                    if hasattr(child, "variable")
                    else child.name()
                )
                got[(to, fn.name(), f"{g.norm().item():.4g}")] += 1

        hooks.append(fn.register_hook(hook))
        for child, _ in fn.next_functions:
            if child is not None and child not in seen and not hasattr(child, "variable"):
                seen.add(child)
                stack.append(child)
    out.backward(torch.ones_like(out))
    got[(out.grad_fn.name(), "output", "1")] += 1
    return got


def our_edge_norms(source: str) -> Counter:
    nodes, edges = parse(source)
    first = {k: v["label"].split("\n")[0] for k, v in nodes.items()}
    return Counter((first[a], first[b], e["label"].removeprefix("|g|=")) for a, b, e in edges)


def seed(lib):
    x = lib.tensor([2.0], requires_grad=True)
    return x, x**2 + 3 * x + 1


def test_seed_graph_has_torchs_nodes_edges_and_names():
    x, y = seed(chainrule)
    nodes, edges = parse(to_dot(y, params={"x": x}))
    tx, ty = seed(torch)
    ops, leaves, n_edges = torch_graph(ty, {"x": tx})
    labels = [v["label"].split("\n")[0] for k, v in nodes.items() if k != "out"]
    assert Counter(labels) == ops + leaves
    assert len(edges) == n_edges
    assert nodes["out"]["label"] == "output\n(1,) float32"
    assert any(v["label"] == "x\n(1,) float32" for v in nodes.values())


def test_diamond_edge_norms_equal_torchs():
    def build(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        w = lib.tensor([1.5, 2.0, -0.5], requires_grad=True)
        h = lib.tanh(x * w)
        return {"x": x, "w": w}, (h * h + lib.exp(h) * x).sum()

    names, out = build(chainrule)
    tnames, tout = build(torch)
    src = to_dot(out, params=names, show_grads=True)
    assert our_edge_norms(src) == torch_edge_norms(tout, tnames)
    assert names["x"].grad is None  # our own pass leaves .grad alone


def test_seed_edge_norms_by_hand():
    x, y = seed(chainrule)
    labels = Counter(e["label"] for _, _, e in parse(to_dot(y, {"x": x}, show_grads=True))[1])
    # 1 along the four edges above the leaf; 2*x = 4 and 3 along the leaf's two edges
    assert labels == Counter({"|g|=1": 4, "|g|=4": 1, "|g|=3": 1})


def mlp(lib, seed_=0):
    rng = np.random.default_rng(seed_)
    net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    x = lib.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    return net, ((net(x) - 1) ** 2).mean()


def test_mlp_graph_names_params_and_counts_every_edge():
    net, loss = mlp(chainrule)
    nodes, edges = parse(to_dot(loss, params=net.named_parameters()))
    # an independent walk of what chainrule recorded
    fns, seen, stack, n_edges = [], {loss.grad_fn}, [loss.grad_fn], 1
    while stack:
        fn = stack.pop()
        fns.append(fn.name())
        for child, _ in fn.next_functions:
            n_edges += child is not None
            if child is not None and child not in seen and not hasattr(child, "variable"):
                seen.add(child)
                stack.append(child)
    labels = Counter(v["label"].split("\n")[0] for k, v in nodes.items() if k != "out")
    assert labels == Counter(fns) + Counter(n for n, _ in net.named_parameters())
    assert len(edges) == n_edges
    assert any(v["label"] == "0.weight\n(4, 3) float32" for v in nodes.values())
    assert "AddmmBackward0" in labels and "TanhBackward0" in labels


def test_mlp_param_edges_carry_torchs_grad_norms():
    net, loss = mlp(chainrule)
    tnet, tloss = mlp(torch)
    tloss.backward()
    norms = our_edge_norms(to_dot(loss, params=net, show_grads=True))
    into = {a: n for a, _, n in norms}
    for name, p in tnet.named_parameters():
        assert into[name] == f"{p.grad.norm().item():.4g}", name


def test_show_saved_lists_saved_shapes_and_bytes():
    def build(lib):
        a = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        b = lib.ones(3, dtype=lib.float64, requires_grad=True)
        return a * b

    nodes, _ = parse(to_dot(build(chainrule), show_saved=True))
    mul = next(v["label"] for v in nodes.values() if v["label"].startswith("MulBackward0"))
    fn = build(torch).grad_fn
    for k, t in enumerate((fn._saved_self, fn._saved_other)):
        shape = "(" + ", ".join(map(str, t.shape)) + ("," if t.dim() == 1 else "") + ")"
        assert f"saved[{k}]: {shape} float64, {t.numel() * 8} B" in mul
    assert "saved" not in to_dot(build(chainrule))


def test_record_grads_shows_a_real_backward_after_the_graph_is_freed():
    x, y = seed(chainrule)
    y.backward()
    with pytest.raises(RuntimeError, match="record_grads"):
        to_dot(y, show_grads=True)
    x, y = seed(chainrule)
    with record_grads(y) as rec:
        y.backward(chainrule.tensor([2.0]))
    tx, ty = seed(torch)
    ty.backward(torch.tensor([2.0]))
    assert x.grad.tolist() == tx.grad.tolist()
    labels = Counter(e["label"] for _, _, e in parse(to_dot(y, show_grads=rec))[1])
    assert labels == Counter({"|g|=2": 4, "|g|=8": 1, "|g|=6": 1})
    assert not y.grad_fn.__dict__.get("_post_hooks")  # hooks removed on exit


def test_digraph_and_fallback_share_the_dot_source(monkeypatch):
    graphviz = pytest.importorskip("graphviz")
    x, y = seed(chainrule)
    g = draw_graph(y, {"x": x}, show_grads=True)
    assert isinstance(g, graphviz.Digraph)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    d = draw_graph(y, {"x": x}, show_grads=True)
    assert isinstance(d, DotGraph) and d.source == to_dot(y, {"x": x}, show_grads=True)
    n1, e1 = parse(g.source)
    n2, e2 = parse(d.source)
    assert n1 == n2 and e1 == e2
    with pytest.raises(ImportError, match="pip install"):
        d.render("graph", format="svg")


def test_leaf_output_draws_one_node():
    x = chainrule.ones(2, requires_grad=True)
    nodes, edges = parse(to_dot(x, show_grads=True))
    assert list(nodes) == ["out"] and edges == []


@needs_dot
def test_render_svg(tmp_path):
    pytest.importorskip("graphviz")
    net, loss = mlp(chainrule)
    g = draw_graph(loss, params=net, show_saved=True, show_grads=True)
    path = g.render(tmp_path / "mlp", format="svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert "AddmmBackward0" in open(path).read()


@needs_dot
def test_render_png():
    pytest.importorskip("graphviz")
    x, y = seed(chainrule)
    data = draw_graph(y, {"x": x}).pipe(format="png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
