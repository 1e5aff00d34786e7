"""Input checks shared by every public function of mlref.

Each check raises :class:`ValueError` with a message that names the argument, says what is wrong
and how to fix it, so that a bad input never turns into a silently wrong number.
"""

import numbers

import numpy as np
import pandas as pd
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted


def as_array(x, name: str, dtype) -> np.ndarray:
    """``np.asarray`` with messages that name the argument (ragged lists, text, objects)."""
    if isinstance(x, str | bytes):
        raise ValueError(f"{name} must be array-like of numbers, got a string {x[:20]!r}")
    try:
        return np.asarray(x, dtype=dtype)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(
                f"{name} is ragged: its rows have different lengths; pass a rectangular array "
                "(every row the same number of values)"
            ) from None
        raise ValueError(
            f"{name} must hold numbers; could not convert it to {np.dtype(dtype)} ({exc})"
        ) from None
    except TypeError as exc:
        raise TypeError(f"{name} must be array-like of numbers; {exc}") from None


def check_array_1d(x, name: str, *, dtype=np.float64, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a finite 1-D array of ``dtype``.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D, is empty (unless ``allow_empty``), is not numeric, or holds NaN/inf.
    """
    arr = as_array(x, name, None)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {arr.shape}; pass one value per sample "
            "(use .ravel() if a column vector was meant)"
        )
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; pass at least one sample")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise ValueError(f"{name} holds {bad} NaN or infinite value(s); drop or impute them first")
    if dtype is not None and arr.dtype != dtype:
        converted = arr.astype(dtype)
        if np.dtype(dtype).kind in "iu" and arr.dtype.kind == "f" and not (converted == arr).all():
            raise ValueError(f"{name} must hold whole numbers, got fractional values")
        arr = converted
    return arr


def check_array_2d(x, name: str, *, dtype=np.float64, allow_nan: bool = False) -> np.ndarray:
    """Return ``x`` as a finite, non-empty 2-D array of ``dtype``.

    With ``allow_nan=True``, NaN is accepted as the marker of a missing value (imputers); an
    infinite value is still refused.
    """
    arr = as_array(x, name, dtype)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}; "
            "reshape a single feature with x.reshape(-1, 1)"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); pass at least one row and column")
    if allow_nan:
        if np.isinf(arr).any():
            raise ValueError(f"{name} holds infinite values; only NaN marks a missing value")
    elif not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or impute them first")
    return arr


def check_same_length(**arrays) -> int:
    """Check that all keyword arrays have the same length and return it."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"length mismatch: {described}; pass one value per sample in each")
    return next(iter(lengths.values()))


def check_binary(y, name: str = "y_true", *, require_both: bool = False) -> np.ndarray:
    """Return binary labels as an int array of 0/1.

    Parameters
    ----------
    require_both : bool
        Also require at least one 0 and one 1 (needed by AUC-type metrics).
    """
    arr = check_array_1d(y, name, dtype=None)
    values = np.unique(arr)
    if not np.isin(values, (0, 1)).all():
        shown = ", ".join(str(v) for v in values[:5])
        raise ValueError(
            f"{name} must be binary 0/1 labels, got values {shown}; map them to 0/1 first"
        )
    if require_both and values.size < 2:
        raise ValueError(
            f"{name} holds only one class ({values[0]!s}); this metric compares positives with "
            "negatives and is undefined with one class; evaluate on data with both"
        )
    return arr.astype(np.int64)


def check_probabilities(p, name: str = "y_prob") -> np.ndarray:
    """Return ``p`` as a float array, checking every value lies in [0, 1]."""
    arr = check_array_1d(p, name)
    if arr.min() < 0 or arr.max() > 1:
        raise ValueError(
            f"{name} must be probabilities in [0, 1], got values from {arr.min():.4g} to "
            f"{arr.max():.4g}; apply a sigmoid to raw scores first"
        )
    return arr


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, checking it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_option(value, name: str, options) -> str:
    """Check that ``value`` is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_real(
    value,
    name: str,
    *,
    low: float = -np.inf,
    high: float = np.inf,
    low_inclusive: bool = True,
    hint: str = "",
) -> float:
    """Return ``value`` as a float, checking it is a finite real number within the bounds.

    Raises
    ------
    ValueError
        Naming the argument and the allowed range, e.g. ``sigma must be a finite number > 0,
        got -1``; ``hint`` is appended to say how to fix it.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value >= low if low_inclusive else value > low) and value <= high
    if not ok:
        if high == np.inf:
            allowed = f"{'>=' if low_inclusive else '>'} {low:g}" if low > -np.inf else "number"
        else:
            allowed = f"in {'[' if low_inclusive else '('}{low:g}, {high:g}]"
        prefix = "a finite number" if allowed == "number" else f"a finite number {allowed}"
        raise ValueError(f"{name} must be {prefix}, got {value!r}{hint}")
    return float(value)


def check_class_labels(y, name: str = "y") -> np.ndarray:
    """Return class labels as a non-empty 1-D array of numbers, or of strings, and nothing else.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, is empty, holds NaN/inf or missing labels (None), holds fractional
        floats (scores or a continuous target, not labels), or mixes strings and numbers.
    """
    arr = as_array(y, name, None)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one label per sample), got shape {arr.shape}; pass "
            f"{name}.ravel() if it is a column vector"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one label")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite labels; drop those samples first")
    if arr.dtype.kind == "f" and (arr != np.round(arr)).any():
        raise ValueError(
            f"{name} holds fractional values, a continuous target that looks like scores, not "
            "class labels; threshold or bin it first, e.g. (y_prob >= 0.5).astype(int)"
        )
    if arr.dtype.kind not in "biufUO":
        raise ValueError(f"{name} must hold class labels (numbers or strings), got {arr.dtype}")
    # NumPy turns the list [1, "a"] into the strings ["1", "a"]: look at the original objects.
    from_list = arr.dtype.kind == "U" and not isinstance(y, np.ndarray)
    objects = np.asarray(y, dtype=object) if from_list else arr
    if objects.dtype.kind == "O":
        values = list(objects)
        if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in values):
            raise ValueError(
                f"{name} mixes label types: it has missing labels (None or NaN); drop those "
                "samples first"
            )
        is_str = [isinstance(v, str) for v in values]
        if any(is_str) and not all(is_str):
            raise ValueError(f"{name} mixes label types; use all strings or all numbers")
        if not all(is_str) and not all(isinstance(v, numbers.Real) for v in values):
            raise ValueError(f"{name} mixes label types; use all strings or all finite numbers")
    return arr


def check_n_features(X, estimator, name: str = "X"):
    """Check that ``X`` has the ``n_features_in_`` columns ``estimator`` was fitted with.

    ``X`` is an array, or the number of columns of one. The message follows scikit-learn's
    wording, so estimator checks recognise it.
    """
    n_columns = X if isinstance(X, numbers.Integral) else X.shape[1]
    if n_columns != estimator.n_features_in_:
        raise ValueError(
            f"{name} has {n_columns} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input (as in fit); pass the same columns"
        )
    return X


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool, refusing anything but True/False (``0``, ``"no"``...)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(random_state, name: str = "random_state"):
    """Check a seed without using it: None, an int >= 0, a Generator or a RandomState.

    Returns the value unchanged, for code that hands the seed on (to scikit-learn's
    ``check_random_state`` or to XGBoost) but must refuse a bad one with a clear message.

    Raises
    ------
    ValueError
        For anything else (a string, a float, a bool, a negative int), naming ``name`` and the
        accepted types, instead of NumPy's SeedSequence message.
    """
    if random_state is None or isinstance(
        random_state, np.random.Generator | np.random.RandomState
    ):
        return random_state
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ValueError(
            f"{name} must be None, an int >= 0, a numpy Generator or RandomState, got "
            f"{random_state!r} ({type(random_state).__name__}); pass e.g. {name}=0"
        )
    if random_state < 0:
        raise ValueError(f"{name} must be an int >= 0, got {random_state}; pass e.g. {name}=0")
    return random_state


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """Return a NumPy ``Generator`` from a seed: None, an int >= 0, a Generator or a RandomState.

    An int seed gives ``np.random.default_rng(seed)``, so results are the same as seeding NumPy
    directly; a ``Generator`` is used as it is (its state advances); a legacy ``RandomState``
    draws one seed from its stream. Anything else raises :class:`ValueError` (see
    :func:`check_seed`).

    Examples
    --------
    >>> check_random_state(0).integers(10)
    np.int64(8)
    """
    random_state = check_seed(random_state, name)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1))
    return np.random.default_rng(random_state)


def check_input_features(estimator, input_features) -> list[str]:
    """The input feature names for ``get_feature_names_out(input_features)``, as scikit-learn.

    ``None`` gives the names seen in ``fit`` (``x0, x1, ...`` for an array); given names must
    be one per input column, and equal the fitted ones when ``fit`` saw a DataFrame.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    if input_features is None:
        if fitted is not None:
            return [str(n) for n in fitted]
        return [f"x{j}" for j in range(estimator.n_features_in_)]
    names = as_array(input_features, "input_features", object)
    if isinstance(input_features, str) or names.ndim != 1:
        raise ValueError(
            f"input_features must be a 1-D list of names, one per input column, got "
            f"{input_features!r}"
        )
    if names.size != estimator.n_features_in_:
        raise ValueError(
            f"input_features has {names.size} names but {type(estimator).__name__} was fitted on "
            f"{estimator.n_features_in_} columns; pass one name per column"
        )
    if fitted is not None and not np.array_equal(names.astype(str), np.asarray(fitted, str)):
        raise ValueError(
            f"input_features {list(names)} differ from the columns seen in fit {list(fitted)}; "
            "pass the same names (or None)"
        )
    return [str(n) for n in names]


class OneToOneFeatureNames(OneToOneFeatureMixin):
    """scikit-learn's one-to-one feature names, with :func:`check_input_features`' messages."""

    def get_feature_names_out(self, input_features=None):
        """Output names, one per input column: the input names themselves."""
        check_is_fitted(self, "n_features_in_")
        return np.asarray(check_input_features(self, input_features), dtype=object)


def check_dataframe(
    df, name: str, *, columns=(), allow_empty: bool = False, hint: str = ""
):  # fmt: skip
    """``df`` itself, once it is a pandas DataFrame with the ``columns`` named and some rows.

    A wrong type raises :class:`TypeError`; missing columns or no rows raise
    :class:`ValueError`. ``hint`` ends the message with how to build the right table (e.g.
    ``"pass market.impressions"``).
    """
    suffix = f"; {hint}" if hint else ""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}{suffix}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} has no column(s) {missing}; its columns are {list(df.columns)}{suffix}"
        )
    if len(df) == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; pass at least one row{suffix}")
    return df


def check_sample_weight(sample_weight, n_samples: int):
    """``None``, or a float array of ``n_samples`` finite weights >= 0 with a positive sum."""
    if sample_weight is None:
        return None
    weight = check_array_1d(sample_weight, "sample_weight")
    if weight.size != n_samples:
        raise ValueError(
            f"length mismatch: sample_weight has {weight.size} values for {n_samples} rows of X; "
            "pass one weight per row"
        )
    if weight.min() < 0:
        raise ValueError(
            f"sample_weight must be >= 0, got a minimum of {weight.min():g}; a weight scales "
            "a row's share of the loss and cannot be negative"
        )
    if weight.sum() <= 0:
        raise ValueError(
            "sample_weight sums to 0 (every weight is zero); give a row a positive weight"
        )
    return weight
