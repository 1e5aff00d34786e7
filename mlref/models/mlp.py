r"""A multi-layer perceptron click model with dropout, the source's "DNN" (section 4B.1)."""

from __future__ import annotations

import numpy as np

from mlref._validation import check_bool, check_positive_int
from mlref.models._neural import (
    BinaryNeuralClassifier,
    penalty_mask,
)
from mlref.models.linear import _check_features, _check_X_for_predict
from mlref.nn.layers import Layer, check_layer_sizes, mlp

__all__ = ["MLPClassifier"]


class _MLPNetwork(Layer):
    """The tower with its (n, 1) output flattened to one logit per row."""

    def __init__(self, tower) -> None:
        super().__init__()
        self.tower = tower
        self.params, self.grads = tower.params, tower.grads
        self.penalized = penalty_mask(tower.layers)
        self.bias = tower.layers[-1].bias

    def forward(self, x, *, training: bool = False) -> np.ndarray:
        return self.tower.forward(x, training=training)[:, 0]

    def backward(self, d_out) -> None:
        self.tower.backward(np.asarray(d_out)[:, None])


class MLPClassifier(BinaryNeuralClassifier):
    r"""Binary MLP on dense numeric features, trained by mini-batch Adam on the log-loss.

    .. math::

        h_0 = x, \qquad h_\ell = \operatorname{dropout}\big(\operatorname{ReLU}
              (h_{\ell-1} W_\ell + b_\ell)\big), \qquad
        P(y = 1 \mid x) = \sigma(h_L w_\text{out} + b_\text{out}),

    minimising the mean log-loss plus :math:`\tfrac{\alpha}{2}\sum_\ell \lVert W_\ell \rVert^2`
    (see :mod:`mlref.models._neural`).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(512, 256, 128)
        Widths of the hidden layers, the source's architecture; ``()`` gives logistic regression.
    dropout : float in [0, 1), default=0.3
        Drop probability after every hidden layer but the last, as the source draws it
        (``Dense(512) → ReLU → Dropout → Dense(256) → ReLU → Dropout → Dense(128) → ReLU``).
    batch_norm : bool, default=False
        Insert batch normalisation between each hidden ``Linear`` and its ReLU.
    alpha : float >= 0, default=0.0
        L2 penalty on the weight matrices (not the biases).
    n_epochs : int, default=3
        Passes over the training rows.
    batch_size : int, default=1024
        Rows per Adam step.
    learning_rate : float > 0, default=1e-3
        Adam's step size.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the initial weights, the shuffling and the dropout masks; an int makes ``fit``
        reproducible bit for bit.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
    network_ : the trained network (``network_.tower`` is a :class:`mlref.nn.layers.Sequential`)
    loss_curve_ : list of float
        Mean training log-loss of each epoch.
    validation_loss_curve_ : list of float or None
        Log-loss on ``fit``'s ``eval_set`` after each epoch.
    n_features_in_ : int

    Notes
    -----
    **Dropout at inference.** The source says to use all neurons at inference and "scale by
    :math:`1-p`": that is the original dropout, which trains on :math:`m \odot h` and serves
    :math:`(1-p) h`. :class:`mlref.nn.layers.Dropout` is *inverted* dropout, training on
    :math:`m \odot h / (1-p)` and serving :math:`h`. The two are the same family of models (the
    next layer's weights absorb the constant :math:`1/(1-p)`), with the same expected training
    output as inference output; the inverted form leaves inference untouched.

    **Inputs.** Features should be on comparable scales (standardise them, e.g. with
    :class:`mlref.features.numeric.Standardizer`): Adam's single learning rate and the He
    initialisation assume unit-scale inputs. The output bias starts at the training base rate's
    log-odds, which matters for clicks (a 1% CTR starts at :math:`-4.6`, not 0).

    **Batch normalisation** needs two rows per batch while training: with ``batch_norm=True`` a
    last batch of a single row is skipped in that epoch (its row is seen in the other epochs).

    **Against scikit-learn.** :class:`sklearn.neural_network.MLPClassifier` trains the same
    network (without dropout) with Adam; its ``alpha`` is divided by the batch size
    (:math:`\alpha_\text{sklearn} / (2B) \lVert W \rVert^2` per batch), so
    ``alpha = alpha_sklearn / batch_size`` here. Its default ``early_stopping=False`` and ``tol``
    stop on the training loss; here ``n_epochs`` is fixed.

    **Defaults.** ``n_epochs=3`` and ``batch_size=1024`` suit the course's click data (tens to
    hundreds of thousands of rows, few positives); small data sets need more epochs or smaller
    batches (see the example).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR: no linear model can learn it
    >>> model = MLPClassifier(hidden_layer_sizes=(16, 16), dropout=0.0, n_epochs=60,
    ...                       batch_size=32, learning_rate=0.01, random_state=0).fit(X, y)
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(512, 256, 128),
        dropout=0.3,
        batch_norm=False,
        alpha=0.0,
        n_epochs=3,
        batch_size=1024,
        learning_rate=1e-3,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _check_params(self) -> None:
        check_bool(self.batch_norm, "batch_norm")
        if self.batch_norm and check_positive_int(self.batch_size, "batch_size") < 2:
            raise ValueError(
                "batch_norm=True needs batch_size >= 2 to estimate a variance per batch; raise "
                "batch_size or set batch_norm=False"
            )

    def _encode(self, X, *, fitting: bool) -> np.ndarray:
        if not fitting:
            return _check_X_for_predict(self, X)
        X = _check_features(X)
        self.n_features_in_ = X.shape[1]
        return X

    def _build_network(self, inputs, rng) -> _MLPNetwork:
        tower = mlp(
            inputs.shape[1],
            check_layer_sizes(self.hidden_layer_sizes),
            dropout=float(self.dropout),
            batch_norm=bool(self.batch_norm),
            rng=rng,
        )
        return _MLPNetwork(tower)
