r"""The training loop shared by mlref's binary neural classifiers (MLP, Wide & Deep, DeepFM).

:class:`BinaryNeuralClassifier` owns everything that is the same for the three models: checking
the labels, mini-batch Adam on the mean log-loss plus an L2 penalty,

.. math::

    J(\theta) = \frac{1}{|B|} \sum_{i \in B} \Big[\log\big(1 + e^{z_i}\big) - y_i z_i\Big]
              + \frac{\alpha}{2} \sum_{W} \lVert W \rVert_F^2,

(:math:`z_i` the network's logit, :math:`W` the weight matrices and embedding tables, not the
biases), the loss curves, and prediction in batches. A model only says how to turn ``X`` into the
network's input (:meth:`~BinaryNeuralClassifier._encode`) and how to build the network
(:meth:`~BinaryNeuralClassifier._build_network`).

A network follows the layer protocol of :mod:`mlref.nn.layers` (``forward(x, training=)`` returns
one logit per row, ``backward(d_logits)`` fills ``grads``), and also exposes ``penalized`` (one
bool per array of ``params``: does the L2 term apply to it) and ``bias`` (the array holding the
output bias, started at the training base rate's log-odds, :math:`\log\frac{\bar y}{1 - \bar y}`,
so the first epochs learn the features rather than the click rate).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from mlref._validation import check_positive_int, check_random_state, check_real
from mlref.features.numeric import _record_or_check_columns
from mlref.models.fields import FieldIndexer
from mlref.models.linear import _encode_labels, sigmoid
from mlref.nn.layers import Embedding, Linear, Sequential, check_layer_sizes
from mlref.nn.losses import binary_cross_entropy_with_logits
from mlref.nn.optim import Adam
from mlref.nn.training import iterate_minibatches

__all__ = [
    "BinaryNeuralClassifier",
    "FieldNeuralClassifier",
    "field_embedding",
    "penalty_mask",
]

_PREDICTION_BATCH = 8192
# Standard deviation of the initial field embeddings: with N(0, 1/k) entries an FM term over F
# fields would start with logits of standard deviation about sqrt(F(F-1)/(2k)), ~4 for 16 fields.
_EMBEDDING_INIT_STD = 0.01


def field_embedding(n_ids: int, dim: int, *, rng, init_std: float = _EMBEDDING_INIT_STD):
    """An :class:`~mlref.nn.layers.Embedding` whose weights start at ``N(0, init_std**2)``.

    ``init_std=0`` gives the zero start of a linear model's weights.

    Examples
    --------
    >>> table = field_embedding(10_000, 8, rng=0)
    >>> round(float(table.params[0].std()), 3)
    0.01
    """
    table = Embedding(n_ids, dim, rng=rng)
    table.params[0] *= init_std * np.sqrt(dim)  # the layer draws N(0, 1/dim)
    return table


def penalty_mask(layers) -> list[bool]:
    """One bool per parameter array of ``layers``: True for weight matrices and embeddings.

    Examples
    --------
    >>> from mlref.nn import BatchNorm
    >>> penalty_mask([Embedding(3, 2, rng=0), Linear(2, 1, rng=0), BatchNorm(1)])
    [True, True, False, False, False]
    """
    mask: list[bool] = []
    for layer in layers:
        if isinstance(layer, Sequential):
            mask += penalty_mask(layer.layers)
        elif isinstance(layer, Linear):
            mask += [True, False]
        elif isinstance(layer, Embedding):
            mask += [True]
        else:
            mask += [False] * len(layer.params)
    return mask


def _check_eval_set(eval_set):
    if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
        raise ValueError(
            "eval_set must be a pair (X_val, y_val), e.g. eval_set=(X_val, y_val); got "
            f"{type(eval_set).__name__}"
        )
    return eval_set


class BinaryNeuralClassifier(ClassifierMixin, BaseEstimator):
    """Base class: mini-batch Adam training of a network with one logit per row.

    A subclass declares in its keyword-only ``__init__`` at least ``hidden_layer_sizes``,
    ``dropout``, ``alpha``, ``n_epochs``, ``batch_size``, ``learning_rate`` and ``random_state``
    (scikit-learn needs every parameter in the subclass signature; this class checks them), and
    implements three hooks:

    * ``_check_params(self)``: raise :class:`ValueError` for a bad model-specific parameter;
    * ``_encode(self, X, *, fitting)``: validate ``X`` and return the network input (an array
      with one row per sample); with ``fitting=True`` also learn what the encoding needs and
      record ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame);
    * ``_build_network(self, inputs, rng)``: return a fresh network for these inputs (see the
      module docstring for its protocol), drawing every random number from ``rng``.

    Fitted attributes: ``classes_``, ``network_``, ``loss_curve_`` (mean training log-loss of
    each epoch, averaged over its mini-batches as they were seen, in training mode, without the
    penalty), ``validation_loss_curve_`` (log-loss on ``eval_set`` after each epoch, in
    inference mode, or ``None``), ``n_features_in_``.
    """

    # -- hooks ---------------------------------------------------------------------------------

    def _check_params(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _encode(self, X, *, fitting: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _build_network(self, inputs: np.ndarray, rng: np.random.Generator):  # pragma: no cover
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _objective(self, network, inputs, y01, *, training: bool) -> tuple[float, list]:
        """The mean log-loss of ``inputs``, and the gradient of the objective for each parameter.

        The gradients are those of the whole objective :math:`J` (log-loss plus the L2 term,
        :meth:`_penalty`); the value is the log-loss alone, the figure ``loss_curve_`` reports.
        ``training`` switches dropout and batch statistics on.
        """
        logits = network.forward(inputs, training=training)
        loss = binary_cross_entropy_with_logits(logits, y01)
        network.backward(loss.grad)
        alpha = float(self.alpha)
        grads = [
            g + alpha * p if alpha > 0 and decayed else g
            for p, g, decayed in zip(network.params, network.grads, network.penalized, strict=True)
        ]
        return loss.value, grads

    def _penalty(self, network) -> float:
        """The L2 term :math:`\\tfrac{\\alpha}{2} \\sum \\lVert W \\rVert^2` of the objective."""
        squares = sum(
            float(np.sum(p * p))
            for p, decayed in zip(network.params, network.penalized, strict=True)
            if decayed
        )
        return 0.5 * float(self.alpha) * squares

    def _check_common_params(self) -> None:
        check_positive_int(self.n_epochs, "n_epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_real(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_real(self.alpha, "alpha", low=0.0, hint=" (the L2 penalty; 0 disables it)")
        check_layer_sizes(self.hidden_layer_sizes)
        check_real(self.dropout, "dropout", low=0.0, high=1.0)
        if self.dropout == 1.0:
            raise ValueError("dropout must be < 1; dropout=1 would drop every unit")
        self._check_params()

    def _binary_labels(self, y, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
        classes, y_index = _encode_labels(y, n_samples)
        if classes.size < 2:
            raise ValueError(
                f"y must hold exactly two classes, got 1 class ({classes[0]!s}); fit on data "
                "with both outcomes (e.g. clicks and non-clicks)"
            )
        if classes.size > 2:
            raise ValueError(
                f"y must hold exactly two classes, got {classes.size} classes. Only binary "
                "classification is supported by these click models"
            )
        return classes, y_index.astype(np.float64)

    def _eval_labels(self, y_val, n_samples: int) -> np.ndarray:
        classes, y_index = _encode_labels(y_val, n_samples)
        unknown = np.setdiff1d(classes, self.classes_)
        if unknown.size:
            raise ValueError(
                f"eval_set's y holds labels {unknown.tolist()} not seen in y "
                f"({self.classes_.tolist()}); use the same two labels"
            )
        return (classes[y_index] == self.classes_[1]).astype(np.float64)

    def fit(self, X, y, *, eval_set=None):
        """Train the network by mini-batch Adam.

        Parameters
        ----------
        X : array-like
            Training inputs (see the subclass).
        y : array-like of shape (n_samples,)
            Two class labels (numbers or strings); ``classes_[1]`` is the positive class.
        eval_set : tuple (X_val, y_val), optional
            Data whose log-loss is recorded after every epoch in ``validation_loss_curve_``
            (monitoring only: it never changes the fit).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad parameter, a bad ``X`` (NaN, empty, wrong shape), ``y`` not holding
            exactly two classes, a length mismatch, or a bad ``eval_set``.
        """
        self._check_common_params()
        if y is None:
            raise ValueError("this classifier requires y to be passed, but the target y is None")
        inputs = self._encode(X, fitting=True)
        n_samples = inputs.shape[0]
        self.classes_, y01 = self._binary_labels(y, n_samples)
        if eval_set is not None:
            X_val, y_val = _check_eval_set(eval_set)
            val_inputs = self._encode(X_val, fitting=False)
            val_y01 = self._eval_labels(y_val, val_inputs.shape[0])
        # BatchNorm cannot estimate a variance from a batch of one row while training
        min_batch_rows = 2 if getattr(self, "batch_norm", False) else 1

        rng = check_random_state(self.random_state)
        network = self._build_network(inputs, rng)
        base_rate = y01.mean()
        network.bias[...] = np.log(base_rate) - np.log1p(-base_rate)
        optimizer = Adam(float(self.learning_rate))
        self.loss_curve_, self.validation_loss_curve_ = [], None if eval_set is None else []
        for _ in range(int(self.n_epochs)):
            total, seen = 0.0, 0
            for batch in iterate_minibatches(n_samples, batch_size=int(self.batch_size), rng=rng):
                if batch.size < min_batch_rows:
                    continue  # the row of a last one-row batch is seen in other epochs
                value, grads = self._objective(network, inputs[batch], y01[batch], training=True)
                optimizer.step(network.params, grads)
                total += value * batch.size
                seen += batch.size
            self.loss_curve_.append(total / seen)
            if eval_set is not None:
                val_logits = self._logits(network, val_inputs)
                self.validation_loss_curve_.append(
                    binary_cross_entropy_with_logits(val_logits, val_y01).value
                )
        self.network_ = network
        return self

    @staticmethod
    def _logits(network, inputs: np.ndarray) -> np.ndarray:
        out = np.empty(inputs.shape[0])
        for batch in iterate_minibatches(
            inputs.shape[0], batch_size=_PREDICTION_BATCH, rng=None, shuffle=False
        ):
            out[batch] = network.forward(inputs[batch], training=False)
        return out

    def decision_function(self, X) -> np.ndarray:
        """Logits of the positive class ``classes_[1]``, shape (n_samples,), in inference mode."""
        check_is_fitted(self, "network_")
        return self._logits(self.network_, self._encode(X, fitting=False))

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of ``classes_[0]`` and ``classes_[1]``, shape (n_samples, 2)."""
        z = self.decision_function(X)
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict(self, X) -> np.ndarray:
        """Most probable label: ``classes_[1]`` where the logit is > 0."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(np.int64)]


class FieldNeuralClassifier(BinaryNeuralClassifier):
    """Base of the models whose input is a table of categorical fields (Wide & Deep, DeepFM).

    ``X`` (a DataFrame or 2-D array of hashable values, one column per field) is indexed by a
    :class:`~mlref.models.fields.FieldIndexer` fitted in ``fit`` (``field_indexer_``); the
    network receives the int64 ids of shape (n_samples, n_fields). A subclass declares
    ``embedding_dim`` and ``min_count`` besides the parameters of
    :class:`BinaryNeuralClassifier`.
    """

    def _check_params(self) -> None:
        check_positive_int(self.embedding_dim, "embedding_dim")
        check_positive_int(self.min_count, "min_count")

    def _encode(self, X, *, fitting: bool) -> np.ndarray:
        if fitting:
            self.field_indexer_ = FieldIndexer(min_count=self.min_count)
            ids = self.field_indexer_.fit_transform(X)
        else:
            shape = np.shape(X)
            if len(shape) == 2:  # name this model, not its indexer, in a column mismatch
                _record_or_check_columns(self, X, shape[1], reset=False)
            ids = self.field_indexer_.transform(X)
        if fitting:
            _record_or_check_columns(self, X, ids.shape[1], reset=True)
        return ids
