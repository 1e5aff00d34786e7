r"""Bagging and stacking ensembles from scratch, with the scikit-learn estimator API.

The source (section 4A, "Ensemble methods") names three ways to combine models: *bagging*
(train models on random subsets of the data and average them: it reduces variance), *boosting*
(sequential trees, :mod:`mlref.models.boosting`) and *stacking* (a meta-model trained on the
predictions of level-0 models). This module implements the first and the last:

* :class:`BaggingClassifier` / :class:`BaggingRegressor` fit clones of any base estimator on
  bootstrap samples and average their probabilities or predictions, with an out-of-bag (OOB)
  estimate of the test score for free.
* :class:`StackingClassifier` trains its meta-model on **out-of-fold** predictions of the level-0
  models, then refits the level-0 models on all rows for prediction.

Where the source is loose:

* "Average predictions (regression) or vote (classification)": averaging the predicted
  probabilities (soft voting) is what scikit-learn does and keeps calibrated scores for ranking
  and log-loss; hard votes are used only for base models without ``predict_proba``.
* "Random Forest = Bagging + Decision Trees": a random forest also draws a random subset of
  features at every split, which decorrelates its trees; plain bagged trees share the same
  strong splits near the root and average away less variance.
* "Train meta-model on their predictions": on *which* predictions matters. A level-0 model's
  predictions on its own training rows are optimistic (a deep tree reproduces the labels), so a
  meta-model fitted on them trusts that model far too much. Only out-of-fold predictions behave
  like predictions on new data; :class:`StackingClassifier` uses them by construction.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from mlref._validation import (
    check_array_1d,
    check_array_2d,
    check_bool,
    check_class_labels,
    check_option,
    check_positive_int,
    check_random_state,
    check_real,
    check_same_length,
    check_seed,
)
from mlref.models.linear import LogisticRegression, SoftmaxRegression
from mlref.models.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    _check_predict_data,
)

__all__ = ["BaggingClassifier", "BaggingRegressor", "StackingClassifier"]

_STACK_METHODS = ("auto", "predict_proba", "decision_function")


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------


def _check_has_methods(estimator, name: str, methods) -> None:
    missing = [m for m in methods if not callable(getattr(estimator, m, None))]
    if missing:
        raise ValueError(
            f"{name} must be an estimator with {' and '.join(methods)}, got "
            f"{type(estimator).__name__} without {', '.join(missing)}"
        )


def _seed_from(random_state) -> int | None:
    """An int seed for scikit-learn objects, which do not take a numpy Generator."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    return random_state


# --------------------------------------------------------------------------------------------
# Bagging
# --------------------------------------------------------------------------------------------


class _SingleClassModel:
    """Stands in for a base model whose sample held one class: that class, with probability 1."""

    def __init__(self, class_index: int):
        self.classes_ = np.array([class_index])

    def predict_proba(self, X):
        return np.ones((len(X), 1))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def _resolve_max_samples(max_samples, n_samples: int, bootstrap: bool) -> int:
    if isinstance(max_samples, numbers.Integral) and not isinstance(max_samples, bool):
        if max_samples < 1 or (not bootstrap and max_samples > n_samples):
            limit = "" if bootstrap else f" and <= n_samples={n_samples} without bootstrap"
            raise ValueError(f"max_samples must be an integer >= 1{limit}, got {max_samples}")
        return int(max_samples)
    fraction = check_real(
        max_samples,
        "max_samples",
        low=0.0,
        high=1.0,
        low_inclusive=False,
        hint="; pass a fraction of the rows in (0, 1] or a number of rows",
    )
    return max(1, int(fraction * n_samples))


class _BaseBagging(BaseEstimator):
    def __init__(
        self,
        estimator=None,
        n_estimators=10,
        *,
        max_samples=1.0,
        bootstrap=True,
        oob_score=False,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.random_state = random_state

    def _fit_members(self, X, y, default):
        n_estimators = check_positive_int(self.n_estimators, "n_estimators")
        bootstrap = check_bool(self.bootstrap, "bootstrap")
        oob_score = check_bool(self.oob_score, "oob_score")
        if oob_score and not bootstrap:
            raise ValueError(
                "oob_score=True needs bootstrap=True: without it no row is left out of a sample"
            )
        base = default if self.estimator is None else self.estimator
        _check_has_methods(base, "estimator", ("fit", "predict"))
        n = X.shape[0]
        n_draw = _resolve_max_samples(self.max_samples, n, bootstrap)
        rng = check_random_state(self.random_state)
        self.estimators_, self.estimators_samples_ = [], []
        for _ in range(n_estimators):
            seed = int(rng.integers(np.iinfo(np.int32).max))
            if bootstrap:
                rows = rng.integers(0, n, size=n_draw)
            else:
                rows = np.sort(rng.choice(n, size=n_draw, replace=False))
            member = clone(base, safe=False)
            if hasattr(member, "get_params") and "random_state" in member.get_params(deep=False):
                member.set_params(random_state=seed)
            self.estimators_.append(self._fit_member(member, X[rows], y[rows]))
            self.estimators_samples_.append(rows)
        self.n_features_in_ = X.shape[1]
        if oob_score:
            self._set_oob(X, y)
        return self

    def _fit_member(self, member, X, y):
        return member.fit(X, y)

    def _oob_average(self, X):
        """Mean member output over the members whose sample left each row out (NaN if none)."""
        n = X.shape[0]
        total, count = None, np.zeros(n)
        for member, rows in zip(self.estimators_, self.estimators_samples_, strict=True):
            out_of_bag = np.bincount(rows, minlength=n) == 0
            if not out_of_bag.any():
                continue
            output = self._member_output(member, X[out_of_bag])
            if total is None:
                total = np.zeros((n, *output.shape[1:]))
            total[out_of_bag] += output
            count[out_of_bag] += 1
        if total is None:
            raise ValueError(
                "no row was left out of any bootstrap sample, so there is no out-of-bag "
                "estimate; raise n_estimators or lower max_samples"
            )
        if (count == 0).any():
            warnings.warn(
                f"{int((count == 0).sum())} row(s) are in every bootstrap sample and get no "
                "out-of-bag prediction (NaN); the OOB score uses the other rows. Raise "
                "n_estimators for a full OOB estimate.",
                UserWarning,
                stacklevel=3,
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            average = total / count.reshape(-1, *([1] * (total.ndim - 1)))
        return average, count > 0

    def _mean_output(self, X):
        X = _check_predict_data(self, X)
        return sum(self._member_output(m, X) for m in self.estimators_) / len(self.estimators_)


_BAGGING_PARAMS_DOC = """
    n_estimators : int, default=10
        Number of base models :math:`T`.
    max_samples : int or float, default=1.0
        Rows drawn per model: a number of rows, or a fraction of ``n_samples``
        (``max(1, int(max_samples * n_samples))``).
    bootstrap : bool, default=True
        Draw rows with replacement (bagging); ``False`` draws them without (pasting).
    oob_score : bool, default=False
        Score each row with the models whose sample left it out (needs ``bootstrap=True``).
    random_state : int, numpy.random.Generator or None
        Seeds the row draws and, when the base model has a ``random_state`` parameter, one seed
        per clone.
"""


class BaggingClassifier(ClassifierMixin, _BaseBagging):
    __doc__ = (
        r"""Bagging classifier: base models on bootstrap samples, probabilities averaged.

    Model :math:`t` is a clone of ``estimator`` fitted on the rows :math:`S_t`, drawn with
    replacement; the ensemble averages the class probabilities (soft voting):

    .. math::

        \hat p(c \mid x) = \frac{1}{T} \sum_{t=1}^{T} \hat p_t(c \mid x), \qquad
        \hat p^{\,\mathrm{oob}}(c \mid x_i) = \frac{1}{|\{t : i \notin S_t\}|}
            \sum_{t : i \notin S_t} \hat p_t(c \mid x_i).

    Averaging :math:`T` models whose errors have variance :math:`\sigma^2` and pairwise
    correlation :math:`\rho` leaves a variance of :math:`\rho\sigma^2 + (1-\rho)\sigma^2/T`:
    bagging helps unstable, low-bias models (deep trees) and does little for stable ones
    (logistic regression). A bootstrap sample leaves out about :math:`e^{-1} \approx 37\%` of the
    rows, which the OOB estimate uses as a free validation set.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Any object with ``fit`` and ``predict`` (``predict_proba`` for soft voting);
        ``None`` uses :class:`mlref.models.trees.DecisionTreeClassifier` (fully grown)."""
        + _BAGGING_PARAMS_DOC
        + r"""
    Attributes
    ----------
    classes_ : numpy.ndarray
    estimators_ : list
        The fitted clones, trained on the class *indices* 0..K-1 (as scikit-learn's).
    estimators_samples_ : list of numpy.ndarray
        The rows drawn for each model (with repeats).
    oob_score_ : float
        Accuracy of the OOB probabilities' arg max (only with ``oob_score=True``).
    oob_decision_function_ : numpy.ndarray of shape (n_samples, n_classes)
        OOB class probabilities; NaN for a row in every sample.
    n_features_in_ : int

    Notes
    -----
    A model whose sample holds one class predicts that class with probability 1 (many
    classifiers, mlref's included, refuse to fit one class). A model without ``predict_proba``
    casts a hard vote. scikit-learn passes the bootstrap counts as ``sample_weight`` when the
    base model takes it; this class fits every model on the drawn rows themselves, which works
    for any model and, for mlref's trees with ``min_samples_leaf=1``, grows the same trees.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> model = BaggingClassifier(n_estimators=5, random_state=0).fit(X, [0, 0, 1, 1] * 5)
    >>> model.predict([[0.0], [3.0]]).tolist(), model.predict_proba([[3.0]]).tolist()
    ([0, 1], [[0.0, 1.0]])
    """
    )

    def fit(self, X, y):
        """Fit ``n_estimators`` clones on bootstrap samples of ``X`` and labels ``y``.

        Raises
        ------
        ValueError
            For bad ``X``/``y`` (shape, NaN/inf, length mismatch, one class), an invalid
            option, or an ``estimator`` without ``fit``/``predict``.
        """
        X = check_array_2d(X, "X")
        y = check_class_labels(y, "y")
        check_same_length(X=X, y=y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"y holds only one class ({self.classes_[0]!r}); fit on at least two classes"
            )
        return self._fit_members(X, y_index, DecisionTreeClassifier())

    def _fit_member(self, member, X, y):
        present = np.unique(y)
        return _SingleClassModel(int(present[0])) if present.size == 1 else member.fit(X, y)

    def _member_output(self, member, X):
        """Class probabilities of one model, in the columns of ``classes_``."""
        proba = np.zeros((X.shape[0], self.classes_.size))
        if callable(getattr(member, "predict_proba", None)) and hasattr(member, "classes_"):
            proba[:, np.asarray(member.classes_, dtype=np.intp)] = member.predict_proba(X)
        else:
            proba[np.arange(X.shape[0]), np.asarray(member.predict(X), dtype=np.intp)] = 1.0
        return proba

    def _set_oob(self, X, y_index):
        proba, covered = self._oob_average(X)
        self.oob_decision_function_ = proba
        self.oob_score_ = float(np.mean(np.argmax(proba[covered], axis=1) == y_index[covered]))

    def predict_proba(self, X):
        """Mean over the models of their class probabilities (or one-hot votes)."""
        return self._mean_output(X)

    def predict(self, X):
        """Class with the highest mean probability (first class on ties)."""
        proba = self.predict_proba(X)  # checks the model is fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]


class BaggingRegressor(RegressorMixin, _BaseBagging):
    __doc__ = (
        r"""Bagging regressor: base models on bootstrap samples, predictions averaged.

    .. math::

        \hat y(x) = \frac{1}{T} \sum_{t=1}^{T} \hat y_t(x), \qquad
        \hat y^{\,\mathrm{oob}}(x_i) = \operatorname{mean}_{t : i \notin S_t} \hat y_t(x_i).

    Parameters
    ----------
    estimator : regressor or None, default=None
        Any object with ``fit`` and ``predict``; ``None`` uses
        :class:`mlref.models.trees.DecisionTreeRegressor` (fully grown)."""
        + _BAGGING_PARAMS_DOC
        + r"""
    Attributes
    ----------
    estimators_ : list
    estimators_samples_ : list of numpy.ndarray
    oob_score_ : float
        :math:`R^2` of the OOB predictions (only with ``oob_score=True``).
    oob_prediction_ : numpy.ndarray of shape (n_samples,)
        OOB predictions; NaN for a row in every sample.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 5)
    >>> model = BaggingRegressor(n_estimators=5, random_state=0)
    >>> model.fit(X, [1.0, 1.0, 5.0, 7.0] * 5).predict([[0.0], [3.0]]).tolist()
    [1.0, 7.0]
    """
    )

    def fit(self, X, y):
        """Fit ``n_estimators`` clones on bootstrap samples of ``X`` and real targets ``y``."""
        X = check_array_2d(X, "X")
        y = check_array_1d(y, "y")
        check_same_length(X=X, y=y)
        return self._fit_members(X, y, DecisionTreeRegressor())

    def _member_output(self, member, X):
        return np.asarray(member.predict(X), dtype=np.float64)

    def _set_oob(self, X, y):
        prediction, covered = self._oob_average(X)
        self.oob_prediction_ = prediction
        residual = ((y[covered] - prediction[covered]) ** 2).sum()
        spread = ((y[covered] - y[covered].mean()) ** 2).sum()
        self.oob_score_ = float(1.0 - residual / spread) if spread > 0 else float("nan")

    def predict(self, X):
        """Mean over the models of their predictions."""
        return self._mean_output(X)


# --------------------------------------------------------------------------------------------
# Stacking
# --------------------------------------------------------------------------------------------


class StackingClassifier(ClassifierMixin, BaseEstimator):
    r"""Stacked generalisation: a meta-model on out-of-fold predictions of level-0 models.

    With folds :math:`k(i)` (each row in one test fold), level-0 model :math:`f_m^{(-k)}` is
    fitted without fold :math:`k`, and the meta-model :math:`g` is fitted on

    .. math::

        z_i = \big(f_1^{(-k(i))}(x_i), \ldots, f_M^{(-k(i))}(x_i)\big)
        \;[\,\oplus\, x_i \text{ with passthrough}], \qquad
        \hat p(y \mid x) = g\big(f_1(x), \ldots, f_M(x)\big),

    where :math:`f_m(x)` is the positive-class probability ``predict_proba(x)[:, 1]`` (all
    columns for more than two classes) or ``decision_function(x)``, and the :math:`f_m` used
    at prediction time are refitted on all rows.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Level-0 models with unique names; each needs ``fit`` and the ``stack_method``.
    final_estimator : classifier or None, default=None
        The meta-model; ``None`` uses :class:`mlref.models.linear.LogisticRegression` (two
        classes) or :class:`mlref.models.linear.SoftmaxRegression` (more).
    cv : int, CV splitter, iterable of (train, test) or "prefit", default=5
        An int ``k >= 2`` uses ``StratifiedKFold(k, shuffle=True, random_state=random_state)``;
        a splitter (anything with ``split(X, y)``) or a list of index pairs is used as given, and
        must put every row in exactly one test fold. ``"prefit"`` uses the given, already
        fitted, level-0 models as they are: only valid on rows they never saw (see Notes).
    stack_method : {"auto", "predict_proba", "decision_function"}, default="auto"
        Level-0 output; ``"auto"`` takes ``predict_proba`` where it exists, else
        ``decision_function``.
    passthrough : bool, default=False
        Also give the meta-model the original features.
    random_state : int, numpy.random.Generator or None
        Seeds the fold shuffle when ``cv`` is an int.

    Attributes
    ----------
    classes_ : numpy.ndarray
    estimators_ : list
        Level-0 models refitted on all rows (on class indices 0..K-1), or the prefit ones.
    named_estimators_ : dict of str to estimator
    final_estimator_ : estimator
        The meta-model, fitted on class indices.
    stack_method_ : list of str
        The method used for each level-0 model.
    oof_predictions_ : numpy.ndarray of shape (n_samples, n_stack_columns)
        The level-0 part of the meta-model's training matrix: out-of-fold predictions (or,
        with ``cv="prefit"``, the prefit models' predictions on the training rows).
    n_features_in_ : int

    Notes
    -----
    **Why out-of-fold.** A model's predictions on the rows it was trained on are better than its
    predictions on new rows, by an amount that grows with its capacity: a fully grown tree
    reproduces its training labels exactly. A meta-model fitted on such in-sample predictions
    learns to trust the most overfitted model; at test time that model is no better than the
    others, and the stack is worse than its best member. Out-of-fold predictions are honest
    (each comes from a model that did not see the row), at the price of fitting every level-0
    model ``k + 1`` times. ``cv="prefit"`` reproduces the leak if the prefit models were
    trained on the rows passed to :meth:`fit`; use it only with a held-out blending set.

    The same splitter and estimators give the same predictions as scikit-learn's
    ``StackingClassifier`` (which drops the first probability column for two classes too).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2))
    >>> y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    >>> stack = StackingClassifier(
    ...     [("lr", LogisticRegression()), ("tree", DecisionTreeClassifier(max_depth=2))],
    ...     cv=3, random_state=0,
    ... ).fit(X, y)
    >>> stack.oof_predictions_.shape, stack.predict([[-2.0, 0.0], [2.0, 0.0]]).tolist()
    ((60, 2), [0, 1])
    """

    def __init__(
        self,
        estimators,
        final_estimator=None,
        *,
        cv=5,
        stack_method="auto",
        passthrough=False,
        random_state=None,
    ):
        self.estimators = estimators
        self.final_estimator = final_estimator
        self.cv = cv
        self.stack_method = stack_method
        self.passthrough = passthrough
        self.random_state = random_state

    # ---------------------------------------------------------------- parameter checks

    def _check_estimators(self):
        if not isinstance(self.estimators, list | tuple) or len(self.estimators) == 0:
            raise ValueError(
                "estimators must be a non-empty list of (name, estimator) pairs, got "
                f"{self.estimators!r}"
            )
        for pair in self.estimators:
            if not (isinstance(pair, tuple | list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise ValueError(
                    f"each entry of estimators must be a (name, estimator) pair, got {pair!r}"
                )
        names = [name for name, _ in self.estimators]
        if len(set(names)) != len(names):
            raise ValueError(f"estimator names must be unique, got {names}")
        method = check_option(self.stack_method, "stack_method", _STACK_METHODS)
        methods = []
        for name, estimator in self.estimators:
            _check_has_methods(estimator, f"estimator {name!r}", ("fit",))
            if method == "auto":
                options = [m for m in _STACK_METHODS[1:] if callable(getattr(estimator, m, None))]
                if not options:
                    raise ValueError(
                        f"estimator {name!r} has neither predict_proba nor decision_function; "
                        "stacking needs scores, not labels"
                    )
                methods.append(options[0])
            else:
                _check_has_methods(estimator, f"estimator {name!r}", (method,))
                methods.append(method)
        return names, methods

    def _folds(self, X, y_index):
        n = X.shape[0]
        cv = self.cv
        if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
            if cv < 2:
                raise ValueError(
                    f"cv must be an integer >= 2 (the number of folds), got {cv}; out-of-fold "
                    "predictions need at least two folds"
                )
            counts = np.bincount(y_index)
            if counts.min() < cv:
                rarest = self.classes_[np.argmin(counts)]
                raise ValueError(
                    f"class {rarest!r} has {counts.min()} row(s), fewer than cv={cv} folds, so "
                    "some training fold would miss it; lower cv or collect more rows of it"
                )
            seed = _seed_from(check_seed(self.random_state))
            splitter = StratifiedKFold(cv, shuffle=True, random_state=seed)
            folds = list(splitter.split(X, y_index))
        elif callable(getattr(cv, "split", None)):
            folds = list(cv.split(X, y_index))
        else:
            try:
                folds = [(np.asarray(train), np.asarray(test)) for train, test in cv]
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    "cv must be an int >= 2, a CV splitter with split(X, y), an iterable of "
                    f"(train, test) index arrays or 'prefit'; got {cv!r}"
                ) from exc
        if len(folds) < 2:
            raise ValueError(f"cv must give at least 2 folds, got {len(folds)}")
        tested = np.bincount(np.concatenate([test for _, test in folds]), minlength=n)
        if tested.size != n or not (tested == 1).all():
            raise ValueError(
                "cv must put every row in exactly one test fold (a partition, as KFold does); "
                f"{int((tested != 1).sum())} row(s) are tested never or more than once"
            )
        for k, (train, test) in enumerate(folds):
            if np.intersect1d(train, test).size:
                raise ValueError(
                    f"fold {k} trains on rows it tests; train and test must be disjoint"
                )
        return folds

    # ---------------------------------------------------------------- level-0 outputs

    def _outputs(self, model, method, X, name):
        """Level-0 columns of one fitted model: P(positive) / all probabilities, or scores."""
        n_classes = self.classes_.size
        if hasattr(model, "classes_") and len(model.classes_) != n_classes:
            raise ValueError(
                f"estimator {name!r} was fitted on {len(model.classes_)} of the {n_classes} "
                "classes (a training fold missed a class); use stratified folds or fewer of them"
            )
        output = np.asarray(getattr(model, method)(X), dtype=np.float64)
        if method == "predict_proba" and n_classes == 2:
            output = output[:, 1]
        return output.reshape(X.shape[0], -1)

    def _level0(self, X):
        blocks = [
            self._outputs(model, method, X, name)
            for name, model, method in zip(
                self.named_estimators_, self.estimators_, self.stack_method_, strict=True
            )
        ]
        return np.hstack(blocks)

    def _meta_features(self, level0, X):
        return np.hstack([level0, X]) if self.passthrough else level0

    # ---------------------------------------------------------------- fit / predict

    def fit(self, X, y):
        """Fit the level-0 models out of fold, the meta-model, then refit the level-0 models.

        Raises
        ------
        ValueError
            For bad ``X``/``y``, ``cv < 2``, a class with fewer rows than folds, folds that are
            not a partition, malformed ``estimators``, an unknown ``stack_method``, a level-0
            model without the chosen method, or unfitted models with ``cv="prefit"``.
        """
        X = check_array_2d(X, "X")
        y = check_class_labels(y, "y")
        check_same_length(X=X, y=y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"y holds only one class ({self.classes_[0]!r}); fit on at least two classes"
            )
        names, methods = self._check_estimators()
        check_bool(self.passthrough, "passthrough")
        self.stack_method_ = methods
        if isinstance(self.cv, str):
            check_option(self.cv, "cv", ("prefit",))
            estimators = [estimator for _, estimator in self.estimators]
            for name, estimator in self.estimators:
                try:
                    check_is_fitted(estimator)
                except NotFittedError as exc:
                    raise ValueError(
                        f"cv='prefit' needs fitted estimators, but {name!r} is not fitted; fit "
                        "it first (on other rows) or pass an int cv"
                    ) from exc
                if hasattr(estimator, "classes_") and not np.array_equal(
                    estimator.classes_, self.classes_
                ):
                    raise ValueError(
                        f"prefit estimator {name!r} has classes {list(estimator.classes_)}, but "
                        f"y has {list(self.classes_)}"
                    )
            self.named_estimators_ = dict(zip(names, estimators, strict=True))
            self.estimators_ = estimators
            level0 = self._level0(X)
        else:
            folds = self._folds(X, y_index)
            blocks = []
            for name, (_, estimator), method in zip(names, self.estimators, methods, strict=True):
                block = None
                for train, test in folds:
                    model = clone(estimator).fit(X[train], y_index[train])
                    output = self._outputs(model, method, X[test], name)
                    if block is None:
                        block = np.empty((X.shape[0], output.shape[1]))
                    block[test] = output
                blocks.append(block)
            level0 = np.hstack(blocks)
            self.estimators_ = [
                clone(estimator).fit(X, y_index) for _, estimator in self.estimators
            ]
            self.named_estimators_ = dict(zip(names, self.estimators_, strict=True))
        self.oof_predictions_ = level0
        final = self.final_estimator
        if final is None:
            final = LogisticRegression() if self.classes_.size == 2 else SoftmaxRegression()
        _check_has_methods(final, "final_estimator", ("fit", "predict"))
        self.final_estimator_ = clone(final).fit(self._meta_features(level0, X), y_index)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """The meta-model's input for ``X``: refitted level-0 outputs (and ``X`` if passthrough)."""
        X = _check_predict_data(self, X)
        return self._meta_features(self._level0(X), X)

    def predict_proba(self, X):
        """Class probabilities of the meta-model, columns in the order of ``classes_``."""
        Z = self.transform(X)
        return self.final_estimator_.predict_proba(Z)

    def decision_function(self, X):
        """Scores of the meta-model (its ``decision_function``)."""
        Z = self.transform(X)
        _check_has_methods(self.final_estimator_, "final_estimator", ("decision_function",))
        return self.final_estimator_.decision_function(Z)

    def predict(self, X):
        """The meta-model's predicted class, as a label of ``classes_``."""
        Z = self.transform(X)
        return self.classes_[np.asarray(self.final_estimator_.predict(Z), dtype=np.intp)]
