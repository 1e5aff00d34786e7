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

_BLOCK_ELEMENTS = 2_000_000  # rows x (edges + slots) per block (about 16 MB per array)
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
    """All leaves whose path has ``m`` distinct features."""

    m: int
    value: np.ndarray  # (L,)
    zero_fraction: np.ndarray  # (L, m)
    slot_feature: np.ndarray  # (L, m) feature of each slot
    slot_offset: int  # first global slot id of this group


def _paths(ensemble: Ensemble):
    """Per leaf: value, [(feature, zero fraction, [(global node, went left), ...]), ...]."""
    node_offset = 0
    for tree in ensemble.trees:
        stack = [(0, ())]
        while stack:
            node, path = stack.pop()
            feature = tree.feature[node]
            if feature < 0:
                yield tree.value[node] * ensemble.scale, path
                continue
            parent_cover = tree.cover[node]
            for child, went_left in ((tree.left[node], True), (tree.right[node], False)):
                fraction = tree.cover[child] / parent_cover if parent_cover > 0 else 0.0
                step = (int(feature), fraction, node_offset + int(node), went_left)
                stack.append((child, (*path, step)))
        node_offset += tree.feature.size


def _compile(ensemble: Ensemble):
    """Leaf groups by path length, plus the edges that decide each slot's one-fraction."""
    by_m: dict[int, list] = {}
    expected = ensemble.base
    for value, path in _paths(ensemble):
        slots: dict[int, list] = {}
        for feature, fraction, node, went_left in path:
            entry = slots.setdefault(feature, [1.0, []])
            entry[0] *= fraction
            entry[1].append((node, went_left))
        expected += value * np.prod([entry[0] for entry in slots.values()])
        if slots:
            by_m.setdefault(len(slots), []).append((value, slots))
    groups, edge_node, edge_left, edge_slot = [], [], [], []
    offset = 0
    for m in sorted(by_m):
        leaves = by_m[m]
        features = np.array([list(slots) for _, slots in leaves], dtype=np.intp)
        zero = np.array([[e[0] for e in slots.values()] for _, slots in leaves])
        for leaf, (_, slots) in enumerate(leaves):
            for position, entry in enumerate(slots.values()):
                for node, went_left in entry[1]:
                    edge_node.append(node)
                    edge_left.append(went_left)
                    edge_slot.append(offset + leaf * m + position)
        values = np.array([v for v, _ in leaves])
        groups.append(_LeafGroup(m, values, zero, features, offset))
        offset += len(leaves) * m
    incidence = sp.csr_matrix(
        (np.ones(len(edge_slot)), (np.arange(len(edge_slot)), edge_slot)),
        shape=(len(edge_slot), offset),
    )
    edges = np.array(edge_node, dtype=np.intp), np.array(edge_left, dtype=bool)
    return groups, *edges, incidence, expected


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
    """(L * 2^m, m) contributions of each leaf for each pattern of followed slots.

    A leaf's product game depends on the row only through which of its ``m`` path features the
    row follows (the one-fractions are 0 or 1), so its Shapley values take at most ``2^m``
    values, computed once here for all leaves of the group.
    """
    m, n_leaves = group.m, group.value.size
    bits = ((np.arange(1 << m)[:, None] >> np.arange(m)) & 1).astype(np.float64)
    one = np.broadcast_to(bits[:, None, :], (bits.shape[0], n_leaves, m))
    contributions = _group_contributions(group, one)  # (patterns, L, m)
    return np.ascontiguousarray(contributions.transpose(1, 0, 2)).reshape(-1, m)


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
            allows_nan=True,
        )
    groups, edge_node, edge_left, incidence, expected = _compile(ensemble)
    Xp = ensemble.prepare(X)
    n, d = Xp.shape
    values = np.zeros((n, d))
    if not groups:
        return Attribution(values, float(expected))
    all_feature = np.concatenate([t.feature for t in ensemble.trees])
    all_threshold = np.concatenate([t.threshold for t in ensemble.trees])
    all_default = np.concatenate([t.default_left for t in ensemble.trees])
    feature = all_feature[edge_node]
    threshold = all_threshold[edge_node]
    default = all_default[edge_node]
    scatter = [_slots_to_features(g.slot_feature, d) for g in groups]
    # Tabulate a group when its 2^m patterns are fewer than the rows and the table fits memory.
    tables = [
        _pattern_table(g)
        if g.m <= _MAX_PATTERN_BITS
        and (1 << g.m) <= n
        and g.value.size * (1 << g.m) * g.m <= _MAX_TABLE_ELEMENTS
        else None
        for g in groups
    ]
    # Pattern code of each leaf for a row: bit p set when the row follows slot p's splits.
    n_slots = incidence.shape[1]
    slot_bit = np.concatenate([np.tile(2.0 ** np.arange(g.m), g.value.size) for g in groups])
    leaf_start = np.cumsum([0] + [g.value.size for g in groups])
    slot_leaf = np.concatenate(
        [leaf_start[k] + np.repeat(np.arange(g.value.size), g.m) for k, g in enumerate(groups)]
    )
    to_codes = sp.csr_matrix(
        (slot_bit, (np.arange(n_slots), slot_leaf)), shape=(n_slots, leaf_start[-1])
    )
    edges_to_slots = incidence.T.tocsr()
    block = max(1, _BLOCK_ELEMENTS // max(n_slots + len(edge_node), 1))
    for start in range(0, n, block):
        x = Xp[start : start + block][:, feature]
        left = x < threshold if ensemble.strict else x <= threshold
        if ensemble.float32:
            left |= np.isnan(x) & default
        failed = (left != edge_left).astype(np.float64)
        # A slot's one-fraction is 1 when the row follows every split on its feature.
        one = np.asarray((edges_to_slots @ failed.T).T == 0, dtype=np.float64)
        codes = np.asarray((to_codes.T @ one.T).T).astype(np.intp)
        rows = slice(start, start + block)
        for k, (group, table, to_features) in enumerate(zip(groups, tables, scatter, strict=True)):
            if table is None:  # long paths (deep trees): the polynomial of every row
                o = one[:, group.slot_offset : group.slot_offset + group.value.size * group.m]
                gathered = _group_contributions(group, o.reshape(o.shape[0], -1, group.m))
            else:
                leaf_codes = codes[:, leaf_start[k] : leaf_start[k + 1]]
                gathered = table[np.arange(group.value.size) * (1 << group.m) + leaf_codes]
            values[rows] += (to_features.T @ gathered.reshape(gathered.shape[0], -1).T).T
    return Attribution(values, float(expected))
