r"""Symmetric int8 quantization with one scale per row: 4× less memory for embeddings and weights.

A float32 row :math:`x` becomes int8 codes :math:`c` and one float32 scale :math:`s`:

.. math::

    s = \frac{\max_j |x_j|}{127}, \qquad c_j = \operatorname{round}(x_j / s) \in [-127, 127],
    \qquad \hat x_j = s\, c_j, \qquad |x_j - \hat x_j| \le s / 2.

Symmetric (no zero point) keeps an inner product cheap: :math:`q \cdot \hat x = s\,(q \cdot c)`,
one multiply per row after an integer (or float) dot product. ``-128`` is never used, so the
code range is symmetric and negating a row negates its codes exactly.

Memory: ``d`` bytes plus one 4-byte scale per row, against ``4 d`` bytes in float32 — 3.8× smaller
at d = 64, → 4× as d grows. Speed is another matter: NumPy's matrix product uses BLAS only for
floating point; an int8 × int8 product in NumPy is a plain loop with int32 accumulation, slower
than float32 BLAS. The speed-ups quoted for int8 inference come from kernels with int8 dot
instructions (VNNI, fbgemm, oneDNN, ONNX Runtime), which NumPy does not call.
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_array_1d, check_option
from mlref.serving._checks import as_float32

__all__ = ["QuantizedMLP", "dequantize_int8", "int8_matmul", "quantize_int8"]

_MAX_CODE = 127
_AXES = (0, 1)


def quantize_int8(x, *, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""Quantize a float matrix to int8 codes with one symmetric scale per row (or column).

    .. math::

        s_i = \max_j |x_{ij}| / 127, \qquad c_{ij} = \operatorname{round}(x_{ij} / s_i).

    Parameters
    ----------
    x : array-like of float of shape (n_rows, n_columns)
        Finite values.
    axis : {1, 0}, default 1
        ``1``: one scale per row (item embeddings, or the rows of ``W.T``); ``0``: one scale per
        column (the output units of a weight matrix ``W`` used as ``h @ W``).

    Returns
    -------
    codes : numpy.ndarray of int8, same shape as ``x``
        In [-127, 127].
    scales : numpy.ndarray of float32 of shape (n_rows,) or (n_columns,)
        :math:`s_i`; an all-zero row gets scale 1 and zero codes, so it decodes to zeros exactly.

    Raises
    ------
    ValueError
        If ``x`` is not a finite, non-empty 2-D array, or ``axis`` is not 0 or 1.

    Examples
    --------
    >>> codes, scales = quantize_int8([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0]])
    >>> codes.tolist(), scales.astype(float).round(5).tolist()
    ([[64, -127, 32], [0, 0, 0]], [0.00787, 1.0])
    >>> dequantize_int8(codes, scales).astype(float).round(3).tolist()[0]
    [0.504, -1.0, 0.252]
    """
    check_option(axis, "axis", _AXES)
    arr = as_float32(x, "x")
    peak = np.abs(arr).max(axis=axis)
    scales = np.where(peak > 0, peak / _MAX_CODE, 1.0).astype(np.float32)
    shaped = scales[:, None] if axis == 1 else scales[None, :]
    codes = np.clip(np.rint(arr / shaped), -_MAX_CODE, _MAX_CODE).astype(np.int8)
    return codes, scales


def dequantize_int8(codes, scales, *, axis: int = 1) -> np.ndarray:
    r"""Float32 values :math:`\hat x_{ij} = s_i c_{ij}` back from :func:`quantize_int8`.

    Parameters
    ----------
    codes : array-like of int8 of shape (n_rows, n_columns)
    scales : array-like of float of shape (n_rows,) (``axis=1``) or (n_columns,) (``axis=0``)
    axis : {1, 0}, default 1
        As given to :func:`quantize_int8`.

    Returns
    -------
    numpy.ndarray of float32, same shape as ``codes``

    Raises
    ------
    ValueError
        If ``codes`` is not a 2-D int8 array or ``scales`` does not have one value per row
        (column), or holds non-finite values.

    Examples
    --------
    >>> dequantize_int8(np.array([[127, -64]], dtype=np.int8), np.array([0.5])).tolist()
    [[63.5, -32.0]]
    """
    check_option(axis, "axis", _AXES)
    codes, scales = _check_codes(codes, scales, axis)
    shaped = scales[:, None] if axis == 1 else scales[None, :]
    return codes.astype(np.float32) * shaped


def int8_matmul(x, codes, scales) -> np.ndarray:
    r"""``x @ W`` for a weight matrix stored as int8 codes with one scale per output column.

    Both sides are integer: the rows of ``x`` are quantized on the fly (one scale per row,
    :math:`t_i`), the product is accumulated in int32, and the result rescaled:

    .. math::

        (x W)_{ij} \approx t_i\, s_j \sum_k a_{ik} c_{kj},
        \qquad a = \operatorname{round}(x / t), \; c = \operatorname{round}(W / s).

    This is what an int8 inference engine computes. NumPy has no int8 matrix product in BLAS, so
    here it runs as a generic integer loop, *slower* than the float32 product; the function shows
    the arithmetic and its error, not a speed-up.

    Parameters
    ----------
    x : array-like of float of shape (n_samples, n_in)
    codes : numpy.ndarray of int8 of shape (n_in, n_out)
        From ``quantize_int8(W, axis=0)``.
    scales : array-like of float of shape (n_out,)

    Returns
    -------
    numpy.ndarray of float32 of shape (n_samples, n_out)

    Raises
    ------
    ValueError
        If the shapes do not chain, or an input is not finite.

    Examples
    --------
    >>> W = np.array([[0.5, -1.0], [0.25, 2.0]])
    >>> codes, scales = quantize_int8(W, axis=0)
    >>> int8_matmul([[1.0, 2.0]], codes, scales).astype(float).round(2).tolist()  # exact: 1, 3
    [[1.01, 2.98]]
    """
    codes, scales = _check_codes(codes, scales, 0)
    arr = as_float32(x, "x")
    if arr.shape[1] != codes.shape[0]:
        raise ValueError(
            f"x has {arr.shape[1]} columns but codes has {codes.shape[0]} rows; x @ W needs "
            "x.shape[1] == W.shape[0]"
        )
    x_codes, x_scales = quantize_int8(arr, axis=1)
    accumulated = x_codes.astype(np.int32) @ codes.astype(np.int32)
    return accumulated.astype(np.float32) * x_scales[:, None] * scales[None, :]


def _check_codes(codes, scales, axis: int) -> tuple[np.ndarray, np.ndarray]:
    codes = as_array(codes, "codes", None)
    if codes.ndim != 2 or codes.dtype != np.int8:
        raise ValueError(
            f"codes must be a 2-D int8 array from quantize_int8, got dtype {codes.dtype} and "
            f"shape {codes.shape}"
        )
    if codes.size == 0:
        raise ValueError(f"codes is empty (shape {codes.shape}); quantize a non-empty matrix")
    scales = as_float32(scales, "scales", check_array_1d)
    expected = codes.shape[1 - axis]
    if scales.shape != (expected,):
        raise ValueError(
            f"scales must have shape ({expected},) (one per {'row' if axis == 1 else 'column'} "
            f"of codes), got {scales.shape}"
        )
    return codes, scales


class QuantizedMLP:
    r"""A fitted :class:`mlref.models.MLPClassifier` with int8 weights (one scale per unit).

    Every ``Linear`` layer's weight :math:`W_\ell` becomes int8 codes with one scale per output
    unit (:func:`quantize_int8` with ``axis=0``); biases stay float32. Dropout is the identity
    at inference.

    Parameters
    ----------
    model : MLPClassifier
        Fitted, without batch norm (fold it into the linear layers first).

    Attributes
    ----------
    layers_ : list of (codes, scales, bias)
    float_bytes_, int8_bytes_ : int
        Memory of the weights and biases in float32, and quantized (codes + scales + biases).

    Examples
    --------
    >>> from mlref.models import MLPClassifier
    >>> X = np.random.default_rng(0).normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> model = MLPClassifier(hidden_layer_sizes=(16,), n_epochs=5, random_state=0).fit(X, y)
    >>> q = QuantizedMLP(model)
    >>> bool(np.abs(q.decision_function(X) - model.decision_function(X)).max() < 0.05)
    True
    """

    _MODES = ("int8", "weights")

    def __init__(self, model):
        network = getattr(model, "network_", None)
        if network is None:
            raise ValueError("model is not fitted; fit the MLPClassifier first")
        self.model = model
        self.layers_ = []
        for layer in network.tower.layers:
            kind = type(layer).__name__
            if kind == "Linear":
                codes, scales = quantize_int8(layer.weight, axis=0)
                self.layers_.append((codes, scales, layer.bias.astype(np.float32)))
            elif kind not in ("ReLU", "Dropout", "Identity"):
                raise ValueError(
                    f"QuantizedMLP supports Linear, ReLU and Dropout layers, got {kind}; fold "
                    "batch norm into the linear layers first"
                )
        self.float_bytes_ = int(sum(4 * (c.size + b.size) for c, _, b in self.layers_))
        self.int8_bytes_ = int(sum(c.nbytes + s.nbytes + b.nbytes for c, s, b in self.layers_))

    def decision_function(self, X, *, mode: str = "int8") -> np.ndarray:
        """Logits; ``mode="int8"``: int8 × int8 products (:func:`int8_matmul`); ``"weights"``:
        float32 activations times dequantized weights (weight-only quantization)."""
        check_option(mode, "mode", self._MODES)
        h = as_float32(X, "X")
        if h.shape[1] != self.layers_[0][0].shape[0]:
            raise ValueError(
                f"X has {h.shape[1]} features, but the model was fitted with "
                f"{self.layers_[0][0].shape[0]}"
            )
        last = len(self.layers_) - 1
        for i, (codes, scales, bias) in enumerate(self.layers_):
            if mode == "int8":
                h = int8_matmul(h, codes, scales) + bias
            else:
                h = h @ dequantize_int8(codes, scales, axis=0) + bias
            if i < last:
                h = np.maximum(h, 0)
        return h[:, 0].astype(np.float64)

    def predict_proba(self, X, *, mode: str = "int8") -> np.ndarray:
        """Probabilities of the two classes, as ``MLPClassifier.predict_proba``."""
        z = self.decision_function(X, mode=mode)
        p = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1 - p, p])
