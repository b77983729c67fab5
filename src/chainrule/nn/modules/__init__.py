"""torch.nn modules: the Module base class, containers, and simple layers."""

from chainrule.nn.modules.activation import *  # noqa: F403
from chainrule.nn.modules.activation import __all__ as _activation_all
from chainrule.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from chainrule.nn.modules.conv import *  # noqa: F403
from chainrule.nn.modules.conv import __all__ as _conv_all
from chainrule.nn.modules.dropout import *  # noqa: F403
from chainrule.nn.modules.dropout import __all__ as _dropout_all
from chainrule.nn.modules.flatten import Flatten, Identity, Unflatten
from chainrule.nn.modules.linear import *  # noqa: F403
from chainrule.nn.modules.linear import __all__ as _linear_all
from chainrule.nn.modules.loss import *  # noqa: F403
from chainrule.nn.modules.loss import __all__ as _loss_all
from chainrule.nn.modules.module import Module
from chainrule.nn.modules.normalization import *  # noqa: F403
from chainrule.nn.modules.normalization import __all__ as _normalization_all
from chainrule.nn.modules.pooling import *  # noqa: F403
from chainrule.nn.modules.pooling import __all__ as _pooling_all
from chainrule.nn.modules.rnn import *  # noqa: F403
from chainrule.nn.modules.rnn import __all__ as _rnn_all
from chainrule.nn.modules.sparse import *  # noqa: F403
from chainrule.nn.modules.sparse import __all__ as _sparse_all
from chainrule.nn.parameter import Parameter

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "Identity",
    "Flatten",
    "Unflatten",
]
__all__ += [
    *_linear_all,
    *_activation_all,
    *_loss_all,
    *_conv_all,
    *_pooling_all,
    *_normalization_all,
    *_dropout_all,
    *_sparse_all,
    *_rnn_all,
]
