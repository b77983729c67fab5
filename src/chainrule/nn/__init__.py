"""torch.nn: for now the functional interface (`chainrule.nn.functional`)."""

from chainrule.nn import functional
