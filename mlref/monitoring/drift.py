r"""Distribution drift between a reference sample (training) and a current sample (serving).

Two statistics a feature monitor computes for every feature, every day:

* the **population stability index** (PSI), a binned, symmetric divergence from credit scoring,
  read with fixed conventions: below 0.1 the population is stable, 0.1–0.2 a moderate shift
  worth a look, 0.2 or more a significant shift (retrain or find the broken pipeline);
* the two-sample **Kolmogorov–Smirnov statistic**, the largest gap between the two empirical
  CDFs: bin-free, in [0, 1], equal to ``scipy.stats.ks_2samp(a, b).statistic``.

With the sample sizes of production logs, KS's p-value is tiny for shifts too small to matter, so
monitors alert on the size of the statistic (PSI or KS itself), not on its significance.
"""

import numpy as np
import pandas as pd

from mlref._validation import (
    check_array_1d,
    check_dataframe,
    check_option,
    check_positive_int,
    check_real,
)

__all__ = [
    "PSI_THRESHOLDS",
    "feature_drift",
    "ks_statistic",
    "population_stability_index",
    "psi_verdict",
]

PSI_THRESHOLDS = (0.1, 0.2)
"""PSI below the first is "stable", from the first to the second "moderate", above "significant"."""

_STRATEGIES = ("quantile", "uniform")


def _reference_edges(expected: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        inner = np.quantile(expected, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    else:
        inner = np.linspace(expected.min(), expected.max(), n_bins + 1)[1:-1]
    return np.unique(inner)


def population_stability_index(
    expected, actual, *, n_bins: int = 10, strategy: str = "quantile", eps: float = 1e-4
) -> float:
    r"""Population stability index of ``actual`` against the reference sample ``expected``.

    Parameters
    ----------
    expected : array-like of shape (n_reference,)
        The reference values of one feature (or score), e.g. from the training window.
    actual : array-like of shape (n_current,)
        The current values, e.g. from today's serving logs.
    n_bins : int, default=10
        Number of bins, cut on the reference sample.
    strategy : {"quantile", "uniform"}, default="quantile"
        Edges at the reference's deciles (equal mass, about 10 % of the reference per bin) or
        equally spaced between the reference's minimum and maximum. Repeated edges (a discrete
        feature) are merged, so a feature with few values gets fewer bins.
    eps : float, default=1e-4
        Floor for an empty bin's share, so that a value range the reference never saw (or that
        vanished) gives a large but finite PSI instead of infinity.

    Returns
    -------
    float
        PSI ≥ 0; read with :data:`PSI_THRESHOLDS` (:func:`psi_verdict`).

    Notes
    -----
    With :math:`e_b` and :math:`a_b` the shares of the reference and current samples in bin
    :math:`b` (both floored at ``eps``):

    .. math::

        \mathrm{PSI} = \sum_{b} (a_b - e_b) \ln \frac{a_b}{e_b}
        = \mathrm{KL}(a \,\|\, e) + \mathrm{KL}(e \,\|\, a).

    The outer bins are open, :math:`(-\infty, c_1]` and :math:`(c_{B-1}, \infty)`, so current
    values outside the reference range land in the end bins. Inner bins are
    :math:`(c_{b-1}, c_b]`: a value equal to an edge goes to the lower bin, so even a constant
    reference (one edge at its value) separates new, larger values from it. The value depends
    on the binning: compare PSIs computed the same way.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = rng.normal(size=10_000)
    >>> round(population_stability_index(train, rng.normal(size=10_000)), 3)  # same population
    0.001
    >>> round(population_stability_index(train, rng.normal(0.5, 1, size=10_000)), 2)  # shifted
    0.24
    """
    expected = check_array_1d(expected, "expected")
    actual = check_array_1d(actual, "actual")
    n_bins = check_positive_int(n_bins, "n_bins")
    strategy = check_option(strategy, "strategy", _STRATEGIES)
    eps = check_real(eps, "eps", low=0.0, high=0.5, low_inclusive=False)
    edges = _reference_edges(expected, n_bins, strategy)
    n_found = edges.size + 1
    expected_share = np.bincount(np.searchsorted(edges, expected, side="left"), minlength=n_found)
    actual_share = np.bincount(np.searchsorted(edges, actual, side="left"), minlength=n_found)
    e = np.maximum(expected_share / expected.size, eps)
    a = np.maximum(actual_share / actual.size, eps)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_verdict(psi) -> str:
    """``"stable"``, ``"moderate"`` or ``"significant"`` for a PSI, by :data:`PSI_THRESHOLDS`.

    Examples
    --------
    >>> psi_verdict(0.05), psi_verdict(0.15), psi_verdict(0.3)
    ('stable', 'moderate', 'significant')
    """
    psi = check_real(psi, "psi", low=0.0, hint="; pass a value of population_stability_index")
    moderate, significant = PSI_THRESHOLDS
    if psi < moderate:
        return "stable"
    return "moderate" if psi < significant else "significant"


def ks_statistic(a, b) -> float:
    r"""Two-sample Kolmogorov–Smirnov statistic: the largest gap between two empirical CDFs.

    Parameters
    ----------
    a, b : array-like of shape (n_a,), (n_b,)
        The two samples (e.g. a feature at training and at serving).

    Returns
    -------
    float
        :math:`D \in [0, 1]`; equal to ``scipy.stats.ks_2samp(a, b).statistic``.

    Notes
    -----
    .. math::

        D = \sup_x \left| F_a(x) - F_b(x) \right|,
        \qquad F_a(x) = \frac{1}{n_a} \#\{i : a_i \le x\}.

    The supremum is reached at one of the observed values, so both CDFs are evaluated at the
    pooled sample with one sort and two binary searches: :math:`O((n_a + n_b)\log(n_a+n_b))`.

    Examples
    --------
    >>> ks_statistic([1, 2, 3, 4], [3, 4, 5, 6])
    0.5
    """
    a = np.sort(check_array_1d(a, "a"))
    b = np.sort(check_array_1d(b, "b"))
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / a.size
    cdf_b = np.searchsorted(b, pooled, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def feature_drift(
    reference, current, *, n_bins: int = 10, strategy: str = "quantile"
) -> pd.DataFrame:
    """PSI, KS and a verdict for every numeric column shared by two data frames.

    Parameters
    ----------
    reference : pandas.DataFrame
        Feature values of the reference window (training).
    current : pandas.DataFrame
        Feature values of the window to check (serving), with the same columns.
    n_bins, strategy
        Passed to :func:`population_stability_index`.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature, columns ``psi``, ``ks`` and ``verdict``, sorted by PSI, largest
        first, so the feature to look at is on top.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"price": rng.normal(size=5000), "rating": rng.normal(size=5000)})
    >>> today = train.assign(price=train["price"] + 1.0)
    >>> feature_drift(train, today)["verdict"].to_dict()
    {'price': 'significant', 'rating': 'stable'}
    """
    check_dataframe(reference, "reference", allow_empty=True)
    check_dataframe(current, "current", allow_empty=True)
    missing = [c for c in reference.columns if c not in current.columns]
    if missing:
        raise ValueError(
            f"current lacks the column(s) {missing} of reference; pass the same features in both"
        )
    if reference.shape[1] == 0:
        raise ValueError("reference has no columns; pass at least one feature")
    rows = {}
    for column in reference.columns:
        ref = reference[column].to_numpy()
        cur = current[column].to_numpy()
        if not (np.issubdtype(ref.dtype, np.number) or ref.dtype == bool):
            raise ValueError(
                f"column {column!r} is not numeric (dtype {ref.dtype}); encode it first"
            )
        psi = population_stability_index(
            check_array_1d(ref, f"reference[{column!r}]"),
            check_array_1d(cur, f"current[{column!r}]"),
            n_bins=n_bins,
            strategy=strategy,
        )
        rows[column] = {"psi": psi, "ks": ks_statistic(ref, cur), "verdict": psi_verdict(psi)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "feature"
    return table.sort_values("psi", ascending=False, kind="stable")
