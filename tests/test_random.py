"""Sampling (normal bernoulli multinomial poisson, the in-place fills): shapes, dtypes, errors
and zero gradients as torch's (run on both libraries), and the distributions statistically."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

N = 20000


def _z(mean: float, expected: float, sd: float, n: int = N) -> float:
    return abs(mean - expected) / (sd / np.sqrt(n))


def test_normal_forms_shapes_and_dtypes(lib):
    assert lib.normal(lib.zeros(2, 1), lib.ones(3)).shape == (2, 3)
    assert lib.normal(lib.zeros(4, dtype=lib.float64), 2.0).dtype == lib.float64
    assert lib.normal(0.0, lib.ones(3)).shape == (3,)
    assert lib.normal(1.0, 2.0, size=(2, 5)).shape == (2, 5)
    assert lib.normal(1.0, 2.0, (3,), dtype=lib.float64).dtype == lib.float64


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.normal(lib.zeros(2), -1.0),
        lambda lib: lib.bernoulli(lib.tensor([1.5])),
        lambda lib: lib.multinomial(lib.tensor([0.1, 0.9]), 3),
        lambda lib: lib.multinomial(lib.tensor([-1.0, 2.0]), 1),
        lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1),
        lambda lib: lib.empty(3).uniform_(2.0, 1.0),
        lambda lib: lib.empty(3).exponential_(-1.0),
        lambda lib: lib.zeros(3, requires_grad=True).normal_(),
    ],
)
def test_bad_arguments_raise_runtime_error(lib, call):
    with pytest.raises(RuntimeError):
        call(lib)


@pytest.mark.parametrize(
    "sample,params",
    [
        (lambda lib, x: lib.normal(x, 1.0), 1),
        (lambda lib, x: lib.normal(0.5, x.abs() + 1), 1),
        (lambda lib, x: lib.normal(x, x.abs() + 1), 1),
        (lambda lib, x: lib.bernoulli(x.sigmoid()), 1),
        (lambda lib, x: (lib.zeros(4) + x).normal_(), 1),
    ],
)
def test_samples_are_differentiable_with_zero_gradient(lib, sample, params):
    x = lib.tensor([0.2, -0.3, 0.1, 0.9], requires_grad=True)
    y = sample(lib, x)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def _fns(lib):
    x = lib.zeros(3, requires_grad=True)
    return [
        lib.normal(x, 1.0).grad_fn,
        lib.normal(1.0, x + 1).grad_fn,
        lib.normal(x, x + 1).grad_fn,
        lib.bernoulli(x.sigmoid()).grad_fn,
    ]


def test_grad_fn_names_match_torch(torch):
    assert [f.name() for f in _fns(cr)] == [f.name() for f in _fns(torch)]


def test_multinomial_dtype_shape_and_no_grad(lib):
    p = lib.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], requires_grad=True)
    m = lib.multinomial(p, 2)
    assert m.dtype == lib.int64 and m.shape == (2, 2) and not m.requires_grad
    assert lib.multinomial(p[0], 7, replacement=True).shape == (7,)
    rows = m.tolist()
    assert all(len(set(r)) == 2 for r in rows)  # without replacement: distinct
    assert 2 not in rows[1]  # a zero-weight category is never drawn first or second


def test_multinomial_frequencies():
    cr.manual_seed(0)
    w = cr.tensor([1.0, 2.0, 5.0])  # unnormalised
    draws = cr.multinomial(w, N, replacement=True).numpy()
    freq = np.bincount(draws, minlength=3) / N
    p = np.array([1, 2, 5]) / 8
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / N))
    # without replacement, the first pick follows the weights
    firsts = np.array([cr.multinomial(w, 2)[0].item() for _ in range(3000)])
    freq1 = np.bincount(firsts, minlength=3) / 3000
    assert np.all(np.abs(freq1 - p) < 5 * np.sqrt(p * (1 - p) / 3000))


def test_sample_statistics():
    cr.manual_seed(1)
    x = cr.normal(cr.full((N,), 2.0), 3.0).numpy()
    assert _z(x.mean(), 2.0, 3.0) < 5 and abs(x.std() / 3.0 - 1) < 0.03
    b = cr.bernoulli(cr.full((N,), 0.3)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and _z(b.mean(), 0.3, np.sqrt(0.21)) < 5
    u = cr.empty(N).uniform_(-1.0, 3.0).numpy()
    assert u.min() >= -1 and u.max() < 3 and _z(u.mean(), 1.0, 4 / np.sqrt(12)) < 5
    e = cr.empty(N).exponential_(2.0).numpy()
    assert e.min() >= 0 and _z(e.mean(), 0.5, 0.5) < 5
    r = cr.zeros(N, dtype=cr.int64).random_(0, 5).numpy()
    assert set(np.unique(r)) == {0, 1, 2, 3, 4}
    p = cr.poisson(cr.full((N,), 4.0)).numpy()
    assert _z(p.mean(), 4.0, 2.0) < 5


def test_seeded_samples_repeat():
    draws = []
    for _ in range(2):
        cr.manual_seed(7)
        draws.append((cr.normal(0.0, 1.0, (5,)).tolist(), cr.multinomial(cr.ones(4), 2).tolist()))
    assert draws[0] == draws[1]
    g = cr.Generator().manual_seed(3)
    a = cr.empty(4).normal_(generator=g).tolist()
    g.manual_seed(3)
    assert cr.empty(4).normal_(generator=g).tolist() == a


def test_rand_like_and_randn_like(lib):
    x = lib.zeros(2, 3, dtype=lib.float64)
    for fn in (lib.rand_like, lib.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == lib.float64 and not y.requires_grad
        assert fn(x, dtype=lib.float32).dtype == lib.float32
        assert fn(x, requires_grad=True).requires_grad
    u = lib.rand_like(lib.zeros(1000))
    assert 0 <= u.min().item() and u.max().item() < 1
