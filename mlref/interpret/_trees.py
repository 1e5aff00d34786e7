"""Read a fitted tree ensemble into one flat layout that the tree explainers walk.

Supported: XGBoost (``XGBClassifier``/``XGBRegressor``/``XGBRanker`` or a ``Booster``, one output,
``gbtree``; missing values follow each split's default direction), scikit-learn's
``DecisionTree*``, ``RandomForest*`` and ``GradientBoosting*`` (one output, binary classifiers),
and the course's own trees (:mod:`mlref.models.trees`: decision trees, random
forests, gradient boosting with ``tree_method="exact"``; and, given data to count the covers
on, the histogram trees of boosting with ``tree_method="hist"`` and of
:class:`mlref.ltr.LambdaMART`). Anything else raises :class:`ValueError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mlref.models.histogram_tree import RegressionTree
from mlref.models.trees import FlatTree


@dataclass(frozen=True)
class Tree:
    """One tree as flat arrays; ``feature == -1`` at leaves."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    default_left: np.ndarray  # where a missing value goes (XGBoost only; NaN never reaches others)
    value: np.ndarray  # leaf output (0 at internal nodes)
    cover: np.ndarray  # training weight reaching each node (Hessian sum for boosted trees)


@dataclass(frozen=True)
class Ensemble:
    """A sum of trees: ``output(x) = base + scale * sum_t tree_t(x)``.

    ``strict`` says whether a row goes left when ``x < threshold`` (XGBoost, histogram trees) or
    when ``x <= threshold`` (CART); ``float32`` whether features are rounded to float32 first
    (XGBoost compares in float32).
    """

    trees: list[Tree]
    base: float
    scale: float
    strict: bool
    float32: bool
    n_features: int
    needs_cover: bool = False

    def leaves(self, tree: Tree, X: np.ndarray) -> np.ndarray:
        """Leaf reached by each row, one vectorised step per level."""
        node = np.zeros(X.shape[0], dtype=np.intp)
        while True:
            internal = np.flatnonzero(tree.feature[node] >= 0)
            if internal.size == 0:
                return node
            at = node[internal]
            x = X[internal, tree.feature[at]]
            left = x < tree.threshold[at] if self.strict else x <= tree.threshold[at]
            if self.float32:
                left |= np.isnan(x) & tree.default_left[at]
            node[internal] = np.where(left, tree.left[at], tree.right[at])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The ensemble's output (margin for boosting, mean leaf value for forests)."""
        X = self.prepare(X)
        total = np.zeros(X.shape[0])
        for tree in self.trees:
            total += tree.value[self.leaves(tree, X)]
        return self.base + self.scale * total

    def prepare(self, X: np.ndarray) -> np.ndarray:
        return X.astype(np.float32).astype(np.float64) if self.float32 else X

    def with_covers_from(self, data: np.ndarray) -> Ensemble:
        """The same trees with each node's cover counted as the rows of ``data`` reaching it."""
        data = self.prepare(data)
        trees = []
        for tree in self.trees:
            counts = np.bincount(self.leaves(tree, data), minlength=tree.feature.size)
            cover = counts.astype(np.float64)
            # Children have larger breadth-first ids than their parent: sum bottom-up.
            for node in np.flatnonzero(tree.feature >= 0)[::-1]:
                cover[node] = cover[tree.left[node]] + cover[tree.right[node]]
            trees.append(_replace_cover(tree, cover))
        return Ensemble(
            trees,
            self.base,
            self.scale,
            self.strict,
            self.float32,
            self.n_features,
            False,
        )


def _replace_cover(tree: Tree, cover: np.ndarray) -> Tree:
    return Tree(
        tree.feature,
        tree.threshold,
        tree.left,
        tree.right,
        tree.default_left,
        tree.value,
        cover,
    )


def _from_flat(tree: FlatTree, column: int) -> Tree:
    is_leaf = tree.feature < 0
    return Tree(
        feature=np.where(is_leaf, -1, tree.feature).astype(np.intp),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        left=np.asarray(tree.children_left, dtype=np.intp),
        right=np.asarray(tree.children_right, dtype=np.intp),
        default_left=np.zeros(tree.feature.size, dtype=bool),
        value=np.where(is_leaf, tree.value[:, column], 0.0),
        cover=np.asarray(tree.n_node_samples, dtype=np.float64),
    )


def _from_histogram(tree: RegressionTree) -> Tree:
    is_leaf = tree.feature < 0
    return Tree(
        feature=np.where(is_leaf, -1, tree.feature).astype(np.intp),
        threshold=np.where(is_leaf, 0.0, tree.threshold).astype(np.float64),
        left=np.asarray(tree.left, dtype=np.intp),
        right=np.asarray(tree.right, dtype=np.intp),
        default_left=np.zeros(tree.feature.size, dtype=bool),
        value=np.where(is_leaf, tree.value, 0.0).astype(np.float64),
        cover=np.zeros(tree.feature.size),
    )


def _xgboost_booster(model):
    try:
        import xgboost
    except ImportError:  # pragma: no cover - xgboost is a dependency of mlref
        return None
    if isinstance(model, xgboost.Booster):
        return model
    if isinstance(model, xgboost.XGBModel):
        try:
            return model.get_booster()
        except xgboost.core.XGBoostError:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"This {type(model).__name__} instance is not fitted yet; call fit before "
                "explaining it"
            ) from None
    return None


def _from_xgboost(booster, n_features_hint: int) -> Ensemble:
    model = json.loads(booster.save_raw(raw_format="json"))
    learner = model["learner"]
    booster_kind = learner["gradient_booster"]["name"]
    if booster_kind != "gbtree":
        raise ValueError(
            f"model is an XGBoost '{booster_kind}' booster; tree_shap explains tree boosters "
            "(booster='gbtree') only"
        )
    params = learner["learner_model_param"]
    if int(params.get("num_class", "0")) > 1 or int(params.get("num_target", "1")) > 1:
        raise ValueError(
            "model is a multi-output XGBoost model; tree_shap explains one output (binary "
            "classification, regression or ranking): fit one model per class"
        )
    trees = []
    for raw in learner["gradient_booster"]["model"]["trees"]:
        left = np.asarray(raw["left_children"], dtype=np.intp)
        is_leaf = left < 0
        split = np.asarray(raw["split_conditions"], dtype=np.float32).astype(np.float64)
        trees.append(
            Tree(
                feature=np.where(is_leaf, -1, np.asarray(raw["split_indices"])).astype(np.intp),
                threshold=np.where(is_leaf, 0.0, split),
                left=left,
                right=np.asarray(raw["right_children"], dtype=np.intp),
                default_left=np.asarray(raw["default_left"], dtype=bool),
                value=np.where(is_leaf, split, 0.0),
                cover=np.asarray(raw["sum_hessian"], dtype=np.float64),
            )
        )
    n_features = int(params.get("num_feature", n_features_hint))
    return Ensemble(trees, 0.0, 1.0, True, True, n_features)


def _from_sklearn_tree(tree, classifier: bool) -> Tree:
    """One fitted ``sklearn.tree._tree.Tree``: the positive-class fraction or the regression value.

    scikit-learn sends a row left when ``float32(x) <= threshold`` and weighs nodes by
    ``weighted_n_node_samples`` (bootstrap counts in forests), which shap uses as the covers.
    """
    is_leaf = tree.children_left < 0
    value = tree.value[:, 0, :]
    if classifier:
        totals = value.sum(axis=1)
        value = value[:, 1] / np.where(totals > 0, totals, 1.0)
    else:
        value = value[:, 0]
    return Tree(
        feature=np.where(is_leaf, -1, tree.feature).astype(np.intp),
        threshold=np.where(is_leaf, 0.0, tree.threshold).astype(np.float64),
        left=np.asarray(tree.children_left, dtype=np.intp),
        right=np.asarray(tree.children_right, dtype=np.intp),
        default_left=np.zeros(tree.node_count, dtype=bool),
        value=np.where(is_leaf, value, 0.0).astype(np.float64),
        cover=np.asarray(tree.weighted_n_node_samples, dtype=np.float64),
    )


_SKLEARN_NAMES = (
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
)


def _is_sklearn_tree_model(model) -> bool:
    return type(model).__module__.startswith("sklearn.") and type(model).__name__ in _SKLEARN_NAMES


def _from_sklearn(model, X: np.ndarray) -> Ensemble:
    """A scikit-learn tree, forest or gradient boosting model as an :class:`Ensemble`."""
    check_is_fitted(model)
    name = type(model).__name__
    classifier = name.endswith("Classifier")
    if classifier and len(model.classes_) != 2:
        raise ValueError(
            f"model is a {len(model.classes_)}-class {name}; tree_shap explains the "
            "positive-class output of a binary classifier: fit one model per class"
        )
    if getattr(model, "n_outputs_", 1) != 1:
        raise ValueError(
            f"model is a multi-output {name}; tree_shap explains one output: fit one model "
            "per target"
        )
    d = int(model.n_features_in_)
    if X.shape[1] != d:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model is expecting {d} features as input "
            "(as in fit); pass the same columns"
        )
    if name.startswith("DecisionTree"):
        return Ensemble([_from_sklearn_tree(model.tree_, classifier)], 0.0, 1.0, False, True, d)
    if name.startswith("RandomForest"):
        trees = [_from_sklearn_tree(e.tree_, classifier) for e in model.estimators_]
        return Ensemble(trees, 0.0, 1.0 / len(trees), False, True, d)
    # Gradient boosting: raw output = init + learning_rate * sum of regression trees.
    trees = [_from_sklearn_tree(e.tree_, False) for e in model.estimators_[:, 0]]
    ensemble = Ensemble(trees, 0.0, float(model.learning_rate), False, True, d)
    raw = model.decision_function(X) if classifier else model.predict(X)
    offsets = np.asarray(raw, dtype=np.float64).ravel() - ensemble.predict(X)
    base = float(np.median(offsets))
    if np.max(np.abs(offsets - base)) > 1e-8 * max(1.0, float(np.max(np.abs(raw)))):
        raise ValueError(  # pragma: no cover - an init estimator whose output depends on X
            f"model: {name} with an init estimator that depends on the row is not supported; "
            "use init=None (a constant start)"
        )
    return Ensemble(trees, base, ensemble.scale, False, True, d)


def accepts_missing(model) -> bool:
    """Whether ``model`` routes NaN itself (XGBoost: each split's default direction)."""
    try:
        import xgboost
    except ImportError:  # pragma: no cover - xgboost is a dependency of mlref
        return False
    return isinstance(model, xgboost.Booster | xgboost.XGBModel)


def xgboost_base_margin(booster, ensemble: Ensemble, X: np.ndarray) -> float:
    """XGBoost's margin minus the trees' sum, i.e. the base margin (checked row by row)."""
    import xgboost

    margin = booster.predict(xgboost.DMatrix(X), output_margin=True, validate_features=False)
    margin = margin.astype(np.float64)
    offsets = margin - ensemble.predict(X)
    base = float(np.median(offsets))
    worst = float(np.max(np.abs(offsets - base)))
    if worst > 1e-4 * max(1.0, float(np.max(np.abs(margin)))):
        raise ValueError(  # pragma: no cover - a guard against a model layout we do not read
            f"model: the trees read from XGBoost do not reproduce its margins (off by {worst:.3g})"
        )
    return base


def read_ensemble(model, X: np.ndarray) -> tuple[Ensemble, object]:
    """The model's trees as an :class:`Ensemble`, and the XGBoost booster (or None).

    Raises
    ------
    ValueError
        For a model type that is not a supported tree ensemble.
    """
    from mlref.ltr import LambdaMART
    from mlref.models import (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    booster = _xgboost_booster(model)
    if booster is not None:
        return _from_xgboost(booster, X.shape[1]), booster
    if _is_sklearn_tree_model(model):
        return _from_sklearn(model, X), None
    if isinstance(model, DecisionTreeClassifier | RandomForestClassifier):
        check_is_fitted(model)
        if len(model.classes_) != 2:
            raise ValueError(
                "model is a multiclass classifier; tree_shap explains the positive-class "
                "probability of a binary classifier"
            )
    supported = (
        DecisionTreeClassifier,
        DecisionTreeRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        LambdaMART,
    )
    if not isinstance(model, supported):
        raise ValueError(
            f"model of type {type(model).__name__} is not a supported tree ensemble; pass an "
            "XGBoost model or Booster, a scikit-learn DecisionTree*, RandomForest* or "
            "GradientBoosting* model, or one of mlref's trees, forests, gradient boosting or "
            "LambdaMART (use kernel_shap for any other model)"
        )
    check_is_fitted(model)
    d = model.n_features_in_
    if isinstance(model, DecisionTreeClassifier | DecisionTreeRegressor):
        column = 1 if isinstance(model, DecisionTreeClassifier) else 0
        return Ensemble([_from_flat(model.tree_, column)], 0.0, 1.0, False, False, d), None
    if isinstance(model, RandomForestClassifier | RandomForestRegressor):
        column = 1 if isinstance(model, RandomForestClassifier) else 0
        trees = [_from_flat(t, column) for t in model.estimators_]
        return Ensemble(trees, 0.0, 1.0 / len(trees), False, False, d), None
    base = float(getattr(model, "base_margin_", 0.0))
    if all(isinstance(t, FlatTree) for t in model.estimators_):
        trees = [_from_flat(t, 0) for t in model.estimators_]
        return Ensemble(trees, base, 1.0, False, False, d), None
    trees = [_from_histogram(t) for t in model.estimators_]
    return Ensemble(trees, base, 1.0, True, False, d, needs_cover=True), None
