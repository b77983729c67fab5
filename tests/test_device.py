"""torch.device, torch.cuda, torch.backends, default dtype and thread count: what chainrule
(NumPy on the CPU) answers, run against torch's CPU build where the answer is the same."""

from __future__ import annotations

import pytest

import chainrule as cr


def test_device_objects_as_torch(torch):
    for spec in ("cpu", "cuda:1", ("cuda", 0), "meta"):
        ours = cr.device(*spec) if isinstance(spec, tuple) else cr.device(spec)
        theirs = torch.device(*spec) if isinstance(spec, tuple) else torch.device(spec)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert cr.device("cpu") == cr.device(cr.device("cpu")) and cr.device("cpu") != "cpu"
    assert len({cr.device("cpu"), cr.device("cpu")}) == 1


@pytest.mark.parametrize("bad", ["foo", "cuda:x", "cpu:-1"])
def test_bad_device_strings_raise(lib, bad):
    with pytest.raises(RuntimeError):
        lib.device(bad)


def test_tensors_live_on_the_cpu(lib):
    t = lib.zeros(2)
    assert t.device == lib.device("cpu") and t.device.type == "cpu" and t.get_device() == -1
    assert not t.is_cuda
    dev = lib.device("cuda" if lib.cuda.is_available() else "cpu")
    assert lib.zeros(2, device=dev).to(dev).device.type == "cpu"
    assert lib.tensor([1.0], device="cpu").device == t.device
    assert lib.nn.Linear(2, 2).to(dev).weight.device == t.device


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(1).cuda(),
        lambda lib: lib.zeros(1).to("cuda"),
        lambda lib: lib.zeros(1, device="cuda"),
        lambda lib: lib.tensor([1.0], device=lib.device("cuda", 0)),
        lambda lib: lib.nn.Linear(1, 1).to("cuda"),
        lambda lib: lib.nn.Linear(1, 1).cuda(),
    ],
)
def test_cuda_fails_as_on_a_cpu_build(lib, call):
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        call(lib)


def test_other_devices_raise_runtime_error(lib):
    with pytest.raises(RuntimeError):
        lib.zeros(1).to("mps")


def test_cuda_and_backends_report_nothing_available(lib):
    assert lib.cuda.is_available() is False and lib.cuda.device_count() == 0
    lib.cuda.manual_seed_all(0)
    assert lib.backends.mps.is_available() is False
    lib.backends.cudnn.deterministic = True
    lib.backends.cudnn.benchmark = False


def test_default_dtype(lib):
    assert lib.get_default_dtype() == lib.float32
    lib.set_default_dtype(lib.float64)
    try:
        assert lib.get_default_dtype() == lib.float64
        assert lib.tensor([1.0]).dtype == lib.float64 and lib.zeros(2).dtype == lib.float64
        assert lib.nn.Linear(2, 2).weight.dtype == lib.float64
        assert (lib.tensor([1, 2]) * 1.5).dtype == lib.float64
        assert repr(lib.tensor([1.0, 2.0])) == "tensor([1., 2.])"
        assert "dtype=" in repr(lib.tensor([1.0], dtype=lib.float32))
    finally:
        lib.set_default_dtype(lib.float32)
    assert lib.tensor([1.0]).dtype == lib.float32
    with pytest.raises(TypeError, match="only floating-point types"):
        lib.set_default_dtype(lib.int64)


def test_num_threads():
    before = cr.get_num_threads()
    assert before >= 1
    cr.set_num_threads(1)
    try:
        assert cr.get_num_threads() == 1
    finally:
        cr.set_num_threads(before)
    with pytest.raises(RuntimeError, match="positive integer"):
        cr.set_num_threads(0)
