"""torch.set_num_threads / get_num_threads: chainrule's only multi-threaded code is the BLAS
under NumPy's matmuls, so the thread count is the BLAS thread pool's (set through threadpoolctl
when it is installed -- it comes with scikit-learn -- else recorded only)."""

from __future__ import annotations

import os

__all__ = ["set_num_threads", "get_num_threads"]

_limit: list = []  # the active threadpool_limits, kept alive


def set_num_threads(n: int) -> None:
    """Use at most `n` threads in the BLAS behind matmul and convolution."""
    if not isinstance(n, int) or n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        _limit[:] = [n]
        return
    _limit[:] = [threadpool_limits(limits=n, user_api="blas")]


def get_num_threads() -> int:
    """The BLAS thread count (what set_num_threads set, else the BLAS pool's size)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return _limit[0] if _limit and isinstance(_limit[0], int) else os.cpu_count() or 1
    sizes = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(sizes) if sizes else os.cpu_count() or 1
