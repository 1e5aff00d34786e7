"""Search-task feature builder: schema, point-in-time history without leakage, text features
equal to their definitions, time split, and an end-to-end LambdaMART check."""

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlref.datasets import make_marketplace
from mlref.features import search_task
from mlref.features.search_task import (
    FEATURE_GROUPS,
    SearchFeatures,
    _levenshtein_pairs,
    build_search_features,
    time_split,
)
from mlref.features.text import BM25, tokenize
from mlref.ltr.lambdamart import LambdaMART
from mlref.metrics.ranking import ndcg_at_k


@pytest.fixture(scope="module")
def market():
    return make_marketplace(n_searches=3000, random_state=1)


@pytest.fixture(scope="module")
def feats(market):
    return build_search_features(market)


def _reference_levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


# ---------------------------------------------------------------------------------------------
# Schema and row layout


def test_schema(market, feats):
    n = len(market.impressions)
    assert isinstance(feats, SearchFeatures)
    assert feats.X.shape[0] == len(feats.y) == len(feats.qid) == len(feats.day) == n
    assert len(feats.rows) == n
    assert (feats.X.dtypes == np.float64).all()
    assert np.isfinite(feats.X.to_numpy()).all()
    assert tuple(feats.feature_groups) == FEATURE_GROUPS
    grouped = [c for cols in feats.feature_groups.values() for c in cols]
    assert sorted(grouped) == sorted(feats.X.columns) and len(grouped) == len(set(grouped))
    assert set(np.unique(feats.y)) <= {0.0, 1.0, 2.0, 3.0}
    for col in ("bm25_title", "qd_past_ctr", "product_log_past_orders", "brand_match", "hour"):
        assert col in feats.X.columns
    # No identifier or logged outcome slips into the features.
    assert not {"position", "clicked", "true_relevance", "search_id"} & set(feats.X.columns)


def test_rows_are_the_impressions_with_contiguous_searches(market, feats):
    imp = market.impressions.sort_values(["search_id", "position"], kind="stable")
    np.testing.assert_array_equal(feats.qid, imp["search_id"].to_numpy())
    np.testing.assert_array_equal(feats.rows["product_id"], imp["product_id"].to_numpy())
    np.testing.assert_array_equal(feats.y, imp["true_relevance"].to_numpy())
    runs = np.count_nonzero(np.diff(feats.qid)) + 1
    assert runs == len(np.unique(feats.qid))
    pos = feats.rows["position"].to_numpy()
    same = feats.qid[1:] == feats.qid[:-1]
    assert np.all(pos[1:][same] == pos[:-1][same] + 1)
    np.testing.assert_array_equal(feats.day, market.searches["day"].to_numpy()[feats.qid])


def test_rows_follow_search_order_even_when_the_log_is_shuffled(market, feats):
    shuffled = market.impressions.sample(frac=1.0, random_state=0)
    again = build_search_features(market, impressions=shuffled, edit_distance=False)
    cols = [c for c in feats.X.columns if c != "title_edit_distance"]
    pd.testing.assert_frame_equal(again.X[cols], feats.X[cols])


def test_click_labels(market):
    clicks = build_search_features(market, label="clicks", edit_distance=False)
    imp = market.impressions.sort_values(["search_id", "position"], kind="stable")
    np.testing.assert_array_equal(clicks.y, imp["clicked"].to_numpy())


# ---------------------------------------------------------------------------------------------
# Point in time


@pytest.mark.parametrize("cut_day", [1, 30, 61])
def test_future_clicks_never_change_features(market, feats, cut_day):
    log = market.impressions.copy()
    day = market.searches["day"].to_numpy()[log["search_id"].to_numpy()]
    future = day >= cut_day
    rng = np.random.default_rng(cut_day)
    log.loc[future, "clicked"] = rng.integers(0, 2, future.sum()).astype(np.int8)
    changed = build_search_features(market, impressions=log)
    past = feats.day <= cut_day
    pd.testing.assert_frame_equal(changed.X[past], feats.X[past])
    # The check has teeth: rows after the cut do see the new clicks.
    later = feats.day > cut_day + 1
    assert not np.allclose(changed.X.loc[later, "qd_past_ctr"], feats.X.loc[later, "qd_past_ctr"])


@pytest.mark.parametrize("history_days", [None, 7])
def test_history_counts_match_a_direct_filter(market, history_days):
    feats = build_search_features(
        market, history_days=history_days, smoothing=5.0, edit_distance=False
    )
    imp = market.impressions.assign(
        day=market.searches["day"].to_numpy()[market.impressions.search_id]
    )
    searches, orders = market.searches, market.orders
    rng = np.random.default_rng(0)
    for i in rng.choice(len(feats.y), 40, replace=False):
        d = feats.day[i]
        q, p = feats.rows.loc[i, ["query_id", "product_id"]]
        low = -np.inf if history_days is None else d - history_days
        past = imp[(imp.day < d) & (imp.day >= low)]
        qp = past[(past.query_id == q) & (past.product_id == p)]
        prod = past[past.product_id == p]
        global_ctr = past.clicked.mean() if len(past) else 0.0
        product_ctr = (prod.clicked.sum() + 5.0 * global_ctr) / (len(prod) + 5.0)
        expected_qd = (qp.clicked.sum() + 5.0 * product_ctr) / (len(qp) + 5.0)
        row = feats.X.loc[i]
        assert row["qd_log_past_impressions"] == pytest.approx(np.log1p(len(qp)))
        assert row["qd_log_past_clicks"] == pytest.approx(np.log1p(qp.clicked.sum()))
        assert row["qd_past_ctr"] == pytest.approx(expected_qd)
        assert row["product_past_ctr"] == pytest.approx(product_ctr)
        in_window = (searches.day < d) & (searches.day >= low)
        n_q = np.count_nonzero(in_window & (searches.query_id == q))
        assert row["query_log_past_searches"] == pytest.approx(np.log1p(n_q))
        n_o = np.count_nonzero((orders.day < d) & (orders.day >= low) & (orders.product_id == p))
        assert row["product_log_past_orders"] == pytest.approx(np.log1p(n_o))


def test_first_day_has_no_history(feats):
    first = feats.X[feats.day == feats.day.min()]
    for col in ("qd_log_past_impressions", "product_log_past_clicks", "query_log_past_searches"):
        assert (first[col] == 0).all()


# ---------------------------------------------------------------------------------------------
# Query-document text and match features


def test_bm25_equals_bm25_score(market, feats):
    titles = market.products["title"].astype(str).tolist()
    bm25 = BM25().fit(titles)
    rng = np.random.default_rng(1)
    sample = rng.choice(len(feats.y), 60, replace=False)
    for i in sample:
        q, p = feats.rows.loc[i, ["query_id", "product_id"]]
        expected = bm25.score(str(market.queries.loc[q, "text"]))[p]
        assert feats.X.loc[i, "bm25_title"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert (feats.X["bm25_title"] > 0).mean() > 0.1


def test_match_features_follow_the_catalogue(market, feats):
    q = market.queries.iloc[feats.rows["query_id"]].reset_index(drop=True)
    p = market.products.iloc[feats.rows["product_id"]].reset_index(drop=True)
    brand = q["target_brand_id"].to_numpy(dtype=float, na_value=np.nan) == p["brand_id"]
    np.testing.assert_array_equal(feats.X["brand_match"], brand)
    ptype = q["target_product_type"].astype(object).to_numpy() == p["product_type"].astype(object)
    np.testing.assert_array_equal(feats.X["product_type_match"], ptype)
    rng = np.random.default_rng(2)
    for i in rng.choice(len(feats.y), 60, replace=False):
        query = tokenize(str(q.loc[i, "text"]))
        title = str(p.loc[i, "title"]).lower()
        overlap = np.mean([t in tokenize(title) for t in set(query)])
        assert feats.X.loc[i, "title_token_overlap"] == pytest.approx(overlap)
        assert feats.X.loc[i, "title_contains_query"] == (str(q.loc[i, "text"]).lower() in title)
        expected = _reference_levenshtein(str(q.loc[i, "text"]).lower(), title) / max(
            len(title), len(str(q.loc[i, "text"]))
        )
        assert feats.X.loc[i, "title_edit_distance"] == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(alphabet="abcé -", max_size=8), st.text(alphabet="abcé -", max_size=8)),
        min_size=1,
        max_size=12,
    )
)
def test_levenshtein_pairs_matches_the_textbook_dp(pairs):
    left = np.array([a for a, _ in pairs], dtype=object)
    right = np.array([b for _, b in pairs], dtype=object)
    expected = [_reference_levenshtein(a, b) for a, b in pairs]
    np.testing.assert_array_equal(_levenshtein_pairs(left, right), expected)


def test_levenshtein_hand_computed():
    left = np.array(["kitten", "", "flaw", "abc"], dtype=object)
    right = np.array(["sitting", "abc", "lawn", "abc"], dtype=object)
    np.testing.assert_array_equal(_levenshtein_pairs(left, right), [3, 3, 2, 0])


# ---------------------------------------------------------------------------------------------
# Time split


def test_time_split_partitions_by_day(feats):
    train, valid, test = time_split(feats, train_days=60, valid_days=15)
    assert len(train) + len(valid) + len(test) == len(feats)
    assert train.day.max() < 60 <= valid.day.min()
    assert valid.day.max() < 75 <= test.day.min()
    assert not set(train.qid) & set(valid.qid) and not set(valid.qid) & set(test.qid)
    np.testing.assert_array_equal(train.X.to_numpy(), feats.X.to_numpy()[feats.day < 60])
    assert train.feature_groups == feats.feature_groups


def test_time_split_rejects_empty_periods(feats):
    with pytest.raises(ValueError, match="test period"):
        time_split(feats, train_days=80, valid_days=20)
    with pytest.raises(ValueError, match="train_days"):
        time_split(feats, train_days=0)
    with pytest.raises(ValueError, match="SearchFeatures"):
        time_split(feats.X)


# ---------------------------------------------------------------------------------------------
# Input checks


def test_bad_inputs(market):
    with pytest.raises(ValueError, match="label"):
        build_search_features(market, label="orders")
    with pytest.raises(ValueError, match="history_days"):
        build_search_features(market, history_days=0)
    with pytest.raises(ValueError, match="smoothing"):
        build_search_features(market, smoothing=0.0)
    with pytest.raises(ValueError, match="clicked"):
        build_search_features(market, impressions=market.impressions.drop(columns="clicked"))
    with pytest.raises(ValueError, match="empty"):
        build_search_features(market, impressions=market.impressions.iloc[:0])
    with pytest.raises(ValueError, match="product_id"):
        bad = market.impressions.assign(product_id=market.impressions.product_id + 10**6)
        build_search_features(market, impressions=bad)
    with pytest.raises(TypeError, match="DataFrame"):
        build_search_features(market, impressions=market.impressions.to_numpy())


def test_select_checks_its_mask(feats):
    with pytest.raises(ValueError, match="mask"):
        feats.select(np.ones(3, bool))


# ---------------------------------------------------------------------------------------------
# End to end


def test_lambdamart_on_the_features_beats_the_logged_ranking(feats):
    train, _, test = time_split(feats)
    model = LambdaMART(n_estimators=20, max_depth=3, random_state=0)
    model.fit(train.X.to_numpy(), train.y, train.qid)
    learned = ndcg_at_k(test.y, model.predict(test.X.to_numpy()), 10, test.qid)
    logged = ndcg_at_k(test.y, -test.rows["position"].to_numpy(), 10, test.qid)
    random = ndcg_at_k(test.y, np.random.default_rng(0).random(len(test)), 10, test.qid)
    assert random < logged < learned


def test_docstring_examples_run():
    result = doctest.testmod(search_task, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6 and result.failed == 0
