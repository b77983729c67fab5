"""Tensor: a NumPy array plus what autograd needs -- requires_grad, grad, grad_fn, version.

Operator methods (`+`, `exp`, `sum`, ...) are installed from `chainrule.ops._methods`, the one
place where this low layer reaches the ops above it.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd import function as _function


class Size(tuple):
    """A tensor's shape: a tuple that prints as torch.Size does."""

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item  # x.shape[1:] is a Size


class RemovableHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            pass

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. It is not "
    "populated by backward(): only leaves (tensors you created with requires_grad=True) get "
    ".grad. Call .retain_grad() on this tensor before backward() if you want its gradient, or "
    "read .grad of the leaf tensor instead."
)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = ("data", "_requires_grad", "grad_fn", "__dict__", "__weakref__")
    # rarely-set fields live on the class until an instance needs its own value
    _output_nr = 0  # which output of grad_fn this tensor is
    _grad = None
    _vc = None  # version counter [n], shared with views; None means version 0, unshared
    _fw_grad = None  # forward-mode tangent, while its dual level is active (forward_ad)
    _base = None  # the tensor this one is a view of
    _hooks = None  # hooks of a leaf
    _post_acc_hooks = None  # hooks run after .grad of this leaf is accumulated
    _view_fn = None  # for a view: array -> the view's region of its base (arrays or Tensors)
    _view_version = 0  # for a view: the memory's version its grad_fn describes
    __array_ufunc__ = None  # make `ndarray op Tensor` call our reflected operators
    __hash__ = object.__hash__

    def __init__(self, data: Any = (), requires_grad: bool = False) -> None:
        from chainrule.ops.creation import _to_array

        self.data = _to_array(data, None)
        self._requires_grad = False
        self.grad_fn = None
        if requires_grad:
            self.requires_grad = True

    # --- autograd state -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if self.grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(
                "only floating point tensors can require gradients (got dtype "
                f"{_dtype.from_np(self.data.dtype)!r}); convert first, e.g. x.float()"
            )
        self._requires_grad = value

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got {type(value).__name__}"
                )
            if value.data.shape != self.data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size {list(value.data.shape)} to a "
                    f"tensor of size {list(self.data.shape)}. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value.data.dtype != self.data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype {value.dtype!r} to a tensor "
                    f"with dtype {self.dtype!r}. Please ensure that the gradient and the tensor "
                    "have the same dtype"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return fn is not None and fn._retain is not None and self._output_nr in fn._retain

    def retain_grad(self) -> None:
        """Make backward fill `.grad` of this non-leaf tensor too."""
        fn = self.grad_fn
        if fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if fn._retain is None:
            fn._retain = {}
            fn._hooked = True
        fn._retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor replaces
        it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if fn._tensor_hooks is None:
                fn._tensor_hooks = {}
                fn._hooked = True
            hooks = fn._tensor_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call `hook(tensor)` after backward has accumulated into this leaf's `.grad`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return RemovableHandle(self._post_acc_hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
        explain: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        `explain=True` (not in torch) also prints each node's local derivative and the gradients
        flowing through it, and where paths are summed (chainrule.diagnostics.explain)."""
        if explain:
            from chainrule.diagnostics.explain import explain as _explain

            _explain(self, gradient, retain_graph, create_graph=create_graph, inputs=inputs)
            return
        from chainrule.autograd.engine import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """The same data (shared memory and version counter), cut from the graph."""
        t = _function._wrap(self.data, None)
        _share_version(self, t, as_view=False)
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def _version(self) -> int:
        vc = self._vc
        return 0 if vc is None else vc[0]

    # --- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self.data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        if dim is None:
            return Size(self.data.shape)
        from chainrule.ops._util import norm_dim

        return self.data.shape[norm_dim(dim, self.data.ndim)]

    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype.from_np(self.data.dtype)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self.data.size

    nelement = numel

    def element_size(self) -> int:
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def device(self) -> Any:
        """Always device(type='cpu'): the data is a NumPy array in host memory."""
        from chainrule._device import CPU

        return CPU

    def get_device(self) -> int:
        """-1, torch's index for the CPU."""
        return -1

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """Fails as on a CPU-only build of torch: chainrule has no CUDA backend."""
        from chainrule._device import check

        check("cuda")
        return self

    def item(self) -> float | int | bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self.data.size} elements cannot be converted to Scalar"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data.item())

    def __repr__(self) -> str:
        from chainrule._tensor_str import format_tensor

        suffixes = []
        if self.grad_fn is not None:
            suffixes.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        return format_tensor(self.data, suffixes)

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (_rebuild, (self.data, self._requires_grad))


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def _share_version(src: Tensor, view: Tensor, as_view: bool = True,
                   view_fn: Callable | None = None) -> None:
    """Make `view` share `src`'s memory version counter; for a view, remember its base (the
    root) and how to find the view's region in it (`view_fn`, for in-place ops on views)."""
    if src._vc is None:
        src._vc = [0]
    view._vc = src._vc
    if as_view:
        view._view_version = src._vc[0]
        if src._base is None:
            view._base = src
            view._view_fn = view_fn
        else:
            view._base = src._base
            inner = src._view_fn
            if view_fn is not None and inner is not None:
                view._view_fn = lambda a: view_fn(inner(a))


def bump_version(t: Tensor) -> None:
    """Record an in-place change of t's memory."""
    if t._vc is None:
        t._vc = [1]
    else:
        t._vc[0] += 1


_function._Tensor = Tensor
_function._tensor_new = Tensor.__new__
