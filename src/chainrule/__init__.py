"""chainrule: reverse-mode automatic differentiation on NumPy, with PyTorch's autograd API.

`import chainrule as torch` runs gradient code written for torch.
"""

from chainrule import autograd, backends, cuda, distributions, linalg, nn, nondiff, optim, utils
from chainrule._device import device
from chainrule._dtype import bool_ as bool  # noqa: A001 - torch.bool
from chainrule._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from chainrule._tensor_str import set_printoptions
from chainrule._threads import get_num_threads, set_num_threads
from chainrule.autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from chainrule.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.nn.functional import (  # torch's top-level aliases of nn.functional names
    bilinear,
    celu,
    celu_,
    cosine_similarity,
    log_softmax,
    pairwise_distance,
    relu_,
    selu,
    selu_,
    softmax,
    threshold,
    threshold_,
)
from chainrule.ops import _methods
from chainrule.ops.contract import *  # noqa: F403 - each family lists its torch names in __all__
from chainrule.ops.conv import *  # noqa: F403
from chainrule.ops.creation import (
    Generator,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from chainrule.ops.decomp import *  # noqa: F403
from chainrule.ops.functional import (
    abs,
    add,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    clamp,
    clip,
    clone,
    cos,
    div,
    dot,
    eq,
    exp,
    flatten,
    ge,
    gt,
    is_floating_point,
    is_tensor,
    le,
    log,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    mv,
    ne,
    neg,
    numel,
    permute,
    pow,
    relu,
    reshape,
    safe_where,
    sigmoid,
    sin,
    sqrt,
    squeeze,
    sub,
    sum,
    t,
    tanh,
    transpose,
    true_divide,
    unsqueeze,
    where,
)
from chainrule.ops.joining import *  # noqa: F403
from chainrule.ops.layout import *  # noqa: F403
from chainrule.ops.pool import *  # noqa: F403
from chainrule.ops.random import *  # noqa: F403
from chainrule.ops.resample import *  # noqa: F403
from chainrule.ops.scan import *  # noqa: F403
from chainrule.ops.scatter import *  # noqa: F403
from chainrule.ops.sorting import *  # noqa: F403
from chainrule.ops.special import *  # noqa: F403
from chainrule.ops.statistics import *  # noqa: F403
from chainrule.serialization import load, save
from chainrule.tensor import Size, Tensor

_methods.install(nn.functional.activation.METHODS)

float = float32  # noqa: A001 - torch.float
double = float64
long = int64
int = int32  # noqa: A001 - torch.int
half = float16

__version__ = "0.1.0"
