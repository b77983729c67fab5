"""chainrule.optim against torch.optim: trajectories, param groups, state dicts, errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim

SHAPES = [(3,), (2, 4), (), (2, 1, 3)]
STEPS = 20

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.4), "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", {"lr": 0.02, "betas": (0.5, 0.9), "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.7, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "centered": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "maximize": True, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.5, 0.8), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "momentum_decay": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]


def _ids(case: tuple) -> str:
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[1].items())


def _make(torch, rng: np.random.Generator, shapes=SHAPES):
    """Identical float32 leaves in both libraries."""
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [cr.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, theirs


def _torch_kwargs(name: str, kwargs: dict) -> dict:
    return {**kwargs, "foreach": False}


def _feed(torch, ours, theirs, rng: np.random.Generator, skip: int | None = None) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if i == skip:
            a.grad, b.grad = None, None
            continue
        g = rng.standard_normal(a.shape).astype(np.float32)
        a.grad, b.grad = cr.tensor(g.copy()), torch.tensor(g.copy())


def _assert_close(ours, theirs, step: int) -> None:
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(
            a.detach().numpy(), b.detach().numpy(), rtol=2e-6, atol=1e-7, err_msg=f"step {step}"
        )


def _run(torch, opt_a, opt_b, ours, theirs, rng, steps=STEPS, skip_every=7) -> None:
    for step in range(steps):
        skip = (step % len(ours)) if step % skip_every == skip_every - 1 else None
        _feed(torch, ours, theirs, rng, skip)
        opt_a.step()
        opt_b.step()
        _assert_close(ours, theirs, step)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch(torch, case) -> None:
    name, kwargs = case
    rng = np.random.default_rng(0)
    ours, theirs = _make(torch, rng)
    opt_a = getattr(chainrule.optim, name)(ours, **kwargs)
    opt_b = getattr(torch.optim, name)(theirs, **_torch_kwargs(name, kwargs))
    _run(torch, opt_a, opt_b, ours, theirs, rng)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_round_trip(torch, case) -> None:
    name, kwargs = case
    rng = np.random.default_rng(1)
    ours, theirs = _make(torch, rng)
    opt_a = getattr(chainrule.optim, name)(ours, **kwargs)
    opt_b = getattr(torch.optim, name)(theirs, **_torch_kwargs(name, kwargs))
    _run(torch, opt_a, opt_b, ours, theirs, rng, steps=5)

    sd_a, sd_b = opt_a.state_dict(), opt_b.state_dict()
    assert sd_a.keys() == sd_b.keys()
    assert sd_a["state"].keys() == sd_b["state"].keys()
    for k, st in sd_b["state"].items():
        assert list(sd_a["state"][k]) == list(st)
        for key, v in st.items():
            assert isinstance(sd_a["state"][k][key], cr.Tensor)
            np.testing.assert_allclose(
                sd_a["state"][k][key].numpy(), v.numpy(), rtol=2e-6, atol=1e-7
            )
            assert sd_a["state"][k][key].dtype == getattr(cr, str(v.dtype).split(".")[1])
    groups_b = [{k: v for k, v in g.items() if k != "foreach"} for g in sd_b["param_groups"]]
    groups_a = [{k: v for k, v in g.items() if k != "foreach"} for g in sd_a["param_groups"]]
    assert groups_a == groups_b

    # a fresh optimiser loaded from the state dict continues the same trajectory
    fresh = getattr(chainrule.optim, name)(ours, lr=123.0)
    fresh.load_state_dict(sd_a)
    assert fresh.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    _run(torch, fresh, opt_b, ours, theirs, rng, steps=8)


def test_param_groups_with_different_options(torch) -> None:
    rng = np.random.default_rng(2)
    ours, theirs = _make(torch, rng)
    groups_a = [{"params": ours[:2], "lr": 0.3}, {"params": ours[2:], "momentum": 0.5}]
    groups_b = [{"params": theirs[:2], "lr": 0.3}, {"params": theirs[2:], "momentum": 0.5}]
    opt_a = chainrule.optim.SGD(groups_a, lr=0.01)
    opt_b = torch.optim.SGD(groups_b, lr=0.01, foreach=False)
    assert [g["lr"] for g in opt_a.param_groups] == [0.3, 0.01]
    assert [g["momentum"] for g in opt_a.param_groups] == [0, 0.5]
    _run(torch, opt_a, opt_b, ours, theirs, rng)
    assert opt_a.state_dict()["param_groups"][1]["params"] == [2, 3]


def test_add_param_group(torch) -> None:
    rng = np.random.default_rng(3)
    ours, theirs = _make(torch, rng)
    opt_a = chainrule.optim.Adam(ours[:1], lr=0.01)
    opt_b = torch.optim.Adam(theirs[:1], lr=0.01, foreach=False)
    opt_a.add_param_group({"params": ours[1:], "lr": 0.05})
    opt_b.add_param_group({"params": theirs[1:], "lr": 0.05})
    _run(torch, opt_a, opt_b, ours, theirs, rng)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt_a.add_param_group({"params": ours[1]})


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(lib, set_to_none) -> None:
    x = lib.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    opt = lib.optim.SGD([x], lr=0.1)
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert x.grad is None
    else:
        assert x.grad is not None and x.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert x.grad is None


def test_step_with_closure(torch) -> None:
    ours = [cr.tensor([1.0, -2.0], requires_grad=True)]
    theirs = [torch.tensor([1.0, -2.0], requires_grad=True)]
    opt_a = chainrule.optim.SGD(ours, lr=0.1, momentum=0.9)
    opt_b = torch.optim.SGD(theirs, lr=0.1, momentum=0.9, foreach=False)

    def closure(lib, opt, p):
        def f():
            opt.zero_grad()
            loss = (p[0] ** 2).sum()
            loss.backward()
            return loss

        return f

    for step in range(5):
        with cr.no_grad():
            la = opt_a.step(closure(cr, opt_a, ours))
        with torch.no_grad():
            lb = opt_b.step(closure(torch, opt_b, theirs))
        assert la.item() == pytest.approx(lb.item(), rel=1e-6)
        _assert_close(ours, theirs, step)
    assert opt_a.step() is None


ERRORS = [
    ("SGD", {"lr": -1.0}),
    ("SGD", {"momentum": -0.1}),
    ("SGD", {"weight_decay": -0.1}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("Adam", {"lr": -1.0}),
    ("Adam", {"eps": -1.0}),
    ("Adam", {"betas": (1.0, 0.9)}),
    ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -1.0}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("RMSprop", {"alpha": -0.5}),
    ("RMSprop", {"momentum": -0.5}),
    ("RMSprop", {"eps": -1.0}),
    ("Adagrad", {"lr_decay": -0.5}),
    ("Adagrad", {"initial_accumulator_value": -0.5}),
    ("Adagrad", {"eps": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adamax", {"betas": (0.9, 1.0)}),
    ("NAdam", {"momentum_decay": -1.0}),
    ("RAdam", {"eps": -1.0}),
]


@pytest.mark.parametrize("case", ERRORS, ids=_ids)
def test_invalid_options(lib, case) -> None:
    name, kwargs = case
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(ValueError) as ours:
        getattr(lib.optim, name)([x], **kwargs)
    assert str(ours.value)


def test_invalid_options_same_messages(torch) -> None:
    for name, kwargs in ERRORS:
        with pytest.raises(ValueError) as a:
            getattr(chainrule.optim, name)([cr.ones(2, requires_grad=True)], **kwargs)
        with pytest.raises(ValueError) as b:
            getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs)
        assert str(a.value) == str(b.value)


def _same_error(torch, build_a, build_b, exc) -> None:
    with pytest.raises(exc) as a:
        build_a(cr)
    with pytest.raises(exc) as b:
        build_b(torch)
    assert str(a.value) == str(b.value)


def test_structural_errors(torch) -> None:
    def same(f, exc):
        _same_error(torch, f, f, exc)

    same(lambda lib: lib.optim.SGD([], lr=0.1), ValueError)
    same(lambda lib: lib.optim.SGD(iter([]), lr=0.1), ValueError)

    def twice(lib):
        x = lib.ones(2, requires_grad=True)
        lib.optim.SGD([{"params": [x]}, {"params": [x], "lr": 0.2}], lr=0.1)

    same(twice, ValueError)

    def non_leaf(lib):
        x = lib.ones(2, requires_grad=True)
        lib.optim.SGD([x * 2], lr=0.1)

    same(non_leaf, ValueError)

    def as_set(lib):
        lib.optim.SGD([{"params": {lib.ones(2, requires_grad=True)}}], lr=0.1)

    same(as_set, TypeError)

    def not_dict(lib):
        opt = lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1)
        opt.add_param_group([lib.ones(2, requires_grad=True)])

    same(not_dict, TypeError)

    def wrong_group_count(lib):
        x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        sd = lib.optim.SGD([x], lr=0.1).state_dict()
        lib.optim.SGD([{"params": [x]}, {"params": [y]}], lr=0.1).load_state_dict(sd)

    same(wrong_group_count, ValueError)

    def wrong_group_size(lib):
        x, y = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        sd = lib.optim.SGD([x], lr=0.1).state_dict()
        lib.optim.SGD([x, y], lr=0.1).load_state_dict(sd)

    same(wrong_group_size, ValueError)

    with pytest.raises(TypeError):
        chainrule.optim.SGD(cr.ones(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError):
        torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1)


def test_named_parameters_and_state_keys(torch) -> None:
    x = cr.ones(2, requires_grad=True)
    opt = chainrule.optim.SGD([("w", x)], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["w"]
    assert opt.state_dict()["state"] == {}
    x.grad = cr.ones(2)
    opt.step()
    assert list(opt.state_dict()["state"][0]) == ["momentum_buffer"]
