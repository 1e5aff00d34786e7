"""Online metrics from the event log: hand-computed logs, the simulator, and bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlref.datasets import make_marketplace
from mlref.metrics.online import (
    add_to_cart_rate,
    average_revenue_per_user,
    bounce_rate,
    click_through_rate,
    conversion_rate,
    gross_merchandise_value,
    online_metrics,
    refinement_rate,
    revenue_per_search,
    zero_result_rate,
)

# ---------------------------------------------------------------------------------------------
# A tiny hand-built log
# ---------------------------------------------------------------------------------------------
#
# retailer 1: s10 q100 09:00 -> s11 q101 09:03 (s10 refined) -> s12 q102 09:20
# retailer 2: s13 q200 10:00 -> s14 q200 10:01 (same query) -> s16 q201 10:04
#             (s13 and s14 refined by s16, 4 and 3 minutes later)
# retailer 3: s15 q300 11:00, zero results
# Rows are deliberately not in time order.


def _tiny_log():
    searches = pd.DataFrame(
        {
            "search_id": [10, 11, 12, 13, 14, 15, 16],
            "retailer_id": [1, 1, 1, 2, 2, 3, 2],
            "query_id": [100, 101, 102, 200, 200, 300, 201],
            "timestamp": pd.to_datetime(
                [
                    "2026-01-01 09:00",
                    "2026-01-01 09:03",
                    "2026-01-01 09:20",
                    "2026-01-01 10:00",
                    "2026-01-01 10:01",
                    "2026-01-01 11:00",
                    "2026-01-01 10:04",
                ]
            ),
            "day": [0, 0, 0, 0, 1, 1, 1],
            "n_results": [2, 2, 1, 2, 1, 0, 1],
        }
    ).iloc[[3, 0, 6, 1, 5, 2, 4]]
    impressions = pd.DataFrame(
        {
            "search_id": [10, 10, 11, 11, 12, 13, 13, 14, 16],
            "position": [1, 2, 1, 2, 1, 1, 2, 1, 1],
            "clicked": [1, 0, 1, 1, 0, 0, 0, 1, 0],
            "added_to_cart": [1, 0, 0, 1, 0, 0, 0, 1, 0],
            "ordered": [1, 0, 0, 0, 0, 0, 0, 1, 0],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [0, 1, 2, 3],
            "retailer_id": [1, 2, 1, 4],  # retailer 4 only reorders
            "search_id": pd.array([10, 14, None, None], dtype="Int64"),
            "order_value": [100.0, 50.0, 30.0, 20.0],
            "day": [0, 1, 1, 1],
        }
    )
    return searches, impressions, orders


TINY_TOTALS = {
    "n_searches": 7,
    "n_zero_result": 1,
    "n_refined": 3,
    "n_bounced": 4,
    "n_impressions": 9,
    "n_clicks": 4,
    "n_add_to_carts": 3,
    "n_purchases": 2,
    "n_orders": 4,
    "n_active_retailers": 4,
    "gmv": 200.0,
    "search_gmv": 150.0,
    "ctr": 4 / 9,
    "conversion_rate": 2 / 4,
    "add_to_cart_rate": 3 / 4,
    "revenue_per_search": 150 / 7,
    "arpu": 200 / 4,
    "zero_result_rate": 1 / 7,
    "refinement_rate": 3 / 7,
    "bounce_rate": 4 / 7,
}


def test_each_metric_on_the_hand_built_log():
    searches, impressions, orders = _tiny_log()
    assert click_through_rate(impressions) == pytest.approx(4 / 9)
    assert conversion_rate(impressions) == pytest.approx(0.5)
    assert add_to_cart_rate(impressions) == pytest.approx(0.75)
    assert gross_merchandise_value(orders) == pytest.approx(200.0)
    assert gross_merchandise_value(orders, attribution="search") == pytest.approx(150.0)
    assert revenue_per_search(searches, orders) == pytest.approx(150 / 7)
    assert revenue_per_search(searches, orders, attribution="all") == pytest.approx(200 / 7)
    assert average_revenue_per_user(searches, orders) == pytest.approx(50.0)
    assert average_revenue_per_user(searches, orders, attribution="search") == pytest.approx(37.5)
    assert zero_result_rate(searches) == pytest.approx(1 / 7)
    assert refinement_rate(searches) == pytest.approx(3 / 7)
    assert bounce_rate(searches, impressions) == pytest.approx(4 / 7)
    assert bounce_rate(searches, impressions, exclude_zero_result=True) == pytest.approx(3 / 6)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("5min", 3 / 7),
        ("3min", 2 / 7),  # inclusive: s10 -> s11 and s14 -> s16 are exactly 3 minutes apart
        (pd.Timedelta(minutes=2), 0.0),
        (np.timedelta64(1, "h"), 4 / 7),  # s11 -> s12 (17 minutes) counts too
        ("1D", 4 / 7),  # a retailer's last search is never refined
    ],
)
def test_refinement_window(window, expected):
    searches, _, _ = _tiny_log()
    assert refinement_rate(searches, window=window) == pytest.approx(expected)


def test_refinement_with_timezones_and_equal_timestamps():
    searches, _, _ = _tiny_log()
    aware = searches.assign(timestamp=searches["timestamp"].dt.tz_localize("Europe/Paris"))
    assert refinement_rate(aware) == pytest.approx(3 / 7)
    # two different queries in the same second: the one listed first is refined
    tied = pd.DataFrame(
        {
            "retailer_id": [1, 1],
            "query_id": [1, 2],
            "timestamp": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:00"]),
        }
    )
    assert refinement_rate(tied) == 0.5


def test_online_metrics_overall_row_on_the_hand_built_log():
    table = online_metrics(*_tiny_log())
    assert list(table.columns) == list(TINY_TOTALS)
    assert len(table) == 1
    row = table.iloc[0]
    for column, expected in TINY_TOTALS.items():
        assert row[column] == pytest.approx(expected), column
    assert table["n_searches"].dtype == np.int64


def test_online_metrics_by_day_on_the_hand_built_log():
    table = online_metrics(*_tiny_log(), by="day").set_index("day")
    expected = pd.DataFrame(
        {
            "n_searches": [4, 3],
            "n_zero_result": [0, 1],
            "n_refined": [2, 1],
            "n_bounced": [2, 2],
            "n_impressions": [7, 2],
            "n_clicks": [3, 1],
            "n_add_to_carts": [2, 1],
            "n_purchases": [1, 1],
            "n_orders": [1, 3],  # orders count on their own day
            "n_active_retailers": [2, 4],
            "gmv": [100.0, 100.0],
            "search_gmv": [100.0, 50.0],
            "ctr": [3 / 7, 1 / 2],
            "conversion_rate": [1 / 3, 1.0],
            "add_to_cart_rate": [2 / 3, 1.0],
            "revenue_per_search": [25.0, 50 / 3],
            "arpu": [50.0, 25.0],
            "zero_result_rate": [0.0, 1 / 3],
            "refinement_rate": [2 / 4, 1 / 3],
            "bounce_rate": [2 / 4, 2 / 3],
        },
        index=pd.Index([0, 1], name="day"),
    )
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


def test_orders_take_their_searchs_segment_when_they_lack_the_column():
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match=r"orders has 2 order\(s\) whose 'day'.*reorders"):
        online_metrics(searches, impressions, orders.drop(columns="day"), by="day")
    from_search = orders[orders["search_id"].notna()].drop(columns="day")
    table = online_metrics(searches, impressions, from_search, by="day").set_index("day")
    assert table["gmv"].tolist() == [100.0, 50.0]  # s10 is on day 0, s14 on day 1
    assert table["n_active_retailers"].tolist() == [2, 2]


def test_online_metrics_per_arm_after_a_merge():
    searches, impressions, orders = _tiny_log()
    arms = pd.DataFrame({"retailer_id": [1, 2, 3, 4], "arm": ["A", "B", "A", "B"]})
    table = online_metrics(
        searches.merge(arms, on="retailer_id"),
        impressions,
        orders.merge(arms, on="retailer_id"),
        by="arm",
    ).set_index("arm")
    assert table["n_searches"].tolist() == [4, 3]
    assert table["gmv"].tolist() == [130.0, 70.0]
    assert table["n_active_retailers"].tolist() == [2, 2]
    assert table.loc["A", "bounce_rate"] == pytest.approx(2 / 4)  # s12 and s15
    assert table.loc["B", "ctr"] == pytest.approx(1 / 4)


def test_segments_with_no_clicks_get_nan_rates_and_empty_orders_are_zero_gmv():
    searches, impressions, orders = _tiny_log()
    table = online_metrics(searches, impressions, orders.iloc[:0], by="retailer_id")
    table = table.set_index("retailer_id")
    assert np.isnan(table.loc[3, "ctr"])  # zero-result search: no impressions at all
    assert np.isnan(table.loc[3, "conversion_rate"])
    assert table.loc[3, "bounce_rate"] == 1.0
    assert table["gmv"].sum() == 0.0
    assert gross_merchandise_value(orders.iloc[:0]) == 0.0


def test_by_several_columns():
    searches, impressions, orders = _tiny_log()
    searches = searches.assign(half=np.where(searches["retailer_id"] == 1, "first", "second"))
    orders = orders.assign(half=np.where(orders["retailer_id"] == 1, "first", "second"))
    table = online_metrics(searches, impressions, orders, by=["day", "half"])
    assert table[["day", "half"]].to_numpy().tolist() == [
        [0, "first"],
        [0, "second"],
        [1, "first"],  # retailer 1's reorder on day 1
        [1, "second"],
    ]
    assert table["n_searches"].sum() == 7
    assert table["gmv"].sum() == 200.0


# ---------------------------------------------------------------------------------------------
# Refinement against a brute-force reference
# ---------------------------------------------------------------------------------------------


def _refinement_brute_force(searches, window):
    rows = list(searches[["retailer_id", "query_id", "timestamp"]].itertuples(index=False))
    refined = 0
    for i, (retailer, query, time) in enumerate(rows):
        later = [
            other
            for j, other in enumerate(rows)
            if other.retailer_id == retailer
            and (other.timestamp > time or (other.timestamp == time and j > i))
        ]
        refined += any(o.query_id != query and o.timestamp - time <= window for o in later)
    return refined / len(rows)


@given(
    events=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 30)), min_size=1, max_size=25
    ),
    window_minutes=st.integers(1, 12),
)
@settings(max_examples=80, deadline=None)
def test_refinement_matches_brute_force(events, window_minutes):
    retailer, query, minute = zip(*events, strict=True)
    searches = pd.DataFrame(
        {
            "retailer_id": retailer,
            "query_id": query,
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(minute, unit="min"),
        }
    )
    window = pd.Timedelta(minutes=window_minutes)
    assert refinement_rate(searches, window=window) == pytest.approx(
        _refinement_brute_force(searches, window)
    )


# ---------------------------------------------------------------------------------------------
# Consistency on the simulator
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def market():
    return make_marketplace(random_state=0)


@pytest.fixture(scope="module")
def overall(market):
    return online_metrics(market.searches, market.impressions, market.orders).iloc[0]


def test_simulator_engagement_metrics(market, overall):
    imp, orders = market.impressions, market.orders
    assert click_through_rate(imp) == pytest.approx(imp["clicked"].mean(), rel=1e-12)
    assert overall["ctr"] == pytest.approx(imp["clicked"].mean(), rel=1e-12)
    assert conversion_rate(imp) == pytest.approx(imp["ordered"].sum() / imp["clicked"].sum())
    # every purchase from a click is one search-sourced order of the orders table
    assert overall["n_purchases"] == (orders["source"] == "search").sum()
    assert add_to_cart_rate(imp) == pytest.approx(
        imp["added_to_cart"].mean() / imp["clicked"].mean()
    )
    assert overall["conversion_rate"] == pytest.approx(conversion_rate(imp), rel=1e-12)
    assert overall["add_to_cart_rate"] == pytest.approx(add_to_cart_rate(imp), rel=1e-12)


def test_simulator_business_metrics(market, overall):
    searches, orders = market.searches, market.orders
    from_search = orders.loc[orders["source"] == "search", "order_value"].sum()
    assert gross_merchandise_value(orders) == pytest.approx(orders["order_value"].sum())
    assert gross_merchandise_value(orders, attribution="search") == pytest.approx(from_search)
    assert overall["gmv"] == pytest.approx(orders["order_value"].sum(), rel=1e-12)
    assert overall["search_gmv"] == pytest.approx(from_search, rel=1e-12)
    assert revenue_per_search(searches, orders) == pytest.approx(from_search / len(searches))
    assert overall["revenue_per_search"] == pytest.approx(from_search / len(searches))
    active = set(searches["retailer_id"]) | set(orders["retailer_id"])
    assert overall["n_active_retailers"] == len(active)
    assert average_revenue_per_user(searches, orders) == pytest.approx(overall["arpu"], rel=1e-12)
    assert overall["arpu"] == pytest.approx(orders["order_value"].sum() / len(active))


def test_simulator_quality_metrics(market, overall):
    searches, impressions = market.searches, market.impressions
    assert zero_result_rate(searches) == pytest.approx((searches["n_results"] == 0).mean())
    assert overall["zero_result_rate"] == pytest.approx((searches["n_results"] == 0).mean())
    clicked_searches = set(impressions.loc[impressions["clicked"] == 1, "search_id"])
    no_click = ~searches["search_id"].isin(clicked_searches)
    assert bounce_rate(searches, impressions) == pytest.approx(no_click.mean())
    assert overall["bounce_rate"] == pytest.approx(no_click.mean())
    with_results = searches["n_results"] > 0
    assert bounce_rate(searches, impressions, exclude_zero_result=True) == pytest.approx(
        no_click[with_results].mean()
    )
    assert overall["refinement_rate"] == pytest.approx(refinement_rate(searches), rel=1e-12)
    one_retailer = searches[searches["retailer_id"] == searches["retailer_id"].mode()[0]]
    window = pd.Timedelta("30min")
    assert refinement_rate(one_retailer, window=window) == pytest.approx(
        _refinement_brute_force(one_retailer, window)
    )


def test_simulator_by_day_recomposes_to_the_totals(market, overall):
    by_day = online_metrics(market.searches, market.impressions, market.orders, by="day")
    assert by_day["day"].is_monotonic_increasing and by_day["day"].is_unique
    additive = [c for c in by_day.columns if c.startswith("n_") and c != "n_active_retailers"]
    for column in [*additive, "gmv", "search_gmv"]:
        assert by_day[column].sum() == pytest.approx(overall[column], rel=1e-12), column
    weights = {
        "ctr": "n_impressions",
        "conversion_rate": "n_clicks",
        "add_to_cart_rate": "n_clicks",
        "revenue_per_search": "n_searches",
        "zero_result_rate": "n_searches",
        "refinement_rate": "n_searches",
        "bounce_rate": "n_searches",
    }
    for rate, weight in weights.items():
        usable = by_day[weight] > 0
        recomposed = np.average(by_day.loc[usable, rate], weights=by_day.loc[usable, weight])
        assert recomposed == pytest.approx(overall[rate], rel=1e-10), rate
    # ARPU is not additive: a retailer active on several days is one user overall
    assert by_day["n_active_retailers"].max() <= overall["n_active_retailers"]
    assert by_day["n_active_retailers"].sum() > overall["n_active_retailers"]


def test_simulator_by_query_segment(market, overall):
    segment = market.queries[["query_id", "segment"]]
    searches = market.searches.merge(segment, on="query_id")
    with pytest.raises(ValueError, match=r"'segment'.*add the column"):
        online_metrics(searches, market.impressions, market.orders, by="segment")
    search_orders = market.orders[market.orders["source"] == "search"]
    table = online_metrics(searches, market.impressions, search_orders, by="segment")
    assert set(table["segment"]) == {"head", "torso", "tail"}
    assert table["n_impressions"].sum() == overall["n_impressions"]
    assert table["gmv"].sum() == pytest.approx(overall["search_gmv"], rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("searches", "n_results"),
        ("searches", "timestamp"),
        ("searches", "retailer_id"),
        ("impressions", "clicked"),
        ("impressions", "ordered"),
        ("orders", "order_value"),
        ("orders", "search_id"),
    ],
)
def test_missing_column_names_table_and_column(table, column):
    tables = dict(zip(("searches", "impressions", "orders"), _tiny_log(), strict=True))
    tables[table] = tables[table].drop(columns=column)
    with pytest.raises(ValueError, match=f"{table} has no column.*'{column}'"):
        online_metrics(**tables)


def test_single_metrics_name_their_missing_columns():
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match=r"impressions has no column.*'clicked'"):
        click_through_rate(impressions.drop(columns="clicked"))
    with pytest.raises(ValueError, match=r"impressions has no column.*'ordered'"):
        conversion_rate(impressions.drop(columns="ordered"))
    with pytest.raises(ValueError, match=r"impressions has no column.*'added_to_cart'"):
        add_to_cart_rate(impressions.drop(columns="added_to_cart"))
    with pytest.raises(ValueError, match=r"orders has no column.*'search_id'"):
        gross_merchandise_value(orders.drop(columns="search_id"), attribution="search")
    assert gross_merchandise_value(orders.drop(columns="search_id")) == 200.0
    with pytest.raises(ValueError, match=r"searches has no column.*'query_id'"):
        refinement_rate(searches.drop(columns="query_id"))
    with pytest.raises(ValueError, match=r"searches has no column.*'n_results'"):
        zero_result_rate(searches.drop(columns="n_results"))
    with pytest.raises(ValueError, match=r"searches has no column.*'n_results'"):
        bounce_rate(searches.drop(columns="n_results"), impressions, exclude_zero_result=True)
    with pytest.raises(ValueError, match=r"orders has no column.*'retailer_id'"):
        average_revenue_per_user(searches, orders.drop(columns="retailer_id"))


def test_empty_tables_are_rejected_except_orders():
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match="searches is empty"):
        online_metrics(searches.iloc[:0], impressions.iloc[:0], orders.iloc[:0])
    with pytest.raises(ValueError, match="impressions is empty"):
        online_metrics(searches, impressions.iloc[:0], orders)
    with pytest.raises(ValueError, match="impressions is empty"):
        click_through_rate(impressions.iloc[:0])
    with pytest.raises(ValueError, match="searches is empty"):
        zero_result_rate(searches.iloc[:0])
    with pytest.raises(ValueError, match="searches is empty"):
        revenue_per_search(searches.iloc[:0], orders)


def test_undefined_ratios_raise():
    _, impressions, _ = _tiny_log()
    no_clicks = impressions.assign(clicked=0, added_to_cart=0, ordered=0)
    with pytest.raises(ValueError, match="conversion rate is undefined"):
        conversion_rate(no_clicks)
    with pytest.raises(ValueError, match="add-to-cart rate is undefined"):
        add_to_cart_rate(no_clicks)
    only_zero = pd.DataFrame({"search_id": [1], "n_results": [0]})
    with pytest.raises(ValueError, match="every search had zero results"):
        bounce_rate(only_zero, impressions.iloc[:1].assign(search_id=1), exclude_zero_result=True)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s, i, o: (s, i.assign(clicked=2), o), "impressions.clicked must be binary"),
        (lambda s, i, o: (s, i.assign(ordered=1), o), "ordered=1 but clicked=0"),
        (lambda s, i, o: (s, i.assign(added_to_cart=1), o), "added_to_cart=1 but clicked=0"),
        (lambda s, i, o: (s, i.assign(clicked=np.nan), o), "missing values.*'clicked'"),
        (lambda s, i, o: (s, i, o.assign(order_value=-1.0)), "negative"),
        (lambda s, i, o: (s, i, o.assign(order_value=np.inf)), "NaN or infinite"),
        (lambda s, i, o: (s.assign(n_results=-1), i, o), "n_results must be >= 0"),
        (lambda s, i, o: (s.assign(n_results=1.5), i, o), "whole numbers"),
        (lambda s, i, o: (s.assign(search_id=1), i, o), "one search per row"),
        (lambda s, i, o: (s, i.assign(search_id=99), o), "impressions has 9 row.*not in searches"),
        (lambda s, i, o: (s, i, o.assign(search_id=pd.array([99] * 4))), "orders has 4 row"),
        (lambda s, i, o: (s.assign(timestamp="09:00"), i, o), "must hold datetimes"),
        (lambda s, i, o: (s.assign(timestamp=pd.NaT), i, o), "missing values.*'timestamp'"),
        (lambda s, i, o: (s.assign(retailer_id=None), i, o), "missing values.*'retailer_id'"),
        (lambda s, i, o: (s.to_numpy(), i, o), "searches must be a pandas DataFrame"),
    ],
)
def test_malformed_tables_raise(mutate, message):
    searches, impressions, orders = mutate(*_tiny_log())
    with pytest.raises((ValueError, TypeError), match=message):
        online_metrics(searches, impressions, orders)


@pytest.mark.parametrize("window", [0, 5, "0min", "-5min", "soon", None, pd.NaT])
def test_bad_window_raises(window):
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match="window must be"):
        refinement_rate(searches, window=window)
    with pytest.raises(ValueError, match="window must be"):
        online_metrics(searches, impressions, orders, refinement_window=window)


@pytest.mark.parametrize("attribution", ["reorder", None, "ALL"])
def test_bad_attribution_raises(attribution):
    searches, _, orders = _tiny_log()
    for call in (
        lambda: gross_merchandise_value(orders, attribution=attribution),
        lambda: revenue_per_search(searches, orders, attribution=attribution),
        lambda: average_revenue_per_user(searches, orders, attribution=attribution),
    ):
        with pytest.raises(ValueError, match="attribution must be one of"):
            call()


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("arm", "searches has no column.*'arm'"),
        (["day", "day"], "distinct column names"),
        ([], "distinct column names"),
        (3, "by must be"),
        ("gmv", "clash with an output column"),
    ],
)
def test_bad_by_raises(by, message):
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match=message):
        online_metrics(searches.assign(gmv=1.0), impressions, orders, by=by)


def test_missing_segment_values_raise():
    searches, impressions, orders = _tiny_log()
    with pytest.raises(ValueError, match=r"searches has missing values.*'day'"):
        online_metrics(searches.assign(day=np.nan), impressions, orders, by="day")
    with pytest.raises(ValueError, match=r"orders has 4 order\(s\) whose 'day'"):
        online_metrics(searches, impressions, orders.assign(day=np.nan), by="day")


def test_revenue_per_search_rejects_orders_of_other_searches():
    searches, _, orders = _tiny_log()
    first_day = searches[searches["day"] == 0]
    with pytest.raises(ValueError, match=r"orders has 1 row.*not in searches"):
        revenue_per_search(first_day, orders)
    # the "all" attribution cannot check the link, so it takes the tables as given
    assert revenue_per_search(first_day, orders, attribution="all") == pytest.approx(200 / 4)
