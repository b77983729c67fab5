"""torch.cuda as seen from chainrule: there is no CUDA device (NumPy computes on the CPU), so
`is_available()` is False and seeding is a no-op; code that checks before using CUDA runs."""

from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache",
           "synchronize"]  # fmt: skip


def is_available() -> bool:
    """False: chainrule has no CUDA backend."""
    return False


def device_count() -> int:
    """0 CUDA devices."""
    return 0


def manual_seed(seed: int) -> None:
    """No CUDA generator to seed (chainrule.manual_seed seeds the only one)."""


def manual_seed_all(seed: int) -> None:
    """No CUDA generators to seed."""


def empty_cache() -> None:
    """No CUDA memory to release."""


def synchronize(device: object = None) -> None:
    """Nothing runs asynchronously."""
