"""chainrule.nn.utils (gradient clipping, parameters <-> vector) vs torch.nn.utils, from
identical gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule.nn import utils

SHAPES = [(3, 4), (5,), (2, 3, 2)]


def _params(lib, dtype, seed=0, scale=1.0, none_at=None):
    """The same parameters and grads in lib (grads drawn by NumPy, so identical in both)."""
    rng = np.random.default_rng(seed)
    out = []
    for i, shape in enumerate(SHAPES):
        p = lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        g = (scale * rng.standard_normal(shape)).astype(dtype)
        if i != none_at:
            p.grad = lib.tensor(g)
        out.append(p)
    return out


def _grads(ps):
    return [
        None
        if p.grad is None
        else np.asarray(
            p.grad.detach().numpy()
            if hasattr(p.grad, "detach") and hasattr(p.grad, "numpy")
            else p.grad.data
        )
        for p in ps
    ]


def _close(a, b, dtype):
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(a, b, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("none_at", [None, 1])
def test_clip_grad_norm(torch, dtype, norm_type, max_norm, none_at):
    ours = _params(chainrule, dtype, none_at=none_at)
    theirs = _params(torch, dtype, none_at=none_at)
    n1 = utils.clip_grad_norm_(ours, max_norm, norm_type)
    n2 = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(n1, chainrule.Tensor) and n1.shape == () and str(n1.dtype)[-7:] == dtype
    _close(n1.item(), n2.item(), dtype)
    for a, b in zip(_grads(ours), _grads(theirs)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype
            _close(a, b, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_single_tensor_and_generator(torch, dtype):
    ours, theirs = _params(chainrule, dtype)[0], _params(torch, dtype)[0]
    _close(
        utils.clip_grad_norm_(ours, 0.1).item(),
        torch.nn.utils.clip_grad_norm_(theirs, 0.1).item(),
        dtype,
    )
    _close(_grads([ours])[0], _grads([theirs])[0], dtype)
    ours, theirs = _params(chainrule, dtype), _params(torch, dtype)
    _close(
        utils.clip_grad_norm_((p for p in ours), 0.1, foreach=True).item(),
        torch.nn.utils.clip_grad_norm_((p for p in theirs), 0.1, foreach=True).item(),
        dtype,
    )
    for a, b in zip(_grads(ours), _grads(theirs)):
        _close(a, b, dtype)


def test_clip_grad_norm_grads_modified_in_place(lib):
    p = lib.tensor([3.0, 4.0], requires_grad=True)
    p.grad = lib.tensor([3.0, 4.0])
    g = p.grad
    v = g._version
    lib.nn.utils.clip_grad_norm_([p], 1.0)
    assert p.grad is g and g._version > v


def test_clip_grad_norm_empty(lib):
    n = lib.nn.utils.clip_grad_norm_([], 1.0)
    assert n.item() == 0.0 and n.dtype == lib.float32
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert lib.nn.utils.clip_grad_norm_([lib.zeros(2, requires_grad=True)], 1.0).item() == 0.0


@pytest.mark.parametrize("bad", [math.inf, math.nan])
@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_clip_grad_norm_nonfinite(lib, torch, bad, norm_type):
    def make(m):
        p = m.zeros(3, requires_grad=True)
        p.grad = m.tensor([1.0, bad, 2.0])
        return p

    with pytest.raises(RuntimeError) as err:
        lib.nn.utils.clip_grad_norm_([make(lib)], 1.0, norm_type, error_if_nonfinite=True)
    assert (
        f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
        "non-finite, so it cannot be clipped" in str(err.value)
    )
    ours, theirs = make(chainrule), make(torch)
    n1 = utils.clip_grad_norm_([ours], 1.0, norm_type)
    n2 = torch.nn.utils.clip_grad_norm_([theirs], 1.0, norm_type)
    np.testing.assert_array_equal(n1.item(), n2.item())
    np.testing.assert_array_equal(_grads([ours])[0], _grads([theirs])[0])


def test_clip_grad_norm_mixed_dtypes(torch):
    ours = [
        chainrule.ones(2, requires_grad=True),
        chainrule.ones(2, dtype=chainrule.float64, requires_grad=True),
    ]
    theirs = [
        torch.ones(2, requires_grad=True),
        torch.ones(2, dtype=torch.float64, requires_grad=True),
    ]
    for p in ours + theirs:
        p.grad = p.detach() * 2
    n1 = utils.clip_grad_norm_(ours, 1.0)
    n2 = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert str(n1.dtype)[-7:] == str(n2.dtype)[-7:]
    _close(n1.item(), n2.item(), "float32")
    for a, b in zip(_grads(ours), _grads(theirs)):
        assert a.dtype == b.dtype
        _close(a, b, "float32")


def test_clip_grad_norm_deprecated(lib):
    p = lib.ones(2, requires_grad=True)
    p.grad = lib.ones(2)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        lib.nn.utils.clip_grad_norm([p], 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_get_total_norm_and_clip_with_norm(torch, dtype):
    ours, theirs = _params(chainrule, dtype), _params(torch, dtype)
    n1 = utils.get_total_norm([p.grad for p in ours], 3.0)
    n2 = torch.nn.utils.get_total_norm([p.grad for p in theirs], 3.0)
    _close(n1.item(), n2.item(), dtype)
    utils.clip_grads_with_norm_(ours, 0.3, n1)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, n2)
    for a, b in zip(_grads(ours), _grads(theirs)):
        _close(a, b, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("clip", [0.5, 2, 0.0])
def test_clip_grad_value(torch, dtype, clip):
    ours = _params(chainrule, dtype, scale=2.0, none_at=0)
    theirs = _params(torch, dtype, scale=2.0, none_at=0)
    assert utils.clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(theirs, clip)
    for a, b in zip(_grads(ours), _grads(theirs)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    one, two = _params(chainrule, dtype, scale=2.0)[1], _params(torch, dtype, scale=2.0)[1]
    utils.clip_grad_value_(one, clip)
    torch.nn.utils.clip_grad_value_(two, clip, foreach=True)
    np.testing.assert_array_equal(_grads([one])[0], _grads([two])[0])


def test_parameters_to_vector_roundtrip(torch):
    ours, theirs = _params(chainrule, "float64"), _params(torch, "float64")
    v1 = utils.parameters_to_vector(ours)
    v2 = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(v1.detach().numpy(), v2.detach().numpy())
    assert type(v1.grad_fn).__name__ == type(v2.grad_fn).__name__
    # differentiable: each parameter's gradient is its slice of the upstream gradient
    w = np.arange(v2.numel(), dtype=np.float64)
    (v1 * chainrule.tensor(w)).sum().backward()
    (v2 * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    new = np.linspace(-1, 1, v2.numel())
    utils.vector_to_parameters(chainrule.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape) and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_vector_to_parameters_shares_memory(lib):
    p = lib.zeros(2, 2, requires_grad=True)
    vec = lib.arange(4.0)
    lib.nn.utils.vector_to_parameters(vec, [p])
    vec[0] = 10.0
    assert p[0, 0].item() == 10.0


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.zeros(2), 3.0])
def test_vector_to_parameters_type_error(lib, torch, bad):
    expected = torch.typename(bad)
    with pytest.raises(TypeError, match=f"^expected torch.Tensor, but got: {expected}$"):
        lib.nn.utils.vector_to_parameters(bad, [lib.zeros(2)])


def test_names(torch):
    for name in utils.__all__:
        assert hasattr(torch.nn.utils, name)
