"""torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp.

Built on `chainrule.autograd.grad` alone, following torch's own implementation step by step
so that return structures, strict-mode checks and messages are torch's. jvp and hvp use the
double-backward trick: a vjp is linear in its cotangent u, so J v is the gradient of
<vjp(u), v> with respect to u (evaluated at u = 0). The Hessian is the Jacobian of the
gradient. Where no graph is wanted, jvp and the `"forward-mode"` Jacobian use forward-mode AD
(`forward_ad.forward_jvp`), falling back to reverse mode when some op has no forward rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import chainrule
from chainrule import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

_STRATEGY_MESSAGE = 'Expected strategy to be either "forward-mode" or "reverse-mode".'
_OUTPUTS = "outputs of the user-provided function"
_V_OUTPUT_MSG = (
    "The vector v can only be None if the user-provided function returns a single Tensor with a "
    "single element."
)
_V_INPUT_MSG = (
    "The vector v can only be None if the input to the user-provided function is a single "
    "Tensor with a single element."
)


def _as_tuple(inp: Any, arg_name: str, fn_name: str | None) -> tuple[bool, tuple]:
    """(whether `inp` was a tuple, `inp` as a tuple of Tensors)."""
    is_inp_tuple = isinstance(inp, tuple)
    if not is_inp_tuple:
        inp = (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, chainrule.Tensor):
            where = f"value at index {i}" if is_inp_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors"
                f" but the {where} has type {type(el)}."
            )
    return is_inp_tuple, inp


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Undo `_as_tuple` (once, or on both levels of a nested result)."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    # always a new Tensor object, so the inputs given as arguments can be told apart from the
    # same Tensors captured by `func` (pytorch#32576); a view keeps the graph to the caller
    return tuple(
        inp.view_as(inp)
        if create_graph and inp.requires_grad
        else inp.detach().requires_grad_(need_graph)
        for inp in inputs
    )


def _grad_postprocess(inputs: tuple, create_graph: bool) -> tuple:
    """Detach results (nested tuples too) unless the caller asked for a graph."""
    if isinstance(inputs[0], chainrule.Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}."
            )


_NOT_DIFFERENTIABLE = {
    "hessian": "The hessian of the user-provided function with respect to input {i} is"
    " independent of the input. This is not allowed in strict mode. You should ensure that"
    " your function is thrice differentiable and that the hessian depends on the inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided"
    " function with respect to input {i} is independent of the input. This is not allowed in"
    " strict mode. You should ensure that your function is twice differentiable and that the"
    " jacobian depends on the inputs (this would be violated by a linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the"
    " user-provided function. This is not allowed in strict mode.",
    "outputs": "Output {i} of the user-provided function does not require gradients. The"
    " outputs must be computed in a differentiable manner from the input when running in"
    " strict mode.",
}


def _check_requires_grad(inputs: tuple, input_type: str, strict: bool) -> None:
    """In strict mode, raise torch's error for the first entry that is not differentiable."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:  # only grad_inputs hold None
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode."
            )
        if not inp.requires_grad:
            raise RuntimeError(_NOT_DIFFERENTIABLE[input_type].format(i=i))


def _autograd_grad(
    outputs: tuple,
    inputs: tuple,
    grad_outputs: tuple | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple:
    """`autograd.grad` that skips outputs which are None or do not require grad."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return chainrule.autograd.grad(
        tuple(o for o, _ in kept),
        inputs,
        tuple(g for _, g in kept),
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_FILL_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not"
    " allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the"
    " grad_outputs when using the double backward trick to compute forward mode gradients."
    " This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}."
    " This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry"
    " {i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using"
    " the double backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str):
    """Zeros (shaped like `refs`) for None gradients, or torch's strict-mode errors."""
    res = ()
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                raise RuntimeError(_FILL_MESSAGES[stage].format(i=i))
            grads_i = chainrule.zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}."
                " This is not allowed in strict mode when create_graph=True."
            )
        res += (grads_i,)
    return res


def _v_or_none(v: Any, ref: tuple, is_ref_tuple: bool, fn: str, create_graph: bool, msg: str):
    """Validated `v` as a tuple (shaped like `ref`), or None when `ref` is a single element."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, ref, is_ref_tuple)
        return v
    if len(ref) != 1 or ref[0].nelement() != 1:
        raise RuntimeError(msg)
    return None


def _finish(outputs: tuple, res: tuple, create_graph: bool, out_tuple: bool, res_tuple: bool):
    """(outputs, result), detached unless create_graph, in the caller's structure."""
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return _tuple_postprocess(outputs, out_tuple), _tuple_postprocess(res, res_tuple)


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), v^T J): the vector-Jacobian product, shaped like the inputs."""
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _v_or_none(v, outputs, is_outputs_tuple, "vjp", create_graph, _V_OUTPUT_MSG)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    return _finish(outputs, res, create_graph, is_outputs_tuple, is_inputs_tuple)


def _forward_ready(inputs: tuple, v: Any) -> bool:
    """Whether forward mode can take these primals and tangents: floating, no level open."""
    from chainrule.autograd import forward_ad

    floating = all(t.is_floating_point() for t in inputs + (v or ()))
    return floating and forward_ad._current_level < 0


def _forward_jvp(func: Callable, inputs: tuple, v: tuple) -> tuple | None:
    """(outputs, J v) by forward mode, or None when func uses an op without a forward rule."""
    from chainrule.autograd.forward_ad import forward_jvp

    try:
        with enable_grad():
            out, tangent = forward_jvp(func, inputs, v)
    except (NotImplementedError, TypeError):  # no rule, or outputs that are not Tensors
        return None
    return out, tangent


def _forward_columns(func: Callable, inputs: tuple) -> tuple[list, bool] | None:
    """rows[i][j]: d output i / d input j (shape output i + input j) by forward mode, one
    basis tangent per input element, and whether func returned a tuple; None when func uses an
    op without a forward rule."""
    zeros = [chainrule.zeros_like(inp) for inp in inputs]
    cols: list[list] = [[] for _ in inputs]  # cols[j]: per element of input j, J's column
    outputs = result = None
    for j, inp in enumerate(inputs):
        for k in range(inp.nelement()):
            e = chainrule.zeros(inp.nelement(), dtype=inp.dtype)
            e[k] = 1
            tangents = tuple(e.view(inp.shape) if m == j else z for m, z in enumerate(zeros))
            done = _forward_jvp(func, inputs, tangents)
            if done is None:
                return None
            result = done[0]
            outputs = result if isinstance(result, tuple) else (result,)
            cols[j].append(done[1] if isinstance(done[1], tuple) else (done[1],))
    if outputs is None:  # no input elements: func is run once for the output shapes
        with chainrule.no_grad():
            result = func(*inputs)
        outputs = result if isinstance(result, tuple) else (result,)
    rows = []
    for i, out in enumerate(outputs):
        row = []
        for j, inp in enumerate(inputs):
            shape = tuple(out.shape) + tuple(inp.shape)
            if cols[j]:
                col = chainrule.stack([c[i].detach().to(out.dtype) for c in cols[j]], -1)
                row.append(col.reshape(shape))
            else:
                row.append(chainrule.zeros(shape, dtype=out.dtype))
        rows.append(row)
    return rows, isinstance(result, tuple)


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), J v): by forward mode when no graph is wanted and every op has a forward
    rule, else by the double-backward trick."""
    if not (create_graph or strict):
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _grad_preprocess(ins, create_graph=False, need_graph=True)
        vs = _v_or_none(v, ins, is_inputs_tuple, "jvp", False, _V_INPUT_MSG)
        if _forward_ready(ins, vs):
            vs = vs or tuple(chainrule.ones_like(i) for i in ins)
            done = _forward_jvp(func, ins, vs)
            if done is not None:
                is_outputs_tuple, outputs = _as_tuple(done[0], _OUTPUTS, "jvp")
                res = done[1] if is_outputs_tuple else (done[1],)
                return _finish(outputs, res, False, is_outputs_tuple, is_outputs_tuple)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _v_or_none(v, inputs, is_inputs_tuple, "jvp", create_graph, _V_INPUT_MSG)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the vjp is linear in u, so u's value never reaches J v; zeros keep inf/nan out
        grad_outputs = tuple(chainrule.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return _finish(outputs, res, create_graph, is_outputs_tuple, is_outputs_tuple)


def _jacobian_rows(
    outputs: tuple, inputs: tuple, create_graph: bool, strict: bool, vectorize: bool
) -> tuple:
    """Jacobian[i][j] of outputs[i] by inputs[j], one `autograd.grad` per output element."""
    rows: list[list[list]] = []  # rows[i][j]: the gradients of output i's elements by input j
    for i, out in enumerate(outputs):
        rows_i: list[list] = [[] for _ in inputs]
        flat = out.reshape(-1)
        for j in range(out.nelement()):
            vj = _autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
            for el_idx, (rows_el, vj_el, inp_el) in enumerate(zip(rows_i, vj, inputs)):
                if vj_el is not None:
                    if strict and create_graph and not vj_el.requires_grad:
                        # torch names the output index here, not the input's
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            "create_graph=True."
                        )
                    rows_el.append(vj_el)
                else:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of "
                            f"input {el_idx}. This is not allowed in strict mode."
                        )
                    rows_el.append(chainrule.zeros_like(inp_el))
        rows.append(rows_i)
    if not vectorize:
        return tuple(
            tuple(
                chainrule.stack(rows_el, dim=0).view(out.size() + inp.size())
                for rows_el, inp in zip(rows_i, inputs)
            )
            for rows_i, out in zip(rows, outputs)
        )
    # torch's vectorized path computes one (sum of output numels, *input shape) block per input
    # and splits it by output: empty outputs work, and the pieces share one requires_grad
    numels = [out.nelement() for out in outputs]
    by_input = []
    for j, inp in enumerate(inputs):
        all_rows = [r for rows_i in rows for r in rows_i[j]]
        block = (
            chainrule.stack(all_rows, dim=0)
            if all_rows
            else chainrule.zeros((0, *inp.shape), dtype=inp.dtype)
        )
        by_input.append(
            [p.view(out.size() + inp.size()) for p, out in zip(block.split(numels, 0), outputs)]
        )
    return tuple(zip(*by_input))


def _jacfwd(func: Callable, inputs: Any, strict: bool, vectorize: bool) -> Any:
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` "
            'and `strategy="forward-mode"` are not supported together (yet). '
            "Please either set `strict=False` or "
            '`strategy="reverse-mode"`.'
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`."
        )
    # No forward-mode AD in chainrule yet: the same Jacobian by reverse mode. Tangents computed
    # from inputs that require grad carry a graph in torch, so keep one in that case; hessian's
    # forward-over-reverse makes its inputs require grad, even under no_grad.
    create_graph = getattr(func, "_forward_over_reverse", False) or (
        is_grad_enabled() and any(inp.requires_grad for inp in inputs)
    )
    if not create_graph and _forward_ready(inputs, None):
        done = _forward_columns(func, tuple(inp.detach() for inp in inputs))
        if done is not None:  # forward mode gives (torch's quirk) lists, not tuples
            return _tuple_postprocess(done[0], (done[1], is_inputs_tuple))
    with enable_grad():
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs", None)
        jac = _jacobian_rows(outputs, inputs, create_graph, strict=False, vectorize=True)
    # forward mode gives the output's dtype and (torch's quirk) lists, not tuples
    res = [
        [(el if create_graph else el.detach()).to(out.dtype) for el in row]
        for row, out in zip(jac, outputs)
    ]
    return _tuple_postprocess(res, (is_outputs_tuple, is_inputs_tuple))


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of `func` at `inputs`: Jacobian[i][j] has shape output i + input j.

    `vectorize=True` is accepted and computes the same thing row by row (one
    `autograd.grad` per output element, as `vectorize=False`). chainrule has no forward-mode AD
    yet: `strategy="forward-mode"` (which torch allows only with `vectorize=True`) computes the
    same Jacobian by reverse mode and returns it as torch does (output dtype, lists).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            _STRATEGY_MESSAGE + " Hint: If your function has more outputs than inputs, "
            '"forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` "
                'and `strategy="forward-mode"` are not supported together (yet). '
                "Please either set `create_graph=False` or "
                '`strategy="reverse-mode"`.'
            )
        return _jacfwd(func, inputs, strict, vectorize)

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` "
                "and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or "
                "`vectorize=False`."
            )
        jac = _jacobian_rows(outputs, inputs, create_graph, strict, vectorize)
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of scalar `func`: the Jacobian of its gradient (Hessian[i][j] by inputs i, j).

    `vectorize` and `outer_jacobian_strategy` are passed to the outer `jacobian` (see there:
    row by row, and reverse mode standing in for forward mode).
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_MESSAGE)

    def ensure_single_output_function(*inp: Any) -> Any:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, _OUTPUTS, "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, chainrule.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def jac_func(*inp: Any) -> Any:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    jac_func._forward_over_reverse = True  # type: ignore[attr-defined]
    res = jacobian(
        jac_func,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _gradient(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool, fn: str):
    """Shared start of vhp/hvp: checked inputs, v, scalar output and its gradient (with graph).

    Runs under enable_grad; returns (is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac).
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    v = _v_or_none(v, inputs, is_inputs_tuple, fn, create_graph, _V_INPUT_MSG)
    is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUTPUTS, fn)
    _check_requires_grad(outputs, "outputs", strict=strict)
    if is_outputs_tuple or not isinstance(outputs[0], chainrule.Tensor):
        raise RuntimeError(f"The function given to {fn} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn} should contain a single element"
        )
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), v^T H): the vector-Hessian product of scalar `func`."""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, res, create_graph, is_outputs_tuple, is_inputs_tuple)


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), H v): the Hessian-vector product of scalar `func` (double-backward trick)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient(
            func, inputs, v, create_graph, strict, "hvp"
        )
        grad_jac = tuple(chainrule.zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        # torch checks `jac` again here (not `double_back`), so this never fires; kept as torch
        _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, res, create_graph, is_outputs_tuple, is_inputs_tuple)
