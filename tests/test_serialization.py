"""chainrule.save / load: safetensors files, readable by and from safetensors.torch."""

from __future__ import annotations

import io
import json
import pathlib

import numpy as np
import pytest

import chainrule
from chainrule.nn.modules.linear import Linear  # not yet re-exported as chainrule.nn.Linear
from chainrule.serialization import TENSOR_KEY, SerializationError, load, save

st_torch = pytest.importorskip("safetensors.torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _eq(a, b):
    """Structural equality where tensors (either library) compare by dtype, shape and values."""
    if hasattr(a, "detach") and hasattr(b, "detach"):
        return str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1] and np.array_equal(
            a.detach().numpy(), b.detach().numpy()
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_eq(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _sample(lib, dtype):
    return (lib.arange(12) % 5).reshape(3, 4).to(getattr(lib, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_roundtrip_tensor_dtypes(tmp_path, dtype):
    x = _sample(chainrule, dtype)
    save(x, tmp_path / "x.st")
    y = load(tmp_path / "x.st")
    assert isinstance(y, chainrule.Tensor) and _eq(x, y)


def test_roundtrip_nested_structure(tmp_path):
    x = chainrule.randn(2, 3, requires_grad=True)
    obj = {
        "w": x,
        "scalar": chainrule.tensor(3.5, dtype=chainrule.float64),
        "empty": chainrule.zeros(0, 4),
        "nested": {"a": chainrule.arange(3), "b": [1, 2.5, "s", None, True], "t": (1, x)},
        "meta": {"epoch": 7, "lr": 1e-3, "name": "run"},
    }
    for f in (str(tmp_path / "a.st"), tmp_path / "b.st"):
        save(obj, f)
        got = load(f)
        assert _eq(got, obj)
        assert got["w"].requires_grad and not got["nested"]["a"].requires_grad
        got["nested"]["a"][0] = 5  # loaded tensors own writable memory


def test_file_objects():
    buf = io.BytesIO()
    save({"a": chainrule.ones(2)}, buf)
    buf.seek(0)
    assert _eq(load(buf), {"a": chainrule.ones(2)})


def test_module_and_optimizer_state_dict(tmp_path):
    chainrule.manual_seed(0)
    model = chainrule.nn.Sequential(Linear(3, 4), Linear(4, 2))
    opt = chainrule.optim.Adam(model.parameters(), lr=1e-2)
    model(chainrule.randn(5, 3)).sum().backward()
    opt.step()
    save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "ckpt.st")
    ck = load(tmp_path / "ckpt.st")
    assert _eq(ck["model"], dict(model.state_dict()))
    assert _eq(ck["opt"], opt.state_dict())
    fresh = chainrule.nn.Sequential(Linear(3, 4), Linear(4, 2))
    fresh.load_state_dict(ck["model"])
    assert _eq(dict(fresh.state_dict()), dict(model.state_dict()))


@pytest.mark.parametrize("dtype", DTYPES)
def test_chainrule_file_loads_in_torch(torch, tmp_path, dtype):
    sd = {"layer.weight": _sample(chainrule, dtype), "layer.bias": chainrule.zeros(0)}
    save(sd, tmp_path / "sd.st")
    got = st_torch.load_file(str(tmp_path / "sd.st"))
    assert _eq(got, sd)
    save(sd["layer.weight"], tmp_path / "one.st")
    assert _eq(st_torch.load_file(str(tmp_path / "one.st")), {TENSOR_KEY: sd["layer.weight"]})


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_file_loads_in_chainrule(torch, tmp_path, dtype):
    sd = {"a.weight": _sample(torch, dtype), "b": torch.tensor(2.0, dtype=torch.float64)}
    st_torch.save_file(sd, str(tmp_path / "t.st"), metadata={"format": "pt"})
    got = load(tmp_path / "t.st")
    assert _eq(got, sd)
    assert all(isinstance(v, chainrule.Tensor) for v in got.values())


def test_nested_keys_flattened_for_torch(torch, tmp_path):
    save({"state": {0: {"step": chainrule.tensor(1.0)}}, "x": [chainrule.ones(1)]}, tmp_path / "n")
    assert sorted(st_torch.load_file(str(tmp_path / "n"))) == ["state.0.step", "x.0"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.st"):
        load(tmp_path / "nope.st")


@pytest.mark.parametrize("cut", [0, 5, 8, 20, -3])
def test_truncated_file(tmp_path, cut):
    save({"a": chainrule.arange(100.0)}, tmp_path / "ok.st")
    data = (tmp_path / "ok.st").read_bytes()
    (tmp_path / "bad.st").write_bytes(data[:cut])
    with pytest.raises(SerializationError, match="bad.st") as e:
        load(tmp_path / "bad.st")
    assert isinstance(e.value, RuntimeError)


def test_corrupted_files(tmp_path):
    bad = tmp_path / "bad.st"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(SerializationError, match="bad.st"):
        load(bad)
    header = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 99]}}).encode()
    bad.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 16)
    with pytest.raises(SerializationError, match="bad.st"):
        load(bad)
    meta = {"__metadata__": {"chainrule": '{"root": {"Z": 1}}'}}
    header = json.dumps(meta).encode()
    bad.write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(SerializationError, match="bad.st"):
        load(bad)


def test_unsupported_objects_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        save({"a": object()}, tmp_path / "x")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        save({(1, 2): chainrule.ones(1)}, tmp_path / "x")


def test_accepts_pathlike_and_str(tmp_path):
    p = pathlib.Path(tmp_path) / "p.st"
    save([chainrule.ones(2), 3], str(p))
    assert _eq(load(p), [chainrule.ones(2), 3])
