"""Recurrent layers (RNN, LSTM, GRU and their cells) against torch from identical weights:
outputs, final states and the gradients of every parameter, the input and the initial states;
parameter names/shapes/order, initialisation bounds, reprs, errors, and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule

torch = pytest.importorskip("torch")

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-10, 1e-12)}


def _np(t):
    return t.detach().numpy()


def make_pair(kind, args, kwargs, dtype="float32"):
    """The torch module and a chainrule module holding the same weights."""
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(*args, **kwargs).to(getattr(torch, dtype))
    cm = getattr(chainrule.nn, kind)(*args, **kwargs).to(getattr(chainrule, dtype))
    cm.load_state_dict({k: chainrule.tensor(_np(v).copy()) for k, v in tm.state_dict().items()})
    return tm, cm


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return [out]


def run(lib, module, arrays):
    """Forward with the given arrays as leaves (None: not passed), backward of a fixed random
    projection of every output; returns outputs, leaf grads, parameter grads by name."""
    leaves = [None if a is None else lib.tensor(a, requires_grad=True) for a in arrays]
    x, *state = leaves
    if not state:
        out = module(x)
    elif len(state) == 1:
        out = module(x, state[0])
    else:
        out = module(x, tuple(state) if state[0] is not None else None)
    outs = _flatten(out)
    rng = np.random.default_rng(7)
    total = sum(
        (o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(arrays[0].dtype))).sum()
        for o in outs
    )
    total.backward()
    leaf_grads = [None if t is None else t.grad for t in leaves]
    param_grads = {n: p.grad for n, p in module.named_parameters()}
    return outs, leaf_grads, param_grads


def compare(tm, cm, arrays, dtype="float32"):
    rtol, atol = TOL[dtype]
    t_outs, t_lg, t_pg = run(torch, tm, arrays)
    c_outs, c_lg, c_pg = run(chainrule, cm, arrays)
    assert len(t_outs) == len(c_outs)
    for i, (t, c) in enumerate(zip(t_outs, c_outs, strict=True)):
        assert tuple(c.shape) == tuple(t.shape), i
        np.testing.assert_allclose(_np(c), _np(t), rtol=rtol, atol=atol, err_msg=f"output {i}")
    for i, (t, c) in enumerate(zip(t_lg, c_lg, strict=True)):
        if t is not None:
            np.testing.assert_allclose(_np(c), _np(t), rtol=rtol, atol=atol, err_msg=f"leaf {i}")
    assert list(t_pg) == list(c_pg)
    for name in t_pg:
        np.testing.assert_allclose(
            _np(c_pg[name]), _np(t_pg[name]), rtol=rtol, atol=atol, err_msg=name
        )


def seq_arrays(kind, m, L, N, with_state, dtype="float32", unbatched=False):
    """Input (and h0/c0) arrays for module m; N is ignored for unbatched input."""
    rng = np.random.default_rng(1)
    D = 2 if m.bidirectional else 1
    h_size = m.proj_size if m.proj_size > 0 else m.hidden_size
    if unbatched:
        x_shape, h_shape, c_shape = (L, m.input_size), (D * m.num_layers, h_size), None
        c_shape = (D * m.num_layers, m.hidden_size)
    else:
        x_shape = (N, L, m.input_size) if m.batch_first else (L, N, m.input_size)
        h_shape, c_shape = (D * m.num_layers, N, h_size), (D * m.num_layers, N, m.hidden_size)
    arrays = [rng.standard_normal(x_shape).astype(dtype)]
    if with_state:
        arrays.append(rng.standard_normal(h_shape).astype(dtype))
        if kind == "LSTM":
            arrays.append(rng.standard_normal(c_shape).astype(dtype))
    elif kind == "LSTM":
        arrays += [None, None]
    return arrays


SEQ_CASES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("RNN", {"nonlinearity": "relu", "batch_first": True, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False, "num_layers": 2}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bias": False, "batch_first": True}),
]


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize(("kind", "kwargs"), SEQ_CASES)
def test_sequence_layers_match_torch(kind, kwargs, with_state):
    tm, cm = make_pair(kind, (4, 5), kwargs)
    compare(tm, cm, seq_arrays(kind, cm, 6, 3, with_state))


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("RNN", {"num_layers": 2}),
        ("LSTM", {"bidirectional": True, "proj_size": 2}),
        ("GRU", {"batch_first": True, "bidirectional": True}),
    ],
)
def test_unbatched_input_matches_torch(kind, kwargs, with_state):
    tm, cm = make_pair(kind, (4, 5), kwargs)
    compare(tm, cm, seq_arrays(kind, cm, 5, None, with_state, unbatched=True))


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
        ("LSTM", {"num_layers": 2, "proj_size": 3}),
        ("GRU", {"num_layers": 2, "bidirectional": True}),
    ],
)
def test_float64_matches_torch(kind, kwargs):
    tm, cm = make_pair(kind, (4, 5), kwargs, "float64")
    compare(tm, cm, seq_arrays(kind, cm, 5, 2, True, "float64"), "float64")
    assert cm(chainrule.zeros(2, 1, 4, dtype=chainrule.float64))[0].dtype == chainrule.float64


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_only_in_training(kind):
    tm, cm = make_pair(kind, (4, 5), {"num_layers": 2, "dropout": 1.0})
    arrays = seq_arrays(kind, cm, 4, 2, True)
    tm.eval(), cm.eval()
    compare(tm, cm, arrays)
    # p = 1 zeroes layer 1's input: deterministic, and W_ih of layer 1 gets no gradient.
    tm.train(), cm.train()
    tm.zero_grad(), cm.zero_grad()
    compare(tm, cm, arrays)
    assert not _np(cm.weight_ih_l1.grad).any() and _np(cm.weight_hh_l1.grad).any()


CELL_CASES = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("state", ["none", "given", "unbatched"])
@pytest.mark.parametrize(("kind", "kwargs"), CELL_CASES)
def test_cells_match_torch(kind, kwargs, state):
    tm, cm = make_pair(kind, (4, 5), kwargs)
    rng = np.random.default_rng(2)
    batch = () if state == "unbatched" else (3,)
    arrays = [rng.standard_normal((*batch, 4)).astype(np.float32)]
    n_state = 2 if kind == "LSTMCell" else 1
    if state == "none":
        arrays += [None] * (n_state - 1)  # LSTMCell is then called with hx=None
    else:
        arrays += [rng.standard_normal((*batch, 5)).astype(np.float32) for _ in range(n_state)]
    compare(tm, cm, arrays)


def test_cells_float64_match_torch():
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        tm, cm = make_pair(kind, (3, 4), {}, "float64")
        rng = np.random.default_rng(3)
        n_state = 2 if kind == "LSTMCell" else 1
        arrays = [rng.standard_normal((2, s)) for s in (3, *([4] * n_state))]
        compare(tm, cm, arrays, "float64")


@pytest.mark.parametrize(
    ("kind", "args", "kwargs"),
    [
        ("RNN", (3, 4, 2, "relu"), {"bidirectional": True}),
        ("LSTM", (3, 4), {"num_layers": 2, "bias": False, "bidirectional": True}),
        ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
        ("GRU", (3, 4), {"num_layers": 3}),
        ("RNNCell", (3, 4), {"bias": False}),
        ("LSTMCell", (3, 4), {}),
        ("GRUCell", (3, 4), {}),
    ],
)
def test_parameters_state_dict_and_all_weights_match_torch(kind, args, kwargs):
    tm = getattr(torch.nn, kind)(*args, **kwargs)
    cm = getattr(chainrule.nn, kind)(*args, **kwargs)
    t_params = [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert [(n, tuple(p.shape)) for n, p in cm.named_parameters()] == t_params
    assert list(cm.state_dict()) == list(tm.state_dict())
    if not kind.endswith("Cell"):
        assert cm._flat_weights_names == tm._flat_weights_names
        t_all = [[tuple(p.shape) for p in group] for group in tm.all_weights]
        assert [[tuple(p.shape) for p in group] for group in cm.all_weights] == t_all
        assert all(p is getattr(cm, n) for p, n in zip(cm._flat_weights, tm._flat_weights_names))
        cm.flatten_parameters()
        tm.load_state_dict({k: torch.tensor(_np(v)) for k, v in cm.state_dict().items()})


@pytest.mark.parametrize(
    ("kind", "args", "kwargs"),
    [
        ("RNN", (4, 5), {}),
        ("RNN", (4, 5, 2, "relu"), {"bias": False}),
        ("LSTM", (4, 5), {"proj_size": 3, "num_layers": 2, "batch_first": True}),
        ("LSTM", (4, 5), {"num_layers": 2, "dropout": 0.5, "bidirectional": True}),
        ("GRU", (4, 5), {"bias": False, "bidirectional": True}),
        ("RNNCell", (4, 5), {"bias": False, "nonlinearity": "relu"}),
        ("LSTMCell", (4, 5), {}),
        ("GRUCell", (4, 5), {"bias": False}),
    ],
)
def test_repr_matches_torch(kind, args, kwargs):
    tm = getattr(torch.nn, kind)(*args, **kwargs)
    assert repr(getattr(chainrule.nn, kind)(*args, **kwargs)) == repr(tm)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "LSTMCell"])
def test_init_is_uniform_within_one_over_sqrt_hidden(kind):
    chainrule.manual_seed(0)
    hidden = 16
    m = getattr(chainrule.nn, kind)(
        8, hidden, **({} if kind.endswith("Cell") else {"num_layers": 2})
    )
    bound = 1 / np.sqrt(hidden)
    values = np.concatenate([_np(p).ravel() for p in m.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound  # spans the interval, not a narrower one
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.05 * bound
    for p in m.parameters():  # every parameter is initialised, biases included
        assert np.unique(_np(p)).size == _np(p).size


def _raises_like_torch(fn_torch, fn_chainrule):
    with pytest.raises(Exception) as t_exc:
        fn_torch()
    with pytest.raises(type(t_exc.value)) as c_exc:
        fn_chainrule()
    return str(t_exc.value), str(c_exc.value)


@pytest.mark.parametrize(
    ("kind", "call"),
    [
        ("LSTM", lambda lib, m: m(lib.zeros(3, 2, 6))),  # wrong feature size
        ("GRU", lambda lib, m: m(lib.zeros(3, 2, 4), lib.zeros(1, 3, 5))),  # wrong h0 batch
        ("LSTM", lambda lib, m: m(lib.zeros(3, 2, 4), (lib.zeros(1, 2, 5), lib.zeros(2, 2, 5)))),
        ("LSTM", lambda lib, m: m(lib.zeros(3, 2, 4), (lib.zeros(2, 5), lib.zeros(2, 5)))),
        ("RNN", lambda lib, m: m(lib.zeros(3, 2, 4), lib.zeros(2, 5))),
        ("RNN", lambda lib, m: m(lib.zeros(3, 4), lib.zeros(1, 1, 5))),
        ("RNN", lambda lib, m: m(lib.zeros(4))),
        ("RNN", lambda lib, m: m(lib.zeros(3, 2, 4, dtype=lib.float64))),
        ("LSTMCell", lambda lib, m: m(lib.zeros(3, 6))),
        ("LSTMCell", lambda lib, m: m(lib.zeros(3, 4), (lib.zeros(3, 5), lib.zeros(3, 6)))),
        ("GRUCell", lambda lib, m: m(lib.zeros(3, 4), lib.zeros(2, 5))),
        ("RNNCell", lambda lib, m: m(lib.zeros(2, 3, 4))),
        ("GRUCell", lambda lib, m: m(lib.zeros(3, 4), lib.zeros(1, 3, 5))),
    ],
)
def test_bad_inputs_raise_like_torch(kind, call):
    t_msg, c_msg = _raises_like_torch(
        lambda: call(torch, getattr(torch.nn, kind)(4, 5)),
        lambda: call(chainrule, getattr(chainrule.nn, kind)(4, 5)),
    )
    assert c_msg == t_msg.replace("torch.", "chainrule.")


@pytest.mark.parametrize(
    ("kind", "args", "kwargs"),
    [
        ("LSTM", (4, 5), {"proj_size": 5}),
        ("GRU", (4, 5), {"proj_size": 2}),
        ("RNN", (4, 5), {"nonlinearity": "sigmoid"}),
        ("RNN", (4, 0), {}),
        ("LSTM", (4, 5), {"dropout": 1.5}),
        ("GRU", (4, 5), {"bias": 1}),
    ],
)
def test_bad_constructor_arguments_raise_like_torch(kind, args, kwargs):
    t_msg, c_msg = _raises_like_torch(
        lambda: getattr(torch.nn, kind)(*args, **kwargs),
        lambda: getattr(chainrule.nn, kind)(*args, **kwargs),
    )
    assert c_msg == t_msg


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        chainrule.nn.GRU(4, 5, dropout=0.2)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_gradcheck_float64(kind):
    chainrule.manual_seed(0)
    kwargs = {"proj_size": 2} if kind == "LSTM" else {"bidirectional": True}
    m = getattr(chainrule.nn, kind)(2, 3, **kwargs).double()
    x = chainrule.randn(3, 2, 2, dtype=chainrule.float64, requires_grad=True)
    params = list(m.parameters())

    def f(x, *ps):
        with_params = dict(zip([n for n, _ in m.named_parameters()], ps, strict=True))
        for n, p in with_params.items():
            m._parameters[n] = p
        out = m(x)
        return out[0], _flatten(out[1])[0]

    try:
        assert chainrule.autograd.gradcheck(f, (x, *params))
    finally:
        for n, p in zip([n for n, _ in m.named_parameters()], params, strict=True):
            m._parameters[n] = p


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("GRU", {"num_layers": 2}),
        ("LSTM", {"bidirectional": True}),
        ("LSTM", {"proj_size": 2}),
        ("RNN", {"nonlinearity": "tanh"}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
    ],
)
def test_double_backward_matches_torch(kind, kwargs):
    """create_graph through the recurrence: the gradient of |dL/dx|^2 w.r.t. the weights."""
    tm, cm = make_pair(kind, (3, 4), kwargs, "float64")
    shape = (4, 3) if kind.endswith("Cell") else (4, 2, 3)
    x_np = np.random.default_rng(4).standard_normal(shape)
    results = []
    for lib, m in ((torch, tm), (chainrule, cm)):
        x = lib.tensor(x_np, requires_grad=True)
        outs = _flatten(m(x))
        loss = sum((o**2).sum() + o.sum() for o in outs)
        (gx,) = lib.autograd.grad(loss, x, create_graph=True)
        (gx**2).sum().backward()
        results.append([_np(p.grad) for p in m.parameters()] + [_np(x.grad)])
    for t, c in zip(*results, strict=True):
        np.testing.assert_allclose(c, t, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("LSTM", {"proj_size": 2, "bidirectional": True}),
        ("GRU", {"num_layers": 2}),
        ("LSTMCell", {}),
        ("GRUCell", {}),
    ],
)
def test_forward_ad_matches_torch(kind, kwargs):
    """Tangents of every output for tangents on the input and on the initial state."""
    tm, cm = make_pair(kind, (3, 4), kwargs, "float64")
    rng = np.random.default_rng(5)
    cell = kind.endswith("Cell")
    x_shape = (2, 3) if cell else (4, 2, 3)
    d_h = 1 if cell else (2 if cm.bidirectional else 1) * cm.num_layers
    h_size = 4 if cell or not cm.proj_size else cm.proj_size
    h_shape = (2, h_size) if cell else (d_h, 2, h_size)
    c_shape = (2, 4) if cell else (d_h, 2, 4)
    shapes = [x_shape, h_shape] + ([c_shape] if kind.startswith("LSTM") else [])
    primals = [rng.standard_normal(s) for s in shapes]
    tangents = [rng.standard_normal(s) for s in shapes]
    results = []
    for lib, m in ((torch, tm), (chainrule, cm)):
        fwad = lib.autograd.forward_ad
        with fwad.dual_level():
            duals = [
                fwad.make_dual(lib.tensor(p), lib.tensor(t))
                for p, t in zip(primals, tangents, strict=True)
            ]
            state = tuple(duals[1:]) if len(duals) == 3 else duals[1]
            outs = _flatten(m(duals[0], state))
            results.append([_np(fwad.unpack_dual(o).tangent) for o in outs])
    for t, c in zip(*results, strict=True):
        np.testing.assert_allclose(c, t, rtol=1e-9, atol=1e-11)


def test_backward_twice_with_retain_graph_matches_first():
    m = chainrule.nn.LSTM(3, 4)
    out, (h, c) = m(chainrule.randn(5, 2, 3))
    loss = out.sum() + c.sum()
    loss.backward(retain_graph=True)
    first = _np(m.weight_hh_l0.grad).copy()
    loss.backward()
    np.testing.assert_allclose(_np(m.weight_hh_l0.grad), 2 * first, rtol=1e-6)
    with pytest.raises(RuntimeError):
        loss.backward()


def test_hooks_and_module_api():
    m = chainrule.nn.LSTM(3, 4)
    seen = []
    m.register_forward_hook(lambda mod, inp, out: seen.append(tuple(out[0].shape)))
    x = chainrule.randn(5, 2, 3, requires_grad=True)
    out, (h, c) = m(x)
    assert seen == [(5, 2, 4)]
    assert out.grad_fn is not None
    m.weight_hh_l0.register_hook(lambda g: g * 0)
    out.sum().backward()
    assert not _np(m.weight_hh_l0.grad).any() and _np(m.weight_ih_l0.grad).any()


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_saturated_gates_stay_finite_and_match_torch(kind):
    """Inputs of 1e4 drive every gate to 0 or 1: no overflow, same values and gradients."""
    tm, cm = make_pair(kind, (4, 5), {})
    arrays = seq_arrays(kind, cm, 3, 2, True)
    arrays[0] = arrays[0] * 1e4
    compare(tm, cm, arrays)


def test_unknown_cell_nonlinearity_raises_at_forward_like_torch():
    t_msg, c_msg = _raises_like_torch(
        lambda: torch.nn.RNNCell(2, 3, nonlinearity="gelu")(torch.zeros(1, 2)),
        lambda: chainrule.nn.RNNCell(2, 3, nonlinearity="gelu")(chainrule.zeros(1, 2)),
    )
    assert c_msg == t_msg
