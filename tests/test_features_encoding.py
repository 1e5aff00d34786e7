"""Numeric and categorical encodings, crosses and feature selection of mlref.features.

Each transformer is compared with the scikit-learn/NumPy reference on random data (ties, one or
two rows, constant columns), the leakage of naive target encoding is reproduced, and bad input
raises ValueError.
"""

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn import preprocessing as skp
from sklearn.base import clone
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import murmurhash3_32 as sklearn_murmurhash3_32

from mlref.features import categorical, crossing, numeric, selection
from mlref.features.categorical import (
    FrequencyEncoder,
    HashingEncoder,
    OneHotEncoder,
    TargetEncoder,
    murmurhash3_32,
    naive_target_encode,
)
from mlref.features.crossing import HashedCrosser, cross_features
from mlref.features.numeric import Log1pTransformer, PercentileClipper, QuantileBinner, Standardizer
from mlref.features.selection import ablation, correlation_filter, importance_ranking
from mlref.metrics.classification import auc_roc
from mlref.models import l1_path
from mlref.models.linear import LogisticRegression

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def train_test_matrices(draw, max_rows=30, max_cols=3):
    """Train and test matrices; small integer values give ties and constant columns."""
    n_train = draw(st.integers(1, max_rows))
    n_test = draw(st.integers(1, 10))
    n_cols = draw(st.integers(1, max_cols))
    tied = draw(st.booleans())
    values = st.integers(-3, 3).map(float) if tied else st.floats(-1e3, 1e3, width=64)
    train = np.array(draw(st.lists(values, min_size=n_train * n_cols, max_size=n_train * n_cols)))
    test = np.array(draw(st.lists(values, min_size=n_test * n_cols, max_size=n_test * n_cols)))
    return train.reshape(n_train, n_cols), test.reshape(n_test, n_cols) * 2


@st.composite
def categorical_train_test(draw, max_rows=40):
    """Train and test category columns; test may hold categories unseen in train."""
    n_train = draw(st.integers(1, max_rows))
    n_test = draw(st.integers(1, 15))
    letters = st.sampled_from(list("abcdefg"))
    train = draw(st.lists(st.tuples(letters, letters), min_size=n_train, max_size=n_train))
    test = draw(st.lists(st.tuples(letters, letters), min_size=n_test, max_size=n_test))
    return np.array(train, dtype=object), np.array(test, dtype=object)


# --------------------------------------------------------------------------------------------
# Numeric transformers
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(train_test_matrices())
def test_standardizer_matches_standard_scaler_fitted_on_train_only(data):
    train, test = data
    ours = Standardizer().fit(train)
    ref = skp.StandardScaler().fit(train)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    for X in (train, test):
        np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(test)), test, atol=1e-9)


def test_standardizer_maps_constant_columns_to_exact_zero_and_documents_it():
    train = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]])
    out = Standardizer().fit_transform(train)
    assert (out[:, 0] == 0.0).all()
    assert Standardizer().fit(train).transform([[0.6, 1.0]])[0, 0] == pytest.approx(0.5)
    assert "constant" in Standardizer.__doc__


def test_log1p_transformer_is_log1p_and_refuses_values_at_or_below_minus_one():
    X = np.array([[0.0, 10.0], [-0.5, 1e6]])
    transformer = Log1pTransformer().fit(X)
    np.testing.assert_array_equal(transformer.transform(X), np.log1p(X))
    np.testing.assert_allclose(transformer.inverse_transform(transformer.transform(X)), X)
    for bad in (-1.0, -2.0):
        with pytest.raises(ValueError, match="<= -1"):
            Log1pTransformer().fit([[bad]])
        with pytest.raises(ValueError, match="<= -1"):
            Log1pTransformer().fit([[0.0]]).transform([[bad]])


@SETTINGS
@given(
    train_test_matrices(), st.integers(2, 8), st.sampled_from(["averaged_inverted_cdf", "linear"])
)
def test_quantile_binner_matches_kbins_discretizer(data, n_bins, method):
    train, test = data
    ours = QuantileBinner(n_bins, quantile_method=method).fit(train)
    ref = skp.KBinsDiscretizer(
        n_bins=n_bins, strategy="quantile", encode="ordinal", quantile_method=method, subsample=None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn warns on merged edges
        ref.fit(train)
    np.testing.assert_array_equal(ours.n_bins_, ref.n_bins_)
    for X in (train, test):
        np.testing.assert_array_equal(ours.transform(X), ref.transform(X))


def test_quantile_binner_sends_unseen_extremes_to_the_end_bins():
    train = np.arange(100.0).reshape(-1, 1)
    binner = QuantileBinner(4).fit(train)
    out = binner.transform([[-1e9], [0.0], [99.0], [1e9]]).ravel()
    assert out.tolist() == [0.0, 0.0, 3.0, 3.0]
    counts = np.bincount(binner.transform(train).ravel().astype(int))
    assert counts.tolist() == [25, 25, 25, 25]


@SETTINGS
@given(train_test_matrices(), st.floats(0, 40), st.floats(60, 100))
def test_percentile_clipper_matches_numpy_clip_at_training_percentiles(data, lower, upper):
    train, test = data
    clipper = PercentileClipper(lower=lower, upper=upper).fit(train)
    expected = np.clip(
        test, np.percentile(train, lower, axis=0), np.percentile(train, upper, axis=0)
    )
    np.testing.assert_array_equal(clipper.transform(test), expected)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: QuantileBinner(1), "n_bins"),
        (lambda: QuantileBinner(2.5), "n_bins"),
        (lambda: QuantileBinner(3, quantile_method="nope"), "quantile_method"),
        (lambda: PercentileClipper(lower=50, upper=50), "lower must be smaller"),
        (lambda: PercentileClipper(lower=-1), "lower"),
        (lambda: PercentileClipper(upper=101), "upper"),
    ],
)
def test_numeric_transformers_refuse_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make().fit([[1.0], [2.0], [3.0]])


@pytest.mark.parametrize(
    "transformer",
    [Standardizer(), Log1pTransformer(), QuantileBinner(2), PercentileClipper()],
    ids=lambda t: type(t).__name__,
)
def test_numeric_transformers_check_input_and_keep_column_names(transformer):
    train = pd.DataFrame({"price": [1.0, 5.0, 9.0], "reviews": [0.0, 3.0, 30.0]})
    fitted = clone(transformer).fit(train)
    assert fitted.get_feature_names_out().tolist() == ["price", "reviews"]
    as_frame = clone(transformer).set_output(transform="pandas").fit(train).transform(train)
    assert list(as_frame.columns) == ["price", "reviews"]
    with pytest.raises(ValueError, match="NaN"):
        clone(transformer).fit([[1.0], [np.nan]])
    with pytest.raises(ValueError, match="2-D"):
        clone(transformer).fit([1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        clone(transformer).fit(np.empty((0, 2)))
    with pytest.raises(ValueError, match="columns"):
        fitted.transform(train[["price"]])
    with pytest.raises(ValueError, match="same columns"):
        fitted.transform(train.rename(columns={"price": "msrp"}))
    with pytest.raises(ValueError, match="not numeric"):
        clone(transformer).fit(train.assign(brand=["a", "b", "c"]))


def test_numeric_transformers_compose_in_a_pipeline():
    rng = np.random.default_rng(0)
    prices = rng.lognormal(3, 1, size=(500, 1))
    pipeline = make_pipeline(PercentileClipper(upper=95), Log1pTransformer(), Standardizer())
    out = pipeline.fit_transform(prices)
    assert abs(out.mean()) < 1e-12 and out.std() == pytest.approx(1.0)
    assert pipeline.transform([[1e9]])[0, 0] == pytest.approx(out.max())


# --------------------------------------------------------------------------------------------
# One-hot and frequency encoding
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(categorical_train_test())
def test_one_hot_matches_sklearn_with_unknown_ignored(data):
    train, test = data
    ours = OneHotEncoder().fit(train)
    ref = skp.OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train)
    for X in (train, test):
        np.testing.assert_array_equal(ours.transform(X), ref.transform(X))
    assert ours.get_feature_names_out().tolist() == ref.get_feature_names_out().tolist()
    dense_sparse = OneHotEncoder(sparse_output=True).fit(train).transform(test)
    assert sparse.issparse(dense_sparse)
    np.testing.assert_array_equal(dense_sparse.toarray(), ours.transform(test))


def test_one_hot_max_categories_matches_sklearn_when_counts_are_distinct():
    rng = np.random.default_rng(1)
    train = np.repeat(list("abcdef"), [30, 12, 7, 5, 3, 1]).reshape(-1, 1)
    test = rng.choice(list("abcdefz"), size=(50, 1))
    ours = OneHotEncoder(max_categories=3).fit(train)
    ref = skp.OneHotEncoder(max_categories=3, handle_unknown="ignore", sparse_output=False)
    ref.fit(train)
    np.testing.assert_array_equal(ours.transform(test), ref.transform(test))
    assert ours.get_feature_names_out().tolist() == ["x0_a", "x0_b", "x0_other"]
    assert ours.infrequent_categories_[0].tolist() == list("cdef")


def test_one_hot_other_column_takes_unknown_and_rare_values_and_ties_keep_smaller():
    train = pd.DataFrame({"device": ["b", "a", "a", "b", "c"]})
    enc = OneHotEncoder(max_categories=2, handle_unknown="other").fit(train)
    assert enc.categories_[0].tolist() == ["a"]
    out = enc.transform(pd.DataFrame({"device": ["a", "b", "c", "zzz"]}))
    assert out.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    ignore = OneHotEncoder(max_categories=2).fit(train)
    assert ignore.transform(pd.DataFrame({"device": ["c", "zzz"]})).tolist() == [
        [0.0, 1.0],
        [0.0, 0.0],
    ]
    plain = OneHotEncoder(handle_unknown="other").fit(train)
    assert plain.get_feature_names_out().tolist() == [
        "device_a",
        "device_b",
        "device_c",
        "device_other",
    ]
    assert plain.transform(pd.DataFrame({"device": ["zzz"]})).tolist() == [[0, 0, 0, 1.0]]


def test_frequency_encoder_gives_training_shares_and_zero_for_unseen():
    train = pd.DataFrame({"brand": ["x", "y", "x", "x", "z"], "seg": [1, 1, 2, 2, 2]})
    enc = FrequencyEncoder().fit(train)
    test = pd.DataFrame({"brand": ["x", "z", "new"], "seg": [2, 3, 1]})
    expected = np.column_stack(
        [
            test["brand"].map(train["brand"].value_counts(normalize=True)).fillna(0.0),
            test["seg"].map(train["seg"].value_counts(normalize=True)).fillna(0.0),
        ]
    )
    np.testing.assert_allclose(enc.transform(test), expected)
    counts = FrequencyEncoder(normalize=False).fit(train).transform(test)
    assert counts[:, 0].tolist() == [3.0, 1.0, 0.0]


# --------------------------------------------------------------------------------------------
# Target encoding
# --------------------------------------------------------------------------------------------


def _random_categories(rng, n, n_categories):
    return rng.integers(0, n_categories, size=n).astype(str).astype(object)


def test_target_encoder_transform_is_the_m_estimate_by_hand():
    X = pd.DataFrame({"brand": ["a", "a", "a", "b", "c", "c"]})
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    m = 2.0
    enc = TargetEncoder(smoothing=m).fit(X, y)
    prior = 3 / 6
    expected = {"a": (2 + m * prior) / (3 + m), "b": (1 + m * prior) / (1 + m), "c": m * prior / 4}
    out = enc.transform(pd.DataFrame({"brand": ["a", "b", "c", "unseen"]})).ravel()
    np.testing.assert_allclose(out, [*expected.values(), prior])
    np.testing.assert_allclose(
        naive_target_encode(X["brand"], y, smoothing=m), [expected[c] for c in X["brand"]]
    )


@pytest.mark.parametrize("smoothing", [0.5, 10.0])
@pytest.mark.parametrize("n_splits", [2, 5])
def test_target_encoder_equals_sklearn_with_the_same_smoothing_and_folds(smoothing, n_splits):
    rng = np.random.default_rng(3)
    X = np.column_stack([_random_categories(rng, 300, 40), _random_categories(rng, 300, 4)])
    y = (rng.random(300) < 0.3).astype(float)
    X_test = np.column_stack([_random_categories(rng, 50, 60), _random_categories(rng, 50, 4)])
    ours = TargetEncoder(smoothing=smoothing, n_splits=n_splits, random_state=7)
    ref = skp.TargetEncoder(
        smooth=smoothing,
        target_type="continuous",
        cv=KFold(n_splits, shuffle=True, random_state=7),
    )
    np.testing.assert_allclose(ours.fit_transform(X, y), ref.fit_transform(X, y), rtol=1e-12)
    for got, expected in zip(ours.encodings_, ref.encodings_, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X_test), ref.transform(X_test), rtol=1e-12)


def test_out_of_fold_encoding_of_a_row_never_uses_its_own_label():
    rng = np.random.default_rng(4)
    X = _random_categories(rng, 200, 15).reshape(-1, 1)
    y = (rng.random(200) < 0.5).astype(float)
    encoder = TargetEncoder(smoothing=1.0, n_splits=5, random_state=0)
    base = encoder.fit_transform(X, y).ravel()
    naive_base = naive_target_encode(X.ravel(), y)
    for i in rng.choice(200, size=25, replace=False):
        flipped = y.copy()
        flipped[i] = 1.0 - flipped[i]
        out = clone(encoder).fit_transform(X, flipped).ravel()
        assert out[i] == base[i]
        assert not np.array_equal(out, base)  # other rows did see the change
        assert naive_target_encode(X.ravel(), flipped)[i] != naive_base[i]


def test_naive_target_encoding_leaks_into_train_auc_and_out_of_fold_does_not():
    rng = np.random.default_rng(5)
    n_train, n_test, n_categories = 4000, 4000, 2000  # about 2 rows per category
    X_train = _random_categories(rng, n_train, n_categories).reshape(-1, 1)
    X_test = _random_categories(rng, n_test, n_categories).reshape(-1, 1)
    y_train = (rng.random(n_train) < 0.3).astype(int)  # unrelated to the category
    y_test = (rng.random(n_test) < 0.3).astype(int)

    naive_train = naive_target_encode(X_train.ravel(), y_train)
    naive_test = TargetEncoder(smoothing=0.0).fit(X_train, y_train).transform(X_test).ravel()
    encoder = TargetEncoder(smoothing=10.0, random_state=0)
    oof_train = encoder.fit_transform(X_train, y_train).ravel()
    oof_test = encoder.transform(X_test).ravel()

    assert auc_roc(y_train, naive_train) > 0.75
    assert auc_roc(y_train, oof_train) == pytest.approx(0.5, abs=0.03)
    assert auc_roc(y_test, naive_test) == pytest.approx(0.5, abs=0.03)
    assert auc_roc(y_test, oof_test) == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "X", "y", "match"),
    [
        ({"smoothing": -1.0}, [["a"], ["b"]], [0, 1], "smoothing"),
        ({"n_splits": 1}, [["a"], ["b"]], [0, 1], "n_splits"),
        ({"n_splits": 3}, [["a"], ["b"]], [0, 1], "n_splits"),
        ({}, [["a"], ["b"]], [0, 1, 1], "length mismatch"),
        ({}, [["a"], ["b"]], [0, np.nan], "NaN"),
        ({}, [["a"], [None]], [0, 1], "missing"),
        ({}, ["a", "b"], [0, 1], "2-D"),
    ],
)
def test_target_encoder_refuses_bad_input(kwargs, X, y, match):
    with pytest.raises(ValueError, match=match):
        TargetEncoder(**kwargs).fit_transform(np.array(X, dtype=object), y)


def test_categorical_encoders_refuse_bad_input():
    with pytest.raises(ValueError, match="max_categories"):
        OneHotEncoder(max_categories=0).fit([["a"]])
    with pytest.raises(ValueError, match="handle_unknown"):
        OneHotEncoder(handle_unknown="error").fit([["a"]])
    with pytest.raises(ValueError, match="missing"):
        FrequencyEncoder().fit(pd.DataFrame({"c": ["a", np.nan]}))
    with pytest.raises(ValueError, match="columns"):
        OneHotEncoder().fit([["a", "b"]]).transform([["a"]])
    unhashable = np.empty((2, 1), dtype=object)
    unhashable[0, 0], unhashable[1, 0] = ["a"], ["b"]
    with pytest.raises(ValueError, match="cannot be categories"):
        OneHotEncoder().fit(unhashable)
    with pytest.raises(ValueError, match="1-D"):
        naive_target_encode([["a"]], [1])


# --------------------------------------------------------------------------------------------
# Hashing trick and crosses
# --------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=13),
        max_size=20,
    ),
    st.integers(0, 2**32 - 1),
)
def test_murmurhash3_equals_sklearn_bit_for_bit(tokens, seed):
    expected = [sklearn_murmurhash3_32(t, seed=seed) for t in tokens]
    assert murmurhash3_32(tokens, seed=seed).tolist() == expected


@pytest.mark.parametrize("alternate_sign", [False, True])
def test_hashing_encoder_equals_feature_hasher(alternate_sign):
    rng = np.random.default_rng(6)
    df = pd.DataFrame(
        {
            "query": _random_categories(rng, 300, 200),
            "brand": rng.choice(["acme", "böse", "zeta"], size=300),
            "segment": rng.integers(0, 3, size=300),
        }
    )
    tokens = [[f"{c}={v}" for c, v in row.items()] for _, row in df.iterrows()]
    for n_features in (8, 2**20):  # 8 forces collisions, which add up
        ours = HashingEncoder(n_features, alternate_sign=alternate_sign).fit(df).transform(df)
        ref = FeatureHasher(n_features, input_type="string", alternate_sign=alternate_sign)
        assert sparse.isspmatrix_csr(ours) and ours.shape == (300, n_features)
        assert (ours != ref.transform(tokens)).nnz == 0


def test_hashing_encoder_seed_changes_columns_deterministically():
    X = np.array([["red"], ["blue"]], dtype=object)
    out = HashingEncoder(1000, seed=42).fit(X).transform(X)
    expected = [abs(sklearn_murmurhash3_32(f"x0={v}", seed=42)) % 1000 for v in ("red", "blue")]
    assert out.nonzero()[1].tolist() == expected
    with pytest.raises(ValueError, match="seed"):
        HashingEncoder(8, seed=-1).fit(X)
    with pytest.raises(ValueError, match="n_features"):
        HashingEncoder(0).fit(X)


def test_cross_features_concatenates_values_of_each_tuple():
    df = pd.DataFrame(
        {"bucket": ["lo", "hi", "hi"], "category": ["shoe", "shoe", "bag"], "brand": [1, 2, 3]},
        index=[10, 11, 12],
    )
    crosses = cross_features(df, [("bucket", "category"), ("bucket", "category", "brand")])
    assert crosses.index.tolist() == [10, 11, 12]
    assert crosses["bucket_x_category"].tolist() == ["lo|shoe", "hi|shoe", "hi|bag"]
    assert crosses["bucket_x_category_x_brand"].tolist() == ["lo|shoe|1", "hi|shoe|2", "hi|bag|3"]
    for pairs, match in [([("bucket", "nope")], "unknown"), ([("bucket",)], "two distinct")]:
        with pytest.raises(ValueError, match=match):
            cross_features(df, pairs)
    with pytest.raises(ValueError, match="missing"):
        cross_features(df.assign(brand=[1, None, 3]), [("bucket", "brand")])
    with pytest.raises(TypeError, match="DataFrame"):
        cross_features(df.to_numpy(), [(0, 1)])


def test_hashed_crosser_equals_feature_hasher_on_cross_tokens():
    rng = np.random.default_rng(7)
    X = np.column_stack([rng.choice(list("abc"), 100), rng.choice(list("xyz"), 100)])
    crosser = HashedCrosser([("x0", "x1"), ("x1", "x0")], n_features=32, alternate_sign=True)
    out = crosser.fit(X).transform(X)
    tokens = [[f"x0={a}&x1={b}", f"x1={b}&x0={a}"] for a, b in X]
    ref = FeatureHasher(32, input_type="string", alternate_sign=True).transform(tokens)
    np.testing.assert_array_equal(out.toarray(), ref.toarray())
    with pytest.raises(ValueError, match="unknown"):
        HashedCrosser([("x0", "x9")]).fit(X)


def test_crosses_let_a_linear_model_learn_an_interaction():
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"a": rng.choice(["p", "q"], 2000), "b": rng.choice(["u", "v"], 2000)})
    y = ((df["a"] == "p") ^ (df["b"] == "u")).to_numpy().astype(int)  # XOR: no main effect
    one_hot = OneHotEncoder().fit_transform(df)
    crossed = np.hstack(
        [one_hot, HashedCrosser([("a", "b")], n_features=64).fit_transform(df).toarray()]
    )
    auc_plain = auc_roc(y, LogisticRegression().fit(one_hot, y).predict_proba(one_hot)[:, 1])
    auc_cross = auc_roc(y, LogisticRegression().fit(crossed, y).predict_proba(crossed)[:, 1])
    assert auc_plain < 0.55 and auc_cross > 0.99


# --------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------


def test_correlation_filter_keeps_the_earlier_feature_of_each_correlated_pair():
    rng = np.random.default_rng(9)
    base = rng.normal(size=500)
    X = pd.DataFrame(
        {
            "a": base,
            "b": rng.normal(size=500),
            "a_copy": 2 * base + 0.01 * rng.normal(size=500),
            "constant": np.ones(500),
            "b_rank": np.exp(3 * rng.normal(size=500)),
        }
    )
    X["b_rank"] = np.exp(X["b"] * 3)  # monotone in b: Spearman 1, Pearson below
    pearson = correlation_filter(X, 0.95)
    assert pearson.kept == ["a", "b", "constant", "b_rank"]
    assert pearson.dropped == {"a_copy": "a"}
    spearman = correlation_filter(X, 0.95, method="spearman")
    assert spearman.dropped == {"a_copy": "a", "b_rank": "b"}
    numeric_only = X.drop(columns="constant")
    np.testing.assert_allclose(
        pearson.correlation.drop(index="constant", columns="constant"),
        numeric_only.corr(),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        spearman.correlation.drop(index="constant", columns="constant"),
        numeric_only.corr(method="spearman"),
        atol=1e-12,
    )
    assert correlation_filter(X.to_numpy(), 0.95).kept == [0, 1, 3, 4]


def test_correlation_filter_refuses_bad_input():
    with pytest.raises(ValueError, match="threshold"):
        correlation_filter(np.ones((3, 2)), 1.5)
    with pytest.raises(ValueError, match="two rows"):
        correlation_filter(np.ones((1, 2)), 0.9)
    with pytest.raises(ValueError, match="method"):
        correlation_filter(np.ones((3, 2)), 0.9, method="kendall")


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(10)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=["bm25", "price", "rating", "noise"])
    y = 3 * X["bm25"] + 1.0 * X["rating"] + 0.3 * X["price"] + 0.3 * rng.normal(size=600)
    return X, y.to_numpy()


def test_importance_ranking_reads_xgboost_total_gain(regression_data):
    X, y = regression_data
    model = xgboost.XGBRegressor(n_estimators=30, max_depth=3, n_jobs=1).fit(X, y)
    ranking = importance_ranking(model)
    assert ranking["feature"].tolist()[:3] == ["bm25", "rating", "price"]
    scores = model.get_booster().get_score(importance_type="total_gain")
    total = sum(scores.values())
    for feature, share in zip(ranking["feature"], ranking["importance"], strict=True):
        assert share == pytest.approx(scores.get(feature, 0.0) / total)
    gain = importance_ranking(model.get_booster(), importance_type="gain")
    assert gain["importance"].sum() == pytest.approx(1.0)
    renamed = importance_ranking(model.get_booster(), ["a", "b", "c", "d"])
    assert renamed["feature"].iloc[0] == "a"


def test_importance_ranking_reads_feature_importances_of_other_models(regression_data):
    X, y = regression_data
    tree = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X.to_numpy(), y)
    ranking = importance_ranking(tree, list(X.columns))
    order = np.argsort(-tree.feature_importances_, kind="stable")
    assert ranking["feature"].tolist() == X.columns[order].tolist()
    np.testing.assert_allclose(ranking["importance"], tree.feature_importances_[order])
    assert importance_ranking(tree)["feature"].iloc[0] == "x0"
    with pytest.raises(ValueError, match="XGBoost"):
        importance_ranking(tree, importance_type="gain")
    with pytest.raises(ValueError, match="feature_names"):
        importance_ranking(tree, ["a"])
    with pytest.raises(ValueError, match="fitted"):
        importance_ranking(LinearRegression())


def _r2_fit_score(X_train, y_train, X_valid, y_valid):
    return LinearRegression().fit(X_train, y_train).score(X_valid, y_valid)


def test_ablation_reports_the_metric_drop_and_agrees_with_importance(regression_data):
    X, y = regression_data
    X_train, X_valid, y_train, y_valid = X[:400], X[400:], y[:400], y[400:]
    result = ablation(_r2_fit_score, X_train, y_train, X_valid, y_valid)
    assert result.baseline == pytest.approx(_r2_fit_score(X_train, y_train, X_valid, y_valid))
    assert result.table["removed"].tolist()[:3] == ["bm25", "rating", "price"]
    without_bm25 = _r2_fit_score(
        X_train.drop(columns="bm25"), y_train, X_valid.drop(columns="bm25"), y_valid
    )
    first = result.table.iloc[0]
    assert first["score"] == pytest.approx(without_bm25)
    assert first["drop"] == pytest.approx(result.baseline - without_bm25)
    model = xgboost.XGBRegressor(n_estimators=30, max_depth=3, n_jobs=1).fit(X_train, y_train)
    assert importance_ranking(model)["feature"].iloc[0] == first["removed"]

    grouped = ablation(
        _r2_fit_score, X_train, y_train, X_valid, y_valid, groups={"quality": ["rating", "price"]}
    )
    assert grouped.table["removed"].tolist() == ["quality"]
    array_result = ablation(
        _r2_fit_score, X_train.to_numpy(), y_train, X_valid.to_numpy(), y_valid, features=[0, 3]
    )
    assert array_result.table["removed"].tolist() == ["x0", "x3"]
    as_loss = ablation(
        lambda *a: -_r2_fit_score(*a), X_train, y_train, X_valid, y_valid, greater_is_better=False
    )
    np.testing.assert_allclose(as_loss.table["drop"], result.table["drop"])


def test_ablation_passes_targets_through_untouched_and_refuses_bad_input(regression_data):
    X, y = regression_data
    targets = pd.DataFrame({"label": y[:10], "qid": np.repeat([0, 1], 5)})
    seen = []

    def fit_score(X_tr, y_tr, X_va, y_va):
        seen.append((tuple(X_tr.columns), y_tr is targets))
        return 0.0

    ablation(fit_score, X[:10], targets, X[:10], targets, features=["noise"])
    assert seen == [(tuple(X.columns), True), (("bm25", "price", "rating"), True)]
    with pytest.raises(ValueError, match="unknown"):
        ablation(fit_score, X, y, X, y, features=["nope"])
    with pytest.raises(ValueError, match="no feature"):
        ablation(fit_score, X, y, X, y, groups={"all": list(X.columns)})
    with pytest.raises(ValueError, match="same columns"):
        ablation(fit_score, X, y, X[["bm25"]], y)
    with pytest.raises(ValueError, match="callable"):
        ablation(None, X, y, X, y)


def test_l1_path_starts_empty_and_admits_the_largest_gradient_first():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(400, 5))
    y = (2 * X[:, 3] + X[:, 0] + rng.normal(size=400) > 0).astype(int)
    gradient = np.abs(X.T @ (y - y.mean()))
    c_max = 1.0 / gradient.max()
    assert gradient.argmax() == 3 and np.sort(gradient)[-2] < gradient.max() / 1.5
    path = l1_path(X, y, [0.95 * c_max, 1.2 * c_max, 100 * c_max])
    assert path.n_nonzero.tolist() == [0, 1, 5]
    assert path.entry_order[:2] == ["x3", "x0"]
    assert path.entry_C["x3"] == pytest.approx(1.2 * c_max)
    direct = LogisticRegression(penalty="l1", C=100 * c_max).fit(X, y).coef_[0]
    np.testing.assert_allclose(path.coefs.iloc[-1], direct)
    named = l1_path(pd.DataFrame(X, columns=list("abcde")), y, [1.2 * c_max])
    assert named.entry_order == ["d"] and named.entry_C["a"] == np.inf
    with pytest.raises(ValueError, match="Cs"):
        l1_path(X, y, [0.0, 1.0])
    with pytest.raises(ValueError, match="feature_names"):
        l1_path(X, y, [1.0], feature_names=["a"])


@pytest.mark.parametrize("module", [numeric, categorical, crossing, selection])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
