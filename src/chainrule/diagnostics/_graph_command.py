"""`chainrule graph EXPR`: evaluate an expression, print its gradients, draw its backward graph.

The expression is parsed with `ast` and evaluated by walking a whitelist -- numbers, the
variables given by --at, + - * / ** and unary minus, and calls of a fixed set of chainrule
functions -- never by Python's eval, so nothing but arithmetic on tensors can run.
"""

from __future__ import annotations

import argparse
import ast
import math
import operator
from pathlib import Path
from typing import Any

import chainrule

HELP = "draw the backward graph of an expression and print its gradients"

FUNCTIONS = (
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "abs",
    "tanh",
    "sigmoid",
    "relu",
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "square",
    "sinh",
    "cosh",
    "asin",
    "acos",
    "atan",
    "erf",
    "softmax",
    "log_softmax",
    "logsumexp",
    "norm",
    "clamp",
    "maximum",
    "minimum",
    "pow",
    "reciprocal",
    "rsqrt",
    "sign",
    "neg",
)
CONSTANTS = {"pi": math.pi, "e": math.e}
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class ExprError(ValueError):
    """An expression outside the whitelist, or a name it does not know."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the `graph` command's arguments."""
    parser.add_argument(
        "expr",
        help='the expression, e.g. "x**2 + 3*x + 1" or '
        '"sum(tanh(w*x))": numbers, variables, + - * / **, and functions '
        f"({', '.join(FUNCTIONS)})",
    )
    parser.add_argument(
        "--at",
        action="append",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="a variable's value: a number (x=2) or a comma list (w=1,2,3); "
        "repeat for more variables",
    )
    parser.add_argument(
        "-o",
        "--output",
        help="write the drawing here; the format comes from "
        "the suffix (.svg .png .pdf, or .dot for DOT text)",
    )
    parser.add_argument(
        "--saved", action="store_true", help="list what each node saved for backward (shape, bytes)"
    )
    parser.add_argument(
        "--no-grads",
        action="store_true",
        help="do not label edges with the gradient norms along them",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also narrate the backward, node by node (explain mode)",
    )


def parse_at(items: list[str]) -> dict:
    """`["x=2", "w=1,2"]` -> {name: tensor requiring grad}."""
    values = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise ExprError(f"--at expects NAME=VALUE (x=2 or w=1,2,3), got {item!r}")
        if name in CONSTANTS or name in FUNCTIONS:
            raise ExprError(f"--at {name}: {name!r} is a built-in name of the expression language")
        try:
            nums = [float(v) for v in text.split(",")]
        except ValueError:
            raise ExprError(
                f"--at {name}: expected a number or comma-separated numbers, got {text!r}"
            ) from None
        data = nums[0] if len(nums) == 1 and "," not in text else nums
        values[name] = chainrule.tensor(data, requires_grad=True)
    return values


def evaluate(expr: str, variables: dict) -> Any:
    """Evaluate `expr` over `variables`, allowing only the whitelisted syntax and functions."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise ExprError(f"cannot parse {expr!r}: {e.msg} (column {e.offset})") from None
    return _eval(tree.body, variables)


def _eval(node: ast.AST, env: dict) -> Any:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)  # floats: 2**10**10 overflows at once instead of hanging
        raise ExprError(f"only numbers are allowed as constants, got {node.value!r}")
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise ExprError(f"{node.id!r} is a function: call it, {node.id}(...)")
        raise ExprError(f"unknown name {node.id!r}: give its value with --at {node.id}=VALUE")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.Call):
        return _call(node, env)
    what = (
        type(node.op).__name__
        if isinstance(node, (ast.BinOp, ast.UnaryOp))
        else (type(node).__name__)
    )
    raise ExprError(
        f"{what} is not allowed (at column {getattr(node, 'col_offset', 0) + 1}): "
        "use numbers, variables, + - * / **, and function calls"
    )


def _call(node: ast.Call, env: dict) -> Any:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        raise ExprError(f"unknown function {name!r}; known: {', '.join(FUNCTIONS)}")
    args = []
    for a in node.args:
        if isinstance(a, ast.Starred):
            raise ExprError("*args is not allowed in a call")
        args.append(_eval(a, env))
    kwargs = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise ExprError("**kwargs is not allowed in a call")
        v = _eval(kw.value, env)
        kwargs[kw.arg] = int(v) if isinstance(v, float) and v.is_integer() else v
    fn = node.func.id
    args = [_arg(a, k, fn) for k, a in enumerate(args)]
    result = getattr(chainrule, node.func.id)(*args, **kwargs)
    # max/min with dim return (values, indices): the values are what the expression means
    return result[0] if isinstance(result, tuple) else result


def _arg(a: Any, k: int, fn: str) -> Any:
    """Numbers as a call wants them: tensors where a tensor is expected (the first argument, both
    of maximum/minimum), whole numbers as ints elsewhere (dims), other numbers as they are."""
    if isinstance(a, chainrule.Tensor):
        return a
    if k == 0 or fn in ("maximum", "minimum"):
        return chainrule.tensor(a)
    return int(a) if fn not in ("pow", "clamp") and float(a).is_integer() else a


def _fmt(t: Any) -> str:
    return str(t.detach() if isinstance(t, chainrule.Tensor) else t)


def _write(graph: Any, path: Path, fmt: str) -> None:
    """Render `graph` to `path`; DOT text (next to it, as .dot) when graphviz or dot is missing."""
    if fmt == "dot":
        path.write_text(graph.source)
        print(f"wrote {path} (DOT text)")
        return
    try:
        data = graph.pipe(format=fmt)
    except Exception as e:  # ImportError (no graphviz) or graphviz.ExecutableNotFound (no dot)
        dot = path.with_suffix(".dot")
        dot.write_text(graph.source)
        print(
            f"could not render {fmt.upper()} ({type(e).__name__}: {e}); wrote DOT text to "
            f"{dot} instead. Render it with `dot -T{fmt} {dot} -o {path}`, or install: "
            "pip install 'chainrule[viz]' and Graphviz."
        )
        return
    path.write_bytes(data)
    print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    """Evaluate, print value and gradients, draw; 2 on a bad expression, argument or path."""
    from chainrule.diagnostics.explain import explain
    from chainrule.diagnostics.graph_draw import draw_graph

    out_path = Path(args.output) if args.output else None
    fmt = FORMATS.get(out_path.suffix.lower()) if out_path else None
    try:
        if out_path is not None and fmt is None:
            raise ExprError(
                f"cannot tell the format of {out_path}: use a suffix of {', '.join(FORMATS)}"
            )
        variables = parse_at([item for group in args.at for item in group])
        result = evaluate(args.expr, variables)
    except ExprError as e:
        print(f"chainrule graph: error: {e}")
        return 2
    except (ArithmeticError, RuntimeError, TypeError, ValueError) as e:
        print(f"chainrule graph: error: evaluating {args.expr!r} failed: {type(e).__name__}: {e}")
        return 2
    if not isinstance(result, chainrule.Tensor) or result.grad_fn is None:
        print(f"{args.expr} = {_fmt(result)}")
        print(
            "chainrule graph: error: the expression depends on no variable, so it has no "
            "graph: give its variables with --at NAME=VALUE"
        )
        return 2
    print(f"{args.expr} = {_fmt(result)}")
    graph = draw_graph(
        result, params=variables, show_saved=args.saved, show_grads=not args.no_grads
    )
    seed = chainrule.ones_like(result)
    if args.explain:
        explain(result, seed, retain_graph=True, names=variables)
    grads = chainrule.autograd.grad(result, list(variables.values()), seed, allow_unused=True)
    what = "d/d" if result.data.size == 1 else "d(sum)/d"
    for (name, _), g in zip(variables.items(), grads):
        print(f"{what}{name} = " + ("None (not used)" if g is None else _fmt(g)))
    if out_path is not None:
        try:
            _write(graph, out_path, fmt)
        except OSError as e:
            print(f"chainrule graph: error: cannot write {out_path}: {e}")
            return 2
    return 0
