"""torch.utils.checkpoint: activation checkpointing, trading compute for memory.

A checkpointed function keeps only its inputs for backward; everything it would have saved is
recomputed, with grad enabled, when backward first needs it. Two variants, as torch:

* non-reentrant (`use_reentrant=False`, recommended): the function runs normally under a
  `saved_tensors_hooks` whose pack keeps an empty holder per saved tensor. The first unpack
  reruns the function on the saved inputs under a second hook that fills the holders, in the
  same order. The graph is the function's own (same grad_fn names), so `autograd.grad`,
  `backward(inputs=...)`, keyword arguments, parameters captured by closure and double
  backward all work.
* reentrant (`use_reentrant=True`, the default when unspecified, with torch's warning): one
  `CheckpointFunctionBackward` node whose backward reruns the function on detached inputs and
  calls `autograd.backward` inside it, so it cannot serve `.grad()` or `backward(inputs=...)`.

Both restore the random-number state of the forward before recomputing (`preserve_rng_state`)
so dropout draws the same mask twice. chainrule has no `get_rng_state` yet: the state saved is
the bit-generator state of the global generator (`chainrule.manual_seed`'s).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from chainrule.autograd.function import Function
from chainrule.autograd.grad_mode import enable_grad, is_grad_enabled
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.autograd.graph import saved_tensors_hooks
from chainrule.ops import creation as _creation
from chainrule.tensor import Tensor

__all__ = [
    "CheckpointError",
    "CheckpointFunction",
    "check_backward_validity",
    "checkpoint",
    "checkpoint_sequential",
    "detach_variable",
    "noop_context_fn",
    "set_checkpoint_debug_enabled",
    "set_checkpoint_early_stop",
]

_DEFAULT_DETERMINISM_MODE = "default"
_checkpoint_debug_enabled: bool | None = None
_enable_checkpoint_early_stop: bool | None = None

_DEBUG_TIP = (
    "\nTip: To see a more detailed error message, either pass `debug=True` to\n"
    "`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
    "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\n"
    "enable checkpoint-debug mode globally.\n"
)


class CheckpointError(RuntimeError):
    """The recomputation saved other tensors than the original forward did."""


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None) -> Iterator[None]:
    """Override `debug=` of every checkpoint run inside this block (None: leave it)."""
    global _checkpoint_debug_enabled
    prev = _checkpoint_debug_enabled
    _checkpoint_debug_enabled = enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool) -> Iterator[None]:
    """Whether non-reentrant recomputation stops once every saved tensor is recomputed."""
    global _enable_checkpoint_early_stop
    prev = _enable_checkpoint_early_stop
    _enable_checkpoint_early_stop = enable
    try:
        yield
    finally:
        _enable_checkpoint_early_stop = prev


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, ...]:
    """The default context_fn: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    """Detach each tensor of a tuple, keeping its requires_grad; other items pass as given."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs: Any) -> None:
    """Warn when no tensor input requires grad (the reentrant variant then gives no gradients)."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )


# --- random-number state -----------------------------------------------------------------------


def _get_rng_state() -> dict:
    return _creation._default.rng.bit_generator.state


@contextlib.contextmanager
def _fork_rng(state: dict | None) -> Iterator[None]:
    """Run the block from the generator state `state` (None: as it is), then put back the
    state it had before, as torch.random.fork_rng does."""
    if state is None:
        yield
        return
    bitgen = _creation._default.rng.bit_generator
    outer = bitgen.state
    bitgen.state = state
    try:
        yield
    finally:
        _creation._default.rng.bit_generator.state = outer


# --- reentrant variant -------------------------------------------------------------------------


def _is_checkpoint_valid() -> bool:
    """False while the innermost backward is a grad() or backward(inputs=...) call."""
    return not _grad_state.inputs_given


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward without a graph, backward recomputes and backpropagates
    through the recomputed graph with a nested `autograd.backward`."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.fwd_rng_state = _get_rng_state() if preserve_rng_state else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        return run_function(*args)  # apply runs forward under no_grad

    @staticmethod
    def backward(ctx: Any, *args: Any) -> tuple:
        from chainrule.autograd.engine import backward as _backward

        if not _is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with _fork_rng(ctx.fwd_rng_state):
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, args) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        grads = tuple(inp.grad if isinstance(inp, Tensor) else None for inp in detached)
        return (None, None, *grads)


# --- non-reentrant variant ---------------------------------------------------------------------


class _Holder:
    """Stands for one tensor saved in the checkpointed forward; a recomputation fills it."""

    __slots__ = ("value", "__weakref__")

    def __init__(self) -> None:
        self.value: Any = None


class _StopRecomputation(Exception):  # noqa: N818 - a signal, not an error
    pass


def _metadata(x: Tensor) -> dict:
    return {"shape": tuple(x.shape), "dtype": x.dtype, "device": x.device}


_METADATA_FNS: dict[str, Callable[[Tensor], Any]] = {
    _DEFAULT_DETERMINISM_MODE: _metadata,
    "none": lambda _: None,
}


class _Frame:
    """One checkpointed call: its saved inputs, a holder per tensor its forward saved, and the
    recomputation that fills the holders."""

    def __init__(
        self,
        fn: Callable,
        args: tuple,
        kwargs: dict,
        rng_state: dict | None,
        recompute_context: Any,
        early_stop: bool,
        metadata_fn: Callable,
        debug: bool,
    ) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.rng_state = rng_state
        self.recompute_context = recompute_context
        self.early_stop = early_stop
        self.metadata_fn = metadata_fn
        self.debug = debug
        self.holders: list[weakref.ref] = []
        self.metadata: list[Any] = []
        self.recomputed_metadata: list[Any] = []

    def pack(self, x: Tensor) -> _Holder:
        holder = _Holder()
        self.holders.append(weakref.ref(holder))
        self.metadata.append(self.metadata_fn(x))
        return holder

    def unpack(self, holder: _Holder) -> Tensor:
        if holder.value is None:
            self.recompute()
        value, holder.value = holder.value, None  # recomputed tensors live until unpacked
        return value

    def recompute(self) -> None:
        count = [0]
        self.recomputed_metadata = []

        def pack(x: Tensor) -> Tensor:
            k = count[0]
            count[0] += 1
            if k >= len(self.holders):
                raise self._error(
                    "torch.utils.checkpoint: trying to save more tensors during recomputation "
                    "than during the original forward pass."
                )
            self.recomputed_metadata.append(self.metadata_fn(x))
            holder = self.holders[k]()
            if holder is not None:  # None: its node was freed by an earlier backward
                holder.value = x  # with its history: create_graph differentiates through it
            if self.early_stop and count[0] == len(self.holders):
                raise _StopRecomputation
            return x

        try:
            with _fork_rng(self.rng_state), saved_tensors_hooks(pack, _identity), enable_grad():
                with self.recompute_context:
                    self.fn(*self.args, **self.kwargs)
        except _StopRecomputation:
            pass
        self._check(count[0])

    def _check(self, count: int) -> None:
        if count != len(self.holders):
            raise self._error(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.holders)}\n"
                f"Number of tensors saved during recomputation: {count}."
            )
        diff = [
            f"tensor at position {k}:\nsaved metadata: {a}\nrecomputed metadata: {b}\n"
            for k, (a, b) in enumerate(zip(self.metadata, self.recomputed_metadata))
            if a != b and self.holders[k]() is not None
        ]
        if diff:
            raise self._error(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n" + "".join(diff) + "."
            )

    def _error(self, message: str) -> CheckpointError:
        if not self.debug:
            return CheckpointError(message + "\n" + _DEBUG_TIP)
        listing = "\n".join(
            f"  {k}: forward {a}, recomputation {b}"
            for k, (a, b) in enumerate(
                zip(
                    self.metadata + [None] * len(self.recomputed_metadata),
                    self.recomputed_metadata + [None] * len(self.metadata),
                )
            )
            if a is not None or b is not None
        )
        return CheckpointError(f"{message}\nTensors saved, in order (debug=True):\n{listing}")


def _identity(x: Any) -> Any:
    return x


def _tensors(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _checkpoint_without_reentrant(
    function: Callable,
    preserve_rng_state: bool,
    context_fn: Callable,
    determinism_check: str,
    debug: bool,
    early_stop: bool,
    args: tuple,
    kwargs: dict,
) -> Any:
    if _checkpoint_debug_enabled if _checkpoint_debug_enabled is not None else debug:
        if context_fn is not noop_context_fn:
            raise ValueError("debug=True is incompatible with non-default context_fn")
        debug = True
    if determinism_check not in _METADATA_FNS:
        raise ValueError(
            f"determinism_check should be one of {list(_METADATA_FNS)}, but got {determinism_check}"
        )
    rng_state = _get_rng_state() if preserve_rng_state else None
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        return function(*args, **kwargs)
    frame = _Frame(
        function,
        args,
        kwargs,
        rng_state,
        recompute_context,
        _enable_checkpoint_early_stop if _enable_checkpoint_early_stop is not None else early_stop,
        _METADATA_FNS[determinism_check],
        bool(debug),
    )
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        out = function(*args, **kwargs)
    return out


# --- the public entry points -------------------------------------------------------------------


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable = noop_context_fn,
    determinism_check: str = _DEFAULT_DETERMINISM_MODE,
    debug: bool = False,
    early_stop: bool = True,
    **kwargs: Any,
) -> Any:
    """Run `function(*args, **kwargs)` keeping only its inputs for backward; what it would
    have saved is recomputed during backward. Pass `use_reentrant=False` (recommended)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError(
                "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            )
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(
        function, preserve, context_fn, determinism_check, debug, early_stop, args, kwargs
    )


def checkpoint_sequential(
    functions: Any,
    segments: int,
    input: Tensor,
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Run `functions` one after another on `input`, checkpointing all but the last of
    `segments` equal chunks (the last keeps its activations: backward starts there)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions: list) -> Callable:
        def forward(input: Any) -> Any:
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    if hasattr(functions, "children"):  # an nn.Sequential
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions),
            input,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)
