"""torch.utils: for now activation checkpointing (`chainrule.utils.checkpoint`)."""

from chainrule.utils import checkpoint

__all__ = ["checkpoint"]
