"""Train a small convolutional network on scikit-learn's 8x8 handwritten digits.

Shows the usual training loop: a Dataset and DataLoader for shuffled minibatches, a
Conv2d/MaxPool2d/Linear model, Adam, `model.train()` / `model.eval()`, and evaluation under
`torch.no_grad()`. Reaches about 97-98% test accuracy in a few seconds.

    python examples/cnn_digits.py
"""

import numpy as np
from sklearn.datasets import load_digits

import chainrule as torch
from chainrule import nn
from chainrule.utils.data import DataLoader, TensorDataset


def load_split(test_fraction: float = 0.2, seed: int = 0):
    """Digits as (N, 1, 8, 8) float tensors in [0, 1] with int64 labels: (train, test)."""
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(len(images) * test_fraction)
    test, train = order[:n_test], order[n_test:]

    def as_dataset(idx):
        return TensorDataset(torch.from_numpy(images[idx]), torch.from_numpy(labels[idx]))

    return as_dataset(train), as_dataset(test)


def make_model():
    """Two conv blocks (8x8 -> 4x4 -> 2x2) and a linear classifier."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(32 * 2 * 2, 10),
    )


def accuracy(model, dataset) -> float:
    """Fraction of `dataset` that `model` classifies correctly."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in DataLoader(dataset, batch_size=256):
            correct += (model(images).argmax(dim=1) == labels).sum().item()
    return correct / len(dataset)


def main(epochs: int = 12, batch_size: int = 32, lr: float = 3e-3, seed: int = 0):
    """Train for `epochs`; return (test accuracy, mean training loss of each epoch)."""
    torch.manual_seed(seed)
    train_set, test_set = load_split(seed=seed)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    epoch_losses = []
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        epoch_losses.append(total / count)
        print(f"epoch {epoch + 1:2d}  train loss {epoch_losses[-1]:.4f}")

    acc = accuracy(model, test_set)
    print(f"test accuracy {acc:.2%} on {len(test_set)} digits")
    return acc, epoch_losses


if __name__ == "__main__":
    main()
