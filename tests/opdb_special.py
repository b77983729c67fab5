"""OpInfo records for the elementwise ops of ops/special.py, ops/rounding.py and
ops/special_binary.py, and clamp_min / clamp_max (ops/elementwise.py, exported by special.py)
(gathered by opdb.py).

Step functions (sign floor ceil round trunc, rounding division) have zero gradients; their
`kinks` keep samples off the jumps, so finite differences see flat ground. floor_divide and
remainder(number, tensor) have no derivative in torch: test_special.py covers them.
"""

from __future__ import annotations

import numpy as np

from opinfo import BINARY, LOOSE_TOL, TERNARY, UNARY, OpInfo

INTEGERS = tuple(float(k) for k in range(-5, 6))
HALVES = tuple(k + 0.5 for k in range(-5, 5))
TENTHS_HALVES = tuple(round(k / 10 + 0.05, 2) for k in range(-10, 10))  # jumps of round(x, 1)
MULTIPLES_1_5 = tuple(1.5 * k for k in range(-4, 5))  # jumps of fmod/remainder(x, 1.5)
MULTIPLES_NEG_2 = tuple(-2.0 * k for k in range(-3, 4))  # jumps of fmod/remainder(x, -2)
TAN_POLES = (-np.pi / 2, np.pi / 2)

OPS: list[OpInfo] = [
    # --- exp and log -----------------------------------------------------------------------------
    OpInfo("log1p", lambda m, x: m.log1p(x), UNARY, domain=("positive",)),
    OpInfo("log1p_method", lambda m, x: (x - 0.5).log1p(), UNARY[:3], domain=("positive",)),
    OpInfo("expm1", lambda m, x: m.expm1(x), UNARY),
    OpInfo("expm1_method", lambda m, x: x.expm1(), UNARY[:3]),
    OpInfo("exp2", lambda m, x: m.exp2(x), UNARY),
    OpInfo("exp2_method", lambda m, x: x.exp2(), UNARY[:3]),
    OpInfo("log2", lambda m, x: m.log2(x), UNARY, domain=("positive",)),
    OpInfo("log2_method", lambda m, x: x.log2(), UNARY[:3], domain=("positive",)),
    OpInfo("log10", lambda m, x: m.log10(x), UNARY, domain=("positive",)),
    OpInfo("log10_method", lambda m, x: x.log10(), UNARY[:3], domain=("positive",)),
    OpInfo("reciprocal", lambda m, x: m.reciprocal(x), UNARY, domain=("nonzero",)),
    OpInfo("reciprocal_method", lambda m, x: x.reciprocal(), UNARY[:3], domain=("nonzero",)),
    OpInfo("rsqrt", lambda m, x: m.rsqrt(x), UNARY, domain=("positive",)),
    OpInfo("rsqrt_method", lambda m, x: x.rsqrt(), UNARY[:3], domain=("positive",)),
    OpInfo("square", lambda m, x: m.square(x), UNARY),
    OpInfo("square_method", lambda m, x: x.square(), UNARY[:3]),
    OpInfo("logit", lambda m, x: m.logit(x), UNARY, domain=("probability",)),
    OpInfo("logit_method", lambda m, x: x.logit(), UNARY[:3], domain=("probability",)),
    # eps clamps the input to [eps, 1 - eps]: the gradient is 0 outside
    OpInfo(
        "logit_eps", lambda m, x: m.logit(x, 0.2), UNARY, domain=("probability",), kinks=(0.2, 0.8)
    ),
    OpInfo("logit_eps_method", lambda m, x: x.logit(eps=0.1), UNARY[:3], kinks=(0.1, 0.9)),
    # --- one-sided clamps: the bound passes the gradient -----------------------------------------
    OpInfo("clamp_min_number", lambda m, x: m.clamp_min(x, -0.5), UNARY, kinks=(-0.5,)),
    OpInfo("clamp_min_number_method", lambda m, x: x.clamp_min(0.25), UNARY[:3], kinks=(0.25,)),
    OpInfo("clamp_max_number", lambda m, x: m.clamp_max(x, 0.5), UNARY, kinks=(0.5,)),
    OpInfo(
        "clamp_max_number_method", lambda m, x: x.clamp_max(max=-0.25), UNARY[:3], kinks=(-0.25,)
    ),
    OpInfo("clamp_min_tensor", lambda m, x, lo: m.clamp_min(x, lo), BINARY, distinct=True),
    OpInfo("clamp_min_tensor_method", lambda m, x, lo: x.clamp_min(lo), BINARY[:4], distinct=True),
    OpInfo("clamp_max_tensor", lambda m, x, hi: m.clamp_max(x, max=hi), BINARY, distinct=True),
    OpInfo(
        "clamp_max_tensor_only_bound",
        lambda m, x, hi: x.clamp_max(hi),
        BINARY[:4],
        distinct=True,
        diff=(False, True),
    ),
    # --- step functions: zero gradients ----------------------------------------------------------
    OpInfo("sign", lambda m, x: m.sign(x), UNARY, kinks=(0.0,)),
    OpInfo("sign_method", lambda m, x: x.sign() * x, UNARY[:3], kinks=(0.0,)),
    OpInfo("sgn", lambda m, x: m.sgn(x), UNARY, kinks=(0.0,)),
    OpInfo("sgn_method", lambda m, x: x.sgn(), UNARY[:3], kinks=(0.0,)),
    OpInfo("floor", lambda m, x: m.floor(x), UNARY, kinks=INTEGERS),
    OpInfo("floor_method", lambda m, x: x.floor() + x, UNARY[:3], kinks=INTEGERS),
    OpInfo("ceil", lambda m, x: m.ceil(x), UNARY, kinks=INTEGERS),
    OpInfo("ceil_method", lambda m, x: x.ceil(), UNARY[:3], kinks=INTEGERS),
    OpInfo("round", lambda m, x: m.round(x), UNARY, kinks=HALVES),
    OpInfo("round_method", lambda m, x: x.round(), UNARY[:3], kinks=HALVES),
    OpInfo(
        "round_decimals",
        lambda m, x: m.round(x, decimals=1),
        UNARY,
        domain=("unit",),
        kinks=TENTHS_HALVES,
    ),
    OpInfo(
        "round_decimals_neg",
        lambda m, x: (x * 100).round(decimals=-1),
        UNARY[:3],
        domain=("unit",),
        kinks=TENTHS_HALVES,
    ),
    OpInfo("trunc", lambda m, x: m.trunc(x), UNARY, kinks=INTEGERS),
    OpInfo("trunc_method", lambda m, x: x.trunc(), UNARY[:3], kinks=INTEGERS),
    OpInfo("fix", lambda m, x: m.fix(x), UNARY[:3], kinks=INTEGERS),
    OpInfo("frac", lambda m, x: m.frac(x), UNARY, kinks=INTEGERS),
    OpInfo("frac_method", lambda m, x: x.frac(), UNARY[:3], kinks=INTEGERS),
    # --- trigonometric and hyperbolic ------------------------------------------------------------
    OpInfo("tan", lambda m, x: m.tan(x), UNARY, kinks=TAN_POLES),
    OpInfo("tan_method", lambda m, x: x.tan(), UNARY[:3], kinks=TAN_POLES),
    OpInfo("asin", lambda m, x: m.asin(x), UNARY, domain=("unit",)),
    OpInfo("arcsin", lambda m, x: x.arcsin(), UNARY[:3], domain=("unit",)),
    OpInfo("acos", lambda m, x: m.acos(x), UNARY, domain=("unit",)),
    OpInfo("arccos", lambda m, x: m.arccos(x), UNARY[:3], domain=("unit",)),
    OpInfo("atan", lambda m, x: m.atan(x), UNARY),
    OpInfo("arctan", lambda m, x: x.arctan(), UNARY[:3]),
    OpInfo("sinh", lambda m, x: m.sinh(x), UNARY),
    OpInfo("sinh_method", lambda m, x: x.sinh(), UNARY[:3]),
    OpInfo("cosh", lambda m, x: m.cosh(x), UNARY),
    OpInfo("cosh_method", lambda m, x: x.cosh(), UNARY[:3]),
    OpInfo("asinh", lambda m, x: m.asinh(x), UNARY),
    OpInfo("arcsinh", lambda m, x: x.arcsinh(), UNARY[:3]),
    OpInfo("acosh", lambda m, x: m.acosh(x), UNARY, domain=("above_one",)),
    OpInfo("arccosh", lambda m, x: x.arccosh(), UNARY[:3], domain=("above_one",)),
    OpInfo("atanh", lambda m, x: m.atanh(x), UNARY, domain=("unit",)),
    OpInfo("arctanh", lambda m, x: m.arctanh(x), UNARY[:3], domain=("unit",)),
    # --- error and gamma functions ---------------------------------------------------------------
    OpInfo("erf", lambda m, x: m.erf(x), UNARY),
    OpInfo("erf_method", lambda m, x: x.erf(), UNARY[:3]),
    OpInfo("erfc", lambda m, x: m.erfc(x), UNARY),
    OpInfo("erfc_method", lambda m, x: x.erfc(), UNARY[:3]),
    OpInfo("erfinv", lambda m, x: m.erfinv(x), UNARY, domain=("unit",)),
    OpInfo("erfinv_method", lambda m, x: x.erfinv(), UNARY[:3], domain=("unit",)),
    # torch's trigamma kernel (polygamma(1): digamma's derivative, lgamma's second) is off by
    # ~5e-10 relative in float64; SciPy's is exact to the last bits (checked with mpmath), so
    # these compare within LOOSE_TOL's 1e-9
    OpInfo("lgamma", lambda m, x: m.lgamma(x), UNARY, domain=("positive",), tol=LOOSE_TOL),
    OpInfo(
        "lgamma_method", lambda m, x: x.lgamma(), UNARY[:3], domain=("positive",), tol=LOOSE_TOL
    ),
    OpInfo("digamma", lambda m, x: m.digamma(x), UNARY, domain=("positive",), tol=LOOSE_TOL),
    OpInfo(
        "digamma_method", lambda m, x: x.digamma(), UNARY[:3], domain=("positive",), tol=LOOSE_TOL
    ),
    OpInfo(
        "polygamma_0",
        lambda m, x: m.polygamma(0, x),
        UNARY[:3],
        domain=("positive",),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "polygamma_1", lambda m, x: m.polygamma(1, x), UNARY, domain=("positive",), tol=LOOSE_TOL
    ),
    OpInfo("polygamma_2", lambda m, x: x.polygamma(2), UNARY[:3], domain=("positive",)),
    OpInfo("polygamma_3", lambda m, x: m.polygamma(3, x), UNARY[:3], domain=("positive",)),
    # --- non-finite values -----------------------------------------------------------------------
    OpInfo("nan_to_num", lambda m, x: m.nan_to_num(x), UNARY),
    # log of a negative number is NaN: replaced, and its gradient blocked
    OpInfo("nan_to_num_log", lambda m, x: m.nan_to_num(m.log(x), nan=0.5), UNARY, kinks=(0.0,)),
    OpInfo("nan_to_num_method", lambda m, x: x.log().nan_to_num(-1.0), UNARY[:3], kinks=(0.0,)),
    # --- binary ----------------------------------------------------------------------------------
    OpInfo("atan2", lambda m, x, y: m.atan2(x, y), BINARY),
    OpInfo("atan2_method", lambda m, x, y: x.atan2(y), BINARY[:4]),
    OpInfo("arctan2", lambda m, x, y: m.arctan2(x, y), BINARY[:4]),
    OpInfo("atan2_only_y", lambda m, x, y: m.atan2(x, y), BINARY[:4], diff=(False, True)),
    OpInfo("xlogy", lambda m, x, y: m.xlogy(x, y), BINARY, domain=("real", "positive")),
    OpInfo("xlogy_method", lambda m, x, y: x.xlogy(y), BINARY[:4], domain=("real", "positive")),
    OpInfo(
        "xlogy_only_x",
        lambda m, x, y: m.xlogy(x, y),
        BINARY[:4],
        domain=("real", "positive"),
        diff=(True, False),
    ),
    OpInfo("xlogy_scalar_other", lambda m, x: m.xlogy(x, 2.5), UNARY),
    OpInfo("xlogy_scalar_self", lambda m, y: m.xlogy(3.0, y), UNARY, domain=("positive",)),
    OpInfo("logaddexp", lambda m, x, y: m.logaddexp(x, y), BINARY),
    OpInfo("logaddexp_method", lambda m, x, y: (x * 20).logaddexp(y * 20), BINARY[:4]),
    OpInfo("hypot", lambda m, x, y: m.hypot(x, y), BINARY),
    OpInfo("hypot_method", lambda m, x, y: x.hypot(y), BINARY[:4]),
    # fmod/remainder jump where x / y is an integer: random samples miss those (measure zero)
    OpInfo("fmod", lambda m, x, y: m.fmod(x, y), BINARY, domain=("real", "nonzero")),
    OpInfo("fmod_method", lambda m, x, y: x.fmod(y), BINARY[:4], domain=("real", "nonzero")),
    OpInfo("fmod_scalar", lambda m, x: m.fmod(x, 1.5), UNARY, kinks=MULTIPLES_1_5),
    OpInfo("fmod_scalar_neg", lambda m, x: x.fmod(-2), UNARY[:3], kinks=MULTIPLES_NEG_2),
    OpInfo("remainder", lambda m, x, y: m.remainder(x, y), BINARY, domain=("real", "nonzero")),
    OpInfo("mod_op", lambda m, x, y: x % y, BINARY[:4], domain=("real", "nonzero")),
    OpInfo(
        "remainder_only_y",
        lambda m, x, y: x.remainder(y),
        BINARY[:4],
        domain=("real", "nonzero"),
        diff=(False, True),
    ),
    OpInfo("remainder_scalar", lambda m, x: m.remainder(x, 1.5), UNARY, kinks=MULTIPLES_1_5),
    OpInfo("mod_op_scalar", lambda m, x: x % -2, UNARY[:3], kinks=MULTIPLES_NEG_2),
    OpInfo(
        "div_trunc",
        lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
        BINARY,
        domain=("real", "nonzero"),
    ),
    OpInfo(
        "div_floor",
        lambda m, x, y: x.div(y, rounding_mode="floor"),
        BINARY,
        domain=("real", "nonzero"),
    ),
    OpInfo(
        "div_floor_scalar",
        lambda m, x: m.div(x, 1.5, rounding_mode="floor"),
        UNARY,
        kinks=MULTIPLES_1_5,
    ),
    # --- lerp ------------------------------------------------------------------------------------
    OpInfo("lerp_scalar", lambda m, x, y: m.lerp(x, y, 0.3), BINARY),
    OpInfo("lerp_scalar_high", lambda m, x, y: x.lerp(y, 0.8), BINARY[:4]),
    OpInfo("lerp_scalar_int", lambda m, x, y: m.lerp(x, y, 2), BINARY[:4]),
    OpInfo("lerp_tensor", lambda m, x, y, w: m.lerp(x, y, w), TERNARY),
    OpInfo("lerp_tensor_method", lambda m, x, y, w: x.lerp(y, w), TERNARY[:3]),
    OpInfo(
        "lerp_only_weight",
        lambda m, x, y, w: m.lerp(x, y, w),
        TERNARY[:3],
        diff=(False, False, True),
    ),
]
