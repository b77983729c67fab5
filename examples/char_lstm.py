"""Train a character-level LSTM language model on a short story and sample from it.

The text (examples/data/lighthouse.txt, written for this repository) is cut into random
windows; the model reads each window one character at a time and predicts the next. Shows
nn.Embedding -> nn.LSTM(batch_first=True) -> nn.Linear, cross-entropy over every position,
gradient clipping, and sampling by feeding the LSTM's (h, c) state back in.

    python examples/char_lstm.py
"""

from pathlib import Path

import numpy as np

import chainrule as torch
from chainrule import nn

TEXT = Path(__file__).resolve().parent / "data" / "lighthouse.txt"


class CharLSTM(nn.Module):
    """Embedding, a one-layer LSTM and a linear read-out to next-character logits."""

    def __init__(self, vocab_size: int, embed_dim: int = 24, hidden_size: int = 128):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        out, state = self.lstm(self.embed(tokens), state)
        return self.head(out), state


def encode(text: str):
    """The sorted alphabet of `text` and `text` as an int64 array of indices into it."""
    alphabet = sorted(set(text))
    index = {ch: i for i, ch in enumerate(alphabet)}
    return alphabet, np.array([index[ch] for ch in text], dtype=np.int64)


def sample(model, alphabet, prompt: str, length: int, temperature: float = 0.8, seed: int = 0):
    """Continue `prompt` by `length` characters drawn from the model's predictions."""
    rng = np.random.default_rng(seed)
    index = {ch: i for i, ch in enumerate(alphabet)}
    model.eval()
    out = list(prompt)
    with torch.no_grad():
        logits, state = model(torch.tensor([[index[ch] for ch in prompt]]))
        for _ in range(length):
            probs = torch.softmax(logits[0, -1] / temperature, dim=0).numpy().astype(np.float64)
            nxt = int(rng.choice(len(alphabet), p=probs / probs.sum()))
            out.append(alphabet[nxt])
            logits, state = model(torch.tensor([[nxt]]), state)
    model.train()
    return "".join(out)


def main(
    steps: int = 200,
    seq_len: int = 32,
    batch_size: int = 32,
    lr: float = 1e-2,
    sample_length: int = 200,
    seed: int = 0,
):
    """Train for `steps` minibatches; return (losses, a generated sample)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    alphabet, data = encode(TEXT.read_text())
    model = CharLSTM(len(alphabet))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    losses = []
    for step in range(steps):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
        window = np.stack([data[s : s + seq_len + 1] for s in starts])
        inputs, targets = torch.from_numpy(window[:, :-1]), torch.from_numpy(window[:, 1:])

        logits, _ = model(inputs)
        loss = loss_fn(logits.reshape(-1, len(alphabet)), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step + 1:4d}  loss {loss.item():.3f}")

    text = sample(model, alphabet, "The keeper ", sample_length)
    print("\nsample:\n" + text)
    return losses, text


if __name__ == "__main__":
    main()
