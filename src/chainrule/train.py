"""`chainrule train`: train a small network on handwritten digits (or your arrays), torch-style.

The loop below is written exactly as a PyTorch user writes one -- nn.Module, DataLoader,
optimiser, CrossEntropyLoss, model.train()/eval(), no_grad() for evaluation -- with
`import chainrule as torch`. The models live in `chainrule._train_models`, the data handling
(digits, the `.npz` format) in `chainrule._train_data`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chainrule as torch
from chainrule._train_data import Data, DataError, load_data
from chainrule._train_models import (
    ACTIVATIONS,
    MODELS,
    OPTIMIZERS,
    build_model,
    build_optimizer,
)
from chainrule.diagnostics import GradientMonitor, grad_report

__all__ = ["TrainResult", "configure", "evaluate", "run", "train", "train_epoch"]


@dataclass
class TrainResult:
    """What a run produced: the model, its final test accuracy, and per-epoch history."""

    model: Any
    test_accuracy: float
    test_correct: int
    test_total: int
    history: list[dict[str, float]] = field(default_factory=list)


def make_loader(x: Any, y: Any, batch_size: int, shuffle: bool, seed: int) -> Any:
    """A DataLoader over (x, y) arrays; the shuffle order comes from its own seeded Generator."""
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, generator=generator
    )


def train_epoch(model: Any, loader: Any, optimizer: Any, loss_fn: Any, bar: Any = None) -> dict:
    """One pass over `loader`: forward, loss, backward, step; mean loss and accuracy."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, targets in loader:
        optimizer.zero_grad()
        logits = model(inputs)
        loss = loss_fn(logits, targets)
        loss.backward()
        optimizer.step()

        n = len(targets)
        total_loss += loss.item() * n
        correct += (logits.argmax(dim=1) == targets).sum().item()
        seen += n
        if bar is not None:
            bar.update(1)
            bar.set_postfix(
                loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}", refresh=False
            )
    return {"loss": total_loss / seen, "accuracy": correct / seen}


def evaluate(model: Any, loader: Any) -> tuple[int, int]:
    """(correct, total) predictions of `model` over `loader`, in eval mode without a graph."""
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            correct += (model(inputs).argmax(dim=1) == targets).sum().item()
            total += len(targets)
    return correct, total


def train(
    data: Data,
    *,
    model: str = "mlp",
    activation: str = "relu",
    optimizer: str = "adam",
    epochs: int = 20,
    lr: float | None = None,
    batch_size: int = 32,
    hidden: Sequence[int] = (128,),
    seed: int = 0,
    quiet: bool = True,
    report: str | Path | None = None,
) -> TrainResult:
    """Train a `model` network on `data`; the result holds the model and its test accuracy.

    With `report` (a directory), print the gradient-health report of each epoch's last batch
    and write the gradient-flow and norm-per-epoch plots there."""
    torch.manual_seed(seed)  # the weight init
    net = build_model(model, activation, data.sample_shape, data.num_classes, hidden)
    opt = build_optimizer(optimizer, net.parameters(), lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    train_loader = make_loader(data.x_train, data.y_train, batch_size, shuffle=True, seed=seed)
    test_loader = make_loader(data.x_test, data.y_test, 512, shuffle=False, seed=seed)

    from tqdm import tqdm

    monitor = GradientMonitor(net, activations=False) if report is not None else None
    history = []
    for epoch in range(epochs):
        with tqdm(
            total=len(train_loader),
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
            file=sys.stderr,
            disable=quiet,
            dynamic_ncols=True,
        ) as bar:
            stats = train_epoch(net, train_loader, opt, loss_fn, bar)
            correct, total = evaluate(net, test_loader)
            stats["test_accuracy"] = correct / total
            bar.set_postfix(
                loss=f"{stats['loss']:.4f}",
                acc=f"{stats['accuracy']:.3f}",
                test_acc=f"{correct / total:.3f}",
            )
        history.append(stats)
        if monitor is not None:
            monitor.step()  # the last batch's gradients, still in .grad
            health = grad_report(net, optimizer=opt)
            print(f"epoch {epoch + 1}/{epochs}: gradient health after the last batch\n{health}\n")
    if monitor is not None:
        _write_plots(monitor, Path(report))
    correct, total = evaluate(net, test_loader)
    return TrainResult(net, correct / total, correct, total, history)


def _write_plots(monitor: GradientMonitor, out_dir: Path) -> None:
    monitor.remove()
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in (
        monitor.plot_grad_flow(out_dir / "grad_flow.png"),
        monitor.plot_norms(out_dir / "grad_norms.png"),
    ):
        print(f"wrote {path}")


# --- the command line ---------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _hidden(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive widths such as 128 or 128,64, got {text!r}"
        ) from None
    if not widths or min(widths) <= 0:
        raise argparse.ArgumentTypeError(f"hidden widths must be positive, got {text!r}")
    return widths


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add `chainrule train`'s options to `parser`."""
    parser.epilog = (
        "--data FILE.npz holds arrays 'X' (N, features) or (N, C, H, W) and 'y' (N integer "
        "labels 0..C-1), optionally 'X_test' and 'y_test' (then used as the test set). Values "
        "are used as given (as float32). Without --data: scikit-learn's 8x8 digits, pixels "
        "scaled to [0, 1] (needs pip install 'chainrule[train]')."
    )
    parser.add_argument(
        "--data", metavar="FILE.npz", help="train on these arrays (default: digits)"
    )
    parser.add_argument("--model", choices=MODELS, default="mlp", help="network (default: mlp)")
    parser.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        default="relu",
        help="hidden-layer activation (default: relu)",
    )
    parser.add_argument(
        "--optimizer", choices=list(OPTIMIZERS), default="adam", help="optimiser (default: adam)"
    )
    parser.add_argument("--epochs", type=_positive_int, default=20, help="default: 20")
    parser.add_argument(
        "--lr",
        type=float,
        help="learning rate (default per optimiser: "
        + ", ".join(f"{k} {v[1]:g}" for k, v in OPTIMIZERS.items())
        + ")",
    )
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="default: 32")
    parser.add_argument(
        "--hidden",
        type=_hidden,
        default=(128,),
        metavar="W[,W...]",
        help="hidden layer widths of the MLP (the CNN's head) (default: 128)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the split, the weight init and the shuffle (default: 0)",
    )
    parser.add_argument(
        "--test-fraction",
        type=_fraction,
        default=0.2,
        help="share held out for testing when the data has no test set (default: 0.2)",
    )
    parser.add_argument(
        "--save", metavar="PATH", help="write the trained model's state_dict here (safetensors)"
    )
    parser.add_argument(
        "--report",
        nargs="?",
        const=".",
        metavar="DIR",
        help="print the gradient-health report after each epoch and write grad_flow.png and "
        "grad_norms.png to DIR (default: the current directory; needs chainrule[viz])",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Run `chainrule train` with parsed `args`; returns the exit status."""
    try:
        data = load_data(args.data, args.test_fraction, args.seed, images=args.model == "cnn")
    except DataError as e:
        print(f"chainrule train: error: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(
            f"{args.model} ({args.activation}, hidden {','.join(map(str, args.hidden))}) on "
            f"{data.source}: {len(data.x_train)} train / {len(data.x_test)} test samples of "
            f"shape {data.sample_shape}, {data.num_classes} classes; {args.optimizer}, "
            f"{args.epochs} epochs, batch {args.batch_size}",
            file=sys.stderr,
        )
    result = train(
        data,
        model=args.model,
        activation=args.activation,
        optimizer=args.optimizer,
        epochs=args.epochs,
        lr=args.lr,
        batch_size=args.batch_size,
        hidden=args.hidden,
        seed=args.seed,
        quiet=args.quiet,
        report=args.report,
    )
    print(f"test accuracy: {result.test_accuracy:.4f} ({result.test_correct}/{result.test_total})")
    if args.save:
        try:
            torch.save(result.model.state_dict(), args.save)
        except OSError as e:
            print(f"chainrule train: error: cannot write {args.save}: {e}", file=sys.stderr)
            return 2
        print(f"saved the model's state_dict to {args.save}")
    return 0
