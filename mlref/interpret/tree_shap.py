r"""Exact TreeSHAP (path-dependent), vectorised over rows and leaves.

The path-dependent value of a coalition :math:`S` of features is the tree's output when the
features in :math:`S` are fixed at the row's values and the others are integrated out along the
tree with the training covers: at a split on a feature outside :math:`S` both children are
followed, weighted by ``cover[child] / cover[node]`` (Lundberg et al., 2020, Algorithm 1).

So each leaf :math:`\ell` (value :math:`v_\ell`, path features :math:`U_\ell`, :math:`m = |U_\ell|`)
contributes a **product game** :math:`v_\ell \prod_{j \in S} o_j \prod_{j \in U_\ell \setminus S}
z_j` where :math:`z_j` is the product of the cover fractions of the path's splits on :math:`j`
and :math:`o_j \in \{0, 1\}` says whether the row follows all of them. Its Shapley value is

.. math::

    \phi_i = v_\ell\,(o_i - z_i) \sum_{k=0}^{m-1} \frac{k!\,(m-1-k)!}{m!}\, e_k,
    \qquad \sum_k e_k t^k = \prod_{j \in U_\ell,\, j \ne i} (z_j + o_j t),

and a tree's SHAP values are the sum over its leaves. Lundberg's recursive algorithm computes
the same polynomial incrementally while walking the tree (its "extend" and "unwind"). Here the
polynomial of every leaf is built at once and the factor of feature :math:`i` is divided out
(exactly: :math:`0 < z_i \le 1`), for all leaves of the same path length together. Since the
:math:`o_j` are 0 or 1, a leaf's Shapley values take at most :math:`2^m` distinct values: they
are tabulated once per leaf, and explaining a row reduces to finding, for each leaf, which of its
path features the row follows (a bit pattern) and adding the tabulated values.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import scipy.sparse as sp

from mlref._validation import check_array_2d
from mlref.interpret._trees import Ensemble, accepts_missing, read_ensemble, xgboost_base_margin

__all__ = ["Attribution", "tree_shap"]

_BLOCK_ELEMENTS = 2_000_000  # rows x slots per block of work (about 16 MB per float array)
_MAX_PATTERN_BITS = 10  # leaves with longer paths are computed row by row, not tabulated
_MAX_TABLE_ELEMENTS = 16_000_000  # at most 128 MB for one group's table


@dataclass(frozen=True)
class Attribution:
    r"""Feature attributions of some rows.

    Attributes
    ----------
    phi : numpy.ndarray of shape (n_rows, n_features)
        Contribution :math:`\phi_i` of each feature to each row's output (shap calls these
        ``values``).
    base_value : float
        The output when no feature is known (the expectation the contributions start from);
        ``base_value + phi.sum(axis=1)`` is the explained output (additivity).
    """

    phi: np.ndarray
    base_value: float

    def output(self) -> np.ndarray:
        """``base_value + phi.sum(axis=1)``, the outputs the attributions add up to."""
        return self.base_value + self.phi.sum(axis=1)


@dataclass(frozen=True)
class _LeafGroup:
    """All leaves whose path has ``m`` distinct features (each is a "slot" of the leaf).

    A row follows slot ``j`` of a leaf (one-fraction 1) when it passes every split of the path
    on that feature, i.e. when its value lies in ``(lower, upper)`` with the path's bounds
    (``lower <= x < upper`` for strict splits), or, if the value is missing, when every split
    on the feature sends missing values the way the path goes (``nan_follows``).
    """

    m: int
    value: np.ndarray  # (L,)
    zero_fraction: np.ndarray  # (L, m)
    slot_feature: np.ndarray  # (L, m) feature of each slot
    lower: np.ndarray  # (L, m) largest threshold the path passes to the right (or -inf)
    upper: np.ndarray  # (L, m) smallest threshold the path passes to the left (or +inf)
    nan_follows: np.ndarray  # (L, m) bool

    def leaves(self, part: slice) -> _LeafGroup:
        return _LeafGroup(
            self.m,
            self.value[part],
            self.zero_fraction[part],
            self.slot_feature[part],
            self.lower[part],
            self.upper[part],
            self.nan_follows[part],
        )


def _paths(ensemble: Ensemble):
    """Per leaf: value, [(feature, zero fraction, threshold, default left, went left), ...]."""
    for tree in ensemble.trees:
        stack = [(0, ())]
        while stack:
            node, path = stack.pop()
            feature = tree.feature[node]
            if feature < 0:
                yield tree.value[node] * ensemble.scale, path
                continue
            parent_cover = tree.cover[node]
            threshold, default = float(tree.threshold[node]), bool(tree.default_left[node])
            for child, went_left in ((tree.left[node], True), (tree.right[node], False)):
                fraction = tree.cover[child] / parent_cover if parent_cover > 0 else 0.0
                step = (int(feature), fraction, threshold, default, went_left)
                stack.append((child, (*path, step)))


def _compile(ensemble: Ensemble) -> tuple[list[_LeafGroup], float]:
    """Leaf groups by path length, and the expected output (the base value)."""
    by_m: dict[int, list] = {}
    expected = ensemble.base
    for value, path in _paths(ensemble):
        slots: dict[int, list] = {}  # feature -> [zero fraction, lower, upper, nan follows]
        for feature, fraction, threshold, default, went_left in path:
            slot = slots.get(feature)
            if slot is None:
                slot = slots[feature] = [1.0, -np.inf, np.inf, 1.0]
            slot[0] *= fraction
            if went_left:
                slot[2] = min(slot[2], threshold)
            else:
                slot[1] = max(slot[1], threshold)
            if default != went_left:
                slot[3] = 0.0
        zero = 1.0
        for slot in slots.values():
            zero *= slot[0]
        expected += value * zero
        if slots:
            features, numbers, values = by_m.setdefault(len(slots), ([], [], []))
            features.extend(slots)
            for slot in slots.values():
                numbers.extend(slot)
            values.append(value)
    groups = []
    for m in sorted(by_m):
        features, numbers, values = by_m[m]
        slots = np.array(numbers).reshape(-1, m, 4)
        groups.append(
            _LeafGroup(
                m,
                np.array(values),
                slots[..., 0],
                np.array(features, dtype=np.intp).reshape(-1, m),
                slots[..., 1],
                slots[..., 2],
                slots[..., 3] > 0,
            )
        )
    return groups, expected


def _follows(group: _LeafGroup, X: np.ndarray, strict: bool) -> np.ndarray:
    """(rows, L, m) bool: does each row follow each slot of each leaf."""
    x = X[:, group.slot_feature]
    if strict:  # a row goes left when x < threshold
        inside = (x >= group.lower) & (x < group.upper)
    else:  # when x <= threshold
        inside = (x > group.lower) & (x <= group.upper)
    return inside | (np.isnan(x) & group.nan_follows)


def _shapley_weights(m: int) -> np.ndarray:
    return np.array([factorial(k) * factorial(m - 1 - k) / factorial(m) for k in range(m)])


def _group_contributions(group: _LeafGroup, one: np.ndarray) -> np.ndarray:
    """(rows, L, m) Shapley values of the product games of one group's leaves."""
    m = group.m
    z = group.zero_fraction[None]  # (1, L, m)
    # Coefficients of prod_j (z_j + o_j t), degree 0..m, for every row and leaf.
    poly = np.zeros((*one.shape[:2], m + 1))
    poly[..., 0] = 1.0
    for j in range(m):
        shifted = poly[..., :-1] * one[..., j, None]
        poly *= z[..., j, None]
        poly[..., 1:] += shifted
    weights = _shapley_weights(m)
    out = np.empty(one.shape)
    for i in range(m):
        zi, oi = z[..., i], one[..., i]
        # Divide out (z_i + o_i t): by z_i when o_i = 0; synthetic division by (t + z_i) when 1.
        safe_z = np.where(zi > 0, zi, 1.0)
        by_zero = poly[..., :m] / safe_z[..., None]
        quotient = np.empty_like(by_zero)
        quotient[..., m - 1] = poly[..., m]
        for k in range(m - 1, 0, -1):
            quotient[..., k - 1] = poly[..., k] - zi * quotient[..., k]
        quotient = np.where(oi[..., None] > 0, quotient, by_zero)
        out[..., i] = (oi - zi) * (quotient @ weights)
    return out * group.value[None, :, None]


def _pattern_table(group: _LeafGroup) -> np.ndarray:
    r"""(L * 2^m, m) contributions of each leaf for each pattern of followed slots.

    A leaf's product game depends on the row only through which of its ``m`` path features the
    row follows (the one-fractions are 0 or 1), so its Shapley values take at most ``2^m``
    values, computed once here for all leaves of the group. With :math:`A` the followed slots,
    :math:`Z_B = \prod_{j \notin A} z_j`, :math:`P_A(t) = \prod_{j \in A} (z_j + t)` and
    :math:`Q_A = \sum_k w_k [t^k] P_A`, the formula of :func:`_group_contributions` becomes

    .. math::

        \phi_i = v\,Z_B \times \begin{cases} (1 - z_i)\, Q_{A \setminus i} & i \in A \\
        -Q_A & i \notin A \end{cases}

    and every :math:`P_A` is :math:`P_{A \setminus j}` times one factor, so all :math:`2^m` of
    them cost :math:`O(2^m m)` per leaf, not :math:`O(2^m m^2)` (tested equal to the per-row
    polynomial).
    """
    m, n_leaves = group.m, group.value.size
    n_patterns = 1 << m
    weights = np.append(_shapley_weights(m), 0.0)  # P_A with |A| = m is never used
    pattern = np.arange(n_patterns)
    table = np.empty((n_leaves, n_patterns, m))
    chunk = max(1, _BLOCK_ELEMENTS // (n_patterns * (m + 1)))
    for start in range(0, n_leaves, chunk):
        leaves = slice(start, start + chunk)
        z = group.zero_fraction[leaves]  # (l, m)
        # poly[A] = coefficients of P_A; followed[A] = prod_{j in A} z_j; built bit by bit.
        poly = np.zeros((n_patterns, z.shape[0], m + 1))
        poly[0, :, 0] = 1.0
        followed = np.ones((n_patterns, z.shape[0]))
        for j in range(m):
            low, high = slice(0, 1 << j), slice(1 << j, 2 << j)
            poly[high] = poly[low] * z[None, :, j, None]
            poly[high, :, 1:] += poly[low, :, :-1]
            followed[high] = followed[low] * z[None, :, j]
        q = poly @ weights  # (2^m, l)
        z_missed = followed[n_patterns - 1 - pattern]  # Z_B: product over the complement
        scale = group.value[leaves][None, :] * z_missed
        for i in range(m):
            bit = ((pattern >> i) & 1).astype(bool)[:, None]
            with_i = (1.0 - z[None, :, i]) * q[pattern ^ (1 << i)]
            table[leaves, :, i] = (np.where(bit, with_i, -q) * scale).T
    return table.reshape(-1, m)


def _slots_to_features(slot_feature: np.ndarray, d: int) -> sp.csr_matrix:
    size = slot_feature.size
    return sp.csr_matrix((np.ones(size), (np.arange(size), slot_feature.ravel())), shape=(size, d))


def tree_shap(model, X, *, data=None) -> Attribution:
    r"""Exact path-dependent TreeSHAP values of a tree ensemble.

    Equal to ``shap.TreeExplainer(model).shap_values(X)`` (its default
    ``feature_perturbation="tree_path_dependent"``), in the model's raw output space: the
    margin (log-odds) for boosted classifiers, the positive-class probability for the course's
    decision trees and random forests.

    .. math::

        f(x) = \phi_0 + \sum_{i=1}^{d} \phi_i(x),\qquad
        \phi_0 = \mathbb{E}_{\text{cover}}[f]

    Parameters
    ----------
    model : XGBoost model or Booster, a fitted scikit-learn or mlref tree model
        ``xgboost.XGBClassifier``/``XGBRegressor``/``XGBRanker``/``Booster`` with one output;
        scikit-learn's ``DecisionTreeClassifier``/``Regressor``, ``RandomForest*`` and
        ``GradientBoosting*`` (binary classifiers, one output; the probability for trees and
        forests, the log-odds margin for gradient boosting, as shap);
        :class:`mlref.models.DecisionTreeClassifier`/``Regressor``, ``RandomForest*``,
        ``GradientBoosting*`` or :class:`mlref.ltr.LambdaMART`.
    X : array-like of shape (n_rows, n_features)
        Rows to explain. NaN marks a missing value for XGBoost models only (it follows each
        split's default direction, as in XGBoost's own predictions); impute it for the others.
    data : array-like of shape (n_background, n_features), optional
        Only for trees that store no training covers (histogram boosting, LambdaMART): the
        covers are counted on these rows (normally the training set).

    Returns
    -------
    Attribution
        ``phi`` (n_rows, n_features) and ``base_value``; they add up to the model's output.

    Raises
    ------
    ValueError
        For an unsupported model (use :func:`mlref.interpret.kernel_shap`), a multi-output or
        multiclass model, ``X`` with another number of features than the model, inf, NaN for a
        model that is not XGBoost, or histogram trees without ``data``.

    Examples
    --------
    >>> import numpy as np, xgboost
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = X[:, 0] + X[:, 1] * X[:, 2]
    >>> model = xgboost.XGBRegressor(n_estimators=5, max_depth=3).fit(X, y)
    >>> phi = tree_shap(model, X[:4])
    >>> bool(np.allclose(phi.output(), model.predict(X[:4], output_margin=True), atol=1e-5))
    True
    """
    X = check_array_2d(X, "X", allow_nan=True)
    if not accepts_missing(model) and np.isnan(X).any():
        raise ValueError(
            "X holds NaN values; only XGBoost models route a missing value (along each split's "
            "default direction): impute X first for this model"
        )
    ensemble, booster = read_ensemble(model, X)
    if X.shape[1] != ensemble.n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting {ensemble.n_features} "
            "features as input (as in fit); pass the same columns"
        )
    if ensemble.needs_cover:
        if data is None:
            raise ValueError(
                "model's histogram trees store no training covers; pass data= (the training "
                "rows) to count them on"
            )
        data = check_array_2d(data, "data")
        if data.shape[1] != ensemble.n_features:
            raise ValueError(
                f"data has {data.shape[1]} features, but the model is expecting "
                f"{ensemble.n_features}; pass rows with the same columns as X"
            )
        ensemble = ensemble.with_covers_from(data)
    if booster is not None:
        base = xgboost_base_margin(booster, ensemble, X)
        ensemble = Ensemble(
            ensemble.trees,
            base,
            1.0,
            ensemble.strict,
            ensemble.float32,
            ensemble.n_features,
        )
    groups, expected = _compile(ensemble)
    Xp = ensemble.prepare(X)
    n, d = Xp.shape
    values = np.zeros((n, d))
    # Tabulate a group when its 2^m patterns cost less than a polynomial per row and leaf.
    tables = [
        _pattern_table(g)
        if g.m <= _MAX_PATTERN_BITS
        and (1 << g.m) <= g.m * n
        and g.value.size * (1 << g.m) * g.m <= _MAX_TABLE_ELEMENTS
        else None
        for g in groups
    ]
    # Blocks of rows x leaves keep the working arrays near _BLOCK_ELEMENTS; walking the leaves
    # of a block row-fastest keeps each leaf's table slice in cache.
    block = min(n, 256)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        x = Xp[rows]
        for group, table in zip(groups, tables, strict=True):
            m, n_leaves = group.m, group.value.size
            chunk = max(1, _BLOCK_ELEMENTS // (x.shape[0] * m * (m if table is None else 1)))
            for first in range(0, n_leaves, chunk):
                part = slice(first, first + chunk)
                leaves = group.leaves(part)
                follows = _follows(leaves, x, ensemble.strict)  # (rows, l, m)
                if table is None:  # long paths, few rows: the polynomial of every row
                    gathered = _group_contributions(leaves, follows.astype(np.float64))
                    gathered = gathered.transpose(1, 2, 0)  # (l, m, rows)
                else:
                    codes = follows.astype(np.intp) @ (1 << np.arange(m))  # (rows, l)
                    leaf_ids = np.arange(first, first + leaves.value.size)[:, None]
                    gathered = table[(leaf_ids << m) + codes.T].transpose(0, 2, 1)
                to_features = _slots_to_features(leaves.slot_feature, d)  # (l * m, d)
                values[rows] += (to_features.T @ gathered.reshape(-1, x.shape[0])).T
    return Attribution(values, float(expected))
