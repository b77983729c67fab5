"""One time step of each recurrence (shared by the sequence layers), and the single-step cells
RNNCell, LSTMCell, GRUCell."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import chainrule
from chainrule.autograd import forward_ad as fw
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# Each step takes gi = x W_ih^T + b_ih (+ b_hh where it can be folded in) already computed:
# the sequence layers project every time step at once, so a step is the hidden-state matmul
# and one fused primitive for the gate arithmetic (a dozen elementwise ops as one graph node,
# which is what makes the per-step Python overhead affordable). Gate order and formulas are
# torch's.


def _sigmoid(x: Any) -> Any:
    if isinstance(x, Tensor):
        return chainrule.sigmoid(x)
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives 0, the limit
        return 1 / (1 + np.exp(-x))


def _tanh(x: Any) -> Any:
    return chainrule.tanh(x) if isinstance(x, Tensor) else np.tanh(x)


def _cat(parts: list) -> Any:
    return chainrule.cat(parts, 1) if isinstance(parts[0], Tensor) else np.concatenate(parts, 1)


def _as_kind(like: Any, *xs: Any) -> list:
    """xs as Tensors (constants where they are arrays) when `like` is a Tensor, else as given."""
    return [
        d.const(like, x) if isinstance(like, Tensor) and not isinstance(x, Tensor) else x
        for x in xs
    ]


def _lstm_acts(gates: Any, c: Any) -> tuple:
    """i, f, g, o activations, c' = f c + i g and tanh(c'), on arrays or Tensors."""
    hs = c.shape[-1]
    if isinstance(gates, Tensor):
        i, f, o = (_sigmoid(gates[:, k * hs : (k + 1) * hs]) for k in (0, 1, 3))
    else:  # one sigmoid over all four chunks is cheaper than three calls
        s = _sigmoid(gates)
        i, f, o = s[:, :hs], s[:, hs : 2 * hs], s[:, 3 * hs :]
    g = _tanh(gates[:, 2 * hs : 3 * hs])
    c_new = f * c + i * g
    return i, f, g, o, c_new, _tanh(c_new)


class LstmPointwise(Primitive):
    """h', c' = o tanh(c'), f c + i g with i, f, g, o = sig, sig, tanh, sig of the gate chunks;
    dc' = g_c + g_h o (1 - tanh(c')^2), do = g_h tanh(c') o (1 - o), di = dc' g i (1 - i),
    df = dc' c f (1 - f), dg = dc' i (1 - g^2), dc = dc' f"""

    node_name = "LstmPointwiseBackward"

    @staticmethod
    def forward(ctx, gates, c):
        i, f, g, o, c_new, tc = _lstm_acts(gates, c)
        # Inputs are saved (not the activations) so that create_graph differentiates through
        # them; the activations are kept aside for the cheaper first-order backward.
        ctx.save_for_backward(gates, c)
        ctx.acts = (i, f, g, o, tc)
        return o * tc, c_new

    @staticmethod
    def backward(ctx, g_h, g_c):
        gates, c = ctx.saved_tensors
        if isinstance(gates, Tensor) or isinstance(g_h, Tensor) or isinstance(g_c, Tensor):
            like = next(x for x in (gates, g_h, g_c) if isinstance(x, Tensor))
            gates, c, g_h, g_c = _as_kind(like, gates, c, g_h, g_c)
            i, f, g, o, _, tc = _lstm_acts(gates, c)
        else:
            i, f, g, o, tc = ctx.acts
        dc = g_c + g_h * o * (1 - tc * tc)
        parts = [dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g)]
        parts.append(g_h * tc * o * (1 - o))
        return _cat(parts), dc * f

    @staticmethod
    def jvp_rule(t, out, gates, c):  # the forward formulas differentiated, as torch's
        t_gates, t_c = fw.dense(t[0], gates), fw.dense(t[1], c)
        i, f, g, o, _, tc = _lstm_acts(gates, c)
        hs = c.shape[-1]
        di, df = t_gates[:, :hs] * i * (1 - i), t_gates[:, hs : 2 * hs] * f * (1 - f)
        dg, do = t_gates[:, 2 * hs : 3 * hs] * (1 - g * g), t_gates[:, 3 * hs :] * o * (1 - o)
        dc = df * c + f * t_c + di * g + i * dg
        return do * tc + o * (1 - tc * tc) * dc, dc


class GruPointwise(Primitive):
    """h' = (h - n) z + n, r = sig(gi_r + gh_r), z = sig(gi_z + gh_z),
    n = tanh(gi_n + r gh_n);  dh = g z, dn = g (1 - z)(1 - n^2), dz = g (h - n) z (1 - z),
    dr = dn gh_n r (1 - r);  dgi = [dr, dz, dn], dgh = [dr, dz, dn r]"""

    node_name = "GruPointwiseBackward"

    @staticmethod
    def forward(ctx, gi, gh, h):
        r, z, n = _gru_acts(gi, gh)
        ctx.save_for_backward(gi, gh, h)
        ctx.acts = (r, z, n)
        return (h - n) * z + n

    @staticmethod
    def backward(ctx, g):
        gi, gh, h = ctx.saved_tensors
        if isinstance(gi, Tensor) or isinstance(g, Tensor):
            like = gi if isinstance(gi, Tensor) else g
            gi, gh, h, g = _as_kind(like, gi, gh, h, g)
            r, z, n = _gru_acts(gi, gh)
        else:
            r, z, n = ctx.acts
        hs = h.shape[-1]
        dn = g * (1 - z) * (1 - n * n)
        dz = g * (h - n) * z * (1 - z)
        dr = dn * gh[:, 2 * hs :] * r * (1 - r)
        return _cat([dr, dz, dn]), _cat([dr, dz, dn * r]), g * z

    @staticmethod
    def jvp_rule(t, out, gi, gh, h):  # the forward formulas differentiated, as torch's
        t_gi, t_gh, t_h = fw.dense(t[0], gi), fw.dense(t[1], gh), fw.dense(t[2], h)
        r, z, n = _gru_acts(gi, gh)
        hs = h.shape[-1]
        dr = (t_gi[:, :hs] + t_gh[:, :hs]) * r * (1 - r)
        dz = (t_gi[:, hs : 2 * hs] + t_gh[:, hs : 2 * hs]) * z * (1 - z)
        dn = (t_gi[:, 2 * hs :] + dr * gh[:, 2 * hs :] + r * t_gh[:, 2 * hs :]) * (1 - n * n)
        return (t_h - dn) * z + (h - n) * dz + dn


def _gru_acts(gi: Any, gh: Any) -> tuple:
    hs = gi.shape[-1] // 3
    r = _sigmoid(gi[:, :hs] + gh[:, :hs])
    z = _sigmoid(gi[:, hs : 2 * hs] + gh[:, hs : 2 * hs])
    n = _tanh(gi[:, 2 * hs :] + r * gh[:, 2 * hs :])
    return r, z, n


def input_bias(b_ih: Tensor | None, b_hh: Tensor | None, mode: str) -> Tensor | None:
    """The bias added to the input projection: b_ih + b_hh, except for GRU, whose b_hn sits
    inside r * (W_hn h + b_hn) and so stays with the hidden-state matmul."""
    if b_ih is None or mode == "GRU":
        return b_ih
    return b_ih + b_hh


def rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, relu: bool) -> Tensor:
    """h' = act(gi + h W_hh^T), act = tanh or relu (gi holds both biases)."""
    pre = F.linear(h, w_hh, gi)
    return chainrule.relu(pre) if relu else chainrule.tanh(pre)


def lstm_step(
    gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, w_hr: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Gates i, f, g, o = gi + h W_hh^T (gi holds both biases); c' = f c + i g;
    h' = o tanh(c'), projected by W_hr when given."""
    h_new, c_new = LstmPointwise.apply(F.linear(h, w_hh, gi), c)
    if w_hr is not None:
        h_new = F.linear(h_new, w_hr)
    return h_new, c_new


def gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """Gates r, z, n = tanh(gi_n + r (W_hn h + b_hn)); h' = (h - n) z + n (torch's form)."""
    return GruPointwise.apply(gi, F.linear(h, w_hh, b_hh), h)


def _check_cell_sizes(input: Tensor, hx: Tensor, input_size: int, hidden_size: int, i: int):  # noqa: A002
    """torch's cell checks: feature sizes of input and hidden, and matching batch sizes."""
    if input.size(1) != input_size:
        raise RuntimeError(
            f"input has inconsistent input_size: got {input.size(1)} expected {input_size}"
        )
    if input.size(0) != hx.size(0):
        raise RuntimeError(
            f"Input batch size {input.size(0)} doesn't match hidden{i} batch size {hx.size(0)}"
        )
    if hx.size(1) != hidden_size:
        raise RuntimeError(
            f"hidden{i} has inconsistent hidden_size: got {hx.size(1)}, expected {hidden_size}"
        )


class RNNCellBase(Module):
    """Shared parameters of the cells: weight_ih, weight_hh, bias_ih, bias_hh."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(chainrule.empty((gates, input_size), **factory_kwargs))
        self.weight_hh = Parameter(chainrule.empty((gates, hidden_size), **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(chainrule.empty(gates, **factory_kwargs))
            self.bias_hh = Parameter(chainrule.empty(gates, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        """torch's default: every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input: Tensor) -> tuple[Tensor, bool]:  # noqa: A002
        """Check input's dims and lift an unbatched input to a batch of one."""
        if input.dim() not in (1, 2):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead"
            )
        is_batched = input.dim() == 2
        return (input if is_batched else input.unsqueeze(0)), is_batched

    def _zeros(self, input: Tensor) -> Tensor:
        return chainrule.zeros(input.size(0), self.hidden_size, dtype=input.dtype)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        input, is_batched = self._batched(input)  # noqa: A001
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        _check_cell_sizes(input, hx, self.input_size, self.hidden_size, 0)
        gi = F.linear(input, self.weight_ih, input_bias(self.bias_ih, self.bias_hh, "RNN"))
        ret = rnn_step(gi, hx, self.weight_hh, self.nonlinearity == "relu")
        return ret if is_batched else ret.squeeze(0)


class _GatedCell(RNNCellBase):
    """A cell whose constructor is (input_size, hidden_size, bias, device, dtype), with
    `_num_chunks` gates stacked in its weights."""

    _num_chunks: int

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            input_size, hidden_size, bias, num_chunks=self._num_chunks, device=device, dtype=dtype
        )


class LSTMCell(_GatedCell):
    """One LSTM step: gates i, f, g, o; c' = f c + i g; h' = o tanh(c')."""

    _num_chunks = 4

    def forward(
        self,
        input: Tensor,  # noqa: A002
        hx: tuple[Tensor, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        input, is_batched = self._batched(input)  # noqa: A001
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead"
                    )
        if hx is None:
            zeros = self._zeros(input)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = hx
        _check_cell_sizes(input, h, self.input_size, self.hidden_size, 0)
        _check_cell_sizes(input, c, self.input_size, self.hidden_size, 1)
        gi = F.linear(input, self.weight_ih, input_bias(self.bias_ih, self.bias_hh, "LSTM"))
        h, c = lstm_step(gi, h, c, self.weight_hh)
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_GatedCell):
    """One GRU step: gates r, z, n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1-z) n + z h."""

    _num_chunks = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        input, is_batched = self._batched(input)  # noqa: A001
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        hx = self._zeros(input) if hx is None else (hx if is_batched else hx.unsqueeze(0))
        _check_cell_sizes(input, hx, self.input_size, self.hidden_size, 0)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        ret = gru_step(gi, hx, self.weight_hh, self.bias_hh)
        return ret if is_batched else ret.squeeze(0)
