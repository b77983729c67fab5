"""Custom autograd.Function: torch's documented examples, run on chainrule and on torch (the
`lib` fixture), and the ctx API's corners."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule


def functions(lib):
    """torch's documentation examples, defined against module `lib`."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class Sort(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return values, idx

        @staticmethod
        def backward(ctx, g_values, g_idx):
            x, idx = ctx.saved_tensors
            grad_input = lib.zeros_like(x)
            grad_input.index_add_(0, idx, g_values)
            return grad_input

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, c):
            ctx.c = c
            return x * c, c

        @staticmethod
        def backward(ctx, g, _):
            return g * ctx.c, None

    return Exp, LinearFunction, Sort, MulConstant


def arr(t):
    return t.detach().numpy()


def test_exp_forward_backward_and_double_backward(lib):
    Exp = functions(lib)[0]
    x = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward"
    (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = lib.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(arr(g), np.exp([0.5, 1.0]))
    np.testing.assert_allclose(arr(gg), np.exp([0.5, 1.0]))


def test_linear_function_with_setup_context_passes_gradcheck_and_gradgradcheck(lib):
    Linear = functions(lib)[1]
    rng = np.random.default_rng(0)
    shapes = [(2, 3), (4, 3), (4,)]
    inp, w, b = (lib.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    out = Linear.apply(inp, w, b)
    out.sum().backward()
    np.testing.assert_allclose(arr(b.grad), [2.0] * 4)
    np.testing.assert_allclose(arr(inp.grad), np.tile(arr(w).sum(0), (2, 1)))
    assert lib.autograd.gradcheck(Linear.apply, (inp, w, b))
    assert lib.autograd.gradgradcheck(Linear.apply, (inp, w, b))


def test_needs_input_grad_skips_inputs_that_do_not_require_grad(lib):
    Linear = functions(lib)[1]
    inp = lib.ones(2, 3, requires_grad=True)
    w = lib.ones(4, 3)
    Linear.apply(inp, w, None).sum().backward()
    assert w.grad is None and inp.grad is not None


def test_mark_non_differentiable_output_does_not_require_grad(lib):
    Sort = functions(lib)[2]
    x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = Sort.apply(x)
    assert values.requires_grad and not idx.requires_grad
    (values * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 1.0, 2.0])


def test_non_tensor_arguments_and_outputs(lib):
    MulConstant = functions(lib)[3]
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y, c = MulConstant.apply(x, 3.0)
    assert c == 3.0
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0])


def test_no_input_requires_grad_records_nothing(lib):
    Exp = functions(lib)[0]
    y = Exp.apply(lib.tensor([1.0]))
    assert not y.requires_grad and y.grad_fn is None
    with lib.no_grad():
        assert Exp.apply(lib.tensor([1.0], requires_grad=True)).grad_fn is None


def test_wrong_number_of_gradients_names_the_function(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"BadBackward returned an incorrect number of grad"):
        Bad.apply(lib.ones(2, requires_grad=True)).sum().backward()


def test_wrong_gradient_shape_names_the_function_and_index(lib):
    class BadShape(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return lib.ones(3)

    msg = r"BadShapeBackward returned an invalid gradient at index 0"
    with pytest.raises(RuntimeError, match=msg):
        BadShape.apply(lib.ones(2, requires_grad=True)).sum().backward()


def test_extra_trailing_none_gradients_are_allowed(lib):
    class Extra(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = lib.ones(2, requires_grad=True)
    Extra.apply(x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_mark_dirty_rebases_the_modified_input(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    z = Double.apply(y)
    assert z is y and type(y.grad_fn).__name__ == "DoubleBackward"
    np.testing.assert_array_equal(arr(y), [2.0, 4.0])
    z.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_mark_dirty_on_a_leaf_that_requires_grad_raises(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        Double.apply(lib.ones(2, requires_grad=True))


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(lib, materialize):
    seen = []

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2 is None)
            return g1

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert seen == [not materialize]
    np.testing.assert_array_equal(arr(x.grad), [1.0, 1.0])


def test_saved_tensor_modified_in_place_raises_at_backward(lib):
    Exp = functions(lib)[0]
    x = lib.tensor([1.0], requires_grad=True)
    y = Exp.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_once_differentiable_refuses_a_second_differentiation(lib):
    od = (
        chainrule.autograd.function.once_differentiable
        if lib is chainrule
        else lib.autograd.function.once_differentiable
    )

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @od
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    v = lib.ones(2, requires_grad=True)
    (g,) = lib.autograd.grad(Square.apply(x), x, grad_outputs=v, create_graph=True)
    np.testing.assert_array_equal(arr(g), [2.0, 4.0])
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_custom_function_matches_torch_in_a_larger_graph(torch):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 4))
    grads = []
    for lib in (chainrule, torch):
        Exp, Linear, _, _ = functions(lib)
        x = lib.tensor(data, requires_grad=True)
        w = lib.tensor(data.T @ data / 4, requires_grad=True)
        out = Exp.apply(Linear.apply(x, w.t(), None).tanh()).sum() + (x * x).sum()
        out.backward()
        grads.append((arr(x.grad), arr(w.grad)))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)
