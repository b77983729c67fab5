"""torch.nn: the functional interface (`chainrule.nn.functional`), `init`, `utils`."""

from chainrule.nn import functional, init, utils
