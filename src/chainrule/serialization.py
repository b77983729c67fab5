"""chainrule.save / chainrule.load: tensors and (nested) state dicts in the safetensors format.

Tensors go into the safetensors body (readable by `safetensors.torch.load_file`); the structure
around them (dicts, lists, numbers, strings) goes into `__metadata__` as JSON. Nothing is ever
unpickled, so loading a file cannot execute code from it.
"""

from __future__ import annotations

import json
import os
import struct
from typing import IO, Any, Union

import numpy as np
import safetensors
import safetensors.numpy

from chainrule.ops.creation import from_numpy
from chainrule.tensor import Tensor

__all__ = ["SerializationError", "load", "save"]

FileLike = Union[str, "os.PathLike[str]", IO[bytes]]

TENSOR_KEY = "__tensor__"  # where a bare tensor passed to save() is stored
STRUCT_KEY = "chainrule"  # the __metadata__ entry holding the JSON structure
_FORMAT = 1


class SerializationError(RuntimeError):
    """A file that is not a valid chainrule/safetensors file (truncated, corrupted, ...)."""


def _name(f: Any) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    return str(getattr(f, "name", f))


# --- encoding: every node is a one-key dict tagging its kind -------------------------------


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.by_id: dict[int, str] = {}

    def key_for(self, path: str) -> str:
        key, i = path or TENSOR_KEY, 1
        while key in self.arrays:
            key, i = f"{path or TENSOR_KEY}.{i}", i + 1
        return key

    def encode(self, obj: Any, path: str) -> Any:
        if isinstance(obj, Tensor):
            key = self.by_id.get(id(obj))
            if key is None:  # a tensor referenced twice is stored once
                key = self.key_for(path)
                self.arrays[key] = np.asarray(obj.data, order="C")  # keeps 0-d arrays 0-d
                self.by_id[id(obj)] = key
            return {"T": key, "g": bool(obj.requires_grad)}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return {"V": obj}
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return {"V": obj.item()}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise TypeError(
                        f"chainrule.save: dict keys must be str or int, got {type(k).__name__}"
                    )
                items.append([k, self.encode(v, f"{path}.{k}" if path else str(k))])
            return {"D": items}
        if isinstance(obj, (list, tuple)):
            enc = [self.encode(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(obj)]
            return {"U" if isinstance(obj, tuple) else "L": enc}
        raise TypeError(
            f"chainrule.save: cannot save an object of type {type(obj).__name__}; supported are "
            "tensors and dicts/lists/tuples of tensors, numbers, strings and None"
        )


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise ValueError(f"malformed structure node {node!r}")
    if "T" in node:
        t = from_numpy(arrays[node["T"]])
        if node.get("g"):
            t.requires_grad_(True)
        return t
    ((tag, val),) = node.items()
    if tag == "V":
        return val
    if tag == "D":
        return {k: _decode(v, arrays) for k, v in val}
    if tag == "L":
        return [_decode(v, arrays) for v in val]
    if tag == "U":
        return tuple(_decode(v, arrays) for v in val)
    raise ValueError(f"unknown structure tag {tag!r}")


# --- public API -----------------------------------------------------------------------------


def save(obj: Any, f: FileLike) -> None:
    """Write a tensor or a (nested) dict/list of tensors and plain values to `f` as safetensors."""
    enc = _Encoder()
    structure = enc.encode(obj, "")
    meta = {"format": "pt", STRUCT_KEY: json.dumps({"version": _FORMAT, "root": structure})}
    data = safetensors.numpy.save(enc.arrays, metadata=meta)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


def _header_metadata(data: bytes, name: str) -> dict[str, str]:
    if len(data) < 8:
        raise SerializationError(
            f"chainrule.load: {name!r} is not a valid safetensors file (only {len(data)} bytes; "
            "truncated?)"
        )
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SerializationError(
            f"chainrule.load: {name!r} is truncated or corrupted (header of {n} bytes, file of "
            f"{len(data)} bytes)"
        )
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SerializationError(
            f"chainrule.load: {name!r} is corrupted (header is not valid JSON: {e})"
        ) from e
    if not isinstance(header, dict):
        raise SerializationError(f"chainrule.load: {name!r} is corrupted (header is not a dict)")
    meta = header.get("__metadata__") or {}
    return meta if isinstance(meta, dict) else {}


def load(f: FileLike, map_location: Any = None, weights_only: bool = True, **_: Any) -> Any:
    """Read what `save` wrote (or any safetensors file, as a dict of name -> Tensor).

    map_location is accepted for compatibility (everything lives on the CPU); weights_only is
    always effectively True: nothing is unpickled.
    """
    name = _name(f)
    if isinstance(f, (str, os.PathLike)):
        if not os.path.exists(f):
            raise FileNotFoundError(2, "No such file or directory", name)
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    meta = _header_metadata(data, name)
    try:
        arrays = safetensors.numpy.load(data)
    except (safetensors.SafetensorError, ValueError, TypeError) as e:
        raise SerializationError(f"chainrule.load: {name!r} is truncated or corrupted: {e}") from e
    arrays = {k: np.array(v, copy=True) for k, v in arrays.items()}  # writable, owned
    if STRUCT_KEY not in meta:
        return {k: from_numpy(v) for k, v in arrays.items()}
    try:
        doc = json.loads(meta[STRUCT_KEY])
        return _decode(doc["root"], arrays)
    except (ValueError, KeyError, TypeError) as e:
        raise SerializationError(
            f"chainrule.load: {name!r} has corrupted chainrule metadata: {e!r}"
        ) from e
