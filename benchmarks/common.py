"""Shared pieces of the benchmark scripts: command line, BLAS threads, timing, tables, JSON.

Timing protocol (see `compare`): every contender is warmed up, then calibrated to a number of
calls per repeat that takes at least `min_time` seconds; the repeats are interleaved round-robin
across contenders, so background noise on a shared machine spreads over all of them alike. A
repeat's time is its wall time divided by its number of calls. We report the minimum (the
best estimate of the cost itself) and the median; ratios use the minimum. The garbage collector
stays on (its cost is part of what a user pays); `gc.collect()` runs before each repeat so one
contender's garbage is not collected on another's clock.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# --- command line -----------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="smoke run: few, short repeats")
    p.add_argument("--json", metavar="PATH", help="also write the numbers to PATH as JSON")
    p.add_argument("--repeat", type=int, help="timed repeats per contender (default 15, quick 3)")
    p.add_argument(
        "--min-time",
        type=float,
        help="seconds each repeat runs at least (default 0.2, quick 0.02)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS / intra-op threads for NumPy (OpenBLAS) and torch alike (default 1)",
    )
    p.add_argument("--no-torch", action="store_true", help="skip torch even if importable")
    p.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        metavar="N",
        help="after timing, cProfile chainrule's workload and print the top N entries "
        "by own time (default 25)",
    )
    return p


def timing_settings(args: argparse.Namespace) -> dict[str, Any]:
    repeat = args.repeat or (3 if args.quick else 15)
    min_time = args.min_time or (0.02 if args.quick else 0.2)
    warmup = 1 if args.quick else 3
    return {"repeat": repeat, "min_time": min_time, "warmup": warmup}


# --- threads ------------------------------------------------------------------------------------


def _openblas_libs() -> list[Any]:
    """The OpenBLAS libraries loaded in this process (NumPy's), as ctypes handles."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in os.path.basename(path).lower() and path not in paths:
                    paths.append(path)
    except OSError:  # not Linux: look beside numpy
        import glob

        base = os.path.dirname(os.path.dirname(np.__file__))
        for pat in ("numpy.libs/*openblas*", "numpy/.dylibs/*openblas*", "numpy/.libs/*openblas*"):
            paths.extend(glob.glob(os.path.join(base, pat)))
    libs = []
    for path in paths:
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            pass
    return libs


def _symbol(lib: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return fn
    return None


_SET = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_GET = (
    "scipy_openblas_get_num_threads64_",
    "scipy_openblas_get_num_threads",
    "openblas_get_num_threads64_",
    "openblas_get_num_threads",
)


def set_threads(n: int, torch: Any) -> dict[str, Any]:
    """Give NumPy's BLAS and torch the same number of threads; say what each ended up with."""
    os.environ["OMP_NUM_THREADS"] = str(n)  # for anything that reads it later (and children)
    numpy_threads: Any = None
    for lib in _openblas_libs():
        set_fn, get_fn = _symbol(lib, _SET), _symbol(lib, _GET)
        if set_fn is not None:
            set_fn(ctypes.c_int(n))
        if get_fn is not None:
            get_fn.restype = ctypes.c_int
            numpy_threads = get_fn()
    if numpy_threads is None:
        numpy_threads = (
            f"unknown (could not reach OpenBLAS; set OPENBLAS_NUM_THREADS={n} "
            "before starting Python)"
        )
    torch_threads = None
    if torch is not None:
        torch.set_num_threads(n)
        torch_threads = torch.get_num_threads()
    return {"requested": n, "numpy_blas": numpy_threads, "torch": torch_threads}


def import_torch(args: argparse.Namespace) -> tuple[Any, str | None]:
    """torch, or None and the reason it is skipped."""
    if args.no_torch:
        return None, "skipped (--no-torch)"
    try:
        import torch
    except ImportError as e:
        return None, f"skipped (torch is not importable: {e})"
    return torch, None


def _git_revision() -> str | None:
    """The checkout's commit, with +dirty when src/ has uncommitted changes (best effort)."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        rev = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty.strip() else "")


def environment(threads: dict[str, Any], torch: Any) -> dict[str, Any]:
    import chainrule

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "chainrule": getattr(chainrule, "__version__", "?"),
        "chainrule_git": _git_revision(),
        "torch": None if torch is None else torch.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "threads": threads,
    }


def print_header(title: str, env: dict[str, Any], settings: dict[str, Any]) -> None:
    th = env["threads"]
    print(title)
    print(
        f"python {env['python']}, numpy {env['numpy']}, chainrule {env['chainrule']}"
        f"{' (' + env['chainrule_git'] + ')' if env['chainrule_git'] else ''}, "
        f"torch {env['torch'] or '-'}; {env['cpus']} cpus"
    )
    print(
        f"threads: requested {th['requested']}, numpy BLAS {th['numpy_blas']}, "
        f"torch {th['torch'] if th['torch'] is not None else '-'}"
    )
    print(
        f"timing: best and median of {settings['repeat']} interleaved repeats, "
        f"each >= {settings['min_time']} s, after {settings['warmup']} warm-up calls"
    )


# --- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Seconds per call, one entry per repeat."""

    name: str
    number: int
    times: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def _run(fn: Callable[[], Any], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - t0


def calibrate(fn: Callable[[], Any], min_time: float) -> int:
    """How many calls make one repeat last at least `min_time` seconds."""
    number = 1
    while True:
        t = _run(fn, number)
        if t >= min_time:
            return number
        # aim a little past min_time, growing at most 10x per try
        number = max(number + 1, int(number * min(10.0, 1.2 * min_time / max(t, 1e-9))))


def compare(
    fns: dict[str, Callable[[], Any]], *, repeat: int, min_time: float, warmup: int
) -> dict[str, Timing]:
    """Time each callable: warm-up, calibration, then `repeat` rounds interleaved round-robin."""
    res = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        res[name] = Timing(name, calibrate(fn, min_time))
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            t = res[name]
            t.times.append(_run(fn, t.number) / t.number)
    return res


# --- reporting ---------------------------------------------------------------------------------


def table(
    timings: dict[str, Timing],
    *,
    unit: str,
    scale: float,
    baseline: str = "numpy",
    labels: dict[str, str] | None = None,
) -> str:
    """Rows: contender, min, median (in `unit`: seconds * scale), ratio to the baseline's min."""
    labels = labels or {}
    base = timings[baseline].min
    names = [labels.get(k, k) for k in timings]
    w = max(len(n) for n in names + ["impl"])
    lines = [f"{'impl':<{w}}  {'min ' + unit:>14}  {'median ' + unit:>14}  {'x numpy':>8}"]
    for t, name in zip(timings.values(), names):
        lines.append(
            f"{name:<{w}}  {t.min * scale:>14.3f}  {t.median * scale:>14.3f}  {t.min / base:>8.2f}"
        )
    return "\n".join(lines)


def timing_json(t: Timing, scale: float, unit: str, base: Timing) -> dict[str, Any]:
    return {
        "min_s": t.min,
        "median_s": t.median,
        f"min_{unit}": t.min * scale,
        f"median_{unit}": t.median * scale,
        "ratio_to_numpy": t.min / base.min,
        "calls_per_repeat": t.number,
        "repeats_s": t.times,
    }


def write_json(path: str, payload: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, default=str)
        f.write("\n")
    print(f"wrote {path}")


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "NOT met"


def profile(fn: Callable[[], Any], seconds: float, top: int) -> None:
    """cProfile `fn` for about `seconds` and print the top entries by own (tottime) time."""
    import cProfile
    import pstats

    number = max(1, calibrate(fn, seconds / 4))  # cProfile slows Python code down ~2-4x
    pr = cProfile.Profile()
    pr.enable()
    _run(fn, number)
    pr.disable()
    print(f"\nprofile: chainrule, {number} calls, top {top} by own time (tottime)")
    stats = pstats.Stats(pr, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)
