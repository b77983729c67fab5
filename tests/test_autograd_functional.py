"""torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp, compared with torch live.

Every case is run on both libraries from the same NumPy data and the results are compared
whole: the return structure (Tensor, tuple or list, nested as torch nests it), shapes, dtypes,
values and whether each result requires grad. Error cases run under the `lib` fixture, so the
torch run proves the expected exception type and message.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule

NAMES = ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp")


def fn(lib, name):
    return getattr(lib.autograd.functional, name)


def mk(lib, arr, requires_grad=False):
    return lib.tensor(np.asarray(arr), requires_grad=requires_grad)


def data(seed, *shapes):
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(-1.0, 1.0, s) for s in shapes)


def run(lib, name, func, arrays, *args, input_grad=False, **kwargs):
    """`name(func, inputs, *args)` with inputs (a Tensor, or a tuple for a tuple of arrays)."""
    if isinstance(arrays, tuple):
        inputs = tuple(mk(lib, a, input_grad) for a in arrays)
    else:
        inputs = mk(lib, arrays, input_grad)
    args = tuple(conv(lib, a) for a in args)
    kwargs = {k: conv(lib, a) for k, a in kwargs.items()}
    return fn(lib, name)(lambda *xs: func(lib, *xs), inputs, *args, **kwargs)


def conv(lib, a):
    if isinstance(a, np.ndarray):
        return mk(lib, a)
    if isinstance(a, tuple):
        return tuple(conv(lib, x) for x in a)
    return a


def assert_same(ours, theirs, torch, rtol=1e-6, atol=1e-9):
    """Same nesting (tuple/list/Tensor), shapes, dtypes, values and requires_grad flags."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, chainrule.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert ours.requires_grad == theirs.requires_grad
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol
        )
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b, torch, rtol, atol)


def both(torch, name, func, arrays, *args, **kwargs):
    ours = run(chainrule, name, func, arrays, *args, **kwargs)
    theirs = run(torch, name, func, arrays, *args, **kwargs)
    assert_same(ours, theirs, torch)
    return ours, theirs


def message(exc) -> str:
    return re.sub(r"\b(torch|chainrule)\.Size", "Size", str(exc))


def raises_as_torch(torch, call):
    """call(lib) raises the same exception type and message on both libraries."""
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(chainrule)
    assert type(ours.value) is type(theirs.value)
    assert message(ours.value) == message(theirs.value)


# --- torch's docstring examples -----------------------------------------------------------------


def exp_reducer(lib, x):
    return x.exp().sum(dim=1)


def adder(lib, x, y):
    return 2 * x + 3 * y


def exp_adder(lib, x, y):
    return 2 * x.exp() + 3 * y


def pow_reducer(lib, x):
    return x.pow(3).sum()


def pow_adder_reducer(lib, x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


@pytest.mark.parametrize("create_graph", [False, True])
def test_docstring_vjp(torch, create_graph):
    (x,) = data(0, (4, 4))
    both(torch, "vjp", exp_reducer, x, np.ones(4), create_graph=create_graph)
    both(torch, "vjp", adder, data(1, 2, 2), np.ones(2))


@pytest.mark.parametrize("create_graph", [False, True])
def test_docstring_jvp(torch, create_graph):
    (x,) = data(2, (4, 4))
    both(torch, "jvp", exp_reducer, x, np.ones((4, 4)), create_graph=create_graph)
    both(torch, "jvp", adder, data(3, 2, 2), (np.ones(2), np.ones(2)))


@pytest.mark.parametrize("create_graph", [False, True])
def test_docstring_jacobian(torch, create_graph):
    (x,) = data(4, (2, 2))
    both(torch, "jacobian", exp_reducer, x, create_graph=create_graph)
    both(torch, "jacobian", exp_adder, data(5, 2, 2))


def test_docstring_jacobian_linear_model(lib):
    def linear_model(x):
        w = lib.tensor([[2.0, -1.0], [0.0, 1.0]])
        b = lib.tensor([1.0, 0.5])
        return x @ w.T + b

    x = lib.randn(4, 2, requires_grad=True)
    jac = lib.autograd.functional.jacobian(linear_model, x, vectorize=True)
    assert jac.shape == (4, 2, 4, 2)
    assert not jac.requires_grad
    assert np.array_equal(jac.numpy()[1, :, 1, :], [[2.0, -1.0], [0.0, 1.0]])
    assert np.array_equal(jac.numpy()[1, :, 0, :], np.zeros((2, 2)))


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", ["hessian", "hvp", "vhp"])
def test_docstring_second_order(torch, name, create_graph):
    (x,) = data(6, (2, 2))
    pair = data(7, 2, 2)
    if name == "hessian":
        both(torch, name, pow_reducer, x, create_graph=create_graph)
        both(torch, name, pow_adder_reducer, pair)
    else:
        both(torch, name, pow_reducer, x, np.ones((2, 2)), create_graph=create_graph)
        both(torch, name, pow_adder_reducer, pair, (np.zeros(2), np.ones(2)))


# --- random functions over random shapes --------------------------------------------------------


def case(seed):
    """(func, arrays, out_arrays): a random function from matmul, tanh, pow, sum and indexing."""
    rng = np.random.default_rng(seed)
    n, m, k = (int(d) for d in rng.integers(1, 4, 3))
    kind = seed % 4
    if kind == 0:  # Tensor -> Tensor
        (w,) = data(seed + 100, (m, k))

        def func(lib, x):
            return (x @ mk(lib, w)).tanh() * x[:, :1].pow(2) + x[-1].sum()

        return func, data(seed, (n, m))[0]
    if kind == 1:  # tuple -> tuple

        def func(lib, x, y):
            return (x @ y).tanh().pow(2), (x.pow(2).sum(0) * y[:, 0]).sum(), x[1:] * 3

        return func, data(seed, (n, m), (m, k))
    if kind == 2:  # tuple -> Tensor

        def func(lib, x, y):
            return (x.tanh() @ y).pow(3)[..., 0] + (x[0] * x[-1]).sum() * y.sum()

        return func, data(seed, (n, m), (m, k))

    def func(lib, x):  # Tensor -> tuple
        return x.tanh(), (x @ x.T).pow(2).sum(), x[0, :1] * x[-1, -1:]

    return func, data(seed, (n, m))[0]


def outputs_like(func, arrays):
    with chainrule.no_grad():
        args = arrays if isinstance(arrays, tuple) else (arrays,)
        out = func(chainrule, *(mk(chainrule, a) for a in args))
    rng = np.random.default_rng(0)
    if isinstance(out, tuple):
        return tuple(rng.uniform(-1, 1, tuple(o.shape)) for o in out)
    return rng.uniform(-1, 1, tuple(out.shape))


def scalar(func):
    def f(lib, *xs):
        out = func(lib, *xs)
        outs = out if isinstance(out, tuple) else (out,)
        total = outs[0].sum()
        for o in outs[1:]:
            total = total + o.pow(2).sum()
        return total * total.tanh()

    return f


def inputs_like(arrays, seed=1):
    rng = np.random.default_rng(seed)
    if isinstance(arrays, tuple):
        return tuple(rng.uniform(-1, 1, a.shape) for a in arrays)
    return rng.uniform(-1, 1, arrays.shape)


SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("create_graph", [False, True])
def test_random_first_order(torch, seed, create_graph):
    func, arrays = case(seed)
    kw = {"create_graph": create_graph}
    both(torch, "vjp", func, arrays, outputs_like(func, arrays), **kw)
    both(torch, "jvp", func, arrays, inputs_like(arrays), **kw)
    both(torch, "jacobian", func, arrays, **kw)
    both(torch, "jacobian", func, arrays, vectorize=True, **kw)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("create_graph", [False, True])
def test_random_second_order(torch, seed, create_graph):
    func, arrays = case(seed)
    func = scalar(func)
    kw = {"create_graph": create_graph}
    both(torch, "hessian", func, arrays, **kw)
    both(torch, "hessian", func, arrays, vectorize=True, **kw)
    both(torch, "hvp", func, arrays, inputs_like(arrays), **kw)
    both(torch, "vhp", func, arrays, inputs_like(arrays, seed=2), **kw)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_with_inputs_requiring_grad(torch, seed):
    func, arrays = case(seed)
    for create_graph in (False, True):
        kw = {"create_graph": create_graph, "input_grad": True}
        both(torch, "jacobian", func, arrays, **kw)
        both(torch, "hessian", scalar(func), arrays, **kw)


# --- create_graph: the results are differentiable again -----------------------------------------


def second_order(lib, name, func, arrays, v_arrays):
    """Gradients of sum(result**2) w.r.t. the inputs (and v) after create_graph=True."""
    ins = tuple(mk(lib, a, True) for a in arrays)
    vs = tuple(mk(lib, a, True) for a in v_arrays) if v_arrays is not None else None
    f = fn(lib, name)
    call = (lambda *xs: func(lib, *xs)), ins
    res = f(*call, vs, create_graph=True) if vs is not None else f(*call, create_graph=True)
    flat = []

    def collect(r):
        if isinstance(r, (tuple, list)):
            for el in r:
                collect(el)
        elif r.requires_grad:
            flat.append(r)

    collect(res)
    total = sum((r.pow(2).sum() for r in flat), mk(lib, 0.0))
    wrt = ins + (vs or ())
    return lib.autograd.grad(total, wrt, allow_unused=True, materialize_grads=True)


@pytest.mark.parametrize("seed", [1, 2, 5, 6, 9, 10])
@pytest.mark.parametrize("name", NAMES)
def test_create_graph_results_differentiate_again(torch, name, seed):
    func, arrays = case(seed)
    if name in ("hessian", "hvp", "vhp"):
        func = scalar(func)
    v = None
    if name == "vjp":
        v = outputs_like(func, arrays)
    elif name in ("jvp", "hvp", "vhp"):
        v = inputs_like(arrays)
    if v is not None and not isinstance(v, tuple):
        v = (v,)
    ours = second_order(chainrule, name, func, arrays, v)
    theirs = second_order(torch, name, func, arrays, v)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)


def test_create_graph_connects_to_caller_inputs(torch):
    (x,) = data(8, (3,))
    for lib in (chainrule, torch):
        t = mk(lib, x, True)
        _, g = lib.autograd.functional.vjp(lambda a: a.pow(3).sum(), t, create_graph=True)
        g.sum().backward()
        np.testing.assert_allclose(t.grad.numpy(), 6 * x, rtol=1e-12)


def test_captured_input_is_a_constant(torch):
    """The input given as an argument is not the one `func` may capture (pytorch#32576)."""
    (x,) = data(9, (3,))
    for create_graph in (False, True):
        res = []
        for lib in (chainrule, torch):
            t = mk(lib, x, True)
            res.append(
                lib.autograd.functional.jacobian(lambda a, t=t: a * t, t, create_graph=create_graph)
            )
        assert_same(*res, torch)


# --- independent inputs: zeros, or errors in strict mode -----------------------------------------


def independent(lib, x, y):
    return x.pow(2) * 2


def independent_scalar(lib, x, y):
    return x.pow(3).sum()


@pytest.mark.parametrize("create_graph", [False, True])
def test_independent_inputs_give_zeros(torch, create_graph):
    pair = data(10, 3, 2)
    kw = {"create_graph": create_graph}
    both(torch, "vjp", independent, pair, np.ones(3), **kw)
    both(torch, "jvp", independent, pair, (np.ones(3), np.ones(2)), **kw)
    both(torch, "jacobian", independent, pair, **kw)
    both(torch, "hessian", independent_scalar, pair, **kw)
    both(torch, "hvp", independent_scalar, pair, (np.ones(3), np.ones(2)), **kw)
    both(torch, "vhp", independent_scalar, pair, (np.ones(3), np.ones(2)), **kw)
    both(torch, "jacobian", lambda lib, x: x.detach() * 2, pair[0], **kw)
    both(torch, "jvp", lambda lib, x: (x * 2, x.detach()), pair[0], np.ones(3), **kw)


def _strict_calls():
    pair = data(11, 3, 2)
    ones = (np.ones(3), np.ones(2))
    lin = lambda lib, x: x * 2  # noqa: E731
    lin_sum = lambda lib, x: x.sum() * 2  # noqa: E731
    const = lambda lib, x: lib.ones(3)  # noqa: E731
    w = data(12, 3)[0]

    def captured(lib):
        wt = mk(lib, w, True)  # output 1 depends only on a captured tensor
        return lambda lib_, x: (x * 2, wt * 3)

    def captured_jac(lib):
        wt = mk(lib, w[:2], True)  # jacobian wrt y depends only on a captured tensor
        return lambda lib_, x, y: (y * wt).sum() + x.pow(2).sum()

    def quad(lib):
        a = mk(lib, data(18, (3, 3))[0])  # x^T A x: a Hessian that does not depend on x
        return lambda lib_, x: x @ (a @ x)

    return {
        "vjp_independent": lambda lib: run(lib, "vjp", independent, pair, np.ones(3), strict=True),
        "vjp_const": lambda lib: run(lib, "vjp", const, pair[0], np.ones(3), strict=True),
        "vjp_linear_cg": lambda lib: run(
            lib, "vjp", lin, pair[0], np.ones(3), strict=True, create_graph=True
        ),
        "jvp_independent": lambda lib: run(lib, "jvp", independent, pair, ones, strict=True),
        "jvp_trick": lambda lib: run(lib, "jvp", captured(lib), pair[0], np.ones(3), strict=True),
        "jvp_linear_cg": lambda lib: run(
            lib, "jvp", lin, pair[0], np.ones(3), strict=True, create_graph=True
        ),
        "jacobian_independent": lambda lib: run(lib, "jacobian", independent, pair, strict=True),
        "jacobian_const": lambda lib: run(lib, "jacobian", const, pair[0], strict=True),
        "jacobian_linear_cg": lambda lib: run(
            lib, "jacobian", lin, pair[0], strict=True, create_graph=True
        ),
        "jacobian_vectorize": lambda lib: run(
            lib, "jacobian", lin, pair[0], strict=True, vectorize=True
        ),
        "hessian_linear": lambda lib: run(lib, "hessian", lin_sum, pair[0], strict=True),
        "hessian_independent": lambda lib: run(
            lib, "hessian", independent_scalar, pair, strict=True
        ),
        "hessian_quadratic_form_cg": lambda lib: run(
            lib, "hessian", quad(lib), pair[0], strict=True, create_graph=True
        ),
        "hvp_linear": lambda lib: run(lib, "hvp", lin_sum, pair[0], np.ones(3), strict=True),
        "vhp_linear": lambda lib: run(lib, "vhp", lin_sum, pair[0], np.ones(3), strict=True),
        "vhp_captured": lambda lib: run(lib, "vhp", captured_jac(lib), pair, ones, strict=True),
        "vhp_quadratic_form_cg": lambda lib: run(
            lib, "vhp", quad(lib), pair[0], np.ones(3), strict=True, create_graph=True
        ),
        "hvp_quadratic_form_cg": lambda lib: run(
            lib, "hvp", quad(lib), pair[0], np.ones(3), strict=True, create_graph=True
        ),
    }


STRICT = _strict_calls()


@pytest.mark.parametrize("key", sorted(STRICT))
def test_strict_errors(torch, key):
    raises_as_torch(torch, STRICT[key])


def test_strict_passes_when_everything_depends(torch):
    func, arrays = case(2)
    both(torch, "jacobian", func, arrays, strict=True)
    both(torch, "vjp", func, arrays, outputs_like(func, arrays), strict=True)
    both(torch, "jvp", func, arrays, inputs_like(arrays), strict=True)
    g = scalar(func)
    both(torch, "hessian", g, arrays, strict=True, create_graph=True)
    both(torch, "hvp", g, arrays, inputs_like(arrays), strict=True)
    both(torch, "vhp", g, arrays, inputs_like(arrays), strict=True)


# --- argument validation -------------------------------------------------------------------------


def _validation_calls():
    pair = data(13, 3, 2)
    (x,) = data(14, (3,))
    sq = lambda lib, a: a.pow(2)  # noqa: E731
    sq_sum = lambda lib, a: a.pow(2).sum()  # noqa: E731
    sq_sum2 = lambda lib, a, b: a.pow(2).sum() + b.pow(2).sum()  # noqa: E731
    calls = {
        "vjp_size": lambda lib: run(lib, "vjp", sq, x, np.ones(2)),
        "vjp_none": lambda lib: run(lib, "vjp", sq, x),
        "vjp_tuple_for_tensor": lambda lib: run(lib, "vjp", sq, x, (np.ones(3), np.ones(3))),
        "vjp_tuple_length": lambda lib: run(
            lib, "vjp", lambda lib_, a, b: (a * 2, b * 2), pair, (np.ones(3),)
        ),
        "vjp_entry_size": lambda lib: run(
            lib, "vjp", lambda lib_, a, b: (a * 2, b * 2), pair, (np.ones(3), np.ones(3))
        ),
        "vjp_v_not_tensor": lambda lib: run(lib, "vjp", sq, x, [1.0, 2.0, 3.0]),
        "jvp_size": lambda lib: run(lib, "jvp", sq, x, np.ones((3, 1))),
        "jvp_none": lambda lib: run(lib, "jvp", sq, x),
        "jvp_entry_size": lambda lib: run(lib, "jvp", independent, pair, (np.ones(3), np.ones(3))),
        "hvp_none": lambda lib: run(lib, "hvp", sq_sum, x),
        "vhp_none": lambda lib: run(lib, "vhp", sq_sum, x),
        "hvp_length": lambda lib: run(lib, "hvp", sq_sum2, pair, (np.ones(3),)),
        "vhp_size": lambda lib: run(lib, "vhp", sq_sum, x, np.ones(4)),
        "hvp_vector_output": lambda lib: run(lib, "hvp", sq, x, np.ones(3)),
        "vhp_tuple_output": lambda lib: run(
            lib, "vhp", lambda lib_, a: (a.sum(), a.sum()), x, np.ones(3)
        ),
        "hessian_vector_output": lambda lib: run(lib, "hessian", sq, x),
        "hessian_tuple_output": lambda lib: run(lib, "hessian", lambda lib_, a: (a.sum(),), x),
        "hessian_bad_strategy": lambda lib: run(
            lib, "hessian", sq_sum, x, outer_jacobian_strategy="sideways"
        ),
        "jacobian_bad_strategy": lambda lib: run(lib, "jacobian", sq, x, strategy="sideways"),
        "jacobian_list_output": lambda lib: run(lib, "jacobian", lambda lib_, a: [a], x),
        "jacobian_number_output": lambda lib: run(lib, "jacobian", lambda lib_, a: (a, 1.0), x),
        "jacobian_empty_output": lambda lib: run(lib, "jacobian", lambda lib_, a: a[:0], x),
        "forward_without_vectorize": lambda lib: run(
            lib, "jacobian", sq, x, strategy="forward-mode"
        ),
        "forward_strict": lambda lib: run(
            lib, "jacobian", sq, x, strategy="forward-mode", vectorize=True, strict=True
        ),
        "forward_create_graph": lambda lib: run(
            lib, "jacobian", sq, x, strategy="forward-mode", vectorize=True, create_graph=True
        ),
        "forward_list_output": lambda lib: run(
            lib, "jacobian", lambda lib_, a: [a], x, strategy="forward-mode", vectorize=True
        ),
        "hessian_forward_without_vectorize": lambda lib: run(
            lib, "hessian", sq_sum, x, outer_jacobian_strategy="forward-mode"
        ),
        "hessian_forward_create_graph": lambda lib: run(
            lib,
            "hessian",
            sq_sum,
            x,
            outer_jacobian_strategy="forward-mode",
            vectorize=True,
            create_graph=True,
        ),
    }
    for name in NAMES:
        calls[f"{name}_list_inputs"] = lambda lib, name=name: fn(lib, name)(
            lambda a: a.sum(), [mk(lib, x)]
        )
        calls[f"{name}_number_in_tuple"] = lambda lib, name=name: fn(lib, name)(
            lambda a, b: a.sum(), (mk(lib, x), 2.0)
        )
    return calls


VALIDATION = _validation_calls()


@pytest.mark.parametrize("key", sorted(VALIDATION))
def test_validation_errors(torch, key):
    raises_as_torch(torch, VALIDATION[key])


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_v_may_be_omitted_for_one_element(torch, name):
    (x,) = data(15, (1, 1))
    both(torch, name, lambda lib, a: a.pow(3).sum() * a.sum().exp(), x)


def test_vectorize_handles_an_empty_output(torch):
    (x,) = data(16, (3,))
    both(torch, "jacobian", lambda lib, a: (a[:0] * 2, a * 2), x, vectorize=True)


# --- forward-mode strategy (computed by reverse mode in chainrule) -------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("input_grad", [False, True])
def test_forward_mode_jacobian(torch, seed, input_grad):
    func, arrays = case(seed)
    kw = {"vectorize": True, "strategy": "forward-mode", "input_grad": input_grad}
    both(torch, "jacobian", func, arrays, **kw)


def test_forward_mode_structure_and_dtype(torch):
    x, y = data(17, 3, 2)

    def func(lib, a, b):
        return a.sin() * 2, (a[:2] * b).sum().float(), b, a.detach()

    both(torch, "jacobian", func, (x, y), vectorize=True, strategy="forward-mode")
    both(
        torch,
        "jacobian",
        lambda lib, a, b: a * b.sum(),
        (x, y),
        vectorize=True,
        strategy="forward-mode",
    )
    both(torch, "jacobian", lambda lib, a: a * 2, x, vectorize=True, strategy="forward-mode")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("input_grad", [False, True])
def test_forward_over_reverse_hessian(torch, seed, input_grad):
    func, arrays = case(seed)
    kw = {"vectorize": True, "outer_jacobian_strategy": "forward-mode", "input_grad": input_grad}
    both(torch, "hessian", scalar(func), arrays, **kw)


def test_forward_over_reverse_hessian_under_no_grad(torch):
    func, arrays = case(5)
    kw = {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}
    with chainrule.no_grad(), torch.no_grad():
        both(torch, "hessian", scalar(func), arrays, **kw)


# --- grad mode ---------------------------------------------------------------------------------


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("input_grad", [False, True])
def test_under_no_grad(torch, create_graph, input_grad):
    func, arrays = case(1)
    g = scalar(func)
    res = {}
    for lib in (chainrule, torch):
        kw = {"create_graph": create_graph, "input_grad": input_grad}
        with lib.no_grad():
            res[lib] = (
                run(lib, "vjp", func, arrays, outputs_like(func, arrays), **kw),
                run(lib, "jvp", func, arrays, inputs_like(arrays), **kw),
                run(lib, "jacobian", func, arrays, **kw),
                run(lib, "hessian", g, arrays, **kw),
                run(lib, "hvp", g, arrays, inputs_like(arrays), **kw),
                run(lib, "vhp", g, arrays, inputs_like(arrays), **kw),
                run(
                    lib,
                    "jacobian",
                    func,
                    arrays,
                    vectorize=True,
                    strategy="forward-mode",
                    input_grad=input_grad,
                ),
            )
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()
    assert_same(res[chainrule], res[torch], torch)


def test_caller_inputs_are_left_alone(lib):
    x = lib.tensor([0.5, -1.0, 2.0])
    y = lib.tensor([1.0, 2.0], requires_grad=True)
    F = lib.autograd.functional
    F.jacobian(lambda a, b: a * b.sum(), (x, y))
    F.hessian(lambda a, b: (a * b.sum()).pow(2).sum(), (x, y), create_graph=True)
    F.jvp(lambda a: a.exp(), x, lib.ones(3))
    assert not x.requires_grad and x.grad is None
    assert y.requires_grad and y.grad is None and y.grad_fn is None


# --- the forward-mode path ------------------------------------------------------------------------


def _jvp_only(lib):
    """x * 2 with a jvp and no backward: only forward mode can differentiate it."""

    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t * 2

    return Double


def test_forward_path_serves_a_jvp_only_function(torch):
    """functional.jvp (create_graph=False) and the forward-mode Jacobian use forward AD: a
    Function with a jvp and no backward works (torch's jvp, by double backward, raises; its
    forward AD gives the reference tangent)."""
    x, v = data(5, (2, 3), (2, 3))

    def func(lib, x):
        return _jvp_only(lib).apply(x.sin()).sum(0)

    ours_out, ours = chainrule.autograd.functional.jvp(
        lambda x: func(chainrule, x), mk(chainrule, x), mk(chainrule, v)
    )
    fw = torch.autograd.forward_ad
    with fw.dual_level():
        out = func(torch, fw.make_dual(mk(torch, x), mk(torch, v)))
        theirs_out, theirs = (t.detach() for t in fw.unpack_dual(out))
    assert_same(ours_out, theirs_out, torch)
    assert_same(ours, theirs, torch)
    with pytest.raises(NotImplementedError, match="backward or vjp"):
        torch.autograd.functional.jvp(lambda x: func(torch, x), mk(torch, x), mk(torch, v))
    jac = chainrule.autograd.functional.jacobian(
        lambda x: func(chainrule, x), mk(chainrule, x), vectorize=True, strategy="forward-mode"
    )
    ref = torch.autograd.functional.jacobian(lambda x: (x.sin() * 2).sum(0), mk(torch, x))
    assert_same(jac, ref, torch)


def test_jvp_falls_back_to_reverse_mode(torch):
    """An op without a forward rule (here a user Function without jvp) takes the
    double-backward trick, as in torch, and gives the same result."""

    class Square(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x, v = (chainrule.tensor(a) for a in data(7, (3,), (3,)))
    out, jv = chainrule.autograd.functional.jvp(Square.apply, x, v)
    np.testing.assert_allclose(jv.numpy(), 2 * x.numpy() * v.numpy())
    np.testing.assert_allclose(out.numpy(), x.numpy() ** 2)


def test_jvp_of_a_function_that_differentiates_inside_matches_torch(torch):
    # forward mode cannot see through autograd.grad inside func: jvp must notice and use the
    # double-backward path, not return the tangent of a constant
    results = []
    for m in (chainrule, torch):
        x = m.tensor([1.0, 2.0, -0.5], dtype=m.float64)
        v = m.tensor([1.0, 0.5, 2.0], dtype=m.float64)

        def grad_of_cube(t, m=m):
            return m.autograd.grad((t**3).sum(), t, create_graph=True)[0]

        out, jv = m.autograd.functional.jvp(grad_of_cube, x, v)
        results.append((out.numpy(), jv.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])
    np.testing.assert_allclose(results[0][1], 6 * np.array([1.0, 2.0, -0.5]) * [1.0, 0.5, 2.0])
