"""Forward-mode AD (chainrule.autograd.forward_ad) against torch's.

Every op's tangent is checked three ways: against torch's forward-AD tangent for the same inputs
and tangents (float64), against reverse mode (the Jacobian-vector product from
chainrule.autograd.grad), and against a central finite difference. The op database
(tests/opdb.py) drives a sweep over every record; the ops forward mode must cover are also
checked strictly, with the full reverse-mode Jacobian. Then: hypothesis over shapes, the kink
conventions, the dual-tensor API and its errors, user Functions with jvp, unsupported ops.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule
import chainrule.autograd.forward_ad as fwad
from chainrule.autograd.conventions import conventions
from opdb import OPS, OPS_BY_NAME, OpInfo, make_inputs, samples, seed_of, shape_id

torch = pytest.importorskip("torch")

UNSUPPORTED = "Trying to use forward AD with"

# --- helpers -------------------------------------------------------------------------------------


def _outputs(out: Any) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros (sgn's tangent)
        return np.zeros(tuple(t.shape))
    return np.asarray(t.numpy())


def dual_run(m: Any, fn: Any, arrays: list, tangents: list, grad: bool = True) -> tuple:
    """(outputs, their tangents, inputs) of fn(m, *duals) in float64; tangents[i] None: input i
    is a plain tensor. The inputs require grad (when `grad`), so reverse mode records too."""
    fw = m.autograd.forward_ad
    with fw.dual_level():
        leaves = [
            m.tensor(a, requires_grad=grad and t is not None) for a, t in zip(arrays, tangents)
        ]
        ins = [x if t is None else fw.make_dual(x, m.tensor(t)) for x, t in zip(leaves, tangents)]
        outs = _outputs(fn(m, *ins))
        tans = []
        for o in outs:
            tangent = fw.unpack_dual(o).tangent if isinstance(o, m.Tensor) else None
            tans.append(None if tangent is None else _np(tangent))
    return outs, tans, leaves


def _float_outputs(outs: list) -> list[int]:
    return [i for i, o in enumerate(outs) if o.is_floating_point()]


def reverse_identity(outs: list, tans: list, leaves: list, tangents: list, seed: int) -> None:
    """<w, J t> (forward mode) == <J^T w, t> (reverse mode) for a random w."""
    idx = [i for i in _float_outputs(outs) if outs[i].requires_grad]
    wrt = [x for x, t in zip(leaves, tangents) if t is not None]
    if not idx or not wrt:
        return
    rng = np.random.default_rng(seed + 7)
    ws = [rng.standard_normal(tuple(outs[i].shape)) for i in idx]
    if any(tans[i] is not None and not np.isfinite(tans[i]).all() for i in idx):
        return  # NaN tangents (an empty mean...) are checked against torch only
    forward = sum(
        float((w * (tans[i] if tans[i] is not None else 0.0)).sum()) for w, i in zip(ws, idx)
    )
    grads = chainrule.autograd.grad(
        [outs[i] for i in idx],
        wrt,
        [chainrule.tensor(w, dtype=outs[i].dtype) for w, i in zip(ws, idx)],
        allow_unused=True,
    )
    ts = [t for t in tangents if t is not None]
    reverse = sum(float((_np(g) * t).sum()) for g, t in zip(grads, ts) if g is not None)
    tol = 1e-6 if all(outs[i].dtype == chainrule.float64 for i in idx) else 1e-4
    np.testing.assert_allclose(
        forward, reverse, rtol=tol, atol=tol, err_msg="<w, Jt> vs <J^T w, t>"
    )


def finite_difference(fn: Any, arrays: list, tangents: list, eps: float = 1e-6) -> list:
    """(f(x + eps t) - f(x - eps t)) / 2 eps for each float output of fn."""

    def at(sign: float) -> list:
        with chainrule.no_grad():
            ins = [
                chainrule.tensor(a if t is None else a + sign * eps * t)
                for a, t in zip(arrays, tangents)
            ]
            return _outputs(fn(chainrule, *ins))

    plus, minus = at(1.0), at(-1.0)
    return [
        (_np(p) - _np(q)) / (2 * eps) if p.is_floating_point() else None
        for p, q in zip(plus, minus)
    ]


def reverse_jvp(fn: Any, arrays: list, tangents: list) -> list:
    """J t for each float output, one row of J per output element (chainrule.autograd.grad)."""
    leaves = [chainrule.tensor(a, requires_grad=t is not None) for a, t in zip(arrays, tangents)]
    outs = _outputs(fn(chainrule, *leaves))
    wrt = [x for x, t in zip(leaves, tangents) if t is not None]
    ts = [t for t in tangents if t is not None]
    res = []
    for o in outs:
        if not o.is_floating_point():
            res.append(None)
            continue
        flat = o.reshape(-1)
        col = np.zeros(flat.shape[0])
        if o.requires_grad:
            for j in range(flat.shape[0]):
                rows = chainrule.autograd.grad(flat[j], wrt, retain_graph=True, allow_unused=True)
                col[j] = sum(float((_np(r) * t).sum()) for r, t in zip(rows, ts) if r is not None)
        res.append(col.reshape(tuple(o.shape)))
    return res


def _tangents_for(op: OpInfo, arrays: list, seed: int) -> list:
    rng = np.random.default_rng(seed + 3)
    return [
        rng.standard_normal(a.shape) if op.differentiable(i) else None for i, a in enumerate(arrays)
    ]


def _tol(op: OpInfo) -> tuple[float, float]:
    rtol, atol = op.tolerance("float64")
    return max(rtol, 1e-9), max(atol, 1e-11)


def _same(
    ours: list,
    theirs: list,
    outs: list,
    rtol: float,
    atol: float,
    what: str,
    finite_only: bool = False,
) -> None:
    """Tangents equal (None read as zeros) within tolerance, looser for single precision;
    `finite_only`: only where our tangent is finite (NaN tangents are torch's business)."""
    for i in _float_outputs(outs):
        shape = tuple(outs[i].shape)
        a = np.zeros(shape) if ours[i] is None else ours[i]
        b = np.zeros(shape) if theirs[i] is None else theirs[i]
        if finite_only:
            b = np.where(np.isfinite(a), b, a)
        r, t = (rtol, atol) if outs[i].dtype == chainrule.float64 else (1e-5, 1e-6)
        np.testing.assert_allclose(
            a, b, rtol=max(r, rtol), atol=max(t, atol), err_msg=f"{what}, output {i}"
        )


def check_op(op: OpInfo, shapes: tuple, seed: int, strict: bool) -> None:
    """The forward-mode tangent of op against torch's, reverse mode (`strict`: the full
    Jacobian, else <w, J t> = <J^T w, t>) and finite differences."""
    arrays = make_inputs(op, shapes, seed)
    tangents = _tangents_for(op, arrays, seed)
    if all(t is None for t in tangents):
        pytest.skip("no differentiable input")
    outs, ours, leaves = dual_run(chainrule, op.fn, arrays, tangents)
    t_outs, theirs, _ = dual_run(torch, op.fn, arrays, tangents)
    rtol, atol = _tol(op)
    _same(ours, theirs, outs, rtol, atol, "vs torch's forward AD")
    reverse_identity(outs, ours, leaves, tangents, seed)
    if strict:
        rev = reverse_jvp(op.fn, arrays, tangents)
        _same(ours, rev, outs, 1e-8, 1e-10, "vs reverse-mode J t", finite_only=True)
    if op.gradcheck:
        single = any(o.is_floating_point() and o.dtype != chainrule.float64 for o in outs)
        eps, tol = (1e-3, 1e-2) if single else (1e-6, 1e-5)
        fd = finite_difference(op.fn, arrays, tangents, eps)
        for i in _float_outputs(outs):  # no difference quotient where the value is not finite
            if fd[i] is not None:
                fd[i] = np.where(np.isfinite(_np(outs[i])), fd[i], ours[i])
        _same(ours, fd, outs, tol, tol, "vs central finite difference")


def unsupported(fn: Any, arrays: list, tangents: list) -> str | None:
    """Torch's NotImplementedError's first line when fn uses an op without a forward rule."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dual_run(chainrule, fn, arrays, tangents)
    except NotImplementedError as e:
        if UNSUPPORTED in str(e):
            return str(e).splitlines()[0]
    except Exception:  # noqa: BLE001 - the test itself reports it
        return None
    return None


# --- 1. every record of the op database ---------------------------------------------------------

# in-place ops whose tangent must not go stale (no longer xfailed: ops/inplace.py updates it)
STALE_INPLACE: set[str] = set()
# torch's tangent (matched) is weight_t[indices]; its backward zeroes padding_idx and divides by
# the counts, so it is not the adjoint of the forward map and <w, J t> = <J^T w, t> fails
NOT_ADJOINT = {
    "nnf_embedding_padding",
    "nnf_embedding_padding_negative",
    "nnf_embedding_scale_grad",
}


def _sweep_param(op: OpInfo, index: int, shapes: tuple) -> Any:
    """The sample as a parameter, marked xfail (not run) when it needs an op without a rule:
    probed at collection, so a new rule makes the sample run at once."""
    seed = seed_of(op.name, index)
    arrays = make_inputs(op, shapes, seed)
    marks: list = []
    if op.name in STALE_INPLACE:
        marks = [pytest.mark.xfail(strict=True, reason="in-place ops keep a stale tangent")]
    elif op.name in NOT_ADJOINT:
        marks = [pytest.mark.xfail(strict=True, reason="torch's embedding backward is no adjoint")]
    else:
        missing = unsupported(op.fn, arrays, _tangents_for(op, arrays, seed))
        if missing:
            marks = [pytest.mark.xfail(run=False, reason=missing)]
    return pytest.param(op, index, shapes, marks=marks, id=f"{op.name}-{shape_id(shapes)}")


@pytest.mark.parametrize("op,index,shapes", [_sweep_param(*s) for s in samples(OPS)])
def test_opdb_tangents(op: OpInfo, index: int, shapes: tuple) -> None:
    """Every sample of every record; those using an op without a forward rule (its primitive
    lives outside the covered families) are xfailed with torch's NotImplementedError."""
    check_op(op, shapes, seed_of(op.name, index), strict=False)


# --- 2. the ops forward mode must cover: strictly, with the full reverse-mode Jacobian ----------

REQUIRED = """
add add_alpha sub sub_alpha mul mul_self div div_only_y neg add_scalar radd_scalar sub_scalar
rsub_scalar mul_scalar rmul_scalar div_scalar rdiv_scalar pow_int pow_int3 pow_float pow_half
pow_neg pow_zero pow_one rpow_scalar rpow_float pow_tensor pow_tensor_only_x pow_tensor_only_y
reciprocal maximum minimum max_binary where where_scalar
exp log sqrt abs sin cos tanh sigmoid sigmoid_large relu clamp_min clamp_max clamp_both
clamp_tensor_bounds clamp_min_number clamp_max_number clamp_min_tensor clamp_max_tensor
log1p expm1 exp2 log2 log10 rsqrt square logit logit_eps tan asin acos atan sinh cosh asinh
acosh atanh erf erfc erfinv lgamma digamma polygamma_1 nan_to_num sign sgn floor ceil round
round_decimals trunc frac atan2 xlogy xlogy_scalar_other xlogy_scalar_self logaddexp hypot
lerp_scalar lerp_tensor lerp_only_weight
sum sum_dim sum_dims_keepdim mean mean_dim mean_keepdim max min max_dim max_dim_keepdim min_dim
prod prod_dim prod_negdim_keepdim var var_dim var_dims_keepdim var_correction0 std
std_dims_keepdim var_mean var_mean_dim std_mean std_mean_dim logsumexp logsumexp_dims
logsumexp_keepdim amax amax_dim amax_dims_keepdim amin amin_dims
cumsum cumprod cumprod_long cummax cummin
reshape_flat reshape_rev view view_0d flatten flatten_range transpose t T mT permute squeeze
squeeze_dim unsqueeze unsqueeze_mid expand expand_lead expand_as
index_int index_slice_step index_none index_ellipsis index_mask index_array index_array_repeat
index_arrays_paired index_slice_array index_int_slice_array
shp_cat shp_cat_dim1 shp_cat_skip_empty shp_cat_only_y shp_stack shp_stack_mid shp_hstack
shp_vstack shp_split shp_split_sizes shp_chunk shp_unbind shp_tensor_split shp_flip
shp_flip_dims shp_roll shp_roll_flat shp_repeat shp_tile shp_narrow shp_movedim shp_unflatten
shp_broadcast_to shp_diagonal shp_diagonal_neg shp_tril shp_triu_k shp_diag_vec shp_diag_mat
shp_diag_embed
matmul matmul_only_x matmul_only_y mm mv dot clone to_float64 double to_float32
log_softmax log_softmax_dim0 softmax nnf_softmax nnf_log_softmax nnf_softmin composite_diamond
nnf_relu nnf_relu6 nnf_hardtanh nnf_leaky_relu nnf_threshold nnf_hardsigmoid nnf_hardswish
nnf_elu nnf_elu_alpha nnf_selu nnf_celu nnf_celu_alpha nnf_gelu nnf_gelu_tanh nnf_silu nnf_mish
nnf_softplus nnf_softplus_beta_threshold nnf_logsigmoid nnf_softsign nnf_tanhshrink nnf_glu
nnf_glu_dim0
""".split()

REQUIRED_SAMPLES = samples([OPS_BY_NAME[n] for n in REQUIRED])


def test_required_records_exist() -> None:
    assert len(set(REQUIRED)) == len(REQUIRED)


@pytest.mark.parametrize(
    "op,index,shapes",
    REQUIRED_SAMPLES,
    ids=[f"{op.name}-{shape_id(s)}" for op, _, s in REQUIRED_SAMPLES],
)
def test_required_ops_three_ways(op: OpInfo, index: int, shapes: tuple) -> None:
    check_op(op, shapes, seed_of(op.name, index), strict=True)


INPLACE_FNS = {
    "mul_": lambda m, x, y: x.mul_(2),
    "add_": lambda m, x, y: x.add_(y),
    "clone_mul_": lambda m, x, y: (x * 1).mul_(y),
    "setitem": lambda m, x, y: (x.__setitem__(0, y[1]), x)[1],
    "setitem_plain_value": lambda m, x, y: (x.__setitem__(1, m.ones(3, dtype=m.float64)), x)[1],
    "setitem_into_plain": lambda m, x, y: (
        lambda z: (z.__setitem__((1, slice(0, 2)), x[0, :2]), z)[1]
    )(m.zeros(2, 3, dtype=m.float64)),
    "view_mul_": lambda m, x, y: (lambda z: (z[1].mul_(y[0]), z)[1])(x * 1),
    "view_itself": lambda m, x, y: x[:, 1].add_(y[:, 0]),
}


@pytest.mark.parametrize("name", sorted(INPLACE_FNS))
def test_inplace_ops_update_the_tangent_as_torch(name: str) -> None:
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((2, 3)) for _ in range(2)]
    tangents = [rng.standard_normal((2, 3)) for _ in range(2)]
    outs, ours, _ = dual_run(chainrule, INPLACE_FNS[name], arrays, tangents, grad=False)
    _, theirs, _ = dual_run(torch, INPLACE_FNS[name], arrays, tangents, grad=False)
    _same(ours, theirs, outs, 1e-12, 1e-12, "vs torch's forward AD")
    assert ours[0] is not None


# --- 3. hypothesis over shapes: elementwise and broadcasting ops ---------------------------------

UNARY_FNS = {
    "exp": lambda m, x: m.exp(x),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "sin": lambda m, x: m.sin(x),
    "abs": lambda m, x: m.abs(x),
    "relu": lambda m, x: m.relu(x),
    "clamp": lambda m, x: m.clamp(x, -0.5, 0.5),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "erf": lambda m, x: m.erf(x),
    "square": lambda m, x: x**2,
}
BINARY_FNS = {
    "add": lambda m, x, y: x + y,
    "sub": lambda m, x, y: x - y,
    "mul": lambda m, x, y: x * y,
    "div": lambda m, x, y: x / (y * y + 1),
    "maximum": lambda m, x, y: m.maximum(x, y),
    "minimum": lambda m, x, y: m.minimum(x, y),
    "atan2": lambda m, x, y: m.atan2(x, y),
    "hypot": lambda m, x, y: m.hypot(x, y),
    "logaddexp": lambda m, x, y: m.logaddexp(x, y),
    "where": lambda m, x, y: m.where(x > y, x, y),
    "pow": lambda m, x, y: (x * x + 0.5) ** y,
}


def _compare_with_torch(fn: Any, arrays: list, tangents: list) -> None:
    outs, ours, _ = dual_run(chainrule, fn, arrays, tangents, grad=False)
    _, theirs, _ = dual_run(torch, fn, arrays, tangents, grad=False)
    _same(ours, theirs, outs, 1e-9, 1e-11, "vs torch's forward AD")


@pytest.mark.parametrize("name", sorted(UNARY_FNS))
@given(
    shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), seed=st.integers(0, 2**31)
)
def test_unary_tangents_over_shapes(name: str, shape: tuple, seed: int) -> None:
    rng = np.random.default_rng(seed)
    _compare_with_torch(UNARY_FNS[name], [rng.standard_normal(shape)], [rng.standard_normal(shape)])


@pytest.mark.parametrize("name", sorted(BINARY_FNS))
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    which=st.sampled_from(["both", "x", "y"]),
    seed=st.integers(0, 2**31),
)
def test_broadcasting_tangents_over_shapes(name: str, shapes: Any, which: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    tangents = [
        rng.standard_normal(a.shape) if which in ("both", side) else None
        for a, side in zip(arrays, "xy")
    ]
    _compare_with_torch(BINARY_FNS[name], arrays, tangents)


# --- 4. kinks and ties: torch's forward-mode conventions ------------------------------------------


def _kink_case(conv: Any) -> Any:
    arrays = [np.asarray(v, dtype=np.float64) for v in conv.inputs]
    tangents = [np.random.default_rng(0).standard_normal(a.shape) for a in arrays]
    missing = unsupported(conv.example, arrays, tangents)
    marks = [pytest.mark.xfail(run=False, reason=missing)] if missing else []
    return pytest.param(conv, arrays, tangents, marks=marks, id=f"{conv.op}@{conv.point}")


@pytest.mark.parametrize("conv,arrays,tangents", [_kink_case(c) for c in conventions()])
def test_kink_tangents_match_torch(conv: Any, arrays: list, tangents: list) -> None:
    """The registry's non-differentiable points, every input with a tangent (torch's forward
    formulas sometimes take another side of a tie than its backward)."""
    outs, ours, _ = dual_run(chainrule, conv.example, arrays, tangents)
    _, theirs, _ = dual_run(torch, conv.example, arrays, tangents)
    _same(ours, theirs, outs, 1e-12, 1e-14, str(conv))


TIES = [
    pytest.param(
        lambda m, x, y: m.clamp(x, min=y), ([0.0, 1.0, -1.0], [0.0, 0.0, 0.0]), id="clamp_min_t"
    ),
    pytest.param(
        lambda m, x, y: m.clamp(x, max=y), ([0.0, 1.0, -1.0], [0.0, 0.0, 0.0]), id="clamp_max_t"
    ),
    pytest.param(
        lambda m, x, y: m.clamp(x, y, y + 1), ([0.0, 1.0, 2.0, -1.0], [0.0] * 4), id="clamp_both_t"
    ),
    pytest.param(
        lambda m, x, y: m.clamp(x, y + 1, y), ([0.0, 1.0, 2.0], [0.0] * 3), id="clamp_crossed_t"
    ),
    pytest.param(
        lambda m, x, y: m.clamp_min(x, y), ([0.0, 1.0, -1.0], [0.0] * 3), id="clamp_min_tensor"
    ),
    pytest.param(lambda m, x, y: m.maximum(x, y), ([0.0, 1.0, -1.0], [0.0] * 3), id="maximum_ties"),
    pytest.param(lambda m, x, y: m.atan2(x, y), ([0.0, 1.0], [0.0, 0.0]), id="atan2_origin"),
    pytest.param(
        lambda m, x, y: m.xlogy(x, y), ([0.0, 0.0, 1.0], [0.0, -1.0, 0.0]), id="xlogy_zeros"
    ),
    pytest.param(lambda m, x, y: m.pow(x, y), ([0.0, 0.0, 2.0], [0.0, 2.0, 0.0]), id="pow_zeros"),
    pytest.param(
        lambda m, x, y: x.max() + y.amax(), ([1.0, 1.0, 0.0], [2.0, 2.0, 2.0]), id="max_ties"
    ),
    pytest.param(
        lambda m, x, y: m.cumprod(x, 0) * y,
        ([2.0, 0.0, 3.0, 0.0, 4.0], [1.0] * 5),
        id="cumprod_zeros",
    ),
    pytest.param(
        lambda m, x, y: x.prod() + (x * y).prod(),
        ([2.0, 0.0, 3.0], [1.0, 0.0, 1.0]),
        id="prod_zeros",
    ),
    pytest.param(lambda m, x, y: x.std() + (x * y).std(), ([1.0, 1.0], [0.0, 0.0]), id="std_zero"),
    pytest.param(lambda m, x, y: x.var(correction=2) * y, ([1.0, 2.0], [1.0, 1.0]), id="var_dof0"),
    pytest.param(
        lambda m, x, y: m.logit(x) + m.logit(y, eps=0.2),
        ([-1.0, 0.0, 0.5], [0.1, 0.5, 1.0]),
        id="logit_out",
    ),
    pytest.param(
        lambda m, x, y: m.nn.functional.hardswish(x) + m.nn.functional.hardtanh(y),
        ([-3.0, 3.0, 0.0], [-1.0, 1.0, 0.0]),
        id="hard_bounds",
    ),
    pytest.param(
        lambda m, x, y: m.nn.functional.elu(x) + m.nn.functional.leaky_relu(y),
        ([0.0, -1.0], [0.0, 1.0]),
        id="elu_leaky_at_0",
    ),
    pytest.param(
        lambda m, x, y: x * y, ([float("inf"), 1.0], [1.0, 2.0]), id="mul_inf_no_tangent_term"
    ),
]


@pytest.mark.parametrize("fn,values", TIES)
@pytest.mark.parametrize("which", ["both", "x", "y"])
def test_tie_and_zero_tangents_match_torch(fn: Any, values: tuple, which: str) -> None:
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    rng = np.random.default_rng(1)
    tangents = [
        rng.standard_normal(a.shape) if which in ("both", side) else None
        for a, side in zip(arrays, "xy")
    ]
    _compare_with_torch(fn, arrays, tangents)


@pytest.mark.parametrize("grad_enabled", [True, False])
def test_logit_tangent_follows_grad_mode_as_torch(grad_enabled: bool) -> None:
    x = [float("nan"), -0.5, 0.05, 0.5, 1.2]
    for eps in (None, -0.1, 0.1):
        with chainrule.set_grad_enabled(grad_enabled), torch.set_grad_enabled(grad_enabled):
            _compare_with_torch(lambda m, v, e=eps: m.logit(v, eps=e), [np.array(x)], [np.ones(5)])


# --- 5. the dual-tensor API ----------------------------------------------------------------------


def _error(fn: Any) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


def test_make_dual_needs_a_level(lib) -> None:
    fw = lib.autograd.forward_ad
    x = lib.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fw.make_dual(x, x)
    assert fw.unpack_dual(x) == (x, None)
    assert fw.unpack_dual(3.0) == (3.0, None)


MAKE_DUAL_ERRORS = [
    pytest.param(lambda m: m.make_dual(m.x, m.tensor([1.0, 2.0, 3.0])), id="size"),
    pytest.param(lambda m: m.make_dual(m.x, m.tensor([[1.0, 2.0]])), id="size_2d"),
    pytest.param(lambda m: m.make_dual(m.tensor(1.0), m.tensor([1.0])), id="size_0d"),
    pytest.param(lambda m: m.make_dual(m.tensor([1, 2]), m.tensor([1, 2])), id="int_primal"),
    pytest.param(lambda m: m.make_dual(m.x, m.tensor([1, 2])), id="int_tangent"),
    pytest.param(lambda m: m.make_dual(m.x, m.x, level=3), id="level"),
    pytest.param(lambda m: m.make_dual(m.make_dual(m.x, m.x), m.x), id="already_dual"),
    pytest.param(
        lambda m: m.make_dual(m.make_dual(m.x, m.x), m.tensor([1.0])), id="already_dual_first"
    ),
    pytest.param(lambda m: m.make_dual(m.x, m.tensor([1.0]), level=2), id="level_first"),
    pytest.param(lambda m: m.make_dual(m.x, 1.0), id="tangent_not_tensor"),
    pytest.param(lambda m: m.make_dual(1.0, m.x), id="primal_not_tensor"),
    pytest.param(lambda m: m.unpack_dual(2.0), id="unpack_not_tensor"),
    pytest.param(lambda m: m.unpack_dual(m.make_dual(m.x, m.x), level=4), id="unpack_level"),
    pytest.param(lambda m: m.enter_dual_level(), id="nested"),
    pytest.param(lambda m: m.exit_dual_level(level=3), id="exit_other"),
]


class _Api:
    """forward_ad's functions plus `tensor` and a float64 `x`, for one library."""

    def __init__(self, lib: Any) -> None:
        self.__dict__.update(vars(lib.autograd.forward_ad))
        self.tensor = lambda v: lib.from_numpy(np.array(v))  # float64 for floats, as x
        self.x = lib.tensor([1.0, 2.0], dtype=lib.float64)


@pytest.mark.parametrize("call", MAKE_DUAL_ERRORS)
def test_api_errors_match_torch(call: Any) -> None:
    results = []
    for lib in (chainrule, torch):
        api = _Api(lib)
        with lib.autograd.forward_ad.dual_level():
            results.append(_error(lambda a=api: call(a)))
    (ours, our_msg), (theirs, their_msg) = results
    assert ours is theirs, (our_msg, their_msg)
    assert our_msg.replace("chainrule.", "torch.") == their_msg


def test_exit_errors_match_torch() -> None:
    for lib in (chainrule, torch):
        fw = lib.autograd.forward_ad
        with pytest.raises(RuntimeError, match="^Dual level must be a positive number.$"):
            fw.exit_dual_level()
        with pytest.raises(RuntimeError, match="not the last one that was created"):
            fw.exit_dual_level(level=0)
        level = fw.enter_dual_level()
        assert level == 0
        fw.exit_dual_level(level=level)
        with pytest.raises(RuntimeError, match="with an invalid index"):
            fw.make_dual(lib.ones(2), lib.ones(2), level=0)


def test_make_dual_is_a_view_with_the_tangent_as_given(lib) -> None:
    fw = lib.autograd.forward_ad
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = lib.tensor([1.0, 0.0, -1.0])
    with fw.dual_level() as level:
        assert level == 0
        dual = fw.make_dual(x, t)
        assert dual._base is x
        assert type(dual.grad_fn).__name__ == "ViewBackward0"
        primal, tangent = fw.unpack_dual(dual)
        assert tangent is t
        assert primal._base is x
        assert fw.unpack_dual(primal).tangent is None
        assert primal.grad_fn.name() == "torch::autograd::Identity"
        assert fw.unpack_dual(x).tangent is None
        assert fw.unpack_dual(x).primal is not x
        assert isinstance(fw.unpack_dual(dual), fw.UnpackedDualTensor)
        (dual * 2).sum().backward()  # reverse mode goes through make_dual to x
    np.testing.assert_array_equal(_np(x.grad), [2.0, 2.0, 2.0])


def test_tangents_are_gone_after_the_level(lib) -> None:
    fw = lib.autograd.forward_ad
    x = lib.tensor([1.0, 2.0])
    with fw.dual_level():
        dual = fw.make_dual(x, lib.ones(2))
        y = dual.exp()
        assert fw.unpack_dual(y).tangent is not None
    assert fw.unpack_dual(dual).tangent is None
    assert fw.unpack_dual(y).tangent is None
    assert fw.unpack_dual(y).primal is y
    with fw.dual_level():  # a fresh level starts clean
        assert fw.unpack_dual(dual).tangent is None
        assert fw.unpack_dual(dual.exp()).tangent is None


def test_dual_level_as_decorator(lib) -> None:
    fw = lib.autograd.forward_ad

    @fw.dual_level()
    def jvp_of_square(x: Any, t: Any) -> Any:
        return fw.unpack_dual(fw.make_dual(x, t) ** 2).tangent

    np.testing.assert_allclose(_np(jvp_of_square(lib.tensor([3.0]), lib.tensor([1.0]))), [6.0])
    with pytest.raises(RuntimeError, match="no level exists"):
        fw.make_dual(lib.ones(1), lib.ones(1))


def test_tangents_flow_under_no_grad_but_not_through_detach(lib) -> None:
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]))
        with lib.no_grad():
            y = dual * 3
        np.testing.assert_array_equal(_np(fw.unpack_dual(y).tangent), [3.0, 3.0])
        assert fw.unpack_dual(dual.detach()).tangent is None


def test_integer_outputs_have_no_tangent(lib) -> None:
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        dual = fw.make_dual(lib.tensor([[1.0, 3.0], [2.0, 0.0]]), lib.ones(2, 2))
        values, indices = dual.max(1)
        assert fw.unpack_dual(indices).tangent is None
        assert fw.unpack_dual(values).tangent is not None
        assert fw.unpack_dual(dual > 1).tangent is None
        assert fw.unpack_dual(dual.argmax()).tangent is None


def test_tangent_dtype_follows_the_output() -> None:
    fw = fwad
    with fw.dual_level():
        dual = fw.make_dual(chainrule.ones(2, dtype=chainrule.float64), chainrule.ones(2))
        assert fw.unpack_dual(dual).tangent.dtype == chainrule.float32  # kept as given
        assert fw.unpack_dual(dual.exp()).tangent.dtype == chainrule.float64
        assert fw.unpack_dual(dual.float()).tangent.dtype == chainrule.float32


# --- 6. user Functions with jvp ------------------------------------------------------------------


def _functions(m: Any) -> dict:
    class Scale(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_forward(x, w)
            ctx.save_for_backward(x, w)
            ctx.k = k
            return x * w * k, x.exp()

        @staticmethod
        def backward(ctx, g, h):
            x, w = ctx.saved_tensors
            return g * w * ctx.k + h * x.exp(), g * x * ctx.k, None

        @staticmethod
        def jvp(ctx, tx, tw, tk):
            assert tk is None
            x, w = ctx.saved_tensors
            return (tx * w + x * tw) * ctx.k, tx * x.exp()

    class Cube(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_forward(x)
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

        @staticmethod
        def jvp(ctx, tx):
            (x,) = ctx.saved_tensors
            return 3 * x * x * tx

    return {"Scale": Scale, "Cube": Cube}


@pytest.mark.parametrize("which", ["x", "w", "both"])
def test_custom_function_jvp_matches_torch(which: str) -> None:
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    tangents = [rng.standard_normal(3) if which in ("both", s) else None for s in ("x", "w")]

    def fn(m: Any, a: Any, b: Any) -> Any:
        f = _functions(m)
        y, e = f["Scale"].apply(a, b, 2.5)
        return f["Cube"].apply(y) + e

    _compare_with_torch(fn, [x, w], tangents)
    outs, ours, leaves = dual_run(chainrule, fn, [x, w], tangents)
    reverse_identity(outs, ours, leaves, tangents, 0)
    _same(ours, finite_difference(fn, [x, w], tangents), outs, 1e-5, 1e-5, "finite difference")


def test_custom_function_jvp_errors_match_torch() -> None:
    def classes(m: Any) -> list:
        class NoJvp(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        class TwoTangents(NoJvp):
            @staticmethod
            def jvp(ctx, tx):
                return tx * 2, tx

        class WrongSize(NoJvp):
            @staticmethod
            def jvp(ctx, tx):
                return tx[:2]

        return [NoJvp, TwoTangents, WrongSize]

    for ours, theirs in zip(classes(chainrule), classes(torch)):
        errors = []
        for m, cls in ((chainrule, ours), (torch, theirs)):
            fw = m.autograd.forward_ad
            with fw.dual_level():
                dual = fw.make_dual(m.ones(3), m.ones(3))
                errors.append(_error(lambda c=cls, x=dual: c.apply(x)))
        assert errors[0] == errors[1]


def test_custom_function_forward_sees_primals_only(lib) -> None:
    fw = lib.autograd.forward_ad
    seen = []

    class Probe(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(fw.unpack_dual(x).tangent)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, tx):
            return tx * 2

    with fw.dual_level():
        out = Probe.apply(fw.make_dual(lib.ones(2), lib.ones(2)))
        np.testing.assert_array_equal(_np(fw.unpack_dual(out).tangent), [2.0, 2.0])
    assert seen == [None]


# --- 7. ops without a rule -----------------------------------------------------------------------


def test_an_op_without_a_rule_raises_as_torch(lib) -> None:
    fw = lib.autograd.forward_ad

    class Twice(lib.autograd.Function):  # a user Function without jvp
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with fw.dual_level():
        dual = fw.make_dual(lib.ones(2), lib.ones(2))
        with pytest.raises(NotImplementedError, match="must implement the jvp function"):
            Twice.apply(dual)


def test_a_primitive_without_a_rule_raises_not_implemented() -> None:
    from chainrule.ops._util import Primitive

    class Histc(Primitive):
        node_name = "HistcBackward0"

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Doubled(chainrule.ops.elementwise.Exp):  # changes forward, inherits Exp's rule: refused
        @staticmethod
        def forward(ctx, x):
            return np.exp(2 * x)

    with fwad.dual_level():
        dual = fwad.make_dual(chainrule.ones(2), chainrule.ones(2))
        with pytest.raises(NotImplementedError, match="^Trying to use forward AD with histc that"):
            Histc.apply(dual)
        with pytest.raises(NotImplementedError, match="forward AD with doubled that does not"):
            Doubled.apply(dual)
        x = chainrule.ones(2)
        assert Histc.apply(x) is not None  # without a tangent the op runs as usual
    assert not fwad.supports(Histc) and not fwad.supports(Doubled)
    assert fwad.supports(chainrule.ops.elementwise.Exp)


# --- 8. for autograd.functional ------------------------------------------------------------------


def test_forward_jvp_matches_torch_func_jvp() -> None:
    rng = np.random.default_rng(2)
    x, w, tx, tw = (rng.standard_normal((2, 3)) for _ in range(4))

    def f(m: Any) -> Any:
        return lambda a, b: ((a * b).sum(1).tanh(), m.nn.functional.softmax(a @ b.T, -1))

    ours = fwad.forward_jvp(
        f(chainrule), *[tuple(map(chainrule.tensor, p)) for p in ((x, w), (tx, tw))]
    )
    theirs = torch.func.jvp(f(torch), *[tuple(map(torch.tensor, p)) for p in ((x, w), (tx, tw))])
    for part_ours, part_theirs in zip(ours, theirs):
        for a, b in zip(part_ours, part_theirs):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10)
    value, jvp = fwad.forward_jvp(
        lambda a: a.sum() * 0 + 1.0, (chainrule.ones(2),), (chainrule.ones(2),)
    )
    assert float(jvp) == 0.0
    with fwad.dual_level(), pytest.raises(RuntimeError, match="Nested forward mode AD"):
        fwad.forward_jvp(lambda a: a, (chainrule.ones(1),), (chainrule.ones(1),))
