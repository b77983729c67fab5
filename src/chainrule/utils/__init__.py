"""torch.utils: activation checkpointing (`chainrule.utils.checkpoint`) and data loading
(`chainrule.utils.data`)."""

from chainrule.utils import checkpoint, data

__all__ = ["checkpoint", "data"]
