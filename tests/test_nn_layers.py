"""nn layers (Linear, activations, losses, conv, pooling, normalisation, dropout, Embedding):
each is built in chainrule and torch, torch's state is copied into chainrule's, and the forward
values, input and parameter gradients, state_dicts (running stats included) and reprs must
agree; initialisation is compared by its distribution."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.stats

import chainrule

RTOL, ATOL = 1e-4, 1e-5
W5 = np.array([0.5, 1.0, 2.0, 0.25, 1.5], dtype=np.float32)


def _np(t):
    return t.detach().numpy()


def copy_state(tm, cm):
    """Load torch module tm's state_dict into chainrule module cm (numpy round trip)."""
    sd = {k: chainrule.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    cm.load_state_dict(sd)


def assert_same_state(tm, cm):
    tsd, csd = tm.state_dict(), cm.state_dict()
    assert list(tsd) == list(csd)
    for k in tsd:
        assert tuple(tsd[k].shape) == tuple(csd[k].shape), k
        assert str(tsd[k].dtype).split(".")[-1] == str(csd[k].dtype).split(".")[-1], k
        np.testing.assert_allclose(_np(csd[k]), _np(tsd[k]), rtol=RTOL, atol=ATOL, err_msg=k)


# Input specs: ("f", shape) normal floats; ("p", shape) in (0.05, 0.95); ("pos", shape) in
# (0.5, 2); ("s", shape) signs +-1; ("i", shape, high) int64 in [0, high).
def make_inputs(specs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        kind, shape = spec[0], spec[1]
        if kind == "f":
            out.append(rng.standard_normal(shape).astype(np.float32))
        elif kind == "p":
            out.append(rng.uniform(0.05, 0.95, shape).astype(np.float32))
        elif kind == "pos":
            out.append(rng.uniform(0.5, 2.0, shape).astype(np.float32))
        elif kind == "s":
            out.append(rng.choice([-1.0, 1.0], shape).astype(np.float32))
        else:
            out.append(rng.integers(0, spec[2], shape).astype(np.int64))
    return out


def run(lib, module, arrays, grad_idx, train=True, kwargs=None):
    """Forward (inputs in grad_idx require grad, passed through `* 1` so in-place modules are
    legal), backward of a fixed random projection; returns outputs, input grads, module."""
    module.train(train)
    leaves, fed = [], []
    for i, a in enumerate(arrays):
        t = lib.tensor(a)
        if i in grad_idx:
            t.requires_grad_(True)
            leaves.append(t)
            t = t * 1
        fed.append(t)
    out = module(*fed, **(kwargs or {}))
    outs = list(out) if isinstance(out, tuple) else [out]
    rng = np.random.default_rng(123)
    total = None
    for o in outs:
        if o.dtype.is_floating_point and o.requires_grad:
            g = lib.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32))
            term = (o * g).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    return outs, [leaf.grad for leaf in leaves]


def compare(make, specs, grad_idx=(0,), seed=0, train=True, kwargs=None):
    """Build with make(lib), copy torch's state to chainrule, compare everything."""
    import torch

    torch.manual_seed(seed)
    tm = make(torch)
    cm = make(chainrule)
    assert repr(cm) == repr(tm)
    copy_state(tm, cm)
    assert_same_state(tm, cm)
    arrays = make_inputs(specs, seed)
    touts, tgrads = run(torch, tm, arrays, grad_idx, train, kwargs)
    couts, cgrads = run(chainrule, cm, arrays, grad_idx, train, kwargs)
    assert len(touts) == len(couts)
    for t, c in zip(touts, couts):
        assert tuple(c.shape) == tuple(t.shape)
        assert str(c.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(c), _np(t), rtol=RTOL, atol=ATOL)
    for t, c in zip(tgrads, cgrads):
        assert (t is None) == (c is None)
        if t is not None:
            np.testing.assert_allclose(_np(c), _np(t), rtol=RTOL, atol=ATOL)
    tparams, cparams = dict(tm.named_parameters()), dict(cm.named_parameters())
    assert list(tparams) == list(cparams)
    for k, tp in tparams.items():
        cp = cparams[k]
        assert (tp.grad is None) == (cp.grad is None), k
        if tp.grad is not None:
            np.testing.assert_allclose(_np(cp.grad), _np(tp.grad), rtol=RTOL, atol=ATOL, err_msg=k)
    assert_same_state(tm, cm)
    return tm, cm


X = [("f", (4, 6))]

LINEAR = {
    "linear": (lambda L: L.nn.Linear(5, 3), [("f", (4, 5))]),
    "linear_nobias": (lambda L: L.nn.Linear(5, 3, bias=False), [("f", (4, 5))]),
    "linear_3d": (lambda L: L.nn.Linear(5, 3), [("f", (2, 4, 5))]),
    "linear_1d": (lambda L: L.nn.Linear(5, 3), [("f", (5,))]),
}

ACTIVATIONS = {
    "ReLU": lambda L: L.nn.ReLU(),
    "ReLU_inplace": lambda L: L.nn.ReLU(inplace=True),
    "ReLU6": lambda L: L.nn.ReLU6(),
    "ReLU6_inplace": lambda L: L.nn.ReLU6(True),
    "LeakyReLU": lambda L: L.nn.LeakyReLU(),
    "LeakyReLU_args": lambda L: L.nn.LeakyReLU(0.2, inplace=True),
    "ELU": lambda L: L.nn.ELU(),
    "ELU_alpha": lambda L: L.nn.ELU(alpha=0.5, inplace=True),
    "SELU": lambda L: L.nn.SELU(),
    "CELU": lambda L: L.nn.CELU(alpha=2.0),
    "GELU": lambda L: L.nn.GELU(),
    "GELU_tanh": lambda L: L.nn.GELU(approximate="tanh"),
    "SiLU": lambda L: L.nn.SiLU(),
    "SiLU_inplace": lambda L: L.nn.SiLU(inplace=True),
    "Mish": lambda L: L.nn.Mish(),
    "Softplus": lambda L: L.nn.Softplus(),
    "Softplus_args": lambda L: L.nn.Softplus(beta=2.0, threshold=1.5),
    "Softsign": lambda L: L.nn.Softsign(),
    "Hardtanh": lambda L: L.nn.Hardtanh(),
    "Hardtanh_args": lambda L: L.nn.Hardtanh(-0.5, 0.75, inplace=True),
    "Hardsigmoid": lambda L: L.nn.Hardsigmoid(),
    "Hardswish": lambda L: L.nn.Hardswish(inplace=True),
    "LogSigmoid": lambda L: L.nn.LogSigmoid(),
    "Tanhshrink": lambda L: L.nn.Tanhshrink(),
    "Sigmoid": lambda L: L.nn.Sigmoid(),
    "Tanh": lambda L: L.nn.Tanh(),
    "Softmax": lambda L: L.nn.Softmax(dim=1),
    "Softmax_neg": lambda L: L.nn.Softmax(-1),
    "LogSoftmax": lambda L: L.nn.LogSoftmax(dim=1),
    "Softmin": lambda L: L.nn.Softmin(dim=0),
    "GLU": lambda L: L.nn.GLU(),
    "GLU_dim0": lambda L: L.nn.GLU(dim=0),
    "Threshold": lambda L: L.nn.Threshold(0.1, 20.0),
    "Threshold_inplace": lambda L: L.nn.Threshold(-0.3, -2.0, inplace=True),
}


def _w(L):
    return L.tensor(W5)


LOSSES = {
    "MSELoss": (lambda L: L.nn.MSELoss(), [("f", (4, 5)), ("f", (4, 5))]),
    "MSELoss_sum": (lambda L: L.nn.MSELoss(reduction="sum"), [("f", (4, 5)), ("f", (4, 5))]),
    "L1Loss_none": (lambda L: L.nn.L1Loss(reduction="none"), [("f", (4, 5)), ("f", (4, 5))]),
    "SmoothL1Loss": (lambda L: L.nn.SmoothL1Loss(beta=0.5), [("f", (4, 5)), ("f", (4, 5))]),
    "HuberLoss": (lambda L: L.nn.HuberLoss(delta=0.7), [("f", (4, 5)), ("f", (4, 5))]),
    "CrossEntropyLoss": (lambda L: L.nn.CrossEntropyLoss(), [("f", (6, 5)), ("i", (6,), 5)]),
    "CrossEntropyLoss_weight": (
        lambda L: L.nn.CrossEntropyLoss(weight=_w(L), ignore_index=1, label_smoothing=0.1),
        [("f", (6, 5)), ("i", (6,), 5)],
    ),
    "CrossEntropyLoss_probs": (
        lambda L: L.nn.CrossEntropyLoss(reduction="sum"),
        [("f", (6, 5)), ("p", (6, 5))],
    ),
    "NLLLoss": (lambda L: L.nn.NLLLoss(), [("f", (6, 5)), ("i", (6,), 5)]),
    "NLLLoss_weight": (
        lambda L: L.nn.NLLLoss(weight=_w(L), reduction="none"),
        [("f", (6, 5)), ("i", (6,), 5)],
    ),
    "NLLLoss_2d": (
        lambda L: L.nn.NLLLoss(weight=_w(L)),
        [("f", (2, 5, 3, 3)), ("i", (2, 3, 3), 5)],
    ),
    "BCELoss": (lambda L: L.nn.BCELoss(), [("p", (4, 5)), ("p", (4, 5))]),
    "BCELoss_weight": (lambda L: L.nn.BCELoss(weight=_w(L)), [("p", (4, 5)), ("p", (4, 5))]),
    "BCEWithLogitsLoss": (lambda L: L.nn.BCEWithLogitsLoss(), [("f", (4, 5)), ("p", (4, 5))]),
    "BCEWithLogitsLoss_pos_weight": (
        lambda L: L.nn.BCEWithLogitsLoss(weight=_w(L), pos_weight=_w(L) * 2),
        [("f", (4, 5)), ("p", (4, 5))],
    ),
    "KLDivLoss": (
        lambda L: L.nn.KLDivLoss(reduction="batchmean"),
        [("f", (4, 5)), ("p", (4, 5))],
    ),
    "KLDivLoss_log_target": (
        lambda L: L.nn.KLDivLoss(reduction="sum", log_target=True),
        [("f", (4, 5)), ("f", (4, 5))],
    ),
    "PoissonNLLLoss": (lambda L: L.nn.PoissonNLLLoss(), [("f", (4, 5)), ("pos", (4, 5))]),
    "PoissonNLLLoss_full": (
        lambda L: L.nn.PoissonNLLLoss(log_input=False, full=True),
        [("pos", (4, 5)), ("pos", (4, 5))],
    ),
    "GaussianNLLLoss": (
        lambda L: L.nn.GaussianNLLLoss(),
        [("f", (4, 5)), ("f", (4, 5)), ("pos", (4, 5))],
        (0, 2),
    ),
    "GaussianNLLLoss_full": (
        lambda L: L.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="sum"),
        [("f", (4, 5)), ("f", (4, 5)), ("pos", (4, 1))],
        (0, 2),
    ),
    "MarginRankingLoss": (
        lambda L: L.nn.MarginRankingLoss(margin=0.3),
        [("f", (6,)), ("f", (6,)), ("s", (6,))],
        (0, 1),
    ),
    "HingeEmbeddingLoss": (
        lambda L: L.nn.HingeEmbeddingLoss(margin=0.5),
        [("f", (4, 5)), ("s", (4, 5))],
    ),
    "CosineEmbeddingLoss": (
        lambda L: L.nn.CosineEmbeddingLoss(margin=0.2),
        [("f", (4, 5)), ("f", (4, 5)), ("s", (4,))],
        (0, 1),
    ),
    "TripletMarginLoss": (
        lambda L: L.nn.TripletMarginLoss(),
        [("f", (4, 5)), ("f", (4, 5)), ("f", (4, 5))],
        (0, 1, 2),
    ),
    "TripletMarginLoss_swap": (
        lambda L: L.nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True, reduction="none"),
        [("f", (4, 5)), ("f", (4, 5)), ("f", (4, 5))],
        (0, 1, 2),
    ),
    "SoftMarginLoss": (lambda L: L.nn.SoftMarginLoss(), [("f", (4, 5)), ("s", (4, 5))]),
}

CONV_POOL = {
    "Conv1d": (lambda L: L.nn.Conv1d(3, 4, 3, stride=2, padding=1), [("f", (2, 3, 9))]),
    "Conv1d_same_reflect": (
        lambda L: L.nn.Conv1d(4, 4, 4, padding="same", groups=2, padding_mode="reflect"),
        [("f", (2, 4, 9))],
    ),
    "Conv1d_valid_dil": (
        lambda L: L.nn.Conv1d(2, 3, 2, padding="valid", dilation=2, bias=False),
        [("f", (2, 2, 8))],
    ),
    "Conv2d": (lambda L: L.nn.Conv2d(3, 4, 3), [("f", (2, 3, 7, 7))]),
    "Conv2d_args": (
        lambda L: L.nn.Conv2d(
            4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False
        ),
        [("f", (2, 4, 7, 8))],
    ),
    "Conv2d_circular": (
        lambda L: L.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
        [("f", (2, 2, 5, 6))],
    ),
    "Conv2d_replicate": (
        lambda L: L.nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode="replicate"),
        [("f", (2, 2, 5, 6))],
    ),
    "Conv2d_same": (
        lambda L: L.nn.Conv2d(2, 3, 4, padding="same", dilation=2),
        [("f", (2, 2, 7, 6))],
    ),
    "Conv2d_unbatched": (lambda L: L.nn.Conv2d(2, 3, 3), [("f", (2, 5, 5))]),
    "ConvTranspose2d": (
        lambda L: L.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
        [("f", (2, 3, 4, 5))],
    ),
    "ConvTranspose2d_groups": (
        lambda L: L.nn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2, bias=False),
        [("f", (2, 4, 3, 3))],
    ),
    "MaxPool1d": (lambda L: L.nn.MaxPool1d(3, 2), [("f", (2, 3, 9))]),
    "MaxPool1d_indices": (
        lambda L: L.nn.MaxPool1d(2, padding=1, return_indices=True),
        [("f", (2, 3, 9))],
    ),
    "MaxPool2d": (lambda L: L.nn.MaxPool2d(2), [("f", (2, 3, 6, 6))]),
    "MaxPool2d_args": (
        lambda L: L.nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [("f", (2, 3, 8, 7))],
    ),
    "MaxPool2d_indices": (
        lambda L: L.nn.MaxPool2d((2, 3), return_indices=True),
        [("f", (2, 3, 6, 6))],
    ),
    "AvgPool1d": (lambda L: L.nn.AvgPool1d(3, 2, padding=1), [("f", (2, 3, 9))]),
    "AvgPool2d": (
        lambda L: L.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        [("f", (2, 3, 7, 7))],
    ),
    "AvgPool2d_divisor": (
        lambda L: L.nn.AvgPool2d(2, divisor_override=3, ceil_mode=True),
        [("f", (2, 3, 5, 5))],
    ),
    "AdaptiveAvgPool2d": (lambda L: L.nn.AdaptiveAvgPool2d((3, 2)), [("f", (2, 3, 7, 5))]),
    "AdaptiveAvgPool2d_none": (lambda L: L.nn.AdaptiveAvgPool2d((None, 3)), [("f", (2, 3, 4, 7))]),
    "AdaptiveMaxPool2d": (lambda L: L.nn.AdaptiveMaxPool2d(3), [("f", (2, 3, 7, 5))]),
    "AdaptiveMaxPool2d_indices": (
        lambda L: L.nn.AdaptiveMaxPool2d((2, 3), return_indices=True),
        [("f", (2, 3, 5, 7))],
    ),
}

NORMS = {
    "BatchNorm1d": (lambda L: L.nn.BatchNorm1d(5), [("f", (8, 5))]),
    "BatchNorm1d_3d": (lambda L: L.nn.BatchNorm1d(5, momentum=0.3), [("f", (4, 5, 3))]),
    "BatchNorm1d_noaffine": (lambda L: L.nn.BatchNorm1d(5, affine=False), [("f", (8, 5))]),
    "BatchNorm2d": (lambda L: L.nn.BatchNorm2d(3), [("f", (4, 3, 5, 5))]),
    "BatchNorm2d_cumulative": (
        lambda L: L.nn.BatchNorm2d(3, eps=1e-3, momentum=None),
        [("f", (4, 3, 5, 5))],
    ),
    "BatchNorm2d_untracked": (
        lambda L: L.nn.BatchNorm2d(3, track_running_stats=False),
        [("f", (4, 3, 5, 5))],
    ),
    "BatchNorm2d_nobias": (lambda L: L.nn.BatchNorm2d(3, bias=False), [("f", (4, 3, 5, 5))]),
    "LayerNorm": (lambda L: L.nn.LayerNorm(5), [("f", (4, 5))]),
    "LayerNorm_2d": (lambda L: L.nn.LayerNorm((3, 4), eps=1e-3), [("f", (2, 3, 4))]),
    "LayerNorm_noaffine": (
        lambda L: L.nn.LayerNorm([4], elementwise_affine=False),
        [("f", (2, 3, 4))],
    ),
    "LayerNorm_nobias": (lambda L: L.nn.LayerNorm(4, bias=False), [("f", (2, 3, 4))]),
    "GroupNorm": (lambda L: L.nn.GroupNorm(2, 4), [("f", (3, 4, 5))]),
    "GroupNorm_noaffine": (lambda L: L.nn.GroupNorm(3, 6, affine=False), [("f", (2, 6, 2, 3))]),
    "GroupNorm_nobias": (lambda L: L.nn.GroupNorm(1, 4, eps=1e-3, bias=False), [("f", (2, 4, 3))]),
}

EMBEDDINGS = {
    "Embedding": (lambda L: L.nn.Embedding(10, 3), [("i", (4, 5), 10)]),
    "Embedding_padding": (lambda L: L.nn.Embedding(10, 3, padding_idx=2), [("i", (4, 5), 4)]),
    "Embedding_neg_padding": (lambda L: L.nn.Embedding(6, 3, padding_idx=-1), [("i", (9,), 6)]),
    "Embedding_max_norm": (
        lambda L: L.nn.Embedding(10, 3, max_norm=1.0, norm_type=1.5),
        [("i", (4, 5), 10)],
    ),
    "Embedding_freq": (
        lambda L: L.nn.Embedding(10, 3, scale_grad_by_freq=True),
        [("i", (4, 5), 5)],
    ),
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_linear(name):
    make, specs = LINEAR[name]
    compare(make, specs)


def test_bilinear():
    compare(lambda L: L.nn.Bilinear(3, 4, 2), [("f", (5, 3)), ("f", (5, 4))], grad_idx=(0, 1))
    compare(lambda L: L.nn.Bilinear(3, 4, 2, bias=False), [("f", (5, 3)), ("f", (5, 4))], (0, 1))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation(name):
    compare(ACTIVATIONS[name], [("f", (4, 6))])


def _case(table, name):
    make, specs, *rest = table[name]
    return make, specs, (rest[0] if rest else (0,))


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss(name):
    make, specs, grad_idx = _case(LOSSES, name)
    compare(make, specs, grad_idx)


@pytest.mark.parametrize("name", list(CONV_POOL))
def test_conv_pool(name):
    make, specs, grad_idx = _case(CONV_POOL, name)
    compare(make, specs, grad_idx)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", list(NORMS))
def test_norm(name, train):
    make, specs, grad_idx = _case(NORMS, name)
    compare(make, specs, grad_idx, train=train)


@pytest.mark.parametrize("name", list(EMBEDDINGS))
def test_embedding(name):
    make, specs, _ = _case(EMBEDDINGS, name)
    compare(make, specs, grad_idx=())


def test_conv_transpose_output_size():
    make = lambda L: L.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)  # noqa: E731
    compare(make, [("f", (2, 3, 4, 5))], kwargs={"output_size": [8, 10]})
    compare(make, [("f", (2, 3, 4, 5))], kwargs={"output_size": (2, 2, 7, 9)})
    import torch

    msgs = []
    for lib in (torch, chainrule):
        with pytest.raises(ValueError) as e:
            make(lib)(lib.zeros(2, 3, 4, 5), output_size=[12, 10])
        msgs.append(str(e.value).replace("torch.Size", "chainrule.Size"))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_stats_over_steps(momentum):
    """Several training steps update running stats and num_batches_tracked as torch's; then eval
    uses them."""
    import torch

    tm = torch.nn.BatchNorm2d(3, momentum=momentum)
    cm = chainrule.nn.BatchNorm2d(3, momentum=momentum)
    copy_state(tm, cm)
    rng = np.random.default_rng(5)
    for step in range(4):
        x = (rng.standard_normal((4, 3, 2, 2)) * (step + 1) + step).astype(np.float32)
        np.testing.assert_allclose(
            _np(cm(chainrule.tensor(x))), _np(tm(torch.tensor(x))), rtol=RTOL, atol=ATOL
        )
        assert_same_state(tm, cm)
    assert int(cm.num_batches_tracked) == 4
    assert cm.num_batches_tracked.dtype == chainrule.long
    tm.eval()
    cm.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(
        _np(cm(chainrule.tensor(x))), _np(tm(torch.tensor(x))), rtol=RTOL, atol=ATOL
    )
    assert int(cm.num_batches_tracked) == 4
    cm.reset_running_stats()
    tm.reset_running_stats()
    assert_same_state(tm, cm)


def test_batchnorm_load_old_state_dict_without_num_batches_tracked():
    m = chainrule.nn.BatchNorm1d(3)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    m.load_state_dict(sd)
    with pytest.raises(RuntimeError):
        chainrule.nn.Linear(2, 2).load_state_dict({"weight": chainrule.zeros(2, 2)})


@pytest.mark.parametrize(
    "make", [lambda L: L.nn.Dropout(0.3), lambda L: L.nn.Dropout2d(p=0.4, inplace=True)]
)
def test_dropout_train_eval(make):
    import torch

    cm, tm = make(chainrule), make(torch)
    assert repr(cm) == repr(tm)
    x = np.random.default_rng(0).uniform(1, 2, (16, 32, 8, 8)).astype(np.float32)
    cm.eval()
    np.testing.assert_array_equal(_np(cm(chainrule.tensor(x))), x)
    cm.train()
    leaf = chainrule.tensor(x, requires_grad=True)
    y = cm(leaf * 1)
    y.sum().backward()
    out = _np(y)
    kept = out != 0
    np.testing.assert_allclose(out[kept], (x / (1 - cm.p))[kept], rtol=1e-6)
    np.testing.assert_allclose(_np(leaf.grad), kept / (1 - cm.p), rtol=1e-6)
    assert abs(1 - kept.mean() - cm.p) < 0.05
    if isinstance(cm, chainrule.nn.Dropout2d):  # whole channels dropped together
        per_channel = kept.reshape(16, 32, -1)
        assert (per_channel.all(-1) | ~per_channel.any(-1)).all()


def test_dropout_extremes():
    x = chainrule.ones(3, 4)
    np.testing.assert_array_equal(_np(chainrule.nn.Dropout(0.0)(x)), np.ones((3, 4)))
    np.testing.assert_array_equal(_np(chainrule.nn.Dropout(1.0)(x)), np.zeros((3, 4)))


def _ks_same(a, b):
    assert scipy.stats.ks_2samp(a.ravel(), b.ravel()).pvalue > 1e-4


@pytest.mark.parametrize(
    "make, bound_of",
    [
        (lambda L: L.nn.Linear(200, 150), lambda m: 1 / math.sqrt(200)),
        (lambda L: L.nn.Conv2d(6, 40, 3), lambda m: 1 / math.sqrt(6 * 9)),
        (lambda L: L.nn.Conv1d(8, 40, 5, groups=2), lambda m: 1 / math.sqrt(4 * 5)),
        (lambda L: L.nn.ConvTranspose2d(40, 6, 3), lambda m: 1 / math.sqrt(6 * 9)),
        (lambda L: L.nn.Bilinear(30, 20, 40), lambda m: 1 / math.sqrt(30)),
    ],
)
def test_uniform_init(make, bound_of):
    """kaiming_uniform_(a=sqrt(5)) weights and U(-1/sqrt(fan_in), ..) biases: the bound is
    1/sqrt(fan_in) for both; the samples fill it and match torch's distribution."""
    import torch

    chainrule.manual_seed(0)
    cm, tm = make(chainrule), make(torch)
    bound = bound_of(cm)
    for name in ("weight", "bias"):
        c, t = _np(getattr(cm, name)), _np(getattr(tm, name))
        assert c.shape == t.shape and c.dtype == t.dtype == np.float32
        assert np.abs(c).max() <= bound and np.abs(t).max() <= bound
        assert np.abs(c).max() > 0.9 * bound
        _ks_same(c, t)


def test_embedding_init_and_padding():
    import torch

    cm, tm = chainrule.nn.Embedding(300, 20, padding_idx=3), torch.nn.Embedding(300, 20)
    w = _np(cm.weight)
    assert (w[3] == 0).all()
    _ks_same(np.delete(w, 3, 0), _np(tm.weight))
    assert abs(w.std() - 1) < 0.05


def test_norm_init():
    for m in (chainrule.nn.BatchNorm1d(4), chainrule.nn.LayerNorm(4), chainrule.nn.GroupNorm(2, 4)):
        np.testing.assert_array_equal(_np(m.weight), np.ones(4, np.float32))
        np.testing.assert_array_equal(_np(m.bias), np.zeros(4, np.float32))
    bn = chainrule.nn.BatchNorm1d(4)
    np.testing.assert_array_equal(_np(bn.running_var), np.ones(4, np.float32))
    assert bn.running_mean.requires_grad is False and bn.weight.requires_grad is True


def test_embedding_from_pretrained():
    import torch

    w = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    for lib in (chainrule, torch):
        m = lib.nn.Embedding.from_pretrained(lib.tensor(w), padding_idx=1)
        assert m.weight.requires_grad is False
        assert repr(m) == "Embedding(5, 3, padding_idx=1)"
        np.testing.assert_array_equal(_np(m.weight), w)
        m2 = lib.nn.Embedding.from_pretrained(lib.tensor(w), freeze=False)
        assert m2.weight.requires_grad is True
    with pytest.raises(AssertionError, match="2-dimensional"):
        chainrule.nn.Embedding.from_pretrained(chainrule.zeros(3))


def test_loss_weight_buffers():
    import torch

    for L in (chainrule, torch):
        m = L.nn.BCEWithLogitsLoss(weight=_w(L), pos_weight=_w(L))
        assert [k for k, _ in m.named_buffers()] == ["weight", "pos_weight"]
        assert list(m.state_dict()) == ["weight", "pos_weight"]
        assert list(L.nn.CrossEntropyLoss().state_dict()) == []
        assert list(L.nn.NLLLoss(weight=_w(L)).state_dict()) == ["weight"]


def test_legacy_reduction_flags():
    import torch

    for L in (chainrule, torch):
        with pytest.warns(UserWarning, match="reduction='sum'"):
            assert L.nn.MSELoss(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning, match="reduction='none'"):
            assert L.nn.NLLLoss(reduce=False).reduction == "none"


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
        lambda L: L.nn.Conv2d(4, 3, 3, groups=2),
        lambda L: L.nn.Conv2d(4, 4, 3, groups=0),
        lambda L: L.nn.Conv2d(4, 4, 3, padding="full"),
        lambda L: L.nn.Conv2d(4, 4, 3, stride=2, padding="same"),
        lambda L: L.nn.Conv1d(4, 4, 3, padding_mode="mirror"),
        lambda L: L.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
        lambda L: L.nn.Dropout(1.5),
        lambda L: L.nn.GroupNorm(3, 4),
        lambda L: L.nn.TripletMarginLoss(margin=0.0),
        lambda L: L.nn.Hardtanh(1.0, 0.5),
        lambda L: L.nn.Embedding(4, 2, padding_idx=4),
        lambda L: L.nn.BatchNorm1d(3)(L.zeros(2, 3, 4, 5)),
        lambda L: L.nn.BatchNorm2d(3)(L.zeros(2, 3)),
    ],
)
def test_errors(make):
    import torch

    with pytest.raises(Exception) as te:
        make(torch)
    with pytest.raises(type(te.value)) as ce:
        make(chainrule)
    assert _sorted_sets(str(ce.value)) == _sorted_sets(str(te.value))


def _sorted_sets(msg):
    """msg with the elements of each printed set sorted: a set's iteration order depends on the
    string hash seed (and on when the .pyc holding the literal was compiled)."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m[1].split(", "))) + "}", msg)


def test_small_cnn_end_to_end():
    """A Sequential CNN built from these layers trains identically for two SGD-free steps."""

    def make(L):
        nn = L.nn
        return nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 4, 3, padding=1, bias=False),
            nn.GroupNorm(2, 4),
            nn.GELU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 8),
            nn.LayerNorm(8),
            nn.Dropout(0.0),
            nn.Tanh(),
            nn.Linear(8, 3),
            nn.LogSoftmax(dim=1),
        )

    compare(make, [("f", (4, 2, 8, 8))])
    compare(make, [("f", (4, 2, 8, 8))], train=False)


def test_reprs_of_defaults():
    import torch

    for make in [
        lambda L: L.nn.Linear(3, 2, bias=False),
        lambda L: L.nn.Conv1d(2, 2, 3, padding=2, dilation=2, groups=2),
        lambda L: L.nn.ConvTranspose2d(2, 2, 3, output_padding=(1, 0), stride=2),
        lambda L: L.nn.MaxPool1d(2),
        lambda L: L.nn.AvgPool1d(2),
        lambda L: L.nn.AvgPool2d((2, 3)),
        lambda L: L.nn.BatchNorm1d(3, affine=False, track_running_stats=False),
        lambda L: L.nn.LayerNorm([2, 3]),
        lambda L: L.nn.Dropout2d(),
        lambda L: L.nn.Embedding(3, 2, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True),
        lambda L: L.nn.Softmax(),
        lambda L: L.nn.HuberLoss(),
        lambda L: L.nn.GaussianNLLLoss(),
    ]:
        assert repr(make(chainrule)) == repr(make(torch))
