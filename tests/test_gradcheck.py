"""gradcheck and gradgradcheck catch wrong derivatives and say where."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.autograd import GradcheckError, gradcheck, gradgradcheck
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive


class _Square(Primitive):
    """out = x**2; the subclasses below get its derivative wrong in two ways."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x


class WrongSquare(_Square):
    """A wrong derivative (3x instead of 2x) at element index 1 and beyond."""

    node_name = "WrongSquareBackward0"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        factor = np.full(d.data(x).shape, 2.0)
        factor.reshape(-1)[1:] = 3.0
        return g * x * d.const(x, factor)


class FirstOrderOnlySquare(_Square):
    """A derivative 2x computed from the data as a constant: right at first order, but its own
    derivative (the second derivative, 2) comes out as 0."""

    node_name = "FirstOrderOnlySquareBackward0"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * d.const(x, 2 * d.data(x))


def _x(n=3):
    return chainrule.tensor(np.linspace(0.5, 1.5, n), dtype=chainrule.float64, requires_grad=True)


def test_gradcheck_accepts_a_correct_derivative():
    assert gradcheck(lambda x: (x * x).sin().sum(), (_x(),))


def test_gradcheck_reports_the_worst_element_both_values_and_the_input_index():
    y = chainrule.tensor([1.0, 2.0], dtype=chainrule.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda y, x: y.sum() + WrongSquare.apply(x), (y, _x()))
    msg = str(err.value)
    assert "with respect to input 1" in msg
    assert "worst at output element 2, input element 2" in msg  # 3x vs 2x grows with x
    assert "analytical 4.5 vs numerical 3 " in msg


def test_gradcheck_can_return_false_instead_of_raising():
    assert gradcheck(WrongSquare.apply, (_x(),), raise_exception=False) is False


def test_gradgradcheck_catches_a_derivative_that_is_only_first_order_right():
    x = _x()
    assert gradcheck(FirstOrderOnlySquare.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(FirstOrderOnlySquare.apply, (x,))
    assert gradgradcheck(lambda x: x * x, (x,))


def test_gradcheck_warns_for_float32_inputs():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"):
        gradcheck(lambda x: x * 2, (x,), eps=1e-2, atol=1e-2, rtol=1e-2)
