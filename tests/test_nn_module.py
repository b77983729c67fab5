"""nn.Module, Parameter and the containers, compared with torch.nn on the same module tree."""

from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np
import pytest

import chainrule
from chainrule.nn import modules as cr_modules
from chainrule.nn.parameter import Parameter as CrParameter


def nn_of(lib):
    """The nn namespace of a library (chainrule's before it is wired into chainrule.nn)."""
    if lib is chainrule:

        class NS:
            pass

        ns = NS()
        for name in cr_modules.__all__:
            setattr(ns, name, getattr(cr_modules, name))
        ns.Parameter = CrParameter
        ns.functional = chainrule.nn.functional
        return ns
    return lib.nn


def build(lib, seed=0):
    """A small tree: Net(w, scale buffer, non-persistent buffer, body=Sequential(...), head)."""
    nn = nn_of(lib)
    F = nn.functional
    rng = np.random.default_rng(seed)

    def t(*shape):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32))

    class Lin(nn.Module):
        def __init__(self, n_in, n_out, bias=True):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(t(n_out, n_in))
            self.bias = nn.Parameter(t(n_out)) if bias else None

        def forward(self, x):
            y = x @ self.weight.t()
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"in_features={self.n_in}, out_features={self.n_out}"

    class Act(nn.Module):
        def forward(self, x):
            return F.relu(x) if self.training else F.tanh(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(t(3))
            self.register_buffer("scale", t(3))
            self.register_buffer("tmp", t(2), persistent=False)
            self.body = nn.Sequential(Lin(3, 4), Act(), Lin(4, 4, bias=False))
            self.head = nn.ModuleList([Lin(4, 2), nn.Identity()])

        def forward(self, x):
            x = x * self.w * self.scale
            x = self.body(x)
            for m in self.head:
                x = m(x)
            return x

    return Net()


def norm(s):
    return re.sub(r"\b(torch|chainrule)\.", "X.", s)


def both(torch):
    return build(chainrule), build(torch)


def test_names_and_order(torch):
    a, b = both(torch)
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    assert [n for n, _ in a.named_buffers()] == [n for n, _ in b.named_buffers()]
    assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]
    assert [n for n, _ in a.named_children()] == [n for n, _ in b.named_children()]
    assert [n for n, _ in a.named_parameters(prefix="m", recurse=False)] == [
        n for n, _ in b.named_parameters(prefix="m", recurse=False)
    ]
    assert len(list(a.parameters())) == len(list(b.parameters()))
    assert len(list(a.modules())) == len(list(b.modules()))
    assert list(a.state_dict()) == list(b.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert type(p).__name__ == "Parameter" and p.is_leaf and p.requires_grad
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_shared_and_duplicates(lib):
    nn = nn_of(lib)
    lin = build(lib).body[0]
    s = nn.Sequential(lin, lin)
    assert [n for n, _ in s.named_parameters()] == ["0.weight", "0.bias"]
    names = [n for n, _ in s.named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in s.named_modules()] == ["", "0"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_state_dict_values_detached(torch):
    a, b = both(torch)
    sa, sb = a.state_dict(), b.state_dict()
    assert isinstance(sa, OrderedDict)
    for k in sb:
        assert sa[k].requires_grad is False and type(sa[k]) is chainrule.Tensor
        np.testing.assert_array_equal(sa[k].numpy(), sb[k].numpy())
    assert type(a.state_dict(keep_vars=True)["w"]).__name__ == "Parameter"
    assert list(a.state_dict(prefix="p.")) == list(b.state_dict(prefix="p."))


def test_load_state_dict_roundtrip(lib):
    a, b = build(lib, 0), build(lib, 1)
    w = b.w
    res = b.load_state_dict(a.state_dict())
    assert repr(res) == "<All keys matched successfully>"
    assert b.w is w and b.w.grad_fn is None and b.w.requires_grad
    for (_, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def _load_error(m, sd, **kw):
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd, **kw)
    return norm(str(e.value))


def test_load_state_dict_errors(torch):
    a, b = both(torch)
    for shapes_ok, mutate in [
        (True, lambda sd, lib: sd.pop("body.0.bias")),
        (True, lambda sd, lib: sd.__setitem__("body.9.x", lib.zeros(1))),
        (True, lambda sd, lib: (sd.pop("w"), sd.__setitem__("extra", lib.zeros(1)))),
        (False, lambda sd, lib: sd.__setitem__("w", lib.zeros(4))),
        (False, lambda sd, lib: (sd.pop("scale"), sd.__setitem__("head.0.weight", lib.zeros(2)))),
    ]:
        sa, sb = a.state_dict(), b.state_dict()
        mutate(sa, chainrule)
        mutate(sb, torch)
        assert _load_error(a, sa) == _load_error(b, sb)
        if shapes_ok:
            ra, rb = a.load_state_dict(sa, strict=False), b.load_state_dict(sb, strict=False)
            assert (ra.missing_keys, ra.unexpected_keys) == (rb.missing_keys, rb.unexpected_keys)
            assert repr(ra) == repr(rb)


def test_load_state_dict_assign(lib):
    a, b = build(lib, 0), build(lib, 1)
    sd = a.state_dict()
    old = b.w
    b.load_state_dict(sd, assign=True)
    assert b.w is not old and type(b.w).__name__ == "Parameter" and b.w.requires_grad
    assert b.scale is sd["scale"]


def test_repr(torch):
    a, b = both(torch)
    assert repr(a) == repr(b)
    nn_c, nn_t = nn_of(chainrule), torch.nn
    for make in [
        lambda nn: nn.Sequential(),
        lambda nn: nn.ModuleList([nn.Identity(), nn.Identity(), nn.Flatten()]),
        lambda nn: nn.ModuleList(),
        lambda nn: nn.ModuleDict({"a": nn.Flatten(0, 1), "b": nn.Unflatten(1, (2, 3))}),
        lambda nn: nn.Sequential(OrderedDict(x=nn.Identity(), y=nn.Sequential(nn.Flatten()))),
    ]:
        assert repr(make(nn_c)) == repr(make(nn_t))
    pc = CrParameter(chainrule.tensor([1.0, 2.0]))
    pt = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(pc) == repr(pt)
    pc = CrParameter(chainrule.tensor([1.0, 2.0]), requires_grad=False)
    pt = torch.nn.Parameter(torch.tensor([1.0, 2.0]), requires_grad=False)
    assert repr(pc) == repr(pt)
    plc = nn_c.ParameterList([chainrule.zeros(2, 3)])
    plt = torch.nn.ParameterList([torch.zeros(2, 3)])
    assert norm(repr(plc)) == norm(repr(plt))


def test_parameter(lib):
    nn = nn_of(lib)
    x = lib.ones(2, 3)
    p = nn.Parameter(x)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert type(p * 2) is lib.Tensor and type(p + p) is lib.Tensor
    with lib.no_grad():
        p.add_(1)
    assert x[0, 0].item() == 2.0  # shares memory with its data
    assert nn.Parameter().shape == (0,)


def test_forward_matches(torch):
    a, b = both(torch)
    x = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
    for mode in (True, False):
        a.train(mode)
        b.train(mode)
        ya, yb = a(chainrule.tensor(x)), b(torch.tensor(x))
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5)
    ya.sum().backward()
    yb.sum().backward()
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_train_eval(lib):
    m = build(lib)
    assert m.training and all(s.training for s in m.modules())
    assert m.eval() is m
    assert not any(s.training for s in m.modules())
    m.body.train()
    assert [s.training for s in m.modules()] == [False, True, True, True, True, False, False, False]
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train(1)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(lib, set_to_none):
    m = build(lib)
    m(lib.ones(2, 3)).sum().backward()
    grads = {n: p.grad for n, p in m.named_parameters()}
    m.zero_grad(set_to_none=set_to_none)
    for n, p in m.named_parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is grads[n] and not p.grad.any()


def test_requires_grad_and_apply(lib):
    m = build(lib)
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Lin", "Act", "Lin", "Sequential", "Lin", "Identity", "ModuleList", "Net"]


def test_hooks_order_and_outputs(lib):
    m = build(lib).body
    log = []
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
    m.register_forward_pre_hook(
        lambda mod, args: (log.append("pre0"), (args[0] * 2,))[1], prepend=True
    )
    m.register_forward_hook(lambda mod, args, out: (log.append("post"), out + 1)[1])
    m.register_forward_hook(
        lambda mod, args, kwargs, out: log.append(("kw", kwargs)), with_kwargs=True
    )
    x = lib.ones(2, 3)
    y = m(x)
    assert log == ["pre0", "pre1", "post", ("kw", {})]
    ref = m.forward(x * 2) + 1
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy())
    h1.remove()
    log.clear()
    m(x)
    assert log == ["pre0", "post", ("kw", {})]


def test_full_backward_hook(torch):
    got = {}
    for lib in (chainrule, torch):
        m = build(lib)
        calls = []

        def hook(mod, gin, gout, calls=calls):
            calls.append(
                (
                    type(mod).__name__,
                    [None if g is None else g.numpy().copy() for g in gin],
                    [None if g is None else g.numpy().copy() for g in gout],
                )
            )

        m.body.register_full_backward_hook(hook)
        m.head[0].register_full_backward_hook(hook)
        x = lib.ones(2, 3, requires_grad=True)
        y = m(x)
        assert type(y.grad_fn).__name__ == "BackwardHookFunctionBackward"
        (y * lib.arange(4.0).reshape(2, 2)).sum().backward()
        got[lib.__name__] = calls
    a, b = got["chainrule"], got["torch"]
    assert [c[0] for c in a] == [c[0] for c in b] == ["Lin", "Sequential"]
    for ca, cb in zip(a, b):
        for ga, gb in zip(ca[1] + ca[2], cb[1] + cb[2]):
            assert (ga is None) == (gb is None)
            if ga is not None:
                np.testing.assert_allclose(ga, gb, rtol=1e-5, atol=1e-6)


def test_full_backward_hook_replaces_grad_input(lib):
    lin = build(lib).body[0]
    lin.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0,))
    x = lib.ones(2, 3, requires_grad=True)
    lin(x).sum().backward()
    assert not x.grad.any()
    assert lin.weight.grad.any()


def test_to_float64_keeps_identity(lib):
    m = build(lib)
    m(lib.ones(2, 3)).sum().backward()
    params = list(m.parameters())
    assert m.to(lib.float64) is m
    assert [p is q for p, q in zip(params, m.parameters())] == [True] * len(params)
    assert all(p.dtype == lib.float64 and p.grad.dtype == lib.float64 for p in params)
    assert all(b.dtype == lib.float64 for b in m.buffers())
    m.float()
    assert all(p.dtype == lib.float32 for p in m.parameters())
    m.double()
    assert m(lib.ones(2, 3, dtype=lib.float64)).dtype == lib.float64
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(lib.int64)


def test_attribute_registration(lib):
    nn = nn_of(lib)
    m = build(lib)
    with pytest.raises(TypeError) as e:
        m.w = lib.zeros(3)
    assert "as parameter 'w' (torch.nn.Parameter or None expected)" in str(e.value)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        m.nope  # noqa: B018
    with pytest.raises(KeyError, match="attribute 'w' already exists"):
        m.register_buffer("w", lib.zeros(1))
    m.w = None
    assert "w" not in dict(m.named_parameters())
    del m.scale
    assert "scale" not in m.state_dict()
    m.extra = nn.Identity()
    assert "extra" in dict(m.named_children())
    assert m.get_submodule("body.0") is m.body[0]
    assert m.get_parameter("body.0.weight") is m.body[0].weight
    assert "body" in dir(m)


def test_containers(lib):
    nn = nn_of(lib)
    a, b, c = nn.Identity(), nn.Flatten(), nn.Unflatten(1, (2, 3))
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[1] is b and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert type(sub).__name__ == "Sequential" and list(sub) == [b, c]
    assert [n for n, _ in sub.named_children()] == ["1", "2"]  # torch keeps the names
    s.append(nn.Identity())
    assert len(s) == 4
    del s[0]
    assert [n for n, _ in s.named_children()] == ["0", "1", "2"]
    ml = nn.ModuleList([a])
    ml.append(b)
    ml.extend([c])
    ml.insert(0, c)
    assert list(ml) == [c, a, b, c] and ml[-1] is c and len(ml) == 4
    md = nn.ModuleDict({"x": a})
    md["y"] = b
    assert list(md.keys()) == ["x", "y"] and md["y"] is b and "x" in md
    pl = nn.ParameterList([lib.zeros(2)])
    pl.append(nn.Parameter(lib.ones(1)))
    assert len(pl) == 2 and [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"p": lib.zeros(2)})
    assert [n for n, _ in pd.named_parameters()] == ["p"]
    x = lib.arange(24.0).reshape(2, 12)
    assert nn.Sequential(nn.Unflatten(1, (3, 4)), nn.Flatten())(x).shape == (2, 12)
    assert nn.Flatten(0, -1)(x).shape == (24,)
