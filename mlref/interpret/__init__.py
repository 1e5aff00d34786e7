"""Model interpretation: TreeSHAP, KernelSHAP, LIME, partial dependence/ICE, permutation importance.

Every method here is checked against the library practitioners use: :func:`tree_shap` against
``shap.TreeExplainer``, :func:`kernel_shap` against exact enumeration (:func:`exact_shapley`),
:func:`partial_dependence` and :func:`permutation_importance` against ``sklearn.inspection``.
"""

from mlref.interpret.kernel_shap import exact_shapley, kernel_shap
from mlref.interpret.lime import LimeExplanation, lime_explanation
from mlref.interpret.partial_dependence import PartialDependence, partial_dependence
from mlref.interpret.permutation import PermutationImportance, permutation_importance
from mlref.interpret.tree_shap import Attribution, tree_shap

__all__ = [
    "Attribution",
    "LimeExplanation",
    "PartialDependence",
    "PermutationImportance",
    "exact_shapley",
    "kernel_shap",
    "lime_explanation",
    "partial_dependence",
    "permutation_importance",
    "tree_shap",
]
