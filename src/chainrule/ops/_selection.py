"""torch's CPU sorting and selection algorithms, replayed in Python to reproduce its tie order.

torch sorts rows of more than 16 elements with `std::sort` (introsort, not stable), picks
`topk` with `std::partial_sort` or `std::nth_element` (+ `std::sort`) and `kthvalue` with its
own quickselect. Where a row has ties, which of the equal elements lands where depends on the
exact sequence of swaps, so these functions replay libstdc++'s and torch's algorithms step by
step. They work on integer keys (dense ranks: equal values share a key, NaN is the largest),
compared with `<`, and move a list of original positions along with the keys.

Only rows whose result depends on the algorithm come here; the rest are sorted by NumPy.
"""

from __future__ import annotations

_THRESHOLD = 16  # libstdc++'s _S_threshold: introsort hands ranges this small to insertion sort


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _swap(k: list, ix: list, a: int, b: int) -> None:
    k[a], k[b] = k[b], k[a]
    ix[a], ix[b] = ix[b], ix[a]


def _insertion_sort(k: list, ix: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        v, vi = k[i], ix[i]
        if v < k[first]:
            k[first + 1 : i + 1] = k[first:i]
            ix[first + 1 : i + 1] = ix[first:i]
            k[first], ix[first] = v, vi
        else:
            _linear_insert(k, ix, i)


def _linear_insert(k: list, ix: list, i: int) -> None:
    """Move k[i] left past larger keys (an element no larger sits further left: unguarded)."""
    v, vi = k[i], ix[i]
    j = i - 1
    while v < k[j]:
        k[j + 1], ix[j + 1] = k[j], ix[j]
        j -= 1
    k[j + 1], ix[j + 1] = v, vi


def _move_median_to_first(k: list, ix: list, result: int, a: int, b: int, c: int) -> None:
    if k[a] < k[b]:
        if k[b] < k[c]:
            _swap(k, ix, result, b)
        elif k[a] < k[c]:
            _swap(k, ix, result, c)
        else:
            _swap(k, ix, result, a)
    elif k[a] < k[c]:
        _swap(k, ix, result, a)
    elif k[b] < k[c]:
        _swap(k, ix, result, c)
    else:
        _swap(k, ix, result, b)


def _partition_pivot(k: list, ix: list, first: int, last: int) -> int:
    """libstdc++'s __unguarded_partition_pivot: median of three to `first`, then Hoare."""
    _move_median_to_first(k, ix, first, first + 1, first + (last - first) // 2, last - 1)
    pivot = k[first]
    lo, hi = first + 1, last
    while True:
        while k[lo] < pivot:
            lo += 1
        hi -= 1
        while pivot < k[hi]:
            hi -= 1
        if not lo < hi:
            return lo
        _swap(k, ix, lo, hi)
        lo += 1


def _adjust_heap(k: list, ix: list, first: int, hole: int, n: int, v: int, vi: int) -> None:
    top = child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if k[first + child] < k[first + child - 1]:
            child -= 1
        k[first + hole], ix[first + hole] = k[first + child], ix[first + child]
        hole = child
    if n & 1 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        k[first + hole], ix[first + hole] = k[first + child - 1], ix[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and k[first + parent] < v:
        k[first + hole], ix[first + hole] = k[first + parent], ix[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    k[first + hole], ix[first + hole] = v, vi


def _pop_heap(k: list, ix: list, first: int, last: int, result: int) -> None:
    v, vi = k[result], ix[result]
    k[result], ix[result] = k[first], ix[first]
    _adjust_heap(k, ix, first, 0, last - first, v, vi)


def _heap_select(k: list, ix: list, first: int, middle: int, last: int) -> None:
    n = middle - first
    if n >= 2:  # make_heap
        for parent in range((n - 2) // 2, -1, -1):
            _adjust_heap(k, ix, first, parent, n, k[first + parent], ix[first + parent])
    for i in range(middle, last):
        if k[i] < k[first]:
            _pop_heap(k, ix, first, middle, i)


def _partial_sort(k: list, ix: list, first: int, middle: int, last: int) -> None:
    _heap_select(k, ix, first, middle, last)
    while middle - first > 1:  # sort_heap
        middle -= 1
        _pop_heap(k, ix, first, middle, middle)


def _introsort_loop(k: list, ix: list, first: int, last: int, depth: int) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _partial_sort(k, ix, first, last, last)
            return
        depth -= 1
        cut = _partition_pivot(k, ix, first, last)
        _introsort_loop(k, ix, cut, last, depth)
        last = cut


def _sort(k: list, ix: list, first: int, last: int) -> None:
    """std::sort of k[first:last]."""
    if last - first < 2:
        return
    _introsort_loop(k, ix, first, last, _lg(last - first) * 2)
    if last - first > _THRESHOLD:
        _insertion_sort(k, ix, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(k, ix, i)
    else:
        _insertion_sort(k, ix, first, last)


def _nth_element(k: list, ix: list, first: int, nth: int, last: int) -> None:
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(k, ix, first, nth + 1, last)
            _swap(k, ix, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(k, ix, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(k, ix, first, last)


def sort_order(keys: list) -> list:
    """The positions of `keys` in the order torch's unstable CPU sort leaves them."""
    ix = list(range(len(keys)))
    _sort(list(keys), ix, 0, len(keys))
    return ix


def topk_order(keys: list, k: int, sorted_: bool) -> list:
    """The positions torch's CPU topk returns for the k smallest keys (topk_impl_loop)."""
    n = len(keys)
    keys, ix = list(keys), list(range(n))
    if k == 0:
        return []
    if k * 64 <= n:
        _partial_sort(keys, ix, 0, k, n)
    else:
        _nth_element(keys, ix, 0, k - 1, n)
        if sorted_:
            _sort(keys, ix, 0, k - 1)
    return ix[:k]


def kth_position(keys: list, kth: int) -> int:
    """The position torch's quick_select_template (kthvalue) picks for the kth (0-based) key."""
    k, ix = list(keys), list(range(len(keys)))
    lo, hi = 0, len(k) - 1
    while hi > lo:
        if hi == lo + 1:
            if k[lo] > k[hi]:
                _swap(k, ix, lo, hi)
            break
        _swap(k, ix, lo + (hi - lo) // 2, lo + 1)  # median of three for the pivot
        if k[lo + 1] > k[hi]:
            _swap(k, ix, lo + 1, hi)
        if k[lo] > k[hi]:
            _swap(k, ix, lo, hi)
        if k[lo + 1] > k[lo]:
            _swap(k, ix, lo + 1, lo)
        i, j, pivot = lo + 1, hi, k[lo]
        while True:
            i += 1
            while pivot > k[i]:
                i += 1
            j -= 1
            while k[j] > pivot:
                j -= 1
            if j < i:
                break
            _swap(k, ix, i, j)
        _swap(k, ix, lo, j)
        if j <= kth:
            lo = i
        if j >= kth:
            hi = j - 1
    return ix[kth]
