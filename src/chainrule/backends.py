"""torch.backends as seen from chainrule: no cuDNN, MPS or MKL-DNN backends; the flags users set
(`cudnn.benchmark`, `cudnn.deterministic`) are accepted and have no effect, since NumPy's
results do not depend on them."""

from __future__ import annotations

from types import SimpleNamespace

__all__ = ["cudnn", "mps", "mkldnn"]


def _unavailable() -> bool:
    return False


cudnn = SimpleNamespace(
    enabled=True, benchmark=False, deterministic=False, allow_tf32=False,
    is_available=_unavailable, version=lambda: None,
)  # fmt: skip
mps = SimpleNamespace(is_available=_unavailable, is_built=_unavailable)
mkldnn = SimpleNamespace(enabled=False, is_available=_unavailable)
