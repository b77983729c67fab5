"""chainrule.utils.data against torch.utils.data: deterministic paths equal, random ones seeded."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import chainrule
import chainrule.utils.data  # noqa: F401 - registers the submodule on chainrule.utils

Point = collections.namedtuple("Point", "x y")


def _np(x):
    """Nested batches as plain Python/NumPy, for comparing chainrule with torch."""
    if hasattr(x, "detach"):
        return ("T", str(x.dtype).split(".")[-1], x.detach().numpy().tolist())
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_np(v) for v in x])
    return x


def _both(torch, fn):
    return _np(fn(chainrule)), _np(fn(torch))


def test_tensor_dataset(lib):
    ds = lib.utils.data.TensorDataset(lib.arange(6.0).reshape(3, 2), lib.arange(3))
    assert len(ds) == 3
    x, y = ds[1]
    assert x.tolist() == [2.0, 3.0] and y.item() == 1
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        lib.utils.data.TensorDataset(lib.zeros(3), lib.zeros(4))


@pytest.mark.parametrize(
    "bs,drop_last", [(1, False), (3, False), (3, True), (4, False), (10, True)]
)
def test_sequential_loader_matches(torch, bs, drop_last):
    def run(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(20.0).reshape(10, 2), lib.arange(10))
        dl = lib.utils.data.DataLoader(ds, batch_size=bs, drop_last=drop_last)
        return [len(dl), list(dl)]

    assert _both(torch, run)[0] == _both(torch, run)[1]


@pytest.mark.parametrize(
    "batch",
    [
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
        ["a", "b"],
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
        [np.float32(1.0), np.float32(2.0)],
        [np.int64(3), np.int64(4)],
        [(1, 2.0), (3, 4.0)],
        [[1, 2], [3, 4]],
        [{"a": 1, "b": (1.0, [2, 3])}, {"a": 2, "b": (3.0, [4, 5])}],
        [Point(1, 2.0), Point(3, 4.0)],
    ],
    ids=lambda b: type(b[0]).__name__,
)
def test_default_collate_matches(torch, batch):
    got, want = _both(torch, lambda lib: lib.utils.data.default_collate(batch))
    assert got == want


def test_default_collate_tensors_and_errors(torch):
    got, want = _both(
        torch,
        lambda lib: lib.utils.data.default_collate(
            [{"x": lib.ones(2, 3), "y": lib.tensor(1)}, {"x": lib.zeros(2, 3), "y": lib.tensor(2)}]
        ),
    )
    assert got == want
    for lib in (chainrule, torch):
        with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
            lib.utils.data.default_collate([[1, 2], [3]])
        with pytest.raises(TypeError, match="default_collate: batch must contain"):
            lib.utils.data.default_collate([object(), object()])


def test_custom_collate_and_dataset(torch):
    def run(lib):
        class Squares(lib.utils.data.Dataset):
            def __len__(self):
                return 7

            def __getitem__(self, i):
                return {"i": i, "sq": float(i * i)}

        dl = lib.utils.data.DataLoader(Squares(), batch_size=3)
        dl2 = lib.utils.data.DataLoader(Squares(), batch_size=2, collate_fn=lambda b: len(b))
        dl3 = lib.utils.data.DataLoader(Squares(), batch_size=None)
        return [len(dl), list(dl), list(dl2), len(dl3), list(dl3)]

    got, want = _both(torch, run)
    assert got == want


def test_num_workers_runs_in_process(torch):
    def run(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(5))
        return list(lib.utils.data.DataLoader(ds, batch_size=2, num_workers=2))

    got, want = _both(torch, run)
    assert got == want


def test_loader_option_errors(lib):
    D = lib.utils.data
    ds = D.TensorDataset(lib.arange(5))
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        D.DataLoader(ds, shuffle=True, sampler=D.SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        D.DataLoader(ds, batch_size=2, batch_sampler=D.BatchSampler(range(5), 2, False))
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        D.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        D.BatchSampler(range(5), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        D.BatchSampler(range(5), 2, 1)


def test_samplers_deterministic(torch):
    def run(lib):
        D = lib.utils.data
        seq = D.SequentialSampler(range(5))
        bs = D.BatchSampler(seq, 2, False)
        bsd = D.BatchSampler(seq, 2, True)
        dl = D.DataLoader(
            D.TensorDataset(lib.arange(5)), batch_sampler=D.BatchSampler(seq, 3, False)
        )
        return [list(seq), len(seq), list(bs), len(bs), list(bsd), len(bsd), len(dl), list(dl)]

    got, want = _both(torch, run)
    assert got == want


def test_shuffle_permutation_and_reproducible():
    D = chainrule.utils.data
    ds = D.TensorDataset(chainrule.arange(23))

    def epoch(gen):
        return [b[0].tolist() for b in D.DataLoader(ds, batch_size=5, shuffle=True, generator=gen)]

    a = epoch(chainrule.Generator().manual_seed(0))
    b = epoch(chainrule.Generator().manual_seed(0))
    assert a == b
    assert [len(x) for x in a] == [5, 5, 5, 5, 3]
    flat = sum(a, [])
    assert sorted(flat) == list(range(23)) and flat != list(range(23))
    assert epoch(chainrule.Generator().manual_seed(1)) != a
    chainrule.manual_seed(3)
    c = epoch(None)
    chainrule.manual_seed(3)
    assert epoch(None) == c
    g = chainrule.Generator().manual_seed(0)
    dl = D.DataLoader(ds, batch_size=5, shuffle=True, generator=g)
    assert sum((x[0].tolist() for x in dl), []) != sum((x[0].tolist() for x in dl), [])


def test_random_sampler_replacement_and_num_samples():
    D = chainrule.utils.data
    g = chainrule.Generator().manual_seed(0)
    s = D.RandomSampler(range(4), num_samples=10, generator=g)
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    r = D.RandomSampler(range(4), replacement=True, num_samples=50, generator=g)
    out = list(r)
    assert len(out) == 50 and set(out) <= {0, 1, 2, 3}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.RandomSampler(range(4), num_samples=0)


def test_subset_and_concat(torch):
    def run(lib):
        D = lib.utils.data
        ds = D.TensorDataset(lib.arange(10) * 10)
        sub = D.Subset(ds, [7, 2, 5])
        cat = D.ConcatDataset([sub, D.Subset(ds, [0, 1])])
        return [len(sub), sub[0], sub[2], len(cat), cat[3], cat[-1], list(D.DataLoader(cat, 2))]

    got, want = _both(torch, run)
    assert got == want


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.5], [0.33, 0.33, 0.34], [1, 0, 9]])
def test_random_split_lengths_match_torch(torch, lengths):
    sizes = [
        [len(s) for s in lib.utils.data.random_split(range(10), lengths)]
        for lib in (chainrule, torch)
    ]
    assert sizes[0] == sizes[1]


def test_random_split_partition_and_seed(lib):
    D = lib.utils.data
    splits = D.random_split(range(20), [0.25, 0.75], generator=lib.Generator().manual_seed(4))
    again = D.random_split(range(20), [0.25, 0.75], generator=lib.Generator().manual_seed(4))
    assert [list(s) for s in splits] == [list(s) for s in again]
    assert sorted(list(splits[0]) + list(splits[1])) == list(range(20))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        D.random_split(range(10), [3, 3])


@pytest.mark.filterwarnings("ignore:Length of split at index 2")
def test_random_split_warns_on_empty(lib):
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        lib.utils.data.random_split(range(2), [0.9, 0.05, 0.05])
