"""The `chainrule` command.

`chainrule demo` walks the seed tutorial's gradient examples, each gradient printed beside the
chain-rule derivation read off the recorded graph (chainrule.diagnostics.derivation).

Subcommands are entries of COMMANDS (name -> help, configure(parser), run(args) -> exit code),
and demos entries of DEMOS (name -> help, run() -> exit code): a new command or a new
`chainrule demo <name>` is one entry, not a change to `main`.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from typing import Any

import chainrule


def _do(code: str, result: Any = None, note: str = "") -> None:
    """Print a line of the walkthrough as a Python session would show it."""
    print(f"  >>> {code}" + (f"    # {note}" if note else ""))
    if result is not None:
        print(f"  {result}")


def _indent(lines: list[str], pad: str = "    ") -> None:
    for line in lines:
        print(pad + line)


def demo_gradients() -> int:
    """The seed tutorial: y = x**2 + 3*x + 1 at x = 2, then z = mean(2*x + 1) and zero_()."""
    import chainrule as torch
    from chainrule.diagnostics import derive

    print("chainrule demo: the seed tutorial's gradient examples, each gradient beside the chain")
    print("rule read off the recorded graph (the code runs as written, after "
          "`import chainrule as torch`)")
    print()
    print("Example 1: y = x**2 + 3*x + 1 at x = 2")
    print("Step 1: define the input tensor and enable gradient tracking")
    x = torch.tensor([2.0], requires_grad=True)
    _do("x = torch.tensor([2.0], requires_grad=True)")
    _do("x", x)
    print("Step 2: build the computational graph; every operation records a node")
    y = x**2 + 3 * x + 1
    _do("y = x**2 + 3*x + 1")
    _do("y", y)
    d1 = derive(y, x, names={"x": x, "y": y})  # before backward(), which frees saved values
    print("  the graph, from y.grad_fn along next_functions (output <- input):")
    _indent(d1.paths)
    print("  each node, what it computed, and its local derivative from what it saved:")
    _indent(d1.node_table())
    print("Step 3: compute the gradients")
    y.backward()
    _do("y.backward()")
    print("Step 4: access the gradients")
    _do('print("Gradient of x:", x.grad)')
    print("  Gradient of x:", x.grad)
    print("  by the chain rule: local derivatives multiply along a path, and paths add up:")
    d1.check(x.grad)
    _indent(d1.lines()[-2:])
    print()

    print("Example 2: z = mean(2*x + 1) for x = [1., 2., 3.], and when .grad can be zeroed")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    _do("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)")
    y = 2 * x + 1
    _do("y = 2 * x + 1")
    z = y.mean()
    _do("z = y.mean()")
    d2 = derive(z, x, names={"x": x, "y": y, "z": z})
    _do("x.grad.zero_()", note="the tutorial zeroes .grad here, before any backward()")
    try:
        x.grad.zero_()
    except AttributeError as e:
        print(f"  AttributeError: {e}")
        print("  `.grad` is None until the first backward(); zero it after backward(), "
              "or set `x.grad = None`.")
    print("  The working order:")
    z.backward()
    _do("z.backward()")
    _do("print(x.grad)")
    print(f"  {x.grad}")
    d2.check(x.grad)
    _indent(d2.lines())
    _do("x.grad.zero_()", x.grad.zero_(), note="now there is a .grad to zero")
    return 0 if d1.agrees and d2.agrees else 1


def _lazy(module: str, name: str) -> Callable:
    """`module.name`, imported at its first call, so that other commands do not pay for it."""

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    return call


DEMOS: dict[str, tuple[str, Callable[[], int]]] = {
    "gradients": ("the seed tutorial: y = x**2 + 3*x + 1; z = mean(2*x + 1); zeroing .grad",
                  demo_gradients),
    "activations": ("deep MLPs with Sigmoid/Tanh/ReLU/LeakyReLU/GELU: per-layer gradient norms, "
                    "flags and a plot (activations.png) -- sigmoid's vanishing gradient, measured",
                    _lazy("chainrule.diagnostics._activations_demo", "run")),
}


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", nargs="?", default="gradients", choices=sorted(DEMOS),
        help="which demo (default: gradients). "
        + "; ".join(f"{name}: {help_}" for name, (help_, _) in DEMOS.items()),
    )


def _run_demo(args: argparse.Namespace) -> int:
    return DEMOS[args.name][1]()


def _configure_conventions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("op", nargs="?", help="only ops whose name contains this")
    parser.add_argument("--markdown", action="store_true",
                        help="print the docs page (docs/conventions.md) instead")


def _run_conventions(args: argparse.Namespace) -> int:
    from chainrule.autograd.conventions import markdown

    if args.markdown:
        print(markdown(), end="")
        return 0
    found = chainrule.autograd.conventions(args.op)
    for c in found:
        print(c)
    return 0 if found else 1


COMMANDS: dict[str, tuple[str, Callable, Callable[[argparse.Namespace], int]]] = {
    "demo": ("walk through gradient examples, each beside its chain-rule derivation",
             _configure_demo, _run_demo),
    "conventions": ("list the gradients used at non-differentiable points (kinks, ties), "
                    "each equal to PyTorch's", _configure_conventions, _run_conventions),
    "graph": ("draw the backward graph of an expression and print its gradients",
              _lazy("chainrule.diagnostics._graph_command", "configure"),
              _lazy("chainrule.diagnostics._graph_command", "run")),
    "train": ("train a small network on handwritten digits (or your .npz arrays), torch-style",
              _lazy("chainrule.train", "configure"), _lazy("chainrule.train", "run")),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="chainrule: reverse-mode automatic differentiation on NumPy with "
        "PyTorch's autograd API.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {chainrule.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    for name, (help_, configure, run) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_, description=help_)
        configure(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `chainrule` command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version or a usage error: argparse has printed
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)
