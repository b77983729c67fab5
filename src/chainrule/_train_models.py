"""The networks and optimisers `chainrule train` offers, as a PyTorch user would define them.

`build_model(name, activation, ...)` and `build_optimizer(name, params, lr)` take a library
module (`chainrule` by default, or `torch`), so the tests and the benchmark build the very same
architecture in both and copy weights across by state_dict key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import chainrule

ACTIVATIONS: dict[str, str] = {  # command-line name -> nn module class name
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "gelu": "GELU",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "selu": "SELU",
    "celu": "CELU",
    "silu": "SiLU",
    "mish": "Mish",
    "softplus": "Softplus",
    "hardtanh": "Hardtanh",
    "hardswish": "Hardswish",
    "relu6": "ReLU6",
}

# command-line name -> (optim class name, default learning rate: torch's default where it has
# one, and for SGD a rate that trains these small networks in a few epochs)
OPTIMIZERS: dict[str, tuple[str, float]] = {
    "sgd": ("SGD", 0.1),
    "adam": ("Adam", 1e-3),
    "adamw": ("AdamW", 1e-3),
    "rmsprop": ("RMSprop", 1e-3),
    "adagrad": ("Adagrad", 1e-2),
    "adadelta": ("Adadelta", 1.0),
    "adamax": ("Adamax", 2e-3),
    "nadam": ("NAdam", 2e-3),
    "radam": ("RAdam", 1e-3),
}

MODELS = ("mlp", "cnn")


def build_mlp(
    in_features: int,
    num_classes: int,
    hidden: Sequence[int] = (128,),
    activation: str = "relu",
    lib: Any = chainrule,
) -> Any:
    """Flatten, then Linear + activation per hidden width, then a Linear to the class logits."""
    nn = lib.nn
    layers: list[Any] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), activation_module(activation, lib)]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def build_cnn(
    in_channels: int,
    image_size: tuple[int, int],
    num_classes: int,
    hidden: Sequence[int] = (128,),
    activation: str = "relu",
    lib: Any = chainrule,
) -> Any:
    """Two 3x3 conv + activation + 2x2 max-pool blocks (16, 32 channels), then an MLP head."""
    nn = lib.nn
    h, w = image_size
    if h < 4 or w < 4:
        raise ValueError(f"--model cnn needs images of at least 4x4 pixels, got {h}x{w}")
    features = nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1),
        activation_module(activation, lib),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        activation_module(activation, lib),
        nn.MaxPool2d(2),
    )
    head = build_mlp(32 * (h // 4) * (w // 4), num_classes, hidden, activation, lib)
    return nn.Sequential(features, head)


def build_model(
    name: str,
    activation: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    hidden: Sequence[int] = (128,),
    lib: Any = chainrule,
) -> Any:
    """The `name` network ('mlp' or 'cnn') for samples of `input_shape` (no batch dimension)."""
    if name == "mlp":
        n = 1
        for s in input_shape:
            n *= s
        return build_mlp(n, num_classes, hidden, activation, lib)
    if name == "cnn":
        if len(input_shape) != 3:
            raise ValueError(
                f"--model cnn needs image samples of shape (C, H, W), got {tuple(input_shape)}"
            )
        c, h, w = input_shape
        return build_cnn(c, (h, w), num_classes, hidden, activation, lib)
    raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")


def activation_module(name: str, lib: Any = chainrule) -> Any:
    """A fresh activation module for the command-line `name` (e.g. 'leaky_relu')."""
    try:
        return getattr(lib.nn, ACTIVATIONS[name])()
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}"
        ) from None


def build_optimizer(name: str, params: Any, lr: float | None = None, lib: Any = chainrule) -> Any:
    """The `name` optimiser over `params`, at `lr` or the optimiser's default rate."""
    try:
        cls_name, default_lr = OPTIMIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}"
        ) from None
    return getattr(lib.optim, cls_name)(params, lr=default_lr if lr is None else lr)
