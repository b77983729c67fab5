"""torch.nn.functional: activations, losses, convolution, pooling, normalisation, built on the
primitives (one submodule per family)."""

from chainrule.nn.functional.activation import *  # noqa: F403
from chainrule.nn.functional.conv import *  # noqa: F403
from chainrule.nn.functional.linear import *  # noqa: F403
from chainrule.nn.functional.loss import *  # noqa: F403
from chainrule.nn.functional.norm import *  # noqa: F403
from chainrule.nn.functional.vision import *  # noqa: F403
from chainrule.nondiff._gumbel import gumbel_softmax
from chainrule.ops.padding import pad
