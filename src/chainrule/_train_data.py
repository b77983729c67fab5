"""The data `chainrule train` learns from: scikit-learn's digits, or a user's `.npz` file.

The `.npz` format: `X` of shape (N, features) or (N, C, H, W) images, `y` of N integer class
labels in [0, classes); optionally `X_test` and `y_test` of the same kinds, which are then the
test set (instead of a random `--test-fraction` of `X`). Values are used as they are (converted
to float32), so scale them beforehand.
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass

import numpy as np

import chainrule


class DataError(ValueError):
    """Data that cannot be used: a missing or unreadable file, missing or mis-shaped arrays."""


@dataclass
class Data:
    """A train/test split as float32 samples and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    source: str

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits as (N, 1, 8, 8) images in [0, 1], and labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError(
            "the digits data set comes with scikit-learn, which is not installed: "
            "pip install 'chainrule[train]', or train on your own arrays with --data file.npz"
        ) from None
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # pixels are 0..16
    return x, digits.target.astype(np.int64)


def _check_pair(x: object, y: object, xk: str, yk: str, name: str) -> tuple[np.ndarray, ...]:
    """Validate one (samples, labels) pair of arrays from `name`; float32 and int64 copies."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim not in (2, 4) or x.shape[0] == 0 or x.dtype.kind not in "biuf":
        raise DataError(
            f"{name}: {xk!r} must be a non-empty numeric array of shape (N, features) or "
            f"(N, C, H, W), got shape {x.shape} and dtype {x.dtype}"
        )
    if y.ndim != 1 or y.dtype.kind not in "biu":
        raise DataError(
            f"{name}: {yk!r} must be a 1-D array of integer class labels, got shape {y.shape} "
            f"and dtype {y.dtype}"
        )
    if len(y) != len(x):
        raise DataError(
            f"{name}: {xk!r} and {yk!r} have different lengths: {xk} has shape {x.shape}, "
            f"{yk} has shape {y.shape}"
        )
    if y.min() < 0:
        raise DataError(f"{name}: {yk!r} holds a negative label ({y.min()}); labels are 0..C-1")
    return x.astype(np.float32), y.astype(np.int64)


def load_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of `path` (X, y and optionally X_test, y_test), validated."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: not a readable .npz file ({e})") from None
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise DataError(
            f"{path}: missing array(s) {', '.join(map(repr, missing))}; expected 'X' and 'y' "
            f"(optionally 'X_test' and 'y_test'), found {sorted(arrays) or 'none'}"
        )
    out = dict(zip(("X", "y"), _check_pair(arrays["X"], arrays["y"], "X", "y", path)))
    has_test = [k for k in ("X_test", "y_test") if k in arrays]
    if len(has_test) == 1:
        raise DataError(f"{path}: has {has_test[0]!r} without its partner; give both or neither")
    if has_test:
        xt, yt = _check_pair(arrays["X_test"], arrays["y_test"], "X_test", "y_test", path)
        if xt.shape[1:] != out["X"].shape[1:]:
            raise DataError(
                f"{path}: 'X_test' samples have shape {xt.shape[1:]} but 'X' samples have "
                f"shape {out['X'].shape[1:]}"
            )
        out["X_test"], out["y_test"] = xt, yt
    return out


def split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """A random train/test split, the same for the same seed."""
    n = len(x)
    n_test = math.ceil(n * test_fraction) if test_fraction > 0 else 0
    if not 0 < n_test < n:
        raise DataError(
            f"--test-fraction {test_fraction} of {n} samples leaves {n - n_test} to train on and "
            f"{n_test} to test on; both need at least one"
        )
    perm = chainrule.randperm(n, generator=chainrule.Generator().manual_seed(seed)).numpy()
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test]


def as_images(x: np.ndarray, name: str) -> np.ndarray:
    """(N, features) rows as (N, 1, s, s) square images, for the CNN."""
    if x.ndim == 4:
        return x
    s = math.isqrt(x.shape[1])
    if s * s != x.shape[1]:
        raise DataError(
            f"{name}: --model cnn needs images; 'X' has shape {x.shape}, whose {x.shape[1]} "
            "features are not a square image (give X as (N, C, H, W))"
        )
    return x.reshape(len(x), 1, s, s)


def load_data(path: str | None, test_fraction: float, seed: int, images: bool) -> Data:
    """The train/test data: digits when `path` is None, else the `.npz` file at `path`."""
    if path is None:
        source = "digits"
        x, y = load_digits_arrays()
        x_tr, y_tr, x_te, y_te = split(x, y, test_fraction, seed)
    else:
        source = path
        arrays = load_npz(path)
        if "X_test" in arrays:
            x_tr, y_tr, x_te, y_te = arrays["X"], arrays["y"], arrays["X_test"], arrays["y_test"]
        else:
            x_tr, y_tr, x_te, y_te = split(arrays["X"], arrays["y"], test_fraction, seed)
    if images:
        x_tr, x_te = as_images(x_tr, source), as_images(x_te, source)
    num_classes = int(max(y_tr.max(), y_te.max())) + 1
    return Data(x_tr, y_tr, x_te, y_te, num_classes, source)
