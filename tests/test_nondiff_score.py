"""chainrule.nondiff score-function estimators and estimator diagnostics.

reinforce_loss is checked against the score-function formula written out in NumPy and against
the same formula run in torch from the same samples; the DiCE form's first and second
derivatives against the exact ones of an enumerable expectation. The diagnostics are checked
statistically from fixed seeds: REINFORCE unbiased, a baseline shrinking its variance, the
Gumbel-softmax bias shrinking with tau while its variance grows, a biased estimator flagged.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import nondiff as nd

torch = pytest.importorskip("torch")

LOGITS = np.array([0.3, -0.2, 0.9, 0.0])
SAMPLES = np.array([2, 0, 2, 3, 1, 2])
REWARDS = np.array([1.0, -0.5, 2.0, 0.25, 0.0, 1.5])


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _policy(lib, logits=LOGITS, samples=SAMPLES):
    """(logits leaf, log_prob of the fixed samples) in lib (chainrule or torch)."""
    theta = lib.tensor(logits, requires_grad=True)
    log_prob = lib.log_softmax(theta, -1)[lib.tensor(samples)]
    return theta, log_prob


def _grad(lib, out, x):
    (g,) = lib.autograd.grad(out, x)
    return g.detach().numpy()


# ---------------------------------------------------------------------------- magic_box


def test_magic_box_is_one_forward_with_derivative_of_its_argument():
    x = chainrule.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x**2).sum()
    mb = nd.magic_box(y)
    assert mb.item() == 1.0
    (g,) = chainrule.autograd.grad(mb, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy())
    # second derivative: d/dx (mb * 2x) = mb * (2x)(2x)^T + mb * 2I
    (h0,) = chainrule.autograd.grad(g[0], x)
    xv = x.detach().numpy()
    np.testing.assert_allclose(h0.numpy(), 4 * xv[0] * xv + np.array([2.0, 0, 0]))


# ---------------------------------------------------------------------------- reinforce_loss


@pytest.mark.parametrize("baseline", [None, 0.7])
@pytest.mark.parametrize("form", ["plain", "dice"])
def test_reinforce_gradient_is_the_score_function_formula(baseline, form):
    theta, lp = _policy(chainrule)
    loss = nd.reinforce_loss(lp, chainrule.tensor(REWARDS), baseline, form=form)
    b = 0.0 if baseline is None else baseline
    score = np.eye(4)[SAMPLES] - _softmax(LOGITS)  # d log softmax(theta)[z] / d theta
    expected = -((REWARDS - b)[:, None] * score).mean(0)
    np.testing.assert_allclose(_grad(chainrule, loss, theta), expected, rtol=1e-12, atol=1e-14)


def _torch_formula(lp, reward, baseline, form, reduction):
    """The documented loss written directly in torch."""
    b = baseline.detach() if isinstance(baseline, torch.Tensor) else (baseline or 0.0)
    adv = reward.detach() - b
    if form == "plain":
        terms = -(adv * lp)
    else:
        terms = -(torch.exp(lp - lp.detach()) * adv)
    loss = {"mean": terms.mean, "sum": terms.sum, "none": lambda: terms}[reduction]()
    if isinstance(baseline, torch.Tensor) and baseline.requires_grad:
        sq = (baseline - reward.detach()) ** 2
        loss = loss + {"mean": sq.mean, "sum": sq.sum, "none": lambda: sq}[reduction]()
    return loss


@pytest.mark.parametrize(
    "form,reduction,baseline",
    list(itertools.product(["plain", "dice"], ["mean", "sum", "none"], [None, -0.3, "tensor"])),
)
def test_reinforce_matches_the_same_formula_in_torch(form, reduction, baseline):
    outs = {}
    for lib in (chainrule, torch):
        theta, lp = _policy(lib)
        w = lib.tensor([0.5, -0.25], requires_grad=True)
        b = baseline
        if baseline == "tensor":  # a learned value estimate b(x) = w0 + w1 * x
            b = w[0] + w[1] * lib.tensor(REWARDS[::-1].copy())
        reward = lib.tensor(REWARDS)
        if lib is chainrule:
            loss = nd.reinforce_loss(lp, reward, b, form=form, reduction=reduction)
        else:
            loss = _torch_formula(lp, reward, b, form, reduction)
        seed = lib.tensor(np.linspace(0.5, 1.5, len(SAMPLES))) if reduction == "none" else None
        loss.backward(seed)
        w_grad = None if w.grad is None else w.grad.numpy()
        outs[lib.__name__] = (loss.detach().numpy(), theta.grad.numpy(), w_grad)
    (l1, g1, w1), (l2, g2, w2) = outs.values()
    np.testing.assert_allclose(l1, l2, rtol=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15)
    assert (w1 is None) == (w2 is None)
    if w1 is not None:
        np.testing.assert_allclose(w1, w2, rtol=1e-12)


def test_learned_baseline_is_detached_in_the_policy_term():
    r = chainrule.tensor(REWARDS)
    theta, lp = _policy(chainrule)
    w = chainrule.tensor(0.4, dtype=chainrule.float64, requires_grad=True)
    values = w * chainrule.ones(len(SAMPLES), dtype=chainrule.float64)
    loss = nd.reinforce_loss(lp, r, values, value_coef=0.5)
    g_theta, g_w = chainrule.autograd.grad(loss, [theta, w])
    # only the regression term reaches w: d/dw 0.5 * mean((w - r)^2) = mean(w - r)
    np.testing.assert_allclose(g_w.numpy(), np.mean(0.4 - REWARDS), rtol=1e-12)
    # and the policy term sees the values as a constant baseline
    theta_c, lp_c = _policy(chainrule)
    expected = _grad(chainrule, nd.reinforce_loss(lp_c, r, 0.4), theta_c)
    np.testing.assert_allclose(g_theta.numpy(), expected, rtol=1e-12)
    theta, lp = _policy(chainrule)
    no_value = nd.reinforce_loss(lp, r, w * 1.0, value_coef=0.0)
    assert chainrule.autograd.grad(no_value, [theta, w], allow_unused=True)[1] is None


def test_reward_is_always_detached():
    theta, lp = _policy(chainrule)
    reward = theta[:1].exp().expand(len(SAMPLES)) * chainrule.tensor(REWARDS)
    loss = nd.reinforce_loss(lp, reward)
    r = reward.detach().numpy()
    score = np.eye(4)[SAMPLES] - _softmax(LOGITS)
    np.testing.assert_allclose(_grad(chainrule, loss, theta), -(r[:, None] * score).mean(0))


def test_moving_average_baseline_is_read_before_its_update():
    mab = nd.MovingAverageBaseline(decay=0.5)
    assert mab() == 0.0 and mab.value is None
    theta, lp = _policy(chainrule)
    loss = nd.reinforce_loss(lp, chainrule.tensor(REWARDS), mab)
    score = np.eye(4)[SAMPLES] - _softmax(LOGITS)
    # first call: baseline 0 (nothing seen yet), then it becomes the batch mean
    np.testing.assert_allclose(_grad(chainrule, loss, theta), -(REWARDS[:, None] * score).mean(0))
    assert mab.value == pytest.approx(REWARDS.mean())
    theta, lp = _policy(chainrule)
    loss = nd.reinforce_loss(lp, chainrule.tensor(2 * REWARDS), mab)
    b = REWARDS.mean()
    expected = -((2 * REWARDS - b)[:, None] * score).mean(0)
    np.testing.assert_allclose(_grad(chainrule, loss, theta), expected, rtol=1e-12)
    assert mab.value == pytest.approx(0.5 * b + 0.5 * 2 * b)


def test_reinforce_rejects_bad_arguments():
    _, lp = _policy(chainrule)
    r = chainrule.tensor(REWARDS)
    with pytest.raises(ValueError, match="form"):
        nd.reinforce_loss(lp, r, form="magic")
    with pytest.raises(ValueError, match="elementwise is not a valid value for reduction"):
        nd.reinforce_loss(lp, r, reduction="elementwise")
    with pytest.raises(TypeError, match="baseline must be"):
        nd.reinforce_loss(lp, r, baseline="mean")
    with pytest.raises(ValueError, match="decay"):
        nd.MovingAverageBaseline(decay=1.0)


# ---------------------------------------------------------------------------- DiCE, 2nd order

T = np.array([0.3, 0.8])


def _exact_value(lib, theta):
    """E[f(z)] for z_d ~ Bernoulli(sigmoid(theta_d)), f(z) = (z0 + 2 z1 - 1.1)^2 + z0 z1,
    enumerated over the four outcomes."""
    p = lib.sigmoid(theta)
    total = 0.0
    for z0, z1 in itertools.product((0.0, 1.0), repeat=2):
        prob = (p[0] if z0 else 1 - p[0]) * (p[1] if z1 else 1 - p[1])
        total = total + prob * ((z0 + 2 * z1 - 1.1) ** 2 + z0 * z1)
    return total


def _enumerated_estimator(form):
    """Gradient and Hessian of E_z[-loss(z)]: the estimator averaged exactly over outcomes."""
    theta = chainrule.tensor(T, requires_grad=True)
    p = chainrule.sigmoid(theta)
    total = 0.0
    for z0, z1 in itertools.product((0.0, 1.0), repeat=2):
        z = chainrule.tensor([z0, z1])
        lp = (z * p.log() + (1 - z) * (1 - p).log()).sum()
        f = (z0 + 2 * z1 - 1.1) ** 2 + z0 * z1
        weight = float(np.prod(np.where([z0, z1], p.detach().numpy(), 1 - p.detach().numpy())))
        total = total - weight * nd.reinforce_loss(lp, f, baseline=0.4, form=form)
    (g,) = chainrule.autograd.grad(total, theta, create_graph=True)
    hess = np.stack(
        [chainrule.autograd.grad(g[i], theta, retain_graph=True)[0].numpy() for i in range(2)]
    )
    return g.detach().numpy(), hess


def test_dice_first_and_second_derivatives_are_exact_in_expectation():
    theta = torch.tensor(T, requires_grad=True)
    exact_g = torch.autograd.grad(_exact_value(torch, theta), theta)[0].numpy()
    exact_h = torch.autograd.functional.hessian(lambda t: _exact_value(torch, t), theta).numpy()
    g, h = _enumerated_estimator("dice")
    np.testing.assert_allclose(g, exact_g, rtol=1e-10)
    np.testing.assert_allclose(h, exact_h, rtol=1e-10, atol=1e-12)
    # the plain surrogate has the right gradient but the wrong Hessian (no score-score term)
    g_plain, h_plain = _enumerated_estimator("plain")
    np.testing.assert_allclose(g_plain, exact_g, rtol=1e-10)
    assert np.abs(h_plain - exact_h).max() > 1e-2


# ---------------------------------------------------------------------------- diagnostics


def test_toy_problem_exact_gradients_match_torch_and_closed_form():
    bern = nd.toy_problem("bernoulli")
    th = bern.params[0]
    s = 1 / (1 + np.exp(-th))
    np.testing.assert_allclose(bern.exact_grad(bern.params), s * (1 - s) * (1 - 2 * 0.45))
    cat = nd.toy_problem("categorical")
    c = torch.arange(4, dtype=torch.float64) / 3
    theta = torch.tensor(cat.params[0], requires_grad=True)
    value = (torch.softmax(theta, -1) * (c - 0.45) ** 2).sum()
    np.testing.assert_allclose(
        cat.exact_grad(cat.params), torch.autograd.grad(value, theta)[0].numpy(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="kind"):
        nd.toy_problem("gaussian")


@pytest.mark.parametrize("kind", ["bernoulli", "categorical"])
def test_reinforce_is_unbiased_and_a_baseline_reduces_its_variance(kind):
    problem = nd.toy_problem(kind)
    est = problem.estimators(taus=())
    stats = {
        name: nd.estimator_stats(
            est[name], problem.params, 20000, problem.exact_grad, seed=1, name=name
        )
        for name in ("exact", "reinforce", "reinforce+baseline")
    }
    for s in stats.values():
        assert not s.is_biased(4.0), (s.name, s.z)
        assert np.all(s.ci_low <= s.bias) and np.all(s.bias <= s.ci_high)
    assert stats["exact"].total_variance < 1e-20
    factor = stats["reinforce"].total_variance / stats["reinforce+baseline"].total_variance
    assert factor > (20 if kind == "bernoulli" else 2), factor


def test_a_deliberately_biased_estimator_is_flagged():
    problem = nd.toy_problem("bernoulli")
    reinforce = problem.estimators(taus=())["reinforce+baseline"]
    s = nd.estimator_stats(
        lambda ps: 1.3 * reinforce(ps), problem.params, 20000, problem.exact_grad, seed=1
    )
    assert s.is_biased(4.0), s.z
    np.testing.assert_allclose(s.bias, 0.3 * problem.exact_grad(problem.params), rtol=0.35)


def test_gumbel_softmax_bias_shrinks_and_variance_grows_as_tau_decreases():
    problem = nd.toy_problem("categorical")
    taus = (2.0, 1.0, 0.5, 0.25)
    est = problem.estimators(taus)
    runs = [
        nd.estimator_stats(
            est[f"gumbel_soft(tau={t:g})"], problem.params, 20000, problem.exact_grad, seed=2
        )
        for t in taus
    ]
    assert all(r.is_biased(4.0) for r in runs)
    bias = [r.bias_norm for r in runs]
    var = [r.total_variance for r in runs]
    assert all(a > 1.25 * b for a, b in zip(bias, bias[1:])), bias
    assert all(b > 1.5 * a for a, b in zip(var, var[1:])), var


def test_compare_estimators_prints_a_table_and_returns_records():
    problem = nd.toy_problem("categorical")
    out = io.StringIO()
    records = problem.compare(4000, taus=(1.0,), seed=0, file=out)
    names = [r["name"] for r in records]
    assert names == [
        "exact",
        "reinforce",
        "reinforce+baseline",
        "gumbel_soft(tau=1)",
        "gumbel_st(tau=1)",
    ]
    text = out.getvalue()
    for name in names:
        assert name in text
    by_name = {r["name"]: r for r in records}
    assert by_name["gumbel_soft(tau=1)"]["biased"] and not by_name["reinforce"]["biased"]
    assert len(by_name["reinforce"]["variance"]) == 4


def test_looped_estimator_agrees_with_the_exact_gradient():
    problem = nd.toy_problem("bernoulli")
    est = problem.estimators(taus=())
    exact = nd.estimator_stats(
        est["exact"], problem.params, 3, problem.exact_grad, vectorized=False
    )
    np.testing.assert_allclose(exact.mean, problem.exact_grad(problem.params), rtol=1e-12)

    def one_sample(ps):
        dist = problem.sample_dist(ps[0])
        z = dist.sample()
        return -nd.reinforce_loss(dist.log_prob(z).sum(), problem.reward(z), 0.8)

    s = nd.estimator_stats(
        one_sample, problem.params, 300, problem.exact_grad, seed=3, vectorized=False
    )
    assert s.n_samples == 300 and not s.is_biased(4.0)


def test_estimator_stats_validates_its_inputs():
    problem = nd.toy_problem("bernoulli")
    est = problem.estimators(taus=())["exact"]
    with pytest.raises(ValueError, match="at least 2"):
        nd.estimator_stats(est, problem.params, 1)
    with pytest.raises(ValueError, match="exact gradient has 2 entries"):
        nd.estimator_stats(est, problem.params, 10, np.zeros(2))
    with pytest.raises(ValueError, match=r"must return shape \(10,\)"):
        nd.estimator_stats(lambda ps: est(ps).sum(), problem.params, 10)
    s = nd.estimator_stats(est, problem.params, 10)
    with pytest.raises(ValueError, match="exact gradient"):
        s.is_biased()


# ---------------------------------------------------------------------------- the example


def test_bandit_example_learns_the_best_arm():
    path = Path(__file__).resolve().parent.parent / "examples" / "bandit_reinforce.py"
    spec = importlib.util.spec_from_file_location("bandit_reinforce", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(steps=200, seed=0)
    for name, r in results.items():
        assert r["best_arm"] == 4
        assert r["best_arm_prob"] > 0.8, (name, r["probs"])
        assert np.mean(r["rewards"][-50:]) > np.mean(r["rewards"][:50]) + 0.1, name
