"""Parameter: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

from chainrule.tensor import Tensor, _share_version

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that Modules collect in `parameters()`.

    It shares memory (and the version counter) with the tensor it is made from; operations on
    it return plain Tensors, as torch's do.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        import chainrule

        if data is None:
            data = chainrule.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        p = Tensor.__new__(cls)
        p.data = data.data
        p._requires_grad = False
        p.grad_fn = None
        _share_version(data, p, as_view=False)
        if requires_grad:
            p.requires_grad = True
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything is done in __new__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor(self.data.copy()), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce__(self) -> tuple:
        return (_rebuild_parameter, (self.data, self._requires_grad))


def _rebuild_parameter(data: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor(data), requires_grad)
