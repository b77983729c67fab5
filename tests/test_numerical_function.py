"""chainrule.autograd.numerical_function: finite-difference gradients of black-box NumPy
functions, checked against analytic derivatives (chainrule's own ops and known identities)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.special

import chainrule
from chainrule.autograd.numerical import (
    ApproximateGradientWarning,
    NumericalFunction,
    numerical_function,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::chainrule.autograd.numerical.ApproximateGradientWarning"
)


def arr(t):
    return t.detach().numpy()


def leaf(data, dtype=chainrule.float64, requires_grad=True):
    return chainrule.tensor(np.asarray(data), dtype=dtype, requires_grad=requires_grad)


def test_sin_matches_cos_in_float64():
    x = leaf(np.linspace(-3, 3, 7))
    y = numerical_function(np.sin)(x)
    assert type(y.grad_fn).__name__ == "NumericalBackward" and y.dtype == chainrule.float64
    np.testing.assert_allclose(arr(y), np.sin(arr(x)))
    y.backward(chainrule.arange(7, dtype=chainrule.float64))
    np.testing.assert_allclose(arr(x.grad), np.arange(7) * np.cos(arr(x)), rtol=1e-8, atol=1e-9)


def test_float32_inputs_give_float32_and_are_differenced_in_float64():
    seen = []

    def f(x):
        seen.append(x.dtype)
        return np.sin(x)

    x = leaf(np.linspace(-3, 3, 5), dtype=chainrule.float32)
    y = numerical_function(f)(x)
    assert y.dtype == chainrule.float32
    y.sum().backward()
    assert x.grad.dtype == chainrule.float32
    assert seen[0] == np.float32 and set(seen[1:]) == {np.dtype(np.float64)}
    np.testing.assert_allclose(arr(x.grad), np.cos(arr(x).astype(np.float64)), rtol=1e-6)


def test_matrix_function_inverse_matches_linalg_inv():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    g = rng.standard_normal((3, 3))
    grads = []
    for inv in (numerical_function(np.linalg.inv), chainrule.linalg.inv):
        x = leaf(a)
        inv(x).backward(chainrule.tensor(g))
        grads.append(arr(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-9)


def test_determinant_matches_the_adjugate_formula():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    x = leaf(a)
    numerical_function(np.linalg.det)(x).backward()
    np.testing.assert_allclose(arr(x.grad), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-7)


def test_several_tensor_inputs_and_non_tensor_arguments():
    rng = np.random.default_rng(2)
    a, b = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal((3, 4)))

    def scaled_product(a, scale, b, mode):
        assert mode == "mm"
        return scale * (a @ b)

    out = numerical_function(scaled_product)(a, 2.5, b, "mm")
    ref_a, ref_b = leaf(arr(a)), leaf(arr(b))
    g = chainrule.tensor(rng.standard_normal((2, 4)))
    out.backward(g)
    (2.5 * (ref_a @ ref_b)).backward(g)
    np.testing.assert_allclose(arr(out), arr(2.5 * (ref_a @ ref_b)))
    np.testing.assert_allclose(arr(a.grad), arr(ref_a.grad), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(arr(b.grad), arr(ref_b.grad), rtol=1e-8, atol=1e-9)


def test_keyword_arguments_pass_to_f():
    x = leaf([0.5, 1.5])
    numerical_function(np.power)(x, 3.0).sum().backward()
    np.testing.assert_allclose(arr(x.grad), 3 * arr(x) ** 2, rtol=1e-8)
    x.grad = None
    numerical_function(lambda x, p=1.0: x**p)(x, p=2.0).sum().backward()
    np.testing.assert_allclose(arr(x.grad), 2 * arr(x), rtol=1e-8)


def test_only_inputs_that_need_a_gradient_are_differenced():
    calls = []

    def f(a, b):
        calls.append(1)
        return a * b

    a, b = leaf(np.ones(3)), leaf(np.arange(4.0).reshape(4, 1), requires_grad=False)
    numerical_function(f)(a, b).sum().backward()
    assert len(calls) == 1 + 2 * 3  # forward, then 2 * numel(a); b is never perturbed
    np.testing.assert_allclose(arr(a.grad), [6.0, 6.0, 6.0], rtol=1e-8)
    assert b.grad is None


def test_forward_method_is_first_order_accurate():
    calls = []

    def f(x):
        calls.append(1)
        return np.exp(x)

    x = leaf([0.0, 1.0])
    numerical_function(f, eps=1e-7, method="forward")(x).sum().backward()
    assert len(calls) == 1 + 1 + 2  # forward, the base point, one step per element
    np.testing.assert_allclose(arr(x.grad), np.exp(arr(x)), rtol=1e-6)


def test_passes_gradcheck():
    x = leaf(np.linspace(0.2, 2, 4))
    w = leaf(np.linspace(-1, 1, 4))
    f = numerical_function(lambda x, w: np.tanh(x * w) + scipy.special.gammaln(x))
    assert chainrule.autograd.gradcheck(f, (x, w))


def test_composes_inside_a_larger_graph():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3, 4))
    grads = []
    for sin in (numerical_function(np.sin), chainrule.sin):
        x = leaf(data)
        w = leaf(np.linspace(0, 1, 4))
        h = sin(x.exp() * w)
        loss = (h * h).sum() + (x * h).mean()
        loss.backward()
        grads.append((arr(x.grad), arr(w.grad)))
    for a, b in zip(grads[0], grads[1]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_struve_derivative_identity():
    """H0'(x) = 2/pi - H1(x): a scipy.special function chainrule has no derivative for."""
    x = leaf(np.linspace(0.1, 10, 9))
    numerical_function(lambda x: scipy.special.struve(0, x))(x).sum().backward()
    expected = 2 / np.pi - scipy.special.struve(1, arr(x))
    np.testing.assert_allclose(arr(x.grad), expected, rtol=1e-7, atol=1e-9)


def test_quad_based_function():
    def gauss_integral(a):
        return scipy.integrate.quad(lambda t: np.exp(-a * t * t), 0.0, 1.0, epsabs=1e-13)[0]

    a = leaf(0.7)
    numerical_function(gauss_integral, eps=1e-4)(a).backward()
    exact = -scipy.integrate.quad(lambda t: t * t * np.exp(-0.7 * t * t), 0.0, 1.0)[0]
    np.testing.assert_allclose(arr(a.grad), exact, rtol=1e-7)


def test_warns_once_per_function():
    f, g = numerical_function(np.sin), numerical_function(np.cos)
    x = leaf([1.0])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        f(x), f(x), g(x)
        with chainrule.no_grad():
            numerical_function(np.tan)(x)  # nothing recorded: no warning
        numerical_function(np.tan)(leaf([1.0], requires_grad=False))
        numerical_function(np.exp, warn=False)(x)
    msgs = [str(w.message) for w in rec if w.category is ApproximateGradientWarning]
    assert len(msgs) == 2 and msgs[0].startswith("sin:") and msgs[1].startswith("cos:")
    assert "finite-difference" in msgs[0] and "eps=1e-06" in msgs[0]
    assert issubclass(ApproximateGradientWarning, UserWarning)


def test_warning_points_at_the_caller():
    with pytest.warns(ApproximateGradientWarning) as rec:
        numerical_function(np.sin)(leaf([1.0]))
    assert rec[0].filename == __file__


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan"), float("inf")])
def test_bad_eps_raises(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_function(np.sin, eps=eps)


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="eps must be a number, got str"):
        numerical_function(np.sin, eps="1e-6")
    with pytest.raises(ValueError, match=r"method must be one of \['central', 'forward'\]"):
        numerical_function(np.sin, method="backward")
    with pytest.raises(TypeError, match="expected a callable, got int"):
        numerical_function(3)
    with pytest.raises(TypeError, match="must return a real array or number"):
        numerical_function(lambda x: x + 1j)(leaf([1.0]))
    shape_by_value = numerical_function(lambda x: np.ones(3 if x[0] > 1 else 2))
    y = shape_by_value(leaf([1.0]))
    with pytest.raises(RuntimeError, match=r"returned shape \[3\] for a perturbed input"):
        y.sum().backward()


def test_double_backward_raises():
    x = leaf([0.5, 1.0])
    y = numerical_function(np.sin)(x)
    (g,) = chainrule.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(arr(g), np.cos(arr(x)), rtol=1e-8)
    with pytest.raises(RuntimeError, match="first derivatives only"):
        chainrule.autograd.grad((g * g).sum(), x)


def test_decorator_forms_and_repr():
    @numerical_function
    def square(x):
        return x * x

    @numerical_function(eps=1e-5, method="forward", warn=False)
    def cube(x):
        return x**3

    assert isinstance(square, NumericalFunction) and square.__name__ == "square"
    assert repr(cube) == "numerical_function(cube, eps=1e-05, method='forward', warn=False)"
    x = leaf([2.0])
    (square(x) + cube(x)).backward()
    np.testing.assert_allclose(arr(x.grad), [4.0 + 12.0], rtol=1e-4)


def test_integer_tensor_arguments_pass_through():
    x = leaf([1.0, 2.0])
    idx = chainrule.tensor([1, 0])
    numerical_function(lambda x, i: x[i] ** 2)(x, idx).backward(chainrule.tensor([1.0, 10.0]))
    np.testing.assert_allclose(arr(x.grad), [20.0, 4.0], rtol=1e-8)


def test_no_grad_needed_gives_a_plain_tensor():
    y = numerical_function(np.sin)(leaf([1.0], requires_grad=False))
    assert y.grad_fn is None and not y.requires_grad
