r"""Mini-batches for every gradient-trained model of the course.

One epoch visits every training row exactly once, in a fresh random order; the rows are cut into
consecutive batches of ``batch_size`` (the last one may be smaller). Shuffling each epoch makes the
mini-batch gradient an unbiased estimate of the full gradient,
:math:`\mathbb E[\nabla L_B] = \nabla L`, while keeping the order reproducible from one seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mlref._validation import check_bool, check_positive_int, check_random_state

__all__ = ["iterate_minibatches"]


def iterate_minibatches(
    n_samples: int, *, batch_size: int, rng, shuffle: bool = True
) -> Iterator[np.ndarray]:
    """Yield the row indices of each mini-batch of one epoch.

    Parameters
    ----------
    n_samples : int
        Number of training rows.
    batch_size : int
        Rows per batch; the last batch holds the remainder.
    rng : numpy.random.Generator, int or None
        Source of the permutation (a Generator is advanced, so successive epochs differ).
    shuffle : bool, default=True
        If False, batches are consecutive slices ``0..B-1, B..2B-1, ...`` (for prediction).

    Yields
    ------
    numpy.ndarray of int64
        Indices of the rows of the batch; over one epoch they partition ``range(n_samples)``.

    Examples
    --------
    >>> [b.tolist() for b in iterate_minibatches(5, batch_size=2, rng=0, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> sorted(np.concatenate(list(iterate_minibatches(5, batch_size=2, rng=0))).tolist())
    [0, 1, 2, 3, 4]
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    batch_size = check_positive_int(batch_size, "batch_size")
    generator = check_random_state(rng, "rng")
    order = (
        generator.permutation(n_samples) if check_bool(shuffle, "shuffle") else np.arange(n_samples)
    )
    return (order[start : start + batch_size] for start in range(0, n_samples, batch_size))
