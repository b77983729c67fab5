"""chainrule.nondiff smooth approximations and Gumbel/concrete relaxations: against torch where
torch has the same function, convergence to the hard function as temperature -> 0, gradcheck
in float64, and torch's F.gumbel_softmax / RelaxedBernoulli given the same noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import nondiff as nd
from chainrule.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional

rng = np.random.default_rng(0)
X = rng.uniform(-3, 3, (4, 7))
X[0, :3] = [0.0, 1e-3, -1e-3]  # the kinks


def _pair(arr: np.ndarray):
    return chainrule.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def _hard(name: str, x: np.ndarray) -> np.ndarray:
    return {
        "soft_relu": lambda: np.maximum(x, 0),
        "soft_abs": lambda: np.abs(x),
        "soft_sign": lambda: np.sign(x),
        "soft_max": lambda: x.max(-1),
        "soft_min": lambda: x.min(-1),
        "soft_argmax": lambda: x.argmax(-1).astype(float),
        "soft_clamp": lambda: np.clip(x, -1, 1.5),
        "soft_round": lambda: np.round(x),
    }[name]()


def _soft(name: str):
    if name == "soft_clamp":
        return lambda x, t: nd.soft_clamp(x, t, min=-1, max=1.5)
    return getattr(nd, name)


NAMES = [
    "soft_relu",
    "soft_abs",
    "soft_sign",
    "soft_max",
    "soft_min",
    "soft_argmax",
    "soft_clamp",
    "soft_round",
]


@pytest.mark.parametrize("name", NAMES)
def test_tends_to_the_hard_function(name):
    # away from the points where the hard function jumps (sign at 0, round at half-integers)
    x = rng.uniform(-3, 3, (5, 9))
    x = np.where(np.abs(x - np.round(x)) > 0.45, x + 0.1, x)
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    errors = [
        np.abs(_np(_soft(name)(chainrule.tensor(x), t)) - _hard(name, x)).max()
        for t in (1.0, 0.1, 0.01, 0.001)
    ]
    assert all(b < a for a, b in zip(errors, errors[1:])) or errors[-1] == 0, errors
    assert errors[-1] < 0.01, errors


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_float64(name):
    # soft_round is C1 only: its second derivative jumps at the integers (X[0, 0] = 0)
    x = chainrule.tensor(X + 0.05 if name == "soft_round" else X, requires_grad=True)
    f = _soft(name)
    assert gradcheck(lambda t: f(t, 0.7), (x,))
    assert gradgradcheck(lambda t: f(t, 0.7), (x,))


def test_soft_relu_is_torch_softplus():
    x, xt = _pair(X * 10)
    for t in (1.0, 0.25):
        y, yt = nd.soft_relu(x, t), F.softplus(xt, beta=1 / t)
        np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-14)
        (g,) = chainrule.autograd.grad(y.sum(), x)
        (gt,) = torch.autograd.grad(yt.sum(), xt)
        np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-14)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_soft_max_min_are_torch_logsumexp(dim, keepdim):
    x, xt = _pair(X)
    t = 0.3
    for ours, theirs in (
        (nd.soft_max(x, t, dim, keepdim), t * torch.logsumexp(xt / t, dim, keepdim)),
        (nd.soft_min(x, t, dim, keepdim), -t * torch.logsumexp(-xt / t, dim, keepdim)),
    ):
        np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-14)
        w = rng.normal(size=tuple(theirs.shape))
        (g,) = chainrule.autograd.grad((ours * chainrule.tensor(w)).sum(), x)
        (gt,) = torch.autograd.grad((theirs * torch.tensor(w)).sum(), xt)
        np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dim", [0, -1])
def test_soft_argmax_is_the_expected_index(dim):
    x, xt = _pair(X)
    t = 0.5
    p = torch.softmax(xt / t, dim)
    shape = [1, 1]
    shape[dim] = X.shape[dim]
    expected = (p * torch.arange(X.shape[dim], dtype=torch.float64).reshape(shape)).sum(dim)
    np.testing.assert_allclose(_np(nd.soft_argmax(x, t, dim)), _np(expected), rtol=1e-13)
    # ties: the mean of the tied indices
    tie = chainrule.tensor([[3.0, 1.0, 3.0, 0.0]])
    np.testing.assert_allclose(_np(nd.soft_argmax(tie, 1e-3)), [1.0])


def test_soft_formulas_match_numpy():
    x = chainrule.tensor(X)
    t = 0.4
    np.testing.assert_allclose(_np(nd.soft_abs(x, t)), np.sqrt(X**2 + t**2) - t, rtol=1e-13)
    np.testing.assert_allclose(_np(nd.soft_sign(x, t)), np.tanh(X / t), rtol=1e-13)
    m = np.floor(X)
    r = X - m - 0.5
    expected = m + 0.5 + np.tanh(r / t) / (2 * np.tanh(0.5 / t))
    np.testing.assert_allclose(_np(nd.soft_round(x, t)), expected, rtol=1e-13, atol=1e-15)
    # soft_round is exact at the integers and the identity at high temperature
    ints = np.arange(-3.0, 4.0)
    np.testing.assert_allclose(_np(nd.soft_round(chainrule.tensor(ints), t)), ints, atol=1e-14)
    np.testing.assert_allclose(_np(nd.soft_round(x, 1e4)), X, atol=1e-6)
    assert float(nd.soft_abs(chainrule.tensor(0.0), t)) == 0.0


def test_soft_clamp_one_sided_and_errors():
    x = chainrule.tensor(X)
    np.testing.assert_allclose(
        _np(nd.soft_clamp(x, 0.5, min=-1.0)), -1 + 0.5 * np.logaddexp(0, (X + 1) / 0.5)
    )
    np.testing.assert_allclose(
        _np(nd.soft_clamp(x, 0.5, max=1.0)), 1 - 0.5 * np.logaddexp(0, (1 - X) / 0.5)
    )
    np.testing.assert_array_equal(_np(nd.soft_clamp(x, 0.5)), X)
    with pytest.raises(ValueError, match="min"):
        nd.soft_clamp(x, min=2.0, max=1.0)
    for f in (nd.soft_relu, nd.soft_abs, nd.soft_max, nd.soft_round):
        with pytest.raises(ValueError, match="temperature must be positive"):
            f(x, 0.0)


# --- Gumbel-softmax and binary concrete --------------------------------------------------


def _torch_gumbels(logits, seed: int):
    """The noise torch's F.gumbel_softmax draws after manual_seed(seed)."""
    torch.manual_seed(seed)
    return -torch.empty_like(logits).exponential_().log()


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau, dim", [(1.0, -1), (0.3, 0)])
def test_gumbel_softmax_matches_torch_given_its_noise(hard, tau, dim):
    logits = rng.normal(size=(5, 6))
    x, xt = _pair(logits)
    g = _torch_gumbels(xt, 3)
    torch.manual_seed(3)
    yt = F.gumbel_softmax(xt, tau=tau, hard=hard, dim=dim)
    y = nd.gumbel_softmax(x, tau, hard, dim=dim, noise=chainrule.tensor(g.numpy()))
    np.testing.assert_allclose(_np(y), _np(yt), rtol=1e-13, atol=1e-15)
    w = rng.normal(size=logits.shape)
    (gx,) = chainrule.autograd.grad((y * chainrule.tensor(w)).sum(), x)
    (gxt,) = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt)
    np.testing.assert_allclose(gx.numpy(), gxt.numpy(), rtol=1e-12, atol=1e-14)
    if hard:  # exact one-hots, and the soft sample's gradient (straight through)
        assert set(np.unique(_np(y))) <= {0.0, 1.0}
        np.testing.assert_array_equal(_np(y).sum(dim), 1.0)
        soft = nd.gumbel_softmax(x, tau, dim=dim, noise=chainrule.tensor(g.numpy()))
        (gs,) = chainrule.autograd.grad((soft * chainrule.tensor(w)).sum(), x)
        np.testing.assert_array_equal(gx.numpy(), gs.numpy())


def test_gumbel_softmax_generator_and_sampling_frequencies():
    logits = chainrule.tensor([[0.0, 1.0, -1.0, 2.0]], dtype=chainrule.float64)
    a = nd.gumbel_softmax(logits, 0.5, generator=chainrule.Generator().manual_seed(7))
    b = nd.gumbel_softmax(logits, 0.5, generator=chainrule.Generator().manual_seed(7))
    np.testing.assert_array_equal(_np(a), _np(b))
    chainrule.manual_seed(1)
    big = logits.expand(20000, 4)
    counts = _np(nd.gumbel_softmax(big, 1.0, hard=True)).mean(0)
    probs = np.exp([0.0, 1.0, -1.0, 2.0]) / np.exp([0.0, 1.0, -1.0, 2.0]).sum()
    np.testing.assert_allclose(counts, probs, atol=0.015)  # argmax of logits + Gumbel ~ softmax
    with pytest.raises(RuntimeError, match="does not match logits"):
        nd.gumbel_softmax(logits, noise=chainrule.zeros(3))
    with pytest.warns(UserWarning, match="eps"):
        nd.gumbel_softmax(logits, eps=1e-3)


@pytest.mark.parametrize("hard", [False, True])
def test_relaxed_bernoulli_matches_torch_rsample(hard):
    logits = rng.normal(size=(3, 4))
    x, xt = _pair(logits)
    tau = 0.6
    torch.manual_seed(5)
    yt = torch.distributions.RelaxedBernoulli(
        torch.tensor(tau, dtype=torch.float64), logits=xt
    ).rsample()
    torch.manual_seed(5)
    eps = torch.finfo(torch.float64).eps
    u = torch.rand(logits.shape, dtype=torch.float64).clamp(eps, 1 - eps)
    noise = chainrule.tensor((u.log() - (-u).log1p()).numpy())
    y = nd.relaxed_bernoulli(x, tau, hard, noise=noise)
    w = rng.normal(size=logits.shape)
    (gt,) = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt)
    (g,) = chainrule.autograd.grad((y * chainrule.tensor(w)).sum(), x)
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-11)
    expected = (_np(yt) > 0.5).astype(float) if hard else _np(yt)
    np.testing.assert_allclose(_np(y), expected, rtol=1e-12)


def test_relaxed_bernoulli_frequency():
    chainrule.manual_seed(2)
    logits = chainrule.full((40000,), 0.7, dtype=chainrule.float64)
    frac = _np(nd.relaxed_bernoulli(logits, 0.5, hard=True)).mean()
    assert abs(frac - 1 / (1 + math.exp(-0.7))) < 0.01
