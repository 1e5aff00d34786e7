"""Learning to rank: pointwise, pairwise and listwise rankers, LambdaMART, and the LETOR protocol.

Every ranker has the same interface, ``fit(X, y, group)`` and ``predict(X)`` (scores; only their
order within a query matters), where ``group`` holds the query id of each row in any order, as in
:mod:`mlref.metrics`.
"""

from mlref.ltr.attention import AttentionRanker
from mlref.ltr.evaluation import evaluate_ranking, mq2008_folds, run_letor_protocol
from mlref.ltr.lambdamart import LambdaMART
from mlref.ltr.lambdas import lambda_gradients, pair_weights_delta_ndcg
from mlref.ltr.listwise import ListMLE, ListNet, listmle_loss, listnet_loss
from mlref.ltr.pairs import all_pairs, count_pairs, sample_pairs
from mlref.ltr.pairwise import LambdaRank, RankNet, RankSVM
from mlref.ltr.pointwise import PointwiseRanker
from mlref.ltr.scorers import LinearScorer, MLPScorer
from mlref.ltr.xgboost_ranker import fit_xgboost_ranker, xgboost_ranker

__all__ = [
    "AttentionRanker",
    "LambdaMART",
    "LambdaRank",
    "LinearScorer",
    "ListMLE",
    "ListNet",
    "MLPScorer",
    "PointwiseRanker",
    "RankNet",
    "RankSVM",
    "all_pairs",
    "count_pairs",
    "evaluate_ranking",
    "fit_xgboost_ranker",
    "lambda_gradients",
    "listmle_loss",
    "listnet_loss",
    "mq2008_folds",
    "pair_weights_delta_ndcg",
    "run_letor_protocol",
    "sample_pairs",
    "xgboost_ranker",
]
