"""Feature engineering: text relevance, numeric and categorical encodings, crosses, selection.

Every transformer follows scikit-learn's API and learns only from the data passed to ``fit``;
:func:`build_search_features` turns the marketplace simulator's log into a learning-to-rank
matrix whose historical features are computed point-in-time.
"""

from mlref.features.categorical import (
    FrequencyEncoder,
    HashingEncoder,
    OneHotEncoder,
    TargetEncoder,
    murmurhash3_32,
    naive_target_encode,
)
from mlref.features.crossing import HashedCrosser, cross_features
from mlref.features.embeddings import TextEmbedder, cosine_similarity
from mlref.features.history import point_in_time_ctr
from mlref.features.imputation import (
    IterativeImputer,
    KNNImputer,
    SimpleImputer,
    inject_missing,
    multiple_imputation,
)
from mlref.features.numeric import Log1pTransformer, PercentileClipper, QuantileBinner, Standardizer
from mlref.features.search_task import (
    FEATURE_GROUPS,
    SearchFeatures,
    build_search_features,
    time_split,
)
from mlref.features.selection import ablation, correlation_filter, importance_ranking
from mlref.features.text import (
    BM25,
    Tfidf,
    edit_distance,
    edit_distance_batch,
    exact_match,
    exact_match_batch,
    tfidf_cosine,
    tfidf_matrix,
    tokenize,
    tokenize_many,
)
from mlref.features.word2vec import (
    SkipGramNegativeSampling,
    context_pairs,
    nearest_tokens,
    ppmi_svd_embeddings,
    sgns_loss,
)

__all__ = [
    "BM25",
    "FEATURE_GROUPS",
    "FrequencyEncoder",
    "HashedCrosser",
    "HashingEncoder",
    "IterativeImputer",
    "KNNImputer",
    "Log1pTransformer",
    "OneHotEncoder",
    "PercentileClipper",
    "QuantileBinner",
    "SearchFeatures",
    "SimpleImputer",
    "SkipGramNegativeSampling",
    "Standardizer",
    "TargetEncoder",
    "TextEmbedder",
    "Tfidf",
    "ablation",
    "build_search_features",
    "context_pairs",
    "correlation_filter",
    "cosine_similarity",
    "cross_features",
    "edit_distance",
    "edit_distance_batch",
    "exact_match",
    "exact_match_batch",
    "importance_ranking",
    "inject_missing",
    "multiple_imputation",
    "murmurhash3_32",
    "naive_target_encode",
    "nearest_tokens",
    "point_in_time_ctr",
    "ppmi_svd_embeddings",
    "sgns_loss",
    "tfidf_cosine",
    "tfidf_matrix",
    "time_split",
    "tokenize",
    "tokenize_many",
]
