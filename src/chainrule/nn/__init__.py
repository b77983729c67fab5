"""torch.nn: modules and containers, `Parameter`, the functional interface
(`chainrule.nn.functional`), `init`, `utils`."""

from chainrule.nn import functional, init, utils
from chainrule.nn.modules import *  # noqa: F403 - Module, Parameter, the containers
