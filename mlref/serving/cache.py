r"""A least-recently-used (LRU) result cache, and its hit rate on a query stream.

Search traffic is skewed: a few head queries make up much of it. Caching the result page of the
most recent distinct queries serves repeats without running retrieval and ranking. With
capacity :math:`C`, an LRU cache keeps the :math:`C` queries most recently asked and evicts the
one unused for longest. Under independent requests with frequencies :math:`f_q` its hit rate
approaches that of a static cache of the :math:`C` most frequent queries,
:math:`\sum_{q \in \text{top } C} f_q` (an upper bound for any cache that has to see a query
once before serving it from cache), but stays below it: a tail query that was just asked
evicts a head query.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from mlref._validation import check_positive_int
from mlref.serving._checks import as_int64_1d

__all__ = ["LRUCache", "lru_hit_rates"]


class LRUCache:
    """A bounded mapping that evicts the least recently used key, counting hits and misses.

    Parameters
    ----------
    capacity : int
        Maximum number of keys kept, >= 1.

    Attributes
    ----------
    hits, misses : int
        Lookups by :meth:`get_or_compute` (and :meth:`get`) that found / did not find the key.

    Examples
    --------
    >>> cache = LRUCache(2)
    >>> [cache.get_or_compute(q, str.upper) for q in ["a", "b", "a", "c", "b"]]
    ['A', 'B', 'A', 'C', 'B']
    >>> cache.hits, cache.misses, list(cache.keys())  # "c" evicted "b", the least recent
    (1, 4, ['c', 'b'])
    """

    def __init__(self, capacity: int):
        self.capacity = check_positive_int(capacity, "capacity")
        self._data: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key) -> bool:
        return key in self._data

    def keys(self):
        """Keys from least to most recently used."""
        return self._data.keys()

    def get(self, key: Hashable, default=None):
        """The cached value (marking it most recently used), or ``default`` on a miss."""
        if key in self._data:
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]
        self.misses += 1
        return default

    def put(self, key: Hashable, value) -> None:
        """Store ``value`` as most recently used, evicting the least recent key when full."""
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable):
        """``get(key)``, or on a miss ``compute(key)``, stored and returned."""
        if key in self._data:
            self._data.move_to_end(key)
            self.hits += 1
            return self._data[key]
        self.misses += 1
        value = compute(key)
        self.put(key, value)
        return value

    @property
    def hit_rate(self) -> float:
        """hits / (hits + misses); NaN before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")


def lru_hit_rates(stream, capacities) -> np.ndarray:
    r"""Hit rate of an LRU cache of each capacity on a stream of query ids, starting empty.

    Uses the stack-distance property of LRU (Mattson et al., 1970): a request hits a cache of
    capacity :math:`C` exactly when fewer than :math:`C` distinct other keys were requested since
    the previous request of the same key. One pass computes every request's stack distance,
    so all capacities cost one simulation.

    Parameters
    ----------
    stream : array-like of int of shape (n_requests,)
        Query ids in arrival order.
    capacities : array-like of int
        Cache sizes, each >= 1.

    Returns
    -------
    numpy.ndarray of float of shape (len(capacities),)
        Share of requests served from the cache (cold misses included).

    Raises
    ------
    ValueError
        If ``stream`` is empty or not integer, or a capacity is < 1.

    Examples
    --------
    >>> lru_hit_rates([1, 2, 1, 3, 2, 1], [1, 2, 3]).round(3).tolist()
    [0.0, 0.167, 0.5]
    """
    keys = as_int64_1d(stream, "stream")
    sizes = as_int64_1d(capacities, "capacities")
    for c in sizes:
        check_positive_int(int(c), "capacities")
    distances = _stack_distances(keys)
    return np.array([float(np.mean(distances < c)) for c in sizes])


def _stack_distances(keys: np.ndarray) -> np.ndarray:
    """Distinct keys requested since the previous request of the same key (inf if first).

    A Fenwick tree over request times marks the latest request of every key; the distance of a
    repeat at time t whose key was last seen at time s is the number of marks in (s, t).
    """
    n = keys.size
    _, key_index = np.unique(keys, return_inverse=True)
    last_seen = np.full(key_index.max() + 1, -1, dtype=np.int64)
    tree = np.zeros(n + 1, dtype=np.int64)
    distances = np.full(n, np.inf)

    def add(i: int, delta: int) -> None:
        i += 1
        while i <= n:
            tree[i] += delta
            i += i & -i

    def prefix(i: int) -> int:  # marks at times < i
        total = 0
        while i > 0:
            total += tree[i]
            i -= i & -i
        return int(total)

    marked = 0
    for t, key in enumerate(key_index.tolist()):
        s = last_seen[key]
        if s >= 0:
            distances[t] = marked - prefix(s + 1)
            add(int(s), -1)
            marked -= 1
        add(t, 1)
        marked += 1
        last_seen[key] = t
    return distances
