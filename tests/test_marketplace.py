"""The marketplace simulator: reproducible, well-formed tables and an exact click model."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlref.datasets.marketplace import (
    CATEGORIES,
    CLICK_PROB_GIVEN_RELEVANCE,
    Marketplace,
    make_marketplace,
)

TABLES = ("retailers", "brands", "products", "queries", "searches", "impressions", "orders")
ID_COLUMNS = {
    "retailers": "retailer_id",
    "brands": "brand_id",
    "products": "product_id",
    "queries": "query_id",
    "searches": "search_id",
    "orders": "order_id",
}
COLUMNS = {
    "retailers": ["retailer_id", "store_type", "region", "price_tier", "signup_date"],
    "brands": [
        "brand_id",
        "brand_name",
        "category",
        "region",
        "price_level",
        "margin",
        "min_order_value",
        "shipping_days",
        "is_new",
        "free_returns",
    ],
    "products": [
        "product_id",
        "brand_id",
        "category",
        "product_type",
        "material",
        "variant",
        "title",
        "wholesale_price",
        "msrp",
        "case_pack",
        "rating",
        "review_count",
        "inventory",
    ],
    "queries": [
        "query_id",
        "text",
        "intent",
        "target_category",
        "target_brand_id",
        "target_product_type",
        "target_attribute",
        "frequency",
        "rank",
        "segment",
    ],
    "searches": ["search_id", "retailer_id", "query_id", "timestamp", "day", "n_results"],
    "impressions": [
        "search_id",
        "position",
        "product_id",
        "retailer_id",
        "query_id",
        "timestamp",
        "clicked",
        "added_to_cart",
        "ordered",
        "true_relevance",
        "examination_prob",
        "click_prob",
    ],
    "orders": [
        "order_id",
        "retailer_id",
        "brand_id",
        "product_id",
        "search_id",
        "source",
        "is_reorder",
        "quantity",
        "order_value",
        "timestamp",
        "day",
    ],
}


@pytest.fixture(scope="module")
def m():
    return make_marketplace(random_state=0)


@pytest.fixture(scope="module")
def big():
    """About a million impressions: enough clicks at every position for tight checks."""
    return make_marketplace(n_searches=50_000, random_state=1)


def _assert_well_formed(m: Marketplace) -> None:
    p = m.params
    for name in TABLES:
        assert list(getattr(m, name).columns) == COLUMNS[name], name
    for name, col in ID_COLUMNS.items():
        ids = getattr(m, name)[col].to_numpy()
        np.testing.assert_array_equal(ids, np.arange(len(ids)), err_msg=name)
    assert len(m.retailers) == p["n_retailers"]
    assert len(m.brands) == p["n_brands"]
    assert len(m.products) == p["n_products"]
    assert len(m.queries) == p["n_queries"]
    assert len(m.searches) == p["n_searches"]

    imp, s, o = m.impressions, m.searches, m.orders
    assert m.products["brand_id"].between(0, p["n_brands"] - 1).all()
    for col, n in (("retailer_id", p["n_retailers"]), ("query_id", p["n_queries"])):
        assert s[col].between(0, n - 1).all()
    assert imp["product_id"].between(0, p["n_products"] - 1).all()
    assert imp["search_id"].between(0, p["n_searches"] - 1).all()
    for col in ("retailer_id", "query_id", "timestamp"):
        np.testing.assert_array_equal(imp[col].to_numpy(), s[col].to_numpy()[imp["search_id"]])

    # Positions 1..n_results, contiguous, each search's rows together, no product twice.
    np.testing.assert_array_equal(
        np.bincount(imp["search_id"], minlength=len(s)), s["n_results"].to_numpy()
    )
    assert imp["search_id"].is_monotonic_increasing
    first = np.r_[0, np.cumsum(s["n_results"].to_numpy())[:-1]]
    expected_position = np.arange(len(imp)) - np.repeat(first, s["n_results"]) + 1
    np.testing.assert_array_equal(imp["position"].to_numpy(), expected_position)
    assert not imp.duplicated(["search_id", "product_id"]).any()
    assert s["n_results"].between(0, p["results_per_search"]).all()

    # Funnel and ground truth.
    assert imp[["clicked", "added_to_cart", "ordered"]].isin([0, 1]).all().all()
    assert (imp["added_to_cart"] <= imp["clicked"]).all()
    assert (imp["ordered"] <= imp["added_to_cart"]).all()
    assert imp["true_relevance"].between(0, 3).all()
    np.testing.assert_array_equal(
        imp["true_relevance"].to_numpy(), m.true_relevance(imp["query_id"], imp["product_id"])
    )
    np.testing.assert_allclose(
        imp["examination_prob"], m.propensities.loc[imp["position"]].to_numpy()
    )
    np.testing.assert_allclose(
        imp["click_prob"],
        imp["examination_prob"] * m.click_prob_given_relevance[imp["true_relevance"]],
    )

    # Orders: one per ordered impression, plus reorders without a search.
    assert o["retailer_id"].between(0, p["n_retailers"] - 1).all()
    assert o["product_id"].between(0, p["n_products"] - 1).all()
    np.testing.assert_array_equal(
        o["brand_id"].to_numpy(), m.products["brand_id"].to_numpy()[o["product_id"]]
    )
    from_search = o[o["source"] == "search"]
    assert o["search_id"].isna().to_numpy().tolist() == (o["source"] == "reorder").tolist()
    assert len(from_search) == imp["ordered"].sum()
    ordered = imp.loc[imp["ordered"] == 1, ["search_id", "product_id", "retailer_id"]]
    pd.testing.assert_frame_equal(
        from_search[["search_id", "product_id", "retailer_id"]]
        .astype("int64")
        .sort_values(["search_id", "product_id"])
        .reset_index(drop=True),
        ordered.sort_values(["search_id", "product_id"]).reset_index(drop=True),
    )
    searched_at = s["timestamp"].to_numpy()[from_search["search_id"].to_numpy(dtype=np.int64)]
    assert (from_search["timestamp"].to_numpy() >= searched_at).all()
    assert o["timestamp"].is_monotonic_increasing
    assert (o["quantity"] >= 1).all()
    assert (o["quantity"] <= m.products["inventory"].to_numpy()[o["product_id"]]).all()
    np.testing.assert_allclose(
        o["order_value"],
        o["quantity"] * m.products["wholesale_price"].to_numpy()[o["product_id"]],
        atol=0.006,
    )

    # Time: inside the window, nobody searches before signing up.
    start = pd.Timestamp(p["start_date"])
    end = start + pd.Timedelta(days=p["n_days"])
    for table in (s, o):
        assert table["timestamp"].between(start, end, inclusive="left").all()
        np.testing.assert_array_equal(
            table["day"].to_numpy(), (table["timestamp"] - start).dt.days.to_numpy()
        )
    assert s["timestamp"].is_monotonic_increasing
    signup = m.retailers["signup_date"].to_numpy()[s["retailer_id"]]
    assert (s["timestamp"].to_numpy() >= signup).all()


def test_default_marketplace_is_well_formed(m):
    _assert_well_formed(m)
    assert 200_000 <= len(m.impressions) <= 400_000
    assert m.params["n_searches"] == 15_000 and m.random_state == 0


def test_dtypes(m):
    cat = pd.CategoricalDtype
    assert m.retailers["store_type"].dtype == cat(m.retailers["store_type"].cat.categories)
    assert m.retailers["price_tier"].cat.ordered
    assert list(m.retailers["price_tier"].cat.categories) == ["budget", "mid", "premium"]
    assert list(m.brands["category"].cat.categories) == list(CATEGORIES)
    assert list(m.queries["segment"].cat.categories) == ["head", "torso", "tail"]
    assert set(m.queries["intent"].cat.categories) == {"navigational", "category", "product"}
    for table, column in [
        ("retailers", "signup_date"),
        ("searches", "timestamp"),
        ("impressions", "timestamp"),
        ("orders", "timestamp"),
    ]:
        assert pd.api.types.is_datetime64_dtype(getattr(m, table)[column]), (table, column)
    for column in ("clicked", "added_to_cart", "ordered", "true_relevance"):
        assert m.impressions[column].dtype == np.int8
    for table, column in [("products", "title"), ("brands", "brand_name"), ("queries", "text")]:
        assert pd.api.types.is_string_dtype(getattr(m, table)[column]), (table, column)
    assert m.orders["search_id"].dtype == "Int64"
    assert m.brands["is_new"].dtype == bool and m.orders["is_reorder"].dtype == bool


def test_catalogue_is_plausible(m):
    pr, b = m.products, m.brands
    assert (pr["msrp"] > pr["wholesale_price"]).all()
    assert b["margin"].between(0.3, 0.7).all()
    assert (b["min_order_value"] >= 0).all() and (b["shipping_days"] >= 1).all()
    assert (pr["inventory"] == 0).mean() > 0.02 and pr["inventory"].between(1, 5).mean() > 0.05
    counts = pr["review_count"]
    assert counts.max() > 20 * counts.median()  # heavy tail
    assert pr["rating"].dropna().between(1, 5).all()
    assert pr["rating"].isna().equals(counts == 0)
    assert pr["title"].str.len().gt(5).all()
    assert b["brand_name"].is_unique and m.queries["text"].is_unique
    # A product's category is its brand's.
    np.testing.assert_array_equal(
        pr["category"].astype(str).to_numpy(),
        b["category"].astype(str).to_numpy()[pr["brand_id"]],
    )
    # New brands are reviewed less, so the ranker shows them less: the discovery problem.
    new = b["is_new"].to_numpy()[pr["brand_id"]]
    assert counts[new].mean() < 0.5 * counts[~new].mean()


def test_same_seed_same_tables_different_seed_different_tables(m):
    again = make_marketplace(random_state=0)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(m, name), getattr(again, name))
    pd.testing.assert_series_equal(m.propensities, again.propensities)
    other = make_marketplace(random_state=1)
    for name in TABLES:
        assert not getattr(m, name).equals(getattr(other, name)), name


def test_generator_random_state_is_accepted():
    a = make_marketplace(n_searches=300, random_state=np.random.default_rng(5))
    b = make_marketplace(n_searches=300, random_state=np.random.default_rng(5))
    pd.testing.assert_frame_equal(a.impressions, b.impressions)


def test_propensities_and_click_model_constants(m):
    k = np.arange(1, 21)
    pd.testing.assert_index_equal(m.propensities.index, pd.RangeIndex(1, 21, name="position"))
    np.testing.assert_allclose(m.propensities.to_numpy(), 1.0 / k)
    np.testing.assert_allclose(m.click_prob_given_relevance, CLICK_PROB_GIVEN_RELEVANCE)
    assert not m.click_prob_given_relevance.flags.writeable
    np.testing.assert_allclose(
        m.click_probability(k[:, None], np.arange(4)[None, :]),
        np.outer(1.0 / k, CLICK_PROB_GIVEN_RELEVANCE),
    )
    flat = make_marketplace(n_searches=300, position_bias_eta=0.0, results_per_search=10)
    np.testing.assert_allclose(flat.propensities.to_numpy(), np.ones(10))
    steep = make_marketplace(n_searches=300, position_bias_eta=2.0, results_per_search=10)
    np.testing.assert_allclose(steep.propensities.to_numpy(), np.arange(1, 11) ** -2.0)


def test_clicks_by_position_match_the_propensities(big):
    """Observed clicks at each position agree with the click model within 4 standard errors."""
    imp = big.impressions
    by_pos = imp.groupby("position")
    observed = by_pos["clicked"].sum()
    p = imp["click_prob"]
    expected = p.groupby(imp["position"]).sum()
    sd = (p * (1 - p)).groupby(imp["position"]).sum() ** 0.5
    assert (by_pos.size() > 20_000).all()
    assert ((observed - expected).abs() < 4 * sd).all(), pd.DataFrame(
        {"observed": observed, "expected": expected, "sd": sd}
    )
    # Dividing CTR by the mean attractiveness of what was shown recovers the propensity.
    alpha = big.click_prob_given_relevance[imp["true_relevance"].to_numpy()]
    ratio = by_pos["clicked"].mean() / pd.Series(alpha).groupby(imp["position"].to_numpy()).mean()
    np.testing.assert_allclose(ratio.to_numpy(), big.propensities.to_numpy(), rtol=0.08)
    # Raw CTR falls faster than the propensity: the ranker puts relevant products on top.
    ctr = by_pos["clicked"].mean()
    assert ctr.iloc[-1] / ctr.iloc[0] < big.propensities.iloc[-1]


def test_inverse_propensity_weighted_clicks_recover_attractiveness(big):
    imp = big.impressions
    weighted = imp["clicked"] / imp["examination_prob"]
    grouped = weighted.groupby(imp["true_relevance"])
    estimate, se = grouped.mean(), grouped.std() / grouped.size() ** 0.5
    truth = pd.Series(big.click_prob_given_relevance, index=range(4)).loc[estimate.index]
    assert ((estimate - truth).abs() < 4 * se + 1e-3).all(), pd.DataFrame(
        {"ipw": estimate, "truth": truth, "se": se}
    )
    # The naive CTR per grade is biased low, since lower positions are examined less.
    naive = imp.groupby("true_relevance")["clicked"].mean()
    assert (naive < truth).all()


def test_clicks_rise_with_relevance(m):
    imp = m.impressions
    assert set(imp["true_relevance"]) == {0, 1, 2, 3}
    ctr = imp.groupby("true_relevance")["clicked"].mean()
    assert (ctr.diff().dropna() > 0.005).all(), ctr
    funnel = imp.groupby("true_relevance")[["added_to_cart", "ordered"]].mean()
    assert funnel.loc[3, "ordered"] > funnel.loc[1, "ordered"] > funnel.loc[0, "ordered"]


def test_logged_ranking_is_informative_but_imperfect(m):
    imp = m.impressions
    mean_relevance = imp.groupby("position")["true_relevance"].mean()
    assert mean_relevance.iloc[0] > mean_relevance.iloc[-1] + 0.3
    # The same (query, product) pair is shown at several positions across searches.
    spread = imp.groupby(["query_id", "product_id"])["position"].agg(["min", "max", "size"])
    assert (
        spread.loc[spread["size"] >= 5, "max"] > spread.loc[spread["size"] >= 5, "min"]
    ).mean() > 0.9
    # Within a search, the shown list is not sorted by true relevance.
    rel = imp["true_relevance"].to_numpy()
    inversions = (np.diff(rel) > 0) & (np.diff(imp["search_id"].to_numpy()) == 0)
    assert inversions.mean() > 0.05


def test_head_torso_tail(m):
    q = m.queries
    n = len(q)
    np.testing.assert_allclose(q["frequency"].sum(), 1.0)
    assert sorted(q["rank"]) == list(range(1, n + 1))
    assert (q.sort_values("rank")["frequency"].diff().dropna() < 0).all()
    counts = q["segment"].value_counts()
    assert counts["head"] == np.ceil(0.01 * n)
    assert counts["torso"] == np.ceil(0.20 * n) - np.ceil(0.01 * n)
    share = m.searches["query_id"].map(q["segment"]).value_counts(normalize=True)
    assert share["head"] > 0.25  # 1% of queries, a quarter of the traffic and more
    assert counts["tail"] > 0.75 * n
    tail_searches = m.searches["query_id"].map(q["segment"]).eq("tail")
    per_tail_query = m.searches.loc[tail_searches, "query_id"].value_counts()
    assert per_tail_query.max() < 0.005 * len(m.searches)


def test_intents_and_targets(m):
    q = m.queries
    assert {"navigational", "category", "product"} == set(q["intent"])
    nav = q[q["intent"] == "navigational"]
    names = m.brands["brand_name"].str.lower().to_numpy()[nav["target_brand_id"].astype(int)]
    np.testing.assert_array_equal(nav["text"].to_numpy(), names)
    assert q.loc[q["intent"] != "navigational", "target_brand_id"].isna().all()
    prod = q[(q["intent"] == "product") & q["target_category"].notna()]
    assert all(t in text for t, text in zip(prod["target_product_type"], prod["text"], strict=True))


def test_zero_result_searches_are_rare_but_present(m):
    zero = m.searches["n_results"] == 0
    assert 0.002 < zero.mean() < 0.05
    no_target = m.queries["target_category"].isna()
    assert no_target[m.searches.loc[zero, "query_id"]].all()
    assert (m.searches.loc[~zero, "n_results"] == 20).mean() > 0.95


def test_reorders_follow_an_earlier_order_of_the_same_product(m):
    o = m.orders
    reorders = o[o["source"] == "reorder"]
    assert len(reorders) > 0.1 * len(o)
    assert reorders["is_reorder"].all()
    first = o.groupby(["retailer_id", "product_id"])["timestamp"].transform("min")
    assert (reorders["timestamp"] > first[reorders.index]).all()
    assert (
        o["is_reorder"]
        == (o["timestamp"] > first) | o.duplicated(["retailer_id", "product_id"], keep="first")
    ).all()
    # The first order of any retailer-product pair comes from a search.
    assert (o.loc[~o["is_reorder"], "source"] == "search").all()
    # Bestsellers get reordered: reordered products have higher latent quality.
    quality = m.product_quality
    assert quality[reorders["product_id"]].mean() > quality[o["product_id"]].mean() - 0.05


def test_purchases_depend_on_the_retailer(big):
    imp = big.impressions[big.impressions["clicked"] == 1]
    tier = big.retailers["price_tier"].cat.codes.to_numpy()[imp["retailer_id"]]
    brand = big.products["brand_id"].to_numpy()[imp["product_id"]]
    level = big.brands["price_level"].cat.codes.to_numpy()[brand]
    cart = imp["added_to_cart"].to_numpy()
    assert cart[tier == level].mean() > 1.3 * cart[np.abs(tier - level) == 2].mean()
    out_of_stock = big.products["inventory"].to_numpy()[imp["product_id"]] == 0
    assert cart[out_of_stock].sum() == 0


def test_true_relevance_broadcasts_and_validates(m):
    q = np.arange(len(m.queries))
    p = np.arange(len(m.products))
    matrix = m.true_relevance(q[:, None], p[None, :])
    assert matrix.shape == (len(q), len(p)) and matrix.dtype == np.int8
    assert set(np.unique(matrix)) <= {0, 1, 2, 3}
    assert m.true_relevance(3, 7) == matrix[3, 7]
    # An out-of-catalogue query is relevant to nothing; a category query to its category only.
    out = m.queries.index[m.queries["target_category"].isna()]
    assert (matrix[out] == 0).all()
    cat_q = m.queries.index[m.queries["intent"] == "category"][0]
    in_cat = (m.products["category"] == m.queries.loc[cat_q, "target_category"]).to_numpy()
    assert (matrix[cat_q, in_cat] >= 1).all() and (matrix[cat_q, ~in_cat] == 0).all()
    # Better products are more relevant within a match class.
    quality = m.product_quality.to_numpy()
    assert matrix[cat_q, in_cat & (quality > 1.5)].mean() > matrix[cat_q, in_cat].mean()
    with pytest.raises(ValueError, match=r"query_ids must lie in 0\.\.499"):
        m.true_relevance([500], [0])
    with pytest.raises(ValueError, match="product_ids must be integers"):
        m.true_relevance([0], ["a"])
    with pytest.raises(ValueError, match="positions"):
        m.click_probability([0], [1])


def test_judgments_cover_the_shown_products(m):
    j = m.judgments()
    assert list(j.columns) == ["query_id", "product_id", "retrieval_rank", "true_relevance"]
    shown = m.impressions[["query_id", "product_id"]].drop_duplicates()
    merged = shown.merge(j, on=["query_id", "product_id"], how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (j.groupby("query_id").size() <= m.params["n_candidates"]).all()
    np.testing.assert_array_equal(
        j["true_relevance"].to_numpy(), m.true_relevance(j["query_id"], j["product_id"])
    )


def test_repr_is_short_and_stable(m):
    text = repr(m)
    assert text.startswith("Marketplace(retailers=1,000, brands=200, products=4,000")
    assert "0x" not in text and len(text) < 200


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_retailers=st.integers(1, 40),
    n_brands=st.integers(1, 15),
    n_products=st.integers(1, 120),
    n_queries=st.integers(1, 60),
    n_searches=st.integers(1, 150),
    n_days=st.integers(1, 20),
    results_per_search=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_small_configuration_is_well_formed(
    n_retailers, n_brands, n_products, n_queries, n_searches, n_days, results_per_search, seed
):
    m = make_marketplace(
        n_retailers=n_retailers,
        n_brands=n_brands,
        n_products=n_products,
        n_queries=n_queries,
        n_searches=n_searches,
        n_days=n_days,
        results_per_search=results_per_search,
        n_candidates=results_per_search + 5,
        random_state=seed,
    )
    _assert_well_formed(m)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_searches": 0}, "n_searches must be a positive integer, got 0"),
        ({"n_retailers": -3}, "n_retailers must be a positive integer, got -3"),
        ({"n_products": 2.5}, "n_products must be a positive integer, got 2.5"),
        ({"n_brands": True}, "n_brands must be a positive integer, got True"),
        ({"n_days": 0}, r"n_days must be a positive integer \(the window's length in days\)"),
        ({"results_per_search": 0}, "results_per_search must be a positive integer, got 0"),
        ({"n_candidates": 5}, r"n_candidates must be >= results_per_search \(20\), got 5"),
        ({"n_queries": 10_000}, r"n_queries must be at most \d+ with n_brands=200"),
        ({"position_bias_eta": -1.0}, r"position_bias_eta must be a finite number in \[0, 10\]"),
        ({"click_prob_given_relevance": (0.1, 0.2)}, "must be 4 probabilities in"),
        ({"click_prob_given_relevance": (0.1, 0.2, 0.3, 1.5)}, "must be 4 probabilities in"),
        ({"click_prob_given_relevance": (0.5, 0.2, 0.3, 0.6)}, "must be non-decreasing"),
        ({"ranker_noise": -0.1}, "ranker_noise must be a finite number"),
        ({"ranking_jitter": "big"}, "ranking_jitter must be a finite number"),
        ({"zero_result_query_fraction": 2.0}, r"zero_result_query_fraction .* in \[0, 1\]"),
        ({"start_date": "not a date"}, "start_date must be a date such as '2026-01-01'"),
    ],
)
def test_bad_input_raises_a_helpful_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_marketplace(**kwargs)


def test_sizes_are_keyword_only():
    with pytest.raises(TypeError):
        make_marketplace(0)  # type: ignore[misc]
