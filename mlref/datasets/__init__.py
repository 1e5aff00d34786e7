"""Data for the course: seeded simulators (marketplace, ads, B2B) and fetchers for real data.

The simulators need no network. Each ``fetch_*`` function downloads its files from the upstream
repository into a cache (``MLREF_DATA_HOME``, default ``~/.cache/mlref``), verifies their MD5
checksums, and otherwise reads a local mirror named by ``MLREF_DATA_MIRROR``.
"""

from mlref.datasets._fetch import ChecksumError, DataUnavailableError, get_data_home
from mlref.datasets.ads import AdTraffic, make_ad_traffic
from mlref.datasets.b2b import (
    consumer_demand_by_month,
    make_credit_applications,
    ranking_slates,
    simulate_sell_through,
)
from mlref.datasets.ctr import fetch_avazu_sample, fetch_criteo_sample, fetch_ipinyou
from mlref.datasets.letor import MQ2008_FOLDS, RankingData, fetch_mq2008, fetch_yahoo_ltr_sample
from mlref.datasets.marketplace import Marketplace, make_marketplace
from mlref.datasets.movielens import fetch_movielens_small
from mlref.datasets.splits import per_user_time_split

__all__ = [
    "MQ2008_FOLDS",
    "AdTraffic",
    "ChecksumError",
    "DataUnavailableError",
    "Marketplace",
    "RankingData",
    "consumer_demand_by_month",
    "fetch_avazu_sample",
    "fetch_criteo_sample",
    "fetch_ipinyou",
    "fetch_movielens_small",
    "fetch_mq2008",
    "fetch_yahoo_ltr_sample",
    "get_data_home",
    "make_ad_traffic",
    "make_credit_applications",
    "make_marketplace",
    "per_user_time_split",
    "ranking_slates",
    "simulate_sell_through",
]
