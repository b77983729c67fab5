"""chainrule.optim.lr_scheduler against torch.optim.lr_scheduler: schedules, state, errors."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim

STEPS = 30
METRICS = [5.0, 4.0, 4.0, 4.1, 3.9, 3.9, 3.9, 3.9, 3.0, 3.0] * 3


def _optimizer(lib, name="SGD", **kwargs):
    ps = [lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)]
    for p in ps:
        p.grad = lib.ones_like(p)
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.3}]
    return getattr(lib.optim, name)(groups, lr=0.1, momentum=0.9, **kwargs)


def _sequential(sch, opt):
    return sch.SequentialLR(
        opt,
        [sch.LinearLR(opt, start_factor=0.25, total_iters=4), sch.ExponentialLR(opt, 0.9)],
        milestones=[5],
    )


def _sequential3(sch, opt):
    subs = [
        sch.StepLR(opt, 2, 0.5),
        sch.CosineAnnealingLR(opt, T_max=6, eta_min=0.01),
        sch.MultiStepLR(opt, [3, 5]),
    ]
    return sch.SequentialLR(opt, subs, milestones=[4, 12])


CASES = {
    "StepLR": lambda s, o: s.StepLR(o, step_size=3),
    "StepLR-gamma": lambda s, o: s.StepLR(o, step_size=1, gamma=0.7),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.5),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "LambdaLR-list": lambda s, o: s.LambdaLR(o, [lambda e: 0.95**e, lambda e: e % 4 + 1]),
    "LinearLR": lambda s, o: s.LinearLR(o),
    "LinearLR-args": lambda s, o: s.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=7),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingLR-eta": lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
    "WarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=4),
    "WarmRestarts-mult": lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.02),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=STEPS),
    "OneCycleLR-linear3": lambda s, o: s.OneCycleLR(
        o,
        max_lr=[1.0, 2.0],
        epochs=5,
        steps_per_epoch=7,
        anneal_strategy="linear",
        three_phase=True,
        pct_start=0.25,
        div_factor=10.0,
    ),
    "OneCycleLR-nomomentum": lambda s, o: s.OneCycleLR(
        o, max_lr=0.5, total_steps=STEPS + 3, cycle_momentum=False
    ),
    "SequentialLR": _sequential,
    "SequentialLR-3": _sequential3,
    "MultiplicativeLR": lambda s, o: s.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 0.95),
    "MultiplicativeLR-list": lambda s, o: s.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1.01]),
    "ConstantLR": lambda s, o: s.ConstantLR(o),
    "ConstantLR-args": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=7),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o),
    "PolynomialLR-power": lambda s, o: s.PolynomialLR(o, total_iters=12, power=2.5),
    "CyclicLR": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda s, o: s.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.5], step_size_up=3, step_size_down=5, mode="triangular2"
    ),
    "CyclicLR-exp_range": lambda s, o: s.CyclicLR(
        o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.9, base_momentum=[0.7, 0.75]
    ),
    "CyclicLR-scale_fn": lambda s, o: s.CyclicLR(
        o,
        0.01,
        0.1,
        5,
        scale_fn=lambda x: 1 / (1 + x),
        scale_mode="iterations",
        cycle_momentum=False,
    ),
    "ChainedScheduler": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, factor=0.1, total_iters=2), s.ExponentialLR(o, gamma=0.9)]
    ),
    "ChainedScheduler-3": lambda s, o: s.ChainedScheduler(
        [s.LinearLR(o, 0.5, total_iters=5), s.StepLR(o, 3), s.PolynomialLR(o, 20)], o
    ),
}

PLATEAU = {
    "default": {"patience": 2},
    "max-abs": {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 1},
    "cooldown": {"factor": 0.5, "patience": 0, "cooldown": 2, "min_lr": [0.02, 0.05]},
    "eps": {"factor": 0.9, "patience": 0, "eps": 0.01},
}


def _same(cs, ts):
    """chainrule and torch schedulers agree on get_last_lr and the groups' lr/momentum."""
    np.testing.assert_allclose(cs.get_last_lr(), ts.get_last_lr(), rtol=1e-12, atol=0)
    for cg, tg in zip(cs.optimizer.param_groups, ts.optimizer.param_groups, strict=True):
        np.testing.assert_allclose(cg["lr"], tg["lr"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(cg["momentum"], tg["momentum"], rtol=1e-12, atol=0)
        assert ("initial_lr" in cg) == ("initial_lr" in tg)
        assert cg.get("initial_lr", 0) == pytest.approx(tg.get("initial_lr", 0), rel=1e-12)


def _pair(torch, make):
    co, to = _optimizer(cr), _optimizer(torch)
    return make(cr.optim.lr_scheduler, co), make(torch.optim.lr_scheduler, to)


@pytest.mark.parametrize("case", list(CASES))
def test_schedule_matches_torch(torch, case):
    cs, ts = _pair(torch, CASES[case])
    _same(cs, ts)
    assert hasattr(cs, "base_lrs") == hasattr(ts, "base_lrs")
    assert getattr(cs, "base_lrs", 0) == pytest.approx(getattr(ts, "base_lrs", 0), rel=1e-12)
    for _ in range(STEPS):
        cs.optimizer.step()
        ts.optimizer.step()
        cs.step()
        ts.step()
        _same(cs, ts)
        assert getattr(cs, "last_epoch", None) == getattr(ts, "last_epoch", None)


@pytest.mark.parametrize("case", list(PLATEAU))
def test_plateau_matches_torch(torch, case):
    cs, ts = _pair(torch, lambda s, o: s.ReduceLROnPlateau(o, **PLATEAU[case]))
    for m in METRICS:
        cs.optimizer.step()
        ts.optimizer.step()
        cs.step(m)
        ts.step(m)
        _same(cs, ts)
        assert (cs.best, cs.num_bad_epochs, cs.cooldown_counter) == (
            ts.best,
            ts.num_bad_epochs,
            ts.cooldown_counter,
        )


@pytest.mark.parametrize(
    "case",
    [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "LinearLR-args",
        "CosineAnnealingLR-eta",
        "ConstantLR-args",
        "PolynomialLR-power",
    ],
)
def test_closed_form_epoch_matches_torch(torch, case):
    cs, ts = _pair(torch, CASES[case])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 11, 0]:
            cs.step(epoch)
            ts.step(epoch)
            _same(cs, ts)


def test_warm_restarts_fractional_epoch_matches_torch(torch):
    cs, ts = _pair(torch, CASES["WarmRestarts-mult"])
    for epoch in [0.5, 2.0, 3.7, 10.25, 26, 1]:
        cs.step(epoch)
        ts.step(epoch)
        _same(cs, ts)
        assert cs.T_cur == pytest.approx(ts.T_cur) and cs.T_i == ts.T_i


@pytest.mark.parametrize("case", [*CASES, "ReduceLROnPlateau"])
def test_state_dict_round_trip(torch, case):
    make = CASES.get(case, lambda s, o: s.ReduceLROnPlateau(o, patience=1))

    def advance(s, n):
        for i in range(n):
            s.optimizer.step()
            s.step(METRICS[i]) if case == "ReduceLROnPlateau" else s.step()

    cs, ts = _pair(torch, make)
    advance(cs, 9)
    advance(ts, 9)
    state = copy.deepcopy(cs.state_dict())
    assert "optimizer" not in state
    assert set(state) == set(ts.state_dict())
    # A fresh scheduler on a copied optimiser, loaded from the state, continues identically.
    fresh_opt = _optimizer(cr)
    for g, old in zip(fresh_opt.param_groups, cs.optimizer.param_groups, strict=True):
        g.update({k: v for k, v in old.items() if k != "params"})
    fresh = make(cr.optim.lr_scheduler, fresh_opt)
    for g, old in zip(fresh_opt.param_groups, cs.optimizer.param_groups, strict=True):
        g.update({k: v for k, v in old.items() if k != "params"})
    fresh.load_state_dict(state)
    advance(fresh, 5)
    advance(ts, 5)
    _same(fresh, ts)


def test_get_last_lr_and_initial_lr(lib):
    opt = _optimizer(lib)
    s = lib.optim.lr_scheduler.StepLR(opt, 2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.3]
    assert s.get_last_lr() == [0.1, 0.3] and s.base_lrs == [0.1, 0.3]
    assert s.last_epoch == 0


def test_step_before_optimizer_step_warns(lib):
    s = lib.optim.lr_scheduler.ExponentialLR(_optimizer(lib), 0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_step_after_optimizer_step_does_not_warn(lib):
    opt = _optimizer(lib)
    s = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_get_lr_outside_step_warns(lib):
    s = lib.optim.lr_scheduler.StepLR(_optimizer(lib), 2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_resume_without_initial_lr_raises(lib):
    with pytest.raises(KeyError, match="initial_lr"):
        lib.optim.lr_scheduler.StepLR(_optimizer(lib), 2, last_epoch=3)


def test_not_an_optimizer_raises(lib):
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lib.optim.lr_scheduler.StepLR(object(), 2)


BAD = [
    ("LambdaLR", lambda s, o: s.LambdaLR(o, [lambda e: 1.0]), "Expected 2 lr_lambdas"),
    ("LinearLR", lambda s, o: s.LinearLR(o, start_factor=0), "Starting multiplicative"),
    ("LinearLR", lambda s, o: s.LinearLR(o, end_factor=1.5), "Ending multiplicative"),
    ("WarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 0), "positive integer T_0"),
    ("WarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2.0), "positive integer T_0"),
    ("WarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2, 0), "T_mult >= 1"),
    ("WarmRestarts", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2, eta_min="a"), "eta_min"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0), "must define either total_steps"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, total_steps=0), "total_steps"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=2), "epochs"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=-1), "steps_per"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, 10, pct_start=1.5), "pct_start"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, 10, pct_start=1), "pct_start"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), "anneal_str"),
    ("OneCycle", lambda s, o: s.OneCycleLR(o, [1.0], 10), "max_lr must have the same length"),
    ("Plateau", lambda s, o: s.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0"),
    ("Plateau", lambda s, o: s.ReduceLROnPlateau(o, mode="mid"), "mode mid is unknown"),
    ("Plateau", lambda s, o: s.ReduceLROnPlateau(o, threshold_mode="x"), "threshold mode x"),
    ("Plateau", lambda s, o: s.ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 min_lrs, got 1"),
    ("Sequential", lambda s, o: s.SequentialLR(o, [], []), "at least one scheduler"),
    ("Constant", lambda s, o: s.ConstantLR(o, factor=1.5), "between 0 and 1"),
    ("Constant", lambda s, o: s.ConstantLR(o, factor=-0.1), "between 0 and 1"),
    ("Cyclic", lambda s, o: s.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), "mode is invalid"),
    ("Cyclic", lambda s, o: s.CyclicLR(o, [0.1], 1.0), "base_lr must have the same length"),
    ("Chained", lambda s, o: s.ChainedScheduler([]), "at least one scheduler"),
    (
        "Chained",
        lambda s, o: s.ChainedScheduler([s.ReduceLROnPlateau(o)]),
        "does not support `ReduceLROnPlateau`",
    ),
    (
        "Sequential",
        lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2), s.StepLR(o, 3)], [1, 2]),
        "one more than the number of milestone",
    ),
    (
        "Sequential",
        lambda s, o: s.SequentialLR(o, [s.ReduceLROnPlateau(o)], []),
        "does not support `ReduceLROnPlateau`",
    ),
]


@pytest.mark.parametrize("make,match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments_raise(lib, make, match):
    with pytest.raises(ValueError, match=match):
        make(lib.optim.lr_scheduler, _optimizer(lib))


def test_sequential_other_optimizer_raises(lib):
    sch = lib.optim.lr_scheduler
    o1, o2 = _optimizer(lib), _optimizer(lib)
    with pytest.raises(ValueError, match="same optimizer"):
        sch.SequentialLR(o1, [sch.StepLR(o1, 2), sch.StepLR(o2, 2)], [3])


def test_one_cycle_past_total_steps_raises(lib):
    opt = _optimizer(lib)
    s = lib.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        s.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()


def test_one_cycle_requires_momentum(lib):
    ps = [lib.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lib.optim.lr_scheduler.OneCycleLR(lib.optim.Adagrad(ps), 1.0, total_steps=5)


def test_one_cycle_cycles_adam_betas(torch):
    def run(lib):
        ps = [lib.zeros(2, requires_grad=True)]
        opt = lib.optim.Adam(ps, lr=0.1)
        s = lib.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10)
        out = []
        for _ in range(10):
            opt.step()
            s.step()
            out.append((*s.get_last_lr(), *opt.param_groups[0]["betas"]))
        return np.array(out)

    np.testing.assert_allclose(run(cr), run(torch), rtol=1e-12, atol=0)


def test_multiplicative_lambda_not_callable_raises(lib):
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        lib.optim.lr_scheduler.MultiplicativeLR(_optimizer(lib), 3)


def test_lambda_lr_not_callable_raises_at_construction():
    # torch fails in the first get_lr with "'int' object is not callable"; chainrule says which
    # argument is wrong, at construction, with the same exception type.
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        cr.optim.lr_scheduler.LambdaLR(_optimizer(cr), 3)


def test_cyclic_requires_momentum(lib):
    ps = [lib.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lib.optim.lr_scheduler.CyclicLR(lib.optim.Adagrad(ps), 0.1, 1.0)


def test_cyclic_cycles_adam_betas(torch):
    def run(lib):
        ps = [lib.zeros(2, requires_grad=True)]
        opt = lib.optim.Adam(ps, lr=0.1)
        s = lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3)
        out = []
        for _ in range(10):
            opt.step()
            s.step()
            out.append((*s.get_last_lr(), *opt.param_groups[0]["betas"]))
        return np.array(out)

    np.testing.assert_allclose(run(cr), run(torch), rtol=1e-12, atol=0)


def test_chained_other_optimizer_raises(lib):
    sch = lib.optim.lr_scheduler
    o1, o2 = _optimizer(lib), _optimizer(lib)
    with pytest.raises(ValueError, match="same optimizer"):
        sch.ChainedScheduler([sch.StepLR(o1, 2), sch.StepLR(o2, 2)])
