"""Diagnostics: reading what autograd recorded -- chain-rule derivations, graph paths."""

from chainrule.diagnostics.derivation import Derivation, derive, graph_paths

__all__ = ["Derivation", "derive", "graph_paths"]
