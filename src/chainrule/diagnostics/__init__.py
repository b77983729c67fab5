"""Diagnostics: reading what autograd recorded -- chain-rule derivations, graph drawings, explain
mode -- and the
health of a model's gradients (report, monitor over training, plots)."""

from chainrule.diagnostics.derivation import Derivation, derive, graph_paths
from chainrule.diagnostics.explain import explain
from chainrule.diagnostics.grad_report import Flag, GradReport, grad_report
from chainrule.diagnostics.graph_draw import DotGraph, GradRecord, draw_graph, record_grads, to_dot
from chainrule.diagnostics.monitor import GradientMonitor

__all__ = [
    "DotGraph",
    "GradRecord",
    "draw_graph",
    "explain",
    "record_grads",
    "to_dot",
    "Derivation",
    "derive",
    "graph_paths",
    "Flag",
    "GradReport",
    "GradientMonitor",
    "grad_report",
]
