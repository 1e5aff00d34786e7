r"""Feature-interaction layers for recommendation networks.

:class:`DotInteraction` is DLRM's interaction (Naumov et al. 2019): given :math:`F` vectors of
the same size per example (the dense features' bottom-MLP output and one embedding per sparse
feature), it returns every pairwise dot product once,

.. math::

    z_{(i, j)} = v_i^\top v_j, \qquad 1 \le i < j \le F,

so the top MLP sees second-order interactions explicitly, as a factorization machine does,
without the :math:`F d` concatenation having to learn them.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import check_bool
from mlref.nn.layers import Layer, _as_input

__all__ = ["DotInteraction"]


class DotInteraction(Layer):
    r"""Pairwise dot products of the :math:`F` vectors of each example, :math:`i < j`.

    Input shape ``(n, F, d)``, output ``(n, F (F - 1) / 2)`` in the order of
    ``numpy.triu_indices(F, 1)``. Backward: with :math:`G` the upper-triangular matrix of output
    gradients, :math:`\partial L / \partial V = (G + G^\top) V` per example.

    Examples
    --------
    >>> layer = DotInteraction()
    >>> v = np.array([[[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]]])
    >>> layer.forward(v).tolist()  # v1.v2, v1.v3, v2.v3
    [[2.0, 0.0, 3.0]]
    """

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        check_bool(training, "training")
        v = _as_input(x, min_ndim=3)
        if v.ndim != 3 or v.shape[1] < 2:
            raise ValueError(
                f"x must have shape (n, F >= 2, d) for DotInteraction, got {v.shape}; stack the "
                "dense vector and the embeddings along axis 1"
            )
        rows, cols = np.triu_indices(v.shape[1], 1)
        gram = v @ v.transpose(0, 2, 1)
        self._cache = (v, rows, cols)
        return gram[:, rows, cols]

    def backward(self, d_out) -> np.ndarray:
        v, rows, cols = self._cached()
        d_out = self._d_out(d_out, (v.shape[0], rows.size))
        g = np.zeros((v.shape[0], v.shape[1], v.shape[1]))
        g[:, rows, cols] = d_out
        return (g + g.transpose(0, 2, 1)) @ v
