"""Alert rules on a monitoring timeline: which rule fires, when, and after how much traffic.

A timeline is one row per time window with the traffic it carried and the metrics measured on
it (NDCG, CTR, p99 latency, ...). A rule compares one metric with a threshold — a relative drop
from a healthy baseline, or an absolute ceiling — and fires once the condition has held for
``for_windows`` consecutive judged windows (those carrying at least ``min_traffic``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlref._validation import check_dataframe, check_option, check_positive_int, check_real

__all__ = ["SOURCE_ALERT_RULES", "AlertRule", "evaluate_alert_rules", "first_alerts"]

_KINDS = ("relative_drop", "above")


@dataclass(frozen=True)
class AlertRule:
    r"""One alert rule: a metric, a condition, a threshold and the action it triggers.

    ``kind="relative_drop"`` fires when :math:`(b - v) / b > \text{threshold}` for the window's
    value :math:`v` and the baseline :math:`b`; ``kind="above"`` fires when
    :math:`v > \text{threshold}`.

    Parameters
    ----------
    name : str
        How the rule is shown.
    metric : str
        The timeline column it watches.
    kind : {"relative_drop", "above"}
        The condition.
    threshold : float
        A fraction for ``relative_drop`` (0.05 = 5 %), a value for ``above``.
    action : str
        What firing means (alert, roll back, scale up).
    for_windows : int, default 1
        Consecutive windows the condition must hold (Prometheus's ``for:``).
    min_traffic : float, default 0
        Windows with less traffic are not judged — they neither extend nor break a run and keep
        the previous state: a rate measured on a handful of requests is noise.

    Examples
    --------
    >>> rule = AlertRule("CTR drop > 5%", "ctr", "relative_drop", 0.05, "roll back")
    >>> rule.kind
    'relative_drop'
    """

    name: str
    metric: str
    kind: str
    threshold: float
    action: str
    for_windows: int = 1
    min_traffic: float = 0.0

    def __post_init__(self):
        for field_name in ("name", "metric", "action"):
            if not isinstance(getattr(self, field_name), str):
                raise TypeError(f"{field_name} must be a str, got {getattr(self, field_name)!r}")
        check_option(self.kind, "kind", _KINDS)
        check_real(self.threshold, "threshold")
        if self.kind == "relative_drop":
            check_real(self.threshold, "threshold", low=0.0, high=1.0, low_inclusive=False)
        check_positive_int(self.for_windows, "for_windows")
        check_real(self.min_traffic, "min_traffic", low=0.0)

    def replace(self, **changes) -> AlertRule:
        """A copy with some fields changed (e.g. ``min_traffic``)."""
        return AlertRule(**{**self.__dict__, **changes})


#: The source's three rules: NDCG drop > 2 % → alert, CTR drop > 5 % → roll back,
#: p99 latency > 500 ms → scale up (judged on every window, as the source states them).
SOURCE_ALERT_RULES = (
    AlertRule("NDCG drop > 2%", "ndcg", "relative_drop", 0.02, "alert"),
    AlertRule("CTR drop > 5%", "ctr", "relative_drop", 0.05, "roll back"),
    AlertRule("p99 latency > 500 ms", "latency_p99_ms", "above", 500.0, "scale up"),
)


def _check_rules(rules) -> tuple[AlertRule, ...]:
    if isinstance(rules, AlertRule):
        rules = (rules,)
    if isinstance(rules, str) or not isinstance(rules, list | tuple):
        raise TypeError(f"rules must be a list or tuple of AlertRule, got {rules!r:.60}")
    if not rules:
        raise ValueError("rules is empty; pass at least one AlertRule")
    for rule in rules:
        if not isinstance(rule, AlertRule):
            raise TypeError(f"rules must hold AlertRule objects, got {rule!r:.60}")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"rules have duplicate names {names}; give each rule its own name")
    return tuple(rules)


def evaluate_alert_rules(
    timeline: pd.DataFrame, rules=SOURCE_ALERT_RULES, *, baseline=None, traffic: str = "traffic"
) -> pd.DataFrame:
    """Whether each rule fires in each window of the timeline.

    Parameters
    ----------
    timeline : pandas.DataFrame
        One row per window, in time order: the ``traffic`` column and each rule's metric.
    rules : sequence of AlertRule, default :data:`SOURCE_ALERT_RULES`
        The rules.
    baseline : dict or pandas.Series, optional
        The healthy value of each metric a ``relative_drop`` rule watches.
    traffic : str, default "traffic"
        The column with each window's traffic (requests or impressions).

    Returns
    -------
    pandas.DataFrame
        Booleans, one column per rule name, same index as ``timeline``: the rule is firing in
        that window (its condition held for ``for_windows`` judged windows in a row).

    Examples
    --------
    >>> timeline = pd.DataFrame({"traffic": [100, 100, 100], "ctr": [0.10, 0.094, 0.09],
    ...                          "ndcg": [0.5, 0.5, 0.5], "latency_p99_ms": [80, 90, 600]})
    >>> states = evaluate_alert_rules(timeline, baseline={"ctr": 0.10, "ndcg": 0.5})
    >>> states["CTR drop > 5%"].tolist(), states["p99 latency > 500 ms"].tolist()
    ([False, True, True], [False, False, True])
    """
    rules = _check_rules(rules)
    check_dataframe(timeline, "timeline", hint="one row per window")
    if not isinstance(traffic, str) or traffic not in timeline.columns:
        raise ValueError(f"traffic column {traffic!r} is not in timeline {list(timeline.columns)}")
    baseline = {} if baseline is None else dict(baseline)
    volume = _column(timeline, traffic)
    if (volume < 0).any():
        raise ValueError(f"timeline[{traffic!r}] holds negative traffic")
    states = {}
    for rule in rules:
        if rule.metric not in timeline.columns:
            raise ValueError(
                f"rule {rule.name!r} watches {rule.metric!r}, which is not a timeline column "
                f"({list(timeline.columns)})"
            )
        value = _column(timeline, rule.metric, allow_nan=True)
        if rule.kind == "relative_drop":
            if rule.metric not in baseline:
                raise ValueError(
                    f"baseline has no value for {rule.metric!r}, which rule {rule.name!r} "
                    "compares against; pass baseline={metric: healthy value}"
                )
            base = baseline[rule.metric]
            if isinstance(base, bool) or not isinstance(base, numbers.Real) or not base > 0:
                raise ValueError(f"baseline[{rule.metric!r}] must be a number > 0, got {base!r}")
            condition = (base - value) / base > rule.threshold
        else:
            condition = value > rule.threshold
        judged = (volume >= rule.min_traffic) & ~np.isnan(value)
        holds = condition & judged
        # Length of the current run of judged windows where the condition holds; a window
        # without enough traffic is skipped: it neither extends nor breaks the run, and keeps
        # the previous state (an alert does not flap off at night).
        firing = np.zeros(condition.size, dtype=bool)
        count, state = 0, False
        for i in range(condition.size):
            if judged[i]:
                count = count + 1 if holds[i] else 0
                state = count >= rule.for_windows
            firing[i] = state
        states[rule.name] = firing
    return pd.DataFrame(states, index=timeline.index)


def _column(timeline: pd.DataFrame, name: str, *, allow_nan: bool = False) -> np.ndarray:
    column = timeline[name]
    if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(column.dtype):
        raise ValueError(f"timeline[{name!r}] must hold numbers, got dtype {column.dtype}")
    values = column.to_numpy(dtype=np.float64)
    bad = np.isinf(values) if allow_nan else ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"timeline[{name!r}] holds {int(bad.sum())} NaN or infinite value(s)")
    return values


def first_alerts(
    timeline: pd.DataFrame, rules=SOURCE_ALERT_RULES, *, baseline=None, traffic: str = "traffic"
) -> pd.DataFrame:
    """When each rule first fires and how much traffic had passed by then.

    Parameters
    ----------
    timeline, rules, baseline, traffic
        As in :func:`evaluate_alert_rules`.

    Returns
    -------
    pandas.DataFrame
        One row per rule, in order of firing (rules that never fire last): ``rule``,
        ``action``, ``fired`` (bool), ``window`` (the timeline index label of the first firing
        window), ``traffic_until_fired`` (traffic summed over the timeline up to and including
        that window) and ``value`` (the metric there).

    Examples
    --------
    >>> timeline = pd.DataFrame({"traffic": [100, 100, 100], "ctr": [0.10, 0.094, 0.09],
    ...                          "ndcg": [0.5, 0.5, 0.5], "latency_p99_ms": [80, 90, 600]})
    >>> first_alerts(timeline, baseline={"ctr": 0.10, "ndcg": 0.5})["rule"].tolist()
    ['CTR drop > 5%', 'p99 latency > 500 ms', 'NDCG drop > 2%']
    """
    rules = _check_rules(rules)
    states = evaluate_alert_rules(timeline, rules, baseline=baseline, traffic=traffic)
    cumulative = np.cumsum(timeline[traffic].to_numpy(dtype=np.float64))
    records = []
    for rule in rules:
        fired = states[rule.name].to_numpy()
        if fired.any():
            i = int(np.argmax(fired))
            records.append(
                (rule.name, rule.action, True, timeline.index[i], cumulative[i],
                 float(timeline[rule.metric].iloc[i]), i)
            )  # fmt: skip
        else:
            records.append((rule.name, rule.action, False, None, np.nan, np.nan, len(fired)))
    out = pd.DataFrame(
        records,
        columns=["rule", "action", "fired", "window", "traffic_until_fired", "value", "_order"],
    )
    out = out.sort_values("_order", kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)
