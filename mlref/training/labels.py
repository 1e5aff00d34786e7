r"""Training labels for a ranker: explicit grades, implicit feedback, and a hybrid of the two.

The source's label schema grades relevance 0 (irrelevant), 1 (somewhat relevant), 2 (relevant),
3 (highly relevant). Explicit labels come from human raters (expensive, so only for some
queries); implicit labels come from behaviour, biased by position and by what was shown. The
implicit *graded* label maps the funnel onto the same 0-3 scale,

.. math::

    y = \begin{cases} 3 & \text{ordered} \\ 2 & \text{added to cart} \\ 1 & \text{clicked} \\
    0 & \text{otherwise,} \end{cases}

and a hybrid uses the raters' grade where a list was judged and the implicit grade elsewhere.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import check_array_1d, check_binary, check_same_length

__all__ = ["hybrid_labels", "implicit_labels"]


def implicit_labels(clicked, added_to_cart=None, ordered=None) -> np.ndarray:
    """Graded implicit labels: 3 ordered, 2 added to cart, 1 clicked, 0 otherwise.

    Parameters
    ----------
    clicked : array-like of 0/1
    added_to_cart, ordered : array-like of 0/1, optional
        Deeper funnel steps; each must imply the previous one (a cart needs a click).

    Returns
    -------
    ndarray of int8

    Examples
    --------
    >>> implicit_labels([1, 1, 0, 1], [1, 0, 0, 1], [1, 0, 0, 0]).tolist()
    [3, 1, 0, 2]
    """
    steps = [check_binary(clicked, "clicked")]
    for name, values in (("added_to_cart", added_to_cart), ("ordered", ordered)):
        if values is None:
            continue
        arr = check_binary(values, name)
        check_same_length(clicked=steps[0], **{name: arr})
        if np.any(arr > steps[-1]):
            raise ValueError(
                f"{name} is 1 where the previous funnel step is 0; the funnel must be nested "
                "(order implies cart implies click)"
            )
        steps.append(arr)
    return np.sum(steps, axis=0).astype(np.int8)


def hybrid_labels(explicit, implicit, judged) -> np.ndarray:
    """The raters' grade where ``judged``, the implicit grade elsewhere.

    Examples
    --------
    >>> hybrid_labels([3, 0, 2], [1, 1, 0], [True, True, False]).tolist()
    [3, 0, 0]
    """
    explicit = check_array_1d(explicit, "explicit")
    implicit = check_array_1d(implicit, "implicit")
    judged = check_array_1d(judged, "judged", dtype=None)
    if judged.dtype != bool:
        raise ValueError("judged must be a boolean mask (True where raters graded the row)")
    check_same_length(explicit=explicit, implicit=implicit, judged=judged)
    for name, arr in (("explicit", explicit), ("implicit", implicit)):
        if np.any((arr < 0) | (arr > 3) | (arr != np.round(arr))):
            raise ValueError(f"{name} must hold grades 0, 1, 2 or 3")
    return np.where(judged, explicit, implicit).astype(np.int8)
