r"""A BERT-shaped transformer encoder in NumPy (float32, inference only) to time cross-encoders.

A cross-encoder re-ranker reads the query and the document together, ``[CLS] q [SEP] d``, through
a transformer encoder: BERT-base has 12 layers, hidden size 768, 12 heads and a 3,072-wide
feed-forward block. Each layer is (post-norm, as in BERT)

.. math::

    h' = \operatorname{LN}\big(h + \operatorname{MHA}(h)\big), \qquad
    h'' = \operatorname{LN}\big(h' + \operatorname{GELU}(h' W_1 + b_1) W_2 + b_2\big),

and costs, for a sequence of :math:`L` tokens (multiply–adds counted as 2 FLOPs),

.. math::

    \underbrace{8 L H^2}_{Q,K,V,O} + \underbrace{4 L^2 H}_{QK^\top,\ AV}
    + \underbrace{4 L H F}_{\text{feed-forward}} \ \text{FLOPs};

with :math:`L = 128, H = 768, F = 3072`: 1.86 GFLOPs per layer, 22.35 GFLOPs per query–document
pair. Latency is what this costs on a CPU; the weights here are random (nothing is downloaded),
which changes no timing. The embedding lookup and the classification head are left out (they are
negligible next to the layers).
"""

from __future__ import annotations

import numpy as np

from mlref._validation import as_array, check_positive_int, check_random_state
from mlref.serving._checks import as_float32

__all__ = ["TransformerEncoder"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh approximation (BERT's original implementation)."""
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x**3)))


def _layer_norm(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + np.float32(eps))


class TransformerEncoder:
    """Stack of post-norm transformer encoder layers with random float32 weights.

    Parameters
    ----------
    n_layers : int, default 12
    hidden : int, default 768
    n_heads : int, default 12
        Must divide ``hidden``.
    ffn : int, default 3072
        Width of the feed-forward block.
    random_state : int, numpy Generator or None, default 0

    Attributes
    ----------
    layers : list of dict
        Per layer: ``w_qkv`` (hidden, 3 hidden), ``b_qkv``, ``w_o``, ``b_o``, ``w_1``, ``b_1``,
        ``w_2``, ``b_2`` (float32). Layer-norm gains and biases are 1 and 0 (random weights).

    Examples
    --------
    >>> enc = TransformerEncoder(n_layers=2, hidden=8, n_heads=2, ffn=16, random_state=0)
    >>> enc.forward(np.ones((3, 5, 8), dtype=np.float32)).shape
    (3, 5, 8)
    >>> round(TransformerEncoder.flops(seq_len=128) / 1e9, 2)  # BERT-base, 128 tokens
    22.35
    """

    def __init__(
        self,
        n_layers: int = 12,
        hidden: int = 768,
        n_heads: int = 12,
        ffn: int = 3072,
        *,
        random_state=0,
    ):
        self.n_layers = check_positive_int(n_layers, "n_layers")
        self.hidden = check_positive_int(hidden, "hidden")
        self.n_heads = check_positive_int(n_heads, "n_heads")
        self.ffn = check_positive_int(ffn, "ffn")
        if hidden % n_heads:
            raise ValueError(f"n_heads must divide hidden, got hidden={hidden}, n_heads={n_heads}")
        rng = check_random_state(random_state)
        h, f = self.hidden, self.ffn

        def weight(n_in, n_out):
            return rng.standard_normal((n_in, n_out), dtype=np.float32) * np.float32(0.02)

        self.layers = [
            {
                "w_qkv": weight(h, 3 * h),
                "b_qkv": np.zeros(3 * h, np.float32),
                "w_o": weight(h, h),
                "b_o": np.zeros(h, np.float32),
                "w_1": weight(h, f),
                "b_1": np.zeros(f, np.float32),
                "w_2": weight(f, h),
                "b_2": np.zeros(h, np.float32),
            }
            for _ in range(self.n_layers)
        ]

    @staticmethod
    def flops(seq_len: int, *, n_layers: int = 12, hidden: int = 768, ffn: int = 3072) -> int:
        """FLOPs (2 per multiply–add) of one sequence through the encoder layers."""
        L = check_positive_int(seq_len, "seq_len")
        n_layers = check_positive_int(n_layers, "n_layers")
        hidden = check_positive_int(hidden, "hidden")
        ffn = check_positive_int(ffn, "ffn")
        per_layer = 8 * L * hidden**2 + 4 * L**2 * hidden + 4 * L * hidden * ffn
        return n_layers * per_layer

    def attention(self, x: np.ndarray, layer: dict) -> np.ndarray:
        """Multi-head self-attention of one layer, without the residual and the norm."""
        batch, seq, h = x.shape
        d_head = h // self.n_heads
        qkv = x @ layer["w_qkv"] + layer["b_qkv"]
        qkv = qkv.reshape(batch, seq, 3, self.n_heads, d_head).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(d_head))
        scores -= scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        heads = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, seq, h)
        return heads @ layer["w_o"] + layer["b_o"]

    def forward(self, x) -> np.ndarray:
        """Encode ``x`` of shape (batch, seq_len, hidden); returns the same shape, float32.

        Raises
        ------
        ValueError
            If ``x`` is not 3-D with last dimension ``hidden``, is empty, or holds NaN/inf or
            values beyond the float32 range.
        """
        arr = as_array(x, "x", None)
        if arr.ndim != 3 or arr.shape[2] != self.hidden:
            raise ValueError(
                f"x must have shape (batch, seq_len, {self.hidden}), got {arr.shape}; embed the "
                "tokens first"
            )
        if arr.size == 0:
            raise ValueError(
                f"x is empty (shape {arr.shape}); pass at least one sequence of one token"
            )
        x = as_float32(arr.reshape(-1, self.hidden), "x").reshape(arr.shape)
        for layer in self.layers:
            x = _layer_norm(x + self.attention(x, layer))
            hidden = _gelu(x @ layer["w_1"] + layer["b_1"])
            x = _layer_norm(x + hidden @ layer["w_2"] + layer["b_2"])
        return x
