"""LambdaMART from scratch: histogram gradient-boosted trees fitted to lambda gradients.

Each boosting round computes the LambdaRank gradients of the current scores
(:mod:`mlref.ltr.lambdas`), grows one regression tree depth-wise on (gradient, Hessian)
histograms, and adds its Newton leaf values, shrunk by the learning rate, to the scores. The trees
come from :mod:`mlref.models.histogram_tree`, shared with the gradient-boosting classifier.
"""

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state as as_random_state
from sklearn.utils.validation import check_is_fitted

from mlref._compiled import compiled_enabled
from mlref._validation import (
    check_array_2d,
    check_n_features,
    check_positive_int,
    check_real,
    check_seed,
)
from mlref.ltr import _lambda_kernels as kernels
from mlref.ltr.groups import check_ranking_data
from mlref.ltr.lambdas import (
    _discount,
    inverse_ideal_dcg,
    lambdas_from_pair_weights,
    pair_weights_delta_ndcg,
    ranks_within_query,
)
from mlref.metrics.ranking import exponential_gain, ndcg_at_k
from mlref.models.histogram_tree import (
    grow_histogram_tree,
    make_bins,
    predict_forest,
)


class _XGBoostNDCGObjective:
    """Gradient and Hessian of XGBoost's ``rank:ndcg`` (3.x defaults), see LambdaMART Notes.

    Everything that depends on the labels alone (the pairs, their gain differences and the
    queries' 1 / IDCG) is computed once; each round only ranks the current scores.
    :func:`mlref.ltr.lambdas.pair_weights_delta_ndcg` computes the same swap costs from scratch.
    """

    def __init__(self, y_sorted, groups, ndcg_at):
        self.groups, self.ndcg_at = groups, ndcg_at
        self.i, self.j = groups.pairs(y_sorted)
        gain = exponential_gain(y_sorted, "y")
        inverse_idcg = inverse_ideal_dcg(y_sorted, groups, k=ndcg_at)
        self.query = groups.position[self.i]
        self.pair_scale = np.abs(gain[self.i] - gain[self.j]) * inverse_idcg[self.query]

    def __call__(self, scores_sorted):
        if compiled_enabled():
            return self._compiled(scores_sorted)
        groups, i, j, query = self.groups, self.i, self.j, self.query
        ranks = ranks_within_query(scores_sorted, groups)
        delta = self.pair_scale * np.abs(_discount(ranks[i]) - _discount(ranks[j]))
        if self.ndcg_at is not None:
            keep = np.minimum(ranks[i], ranks[j]) < self.ndcg_at
            i, j, query, delta = i[keep], j[keep], query[keep], delta[keep]
        spread = groups.max(scores_sorted) + groups.max(-scores_sorted) > 0
        difference = scores_sorted[i] - scores_sorted[j]
        delta = np.where(spread[query], delta / (np.abs(difference) + 0.01), delta)
        rho = expit(-difference)
        lambdas = delta * rho
        curvature = lambdas * (1.0 - rho)
        n_rows = len(scores_sorted)
        gradient = np.bincount(j, lambdas, n_rows) - np.bincount(i, lambdas, n_rows)
        hessian = np.bincount(i, curvature, n_rows) + np.bincount(j, curvature, n_rows)
        lambda_sum = 2.0 * np.bincount(query, lambdas, minlength=groups.n_queries)
        return _normalised(gradient, hessian, lambda_sum, groups)

    def _compiled(self, scores_sorted):
        """:meth:`__call__` with the pair loop compiled (one pass over the pairs, same floats)."""
        groups = self.groups
        ranks = ranks_within_query(scores_sorted, groups)
        spread = groups.max(scores_sorted) + groups.max(-scores_sorted) > 0
        difference = scores_sorted[self.i] - scores_sorted[self.j]
        gradient, hessian, lambda_sum = kernels.pair_lambdas(
            self.i, self.j, self.query, self.pair_scale, _discount(ranks), ranks, difference,
            expit(-difference), spread, -1 if self.ndcg_at is None else self.ndcg_at,
            len(scores_sorted), groups.n_queries,
        )  # fmt: skip
        return _normalised(gradient, hessian, 2.0 * lambda_sum, groups)


def _normalised(gradient, hessian, lambda_sum, groups):
    """XGBoost's per-query normalisation: scale by ``log2(1 + S) / S`` (S: the query's lambda
    sum), and the Hessian's factor 2."""
    norm = np.ones_like(lambda_sum)
    np.divide(np.log2(1.0 + lambda_sum), lambda_sum, out=norm, where=lambda_sum > 0)
    norm = norm[groups.position]
    return gradient * norm, 2.0 * hessian * norm


def _xgboost_ndcg_objective(y_sorted, scores_sorted, groups, pairs, ndcg_at):
    """The reference: :class:`_XGBoostNDCGObjective` from the public lambda functions."""
    i, j, delta = pair_weights_delta_ndcg(y_sorted, scores_sorted, groups, k=ndcg_at, pairs=pairs)
    query = groups.position[i]
    spread = groups.max(scores_sorted) + groups.max(-scores_sorted) > 0
    delta = np.where(
        spread[query], delta / (np.abs(scores_sorted[i] - scores_sorted[j]) + 0.01), delta
    )
    gradient, hessian = lambdas_from_pair_weights(i, j, delta, scores_sorted)
    lambda_sum = 2.0 * np.bincount(
        query, delta * expit(scores_sorted[j] - scores_sorted[i]), minlength=groups.n_queries
    )
    norm = np.ones_like(lambda_sum)
    np.divide(np.log2(1.0 + lambda_sum), lambda_sum, out=norm, where=lambda_sum > 0)
    return gradient * norm[groups.position], 2.0 * hessian * norm[groups.position]


class LambdaMART(BaseEstimator):
    r"""LambdaMART ranker: histogram gradient-boosted trees on LambdaRank gradients.

    Round :math:`m` computes, for every document, the gradient :math:`g` and Hessian :math:`h` of
    the pairwise NDCG-weighted logistic loss at the current scores, grows a depth-wise tree with
    second-order (XGBoost) split gain and Newton leaf values

    .. math::

        \text{gain} = \tfrac12\Bigl[\frac{G_L^2}{H_L+\lambda} + \frac{G_R^2}{H_R+\lambda}
            - \frac{G^2}{H+\lambda}\Bigr], \qquad w_\text{leaf} = -\frac{G}{H + \lambda},

    and adds ``learning_rate * w_leaf`` to the scores of the documents in each leaf.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees.
    max_depth : int, default 6
        Depth of each tree (depth-wise growth; a node stops early when no split gains).
    learning_rate : float, default 0.1
        Shrinkage (XGBoost's ``eta``).
    subsample : float in (0, 1], default 0.8
        Row subsampling *by row* (not by query), as XGBoost's ``subsample``: for each tree every
        row is kept independently with this probability. The gradients are computed on all rows
        (full rankings); the rows left out are ignored when that tree is grown but still get
        its output added to their scores.
    reg_lambda : float, default 1.0
        L2 penalty :math:`\lambda` on leaf values.
    min_child_weight : float, default 1.0
        Minimum Hessian sum in each child of a split.
    max_bin : int, default 256
        Maximum number of histogram bins per feature (quantile bins, computed once in ``fit``).
    ndcg_at : int or None, default None
        Pair truncation: only pairs with at least one document in the current top ``ndcg_at``
        are used, normalised by IDCG@``ndcg_at`` (XGBoost's ``lambdarank_num_pair_per_sample``
        with ``lambdarank_pair_method="topk"``). ``None`` uses every pair of every query.
    random_state : int, RandomState or None, default None
        Seed of the row subsampling; a fixed value makes ``fit`` deterministic.

    Attributes
    ----------
    estimators_ : list of RegressionTree
        The fitted trees (flat arrays; leaf values include the learning rate).
    feature_importances_ : ndarray of shape (n_features,)
        Total split gain of each feature, normalised to sum to 1 (all zeros if no tree split).
    n_features_in_ : int
    bin_edges_ : list of ndarray
        The histogram cut points of each feature.
    evals_result_ : dict
        ``{"validation_0": {"ndcg@10": [...]}, ...}``, one NDCG@10 per boosting round for each
        ``eval_set`` entry (empty dict without ``eval_set``).

    Notes
    -----
    Matched with ``xgboost.XGBRanker(objective="rank:ndcg")`` of XGBoost 3.2 (see
    :func:`mlref.ltr.xgboost_ranker.xgboost_ranker`, which sets the same options explicitly):

    - Pairs: XGBoost's default ``lambdarank_pair_method="topk"``. Its default truncation is 32
      (``lambdarank_num_pair_per_sample`` unset); the helper sets it to ``ndcg_at``, or to a number
      larger than any query when ``ndcg_at`` is None, so that both sides use the same pairs and
      IDCG. Ranks come from a stable sort of the current scores.
    - Gain :math:`2^y - 1` (``ndcg_exp_gain=True``), discount :math:`1/\log_2(1 + \text{rank})`,
      pairs of equal labels skipped, queries with IDCG 0 contribute nothing.
    - ``lambdarank_score_normalization=True``: within a query whose scores are not all equal,
      :math:`|\Delta\mathrm{NDCG}_{ij}|` is divided by :math:`|s_i - s_j| + 0.01`.
    - ``lambdarank_normalization=True``: each query's gradients and Hessians are multiplied by
      :math:`\log_2(1 + S_q)/S_q` with :math:`S_q = 2\sum_{ij} \lambda_{ij}` (LightGBM's idea).
    - XGBoost's Hessian is *twice* Burges' :math:`|\Delta\mathrm{NDCG}|\rho(1-\rho)`
      (:func:`mlref.ltr.lambdas.lambda_gradients`); we use the same factor 2 since it halves
      the Newton steps and interacts with ``min_child_weight`` and ``reg_lambda``.
    - Trees: ``tree_method="hist"``, ``max_bin=256``, depth-wise growth, ``gamma=0`` (a split
      must improve the loss by more than 1e-6), split condition ``x < threshold`` with thresholds
      taken among observed values, initial score 0 (a constant does not change lambda gradients).
    - Row subsampling per tree, by row, like XGBoost's ``subsample`` (the random draws differ,
      so fits with the same seed are not bit-identical across the two libraries).

    Not matched: XGBoost works in float32 and builds its quantile cuts with a streaming sketch
    (here exact rank-spaced quantiles among the observed values, see ``_bin_edges``); features with
    at most ``max_bin`` distinct values get one bin per value in both. When every feature is like
    that and ``subsample=1``, the two libraries grow the same trees and their scores agree to
    float32 rounding (tested); otherwise they differ by the cut points and random draws only.

    **Row order within a query matters**, in both libraries, even with ``subsample=1``: every
    score starts at 0, so in the first round all documents of a query tie, and the stable sort
    ranks them in input order. The discounts :math:`D(r)` — hence the first tree and every tree
    after it — depend on that order (shuffling rows inside queries moved scores by up to 0.85 on a
    30-query toy set; XGBoost's by 0.61). Breaking ties by expected discount would remove the
    dependence but also the match with XGBoost, so we keep XGBoost's rule: sort rows the same way
    (for example by query id, then a document id) before comparing fits.

    Cost per round: :math:`O(\sum_q n_q^2)` for the pairs plus one pass over the
    (sampled rows x features) bin codes per depth level; the histogram of the larger child of each
    split is the parent's minus the smaller child's.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] > 0.5).astype(float) + (X[:, 0] > 1.0)
    >>> group = np.repeat(np.arange(20), 10)
    >>> model = LambdaMART(n_estimators=20, max_depth=3, random_state=0).fit(X, y, group)
    >>> bool(ndcg_at_k(y, model.predict(X), 10, group) > 0.95)
    True
    >>> int(np.argmax(model.feature_importances_))
    0
    """

    def __init__(
        self,
        *,
        n_estimators=100,
        max_depth=6,
        learning_rate=0.1,
        subsample=0.8,
        reg_lambda=1.0,
        min_child_weight=1.0,
        max_bin=256,
        ndcg_at=None,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.min_child_weight = min_child_weight
        self.max_bin = max_bin
        self.ndcg_at = ndcg_at
        self.random_state = random_state

    def _check_params(self):
        check_positive_int(self.n_estimators, "n_estimators")
        check_positive_int(self.max_depth, "max_depth")
        check_real(self.learning_rate, "learning_rate", low=0, low_inclusive=False)
        check_real(self.subsample, "subsample", low=0, high=1, low_inclusive=False)
        check_real(self.reg_lambda, "reg_lambda", low=0)
        check_real(self.min_child_weight, "min_child_weight", low=0)
        max_bin = check_positive_int(self.max_bin, "max_bin")
        if not 2 <= max_bin <= 65536:
            raise ValueError(f"max_bin must be between 2 and 65536, got {max_bin}")
        if self.ndcg_at is not None:
            check_positive_int(self.ndcg_at, "ndcg_at")
        if self.reg_lambda == 0 and self.min_child_weight == 0:
            raise ValueError(
                "reg_lambda and min_child_weight are both 0, so leaves with zero Hessian would "
                "get infinite values; make one of them positive"
            )

    def fit(self, X, y, group, *, eval_set=None):
        """Fit the trees.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)
            Non-negative relevance grades.
        group : array-like of shape (n_rows,)
            Query id of each row, in any order.
        eval_set : tuple (X, y, group) or list of such tuples, optional
            Data on which NDCG@10 is recorded after every round, in ``evals_result_``.

        Returns
        -------
        self
        """
        self._check_params()
        X, y, groups = check_ranking_data(X, y, group)
        exponential_gain(y, "y")  # refuses grades whose gain 2**y - 1 would overflow
        evals = self._check_eval_set(eval_set, X.shape[1])
        rng = as_random_state(check_seed(self.random_state))

        X_sorted, y_sorted = X[groups.order], y[groups.order]
        bins, self.bin_edges_ = make_bins(X_sorted, self.max_bin)
        objective = _XGBoostNDCGObjective(y_sorted, groups, self.ndcg_at)
        scores = np.zeros(len(y_sorted))
        eval_scores = [np.zeros(len(e[1])) for e in evals]
        self.evals_result_ = {f"validation_{e}": {"ndcg@10": []} for e in range(len(evals))}
        self.estimators_ = []
        all_rows = np.arange(len(y_sorted))
        for _ in range(self.n_estimators):
            gradient, hessian = objective(scores)
            if self.subsample < 1.0:
                sampled = all_rows[rng.random_sample(len(all_rows)) < self.subsample]
            else:
                sampled = all_rows
            tree, tree_output = grow_histogram_tree(
                bins,
                gradient,
                hessian,
                sampled,
                max_depth=self.max_depth,
                reg_lambda=self.reg_lambda,
                min_child_weight=self.min_child_weight,
                learning_rate=self.learning_rate,
            )
            scores += tree_output
            self.estimators_.append(tree)
            for e, (X_eval, y_eval, group_eval) in enumerate(evals):
                eval_scores[e] += tree.predict(X_eval)
                self.evals_result_[f"validation_{e}"]["ndcg@10"].append(
                    float(ndcg_at_k(y_eval, eval_scores[e], 10, group_eval))
                )

        self.n_features_in_ = X.shape[1]
        importances = np.zeros(X.shape[1])
        for tree in self.estimators_:
            internal = tree.feature >= 0
            importances += np.bincount(
                tree.feature[internal], tree.gain[internal], minlength=X.shape[1]
            )
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances
        return self

    @staticmethod
    def _check_eval_set(eval_set, n_features):
        if eval_set is None:
            return []
        if isinstance(eval_set, tuple):
            eval_set = [eval_set]
        checked = []
        for e, entry in enumerate(eval_set):
            if not isinstance(entry, tuple) or len(entry) != 3:
                raise ValueError(
                    f"eval_set[{e}] must be a tuple (X, y, group), got {type(entry).__name__}"
                )
            X_eval, y_eval, _ = check_ranking_data(*entry)
            if X_eval.shape[1] != n_features:
                raise ValueError(
                    f"eval_set[{e}] has {X_eval.shape[1]} features but X has {n_features}"
                )
            checked.append((X_eval, y_eval, np.asarray(entry[2])))
        return checked

    def predict(self, X, group=None):
        """Ranking score of each row (higher = ranked higher); compare within a query only.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
        group : ignored
            Accepted so that every ranker of :mod:`mlref.ltr` can be called as
            ``predict(X, group)``; a tree ensemble scores each document alone.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        check_is_fitted(self, "estimators_")
        X = check_array_2d(X, "X")
        check_n_features(X, self)
        return predict_forest(self.estimators_, X)
