"""Text rendering of tensors, matching PyTorch 2.13's ``repr(tensor)`` character for character.

The module works on plain NumPy arrays so it has no dependency on chainrule's ``Tensor``.
Print options are module-level state shared by every tensor, as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from chainrule import _dtype

__all__ = ["format_tensor", "get_printoptions", "set_printoptions"]

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

_OPTS: dict[str, Any] = {**_PROFILES["default"], "sci_mode": None}

_PREFIX = "tensor("
_INDENT = len(_PREFIX)
# Dtypes whose name is omitted from a non-empty tensor's repr (the default float dtype,
# int64 and bool). An empty tensor omits only the default float dtype.
_IMPLICIT_DTYPES = (np.dtype(np.int64), np.dtype(np.bool_))  # and the default float dtype
# Suffixes are measured as PyTorch would measure them ("torch." rather than "chainrule."), so
# line breaks fall exactly where they do in PyTorch's output with the module name replaced.
_MODULE = "chainrule."
_WIDTH_DELTA = len(_MODULE) - len("torch.")


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set the global print options; same arguments and semantics as ``torch.set_printoptions``.

    ``profile`` is one of ``"default"``, ``"short"`` or ``"full"`` and is applied first; the
    other arguments then override it. ``sci_mode`` is always reset, to ``None`` (automatic
    choice) when not given.
    """
    if profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    for key, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            _OPTS[key] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as keyword arguments for :func:`set_printoptions`."""
    return dict(_OPTS)


class _Formatter:
    """Renders single elements of one tensor so that they all share a common width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.precision: int = _OPTS["precision"]
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in values.ravel().tolist())])
            return
        flat = values.astype(np.float64).ravel()
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        lo = float(np.abs(finite).min())
        hi = float(np.abs(finite).max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if _OPTS["sci_mode"] is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS["sci_mode"])
        if self.sci_mode:
            lengths = (len(f"{v:.{self.precision}e}") for v in finite.tolist())
        elif self.int_mode:  # room for the trailing "." that marks a float
            lengths = (len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            lengths = (len(f"{v:.{self.precision}f}") for v in finite.tolist())
        self.width = max(1, *lengths)

    def format(self, value: float) -> str:
        """Render one element, right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{self.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _summarized_values(arr: np.ndarray) -> np.ndarray:
    """The elements a summarised printout shows, flattened (the formatter's sample)."""
    edge = _OPTS["edgeitems"]
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.ndim == 1:
        if arr.shape[0] > 2 * edge:
            return np.concatenate((arr[:edge], arr[-edge:]))
        return arr
    if not edge:
        return arr.reshape(-1)[:0]
    n = arr.shape[0]
    rows = [*range(edge), *range(n - edge, n)] if n > 2 * edge else range(n)
    return np.concatenate([_summarized_values(arr[i]) for i in rows])


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Render a 1-D array, wrapping at the line width."""
    edge = _OPTS["edgeitems"]
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
    if summarize and not edge:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * edge:
        head = [fmt.format(v) for v in arr[:edge].tolist()]
        tail = [fmt.format(v) for v in arr[-edge:].tolist()]
        items = [*head, " ...", *tail]
    else:
        items = [fmt.format(v) for v in arr.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Render an array of any rank as nested brackets."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    edge = _OPTS["edgeitems"]
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        head = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(edge)]
        tail = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n - edge, n)]
        parts = [*head, "...", *tail]
    else:
        parts = [_nested_str(arr[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: Iterable[str], indent: int) -> str:
    """Append ``, key=value`` suffixes and the closing parenthesis, wrapping long lines."""
    pieces = [text]
    # PyTorch's measure of the last line is two characters longer than the line itself.
    last_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        width = len(suffix) - suffix.count(_MODULE) * _WIDTH_DELTA
        if last_len + width + 2 > _OPTS["linewidth"]:
            pieces.append(",\n" + " " * indent + suffix)
            last_len = indent + width
        else:
            pieces.append(", " + suffix)
            last_len += width + 2
    pieces.append(")")
    return "".join(pieces)


def format_tensor(data: np.ndarray, suffixes: Iterable[str] = ()) -> str:
    """Return ``repr`` of the CPU tensor holding ``data``, as PyTorch would print it.

    ``suffixes`` are extra ``key=value`` strings (``"grad_fn=<MulBackward0>"`` or
    ``"requires_grad=True"``) placed after the ``size=``/``dtype=`` suffixes, which this
    function adds itself. Dtype names are printed as ``chainrule.<numpy name>``; line breaks
    before suffixes fall where PyTorch puts them, so the result equals PyTorch's ``repr`` with
    ``torch.`` replaced by ``chainrule.``.
    """
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"cannot format an array of dtype {arr.dtype}")
    dtype = arr.dtype.newbyteorder("=")
    dtype_suffix = f"dtype={_MODULE}{dtype.name}"
    size_suffix = f"size={tuple(int(n) for n in arr.shape)}"
    extra: list[str] = []
    if arr.size == 0:
        if arr.ndim != 1:
            extra.append(size_suffix)
        if dtype != _dtype.DEFAULT_FLOAT:
            extra.append(dtype_suffix)
        body = "[]"
    else:
        if not _OPTS["edgeitems"]:
            extra.append(size_suffix)
        if dtype not in _IMPLICIT_DTYPES and dtype != _dtype.DEFAULT_FLOAT:
            extra.append(dtype_suffix)
        summarize = arr.size > _OPTS["threshold"]
        fmt = _Formatter(_summarized_values(arr) if summarize else arr)
        body = _nested_str(arr, _INDENT, summarize, fmt)
    return _add_suffixes(_PREFIX + body, [*extra, *suffixes], _INDENT)
