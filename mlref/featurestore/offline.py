"""The offline store: point-in-time (as-of) joins of feature tables onto training rows.

A feature table holds one row per computed value: the ``entity`` it describes, the
``event_timestamp`` at which the value became true, the ``created_timestamp`` at which the
pipeline wrote the row (only to break ties between rows with the same event time), and the
feature columns. Training rows ask "what was known about this entity at this moment?"; the
as-of join answers with the latest row at or before the moment, within a time-to-live. This is
the semantics of Feast's ``get_historical_features``.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from mlref._validation import check_dataframe

__all__ = ["latest_values", "point_in_time_join"]


def _column_name(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a column name (str), got {value!r}")
    return value


_RENAME_HINT = "rename them or pass the right column names"


def _entity_values(df: pd.DataFrame, entity: str, df_name: str) -> pd.Series:
    values = df[entity]
    if values.isna().any():
        raise ValueError(
            f"{df_name}[{entity!r}] holds {int(values.isna().sum())} missing entity key(s); "
            "drop those rows first"
        )
    return values


def _time_values(df: pd.DataFrame, column: str, df_name: str) -> tuple[np.ndarray, str]:
    """A time column as int64 nanoseconds ("datetime") or float64 ("number")."""
    values = df[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        if values.isna().any():
            raise ValueError(
                f"{df_name}[{column!r}] holds {int(values.isna().sum())} missing time(s) (NaT); "
                "every row needs a timestamp"
            )
        return values.to_numpy("datetime64[ns]").view(np.int64), "datetime"
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        raise ValueError(
            f"{df_name}[{column!r}] must hold datetimes or numbers, got dtype {values.dtype}; "
            "convert it with pandas.to_datetime"
        )
    arr = values.to_numpy(dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(
            f"{df_name}[{column!r}] holds {int((~np.isfinite(arr)).sum())} NaN or infinite "
            "time(s); every row needs a finite timestamp"
        )
    return arr, "number"


def _ttl_value(ttl, kind: str, name: str = "ttl"):
    """A duration (``ttl``, ``lag``) in the unit of the time column (ns for datetimes), or None."""
    if ttl is None:
        return None
    if kind == "datetime":
        if isinstance(ttl, str | bool | numbers.Real):
            raise TypeError(
                f"{name} must be None or a timedelta (e.g. pandas.Timedelta('7D')) for datetime "
                f"timestamps, got {ttl!r}"
            )
        try:
            value = pd.Timedelta(ttl)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be None or a timedelta, got {ttl!r}") from None
        if pd.isna(value) or value < pd.Timedelta(0):
            raise ValueError(f"{name} must be a non-negative timedelta, got {ttl!r}")
        return value.value
    if isinstance(ttl, bool) or not isinstance(ttl, numbers.Real):
        raise TypeError(f"{name} must be None or a number for numeric timestamps, got {ttl!r}")
    if not np.isfinite(ttl) or ttl < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {ttl!r}")
    return float(ttl)


def _feature_names(features) -> list[str]:
    """``features`` as a non-empty list of column names (one name may be given as a str)."""
    if isinstance(features, str):
        return [features]
    if np.ndim(features) != 1:
        raise ValueError(f"features must be a 1-D list of column names, got {features!r:.60}")
    features = list(features)
    if not features:
        raise ValueError("features is empty; name at least one feature column")
    for feature in features:
        if not isinstance(feature, str):
            raise TypeError(f"features must hold column names (str), got {feature!r}")
    return features


def _feature_columns(table: pd.DataFrame, features, reserved, table_name: str) -> list[str]:
    if features is None:
        return [c for c in table.columns if c not in reserved]
    features = _feature_names(features)
    missing = [c for c in features if c not in table.columns]
    if missing:
        raise ValueError(
            f"features {missing} are not columns of {table_name} ({list(table.columns)}); "
            "check the names"
        )
    clash = [f for f in features if f in reserved]
    if clash:
        raise ValueError(f"features {clash} are key or time columns, not features")
    return features


def point_in_time_join(
    rows: pd.DataFrame,
    table: pd.DataFrame,
    *,
    entity: str,
    timestamp: str = "event_timestamp",
    created: str | None = "created_timestamp",
    features=None,
    ttl=None,
) -> pd.DataFrame:
    r"""Attach to each row the latest feature values known at the row's timestamp.

    For a row of entity :math:`e` at time :math:`t`, the joined feature row is

    .. math::

        \operatorname*{arg\,max}_{j:\ e_j = e,\ t - \text{ttl} \le \tau_j \le t}
        (\tau_j, c_j),

    the feature row of the same entity with the latest event time :math:`\tau_j` not after
    :math:`t` (and not older than ``ttl``), ties between equal event times broken by the latest
    created time :math:`c_j`. A row with no such feature row gets missing values — never a value
    from its future, which is what a naive "latest value" join hands to training (label leakage:
    the model learns from what it could not have known).

    Parameters
    ----------
    rows : pandas.DataFrame
        The training rows ("entity dataframe"): columns ``entity`` and ``timestamp``, any others.
    table : pandas.DataFrame
        The feature table: columns ``entity``, ``timestamp``, ``created`` (unless None) and the
        features. Rows may be in any order.
    entity : str
        Name of the entity key column in both frames.
    timestamp : str, default "event_timestamp"
        Name of the event-time column in both frames: datetimes or numbers, the same in both.
    created : str or None, default "created_timestamp"
        Name of the tie-breaking column of ``table``; None breaks ties by row order (last wins).
    features : list of str, optional
        Feature columns to attach; default every column of ``table`` but the key and times.
    ttl : timedelta or number, optional
        How far back a value may come from; None means forever.

    Returns
    -------
    pandas.DataFrame
        ``rows`` (same order and index) with the feature columns added; missing where nothing
        was known (integer features then become floats).

    Raises
    ------
    ValueError
        For a missing column, a NaN/NaT time or entity key, time columns of different kinds, a
        feature name already in ``rows``, or a negative ``ttl``.

    Examples
    --------
    >>> table = pd.DataFrame({"user": [1, 1], "event_timestamp": [1.0, 5.0],
    ...                       "created_timestamp": [1.0, 5.0], "ctr": [0.1, 0.3]})
    >>> rows = pd.DataFrame({"user": [1, 1, 1], "event_timestamp": [0.0, 4.0, 9.0]})
    >>> point_in_time_join(rows, table, entity="user")["ctr"].tolist()
    [nan, 0.1, 0.3]
    """
    entity = _column_name(entity, "entity")
    timestamp = _column_name(timestamp, "timestamp")
    if created is not None:
        created = _column_name(created, "created")
    rows = check_dataframe(rows, "rows", columns=[entity, timestamp], hint=_RENAME_HINT)
    table = check_dataframe(
        table, "table", columns=[entity, timestamp] + ([created] if created else []),
        hint=_RENAME_HINT,
    )  # fmt: skip
    reserved = {entity, timestamp} | ({created} if created else set())
    columns = _feature_columns(table, features, reserved, "table")
    clash = [c for c in columns if c in rows.columns]
    if clash:
        raise ValueError(
            f"rows already has column(s) {clash}; drop or rename them before joining features"
        )

    row_time, row_kind = _time_values(rows, timestamp, "rows")
    feat_time, feat_kind = _time_values(table, timestamp, "table")
    if row_kind != feat_kind:
        raise ValueError(
            f"rows[{timestamp!r}] holds {row_kind}s but table[{timestamp!r}] holds {feat_kind}s; "
            "use the same kind of timestamp in both"
        )
    if created is not None:
        feat_created, _ = _time_values(table, created, "table")
        feat_created = feat_created.astype(np.float64) if feat_kind == "number" else feat_created
    else:
        feat_created = np.arange(len(table), dtype=np.int64)
    ttl_value = _ttl_value(ttl, feat_kind)

    codes, _ = pd.factorize(
        pd.concat(
            [_entity_values(table, entity, "table"), _entity_values(rows, entity, "rows")],
            ignore_index=True,
        )
    )
    n_feat, n_rows = len(table), len(rows)
    code = codes
    time = np.concatenate([feat_time, row_time])
    # Feature rows sort before a training row at the same time (a value at t is known at t);
    # among feature rows with equal event time, the latest created sorts last and wins.
    kind = np.concatenate([np.zeros(n_feat, np.int8), np.ones(n_rows, np.int8)])
    tie = np.concatenate(
        [feat_created.argsort(kind="stable").argsort(kind="stable"), np.zeros(n_rows, np.int64)]
    )
    order = np.lexsort((tie, kind, time, code))
    position = np.arange(order.size)
    last_feature = np.maximum.accumulate(np.where(order < n_feat, position, -1))
    is_row = order >= n_feat
    found_at = last_feature[is_row]
    row_index = order[is_row] - n_feat
    valid = found_at >= 0
    match = np.full(n_rows, -1, dtype=np.int64)
    candidate = np.where(valid, order[np.maximum(found_at, 0)], 0)
    valid &= code[candidate] == code[order[is_row]]
    if ttl_value is not None:
        valid &= row_time[row_index] - feat_time[candidate] <= ttl_value
    match[row_index[valid]] = candidate[valid]

    found = match >= 0
    values = table[columns].iloc[np.where(found, match, 0)].reset_index(drop=True)
    values = values.where(pd.Series(found), other=np.nan) if not found.all() else values
    out = rows.copy()
    for column in columns:
        out[column] = values[column].to_numpy()
    return out


def latest_values(
    table: pd.DataFrame,
    *,
    entity: str,
    as_of=None,
    timestamp: str = "event_timestamp",
    created: str | None = "created_timestamp",
    features=None,
    ttl=None,
) -> pd.DataFrame:
    r"""The latest row of each entity known at ``as_of``: what materialization copies online.

    For each entity, the row with the largest ``(timestamp, created)`` among rows with
    :math:`\text{as\_of} - \text{ttl} \le \tau \le \text{as\_of}`; ``as_of=None`` takes every
    row (the "latest value" a naive training join uses — wrong for training rows older than it).

    Parameters
    ----------
    table : pandas.DataFrame
        The feature table (see :func:`point_in_time_join`).
    entity : str
        The entity key column.
    as_of : timestamp or number, optional
        The moment of the snapshot; None means after the last row.
    timestamp, created, features, ttl
        As in :func:`point_in_time_join`.

    Returns
    -------
    pandas.DataFrame
        One row per entity with a value (sorted by entity): ``entity``, ``timestamp`` and the
        features.

    Examples
    --------
    >>> table = pd.DataFrame({"user": [1, 1, 2], "event_timestamp": [1.0, 5.0, 2.0],
    ...                       "created_timestamp": [1.0, 5.0, 2.0], "ctr": [0.1, 0.3, 0.2]})
    >>> latest_values(table, entity="user", as_of=4.0)["ctr"].tolist()
    [0.1, 0.2]
    """
    entity = _column_name(entity, "entity")
    timestamp = _column_name(timestamp, "timestamp")
    if created is not None:
        created = _column_name(created, "created")
    table = check_dataframe(
        table, "table", columns=[entity, timestamp] + ([created] if created else []),
        hint=_RENAME_HINT,
    )  # fmt: skip
    reserved = {entity, timestamp} | ({created} if created else set())
    columns = _feature_columns(table, features, reserved, "table")
    _entity_values(table, entity, "table")
    time, kind = _time_values(table, timestamp, "table")
    keep = np.ones(len(table), dtype=bool)
    if as_of is not None:
        moment = _moment(as_of, kind, "as_of")
        keep &= time <= moment
        ttl_value = _ttl_value(ttl, kind)
        if ttl_value is not None:
            keep &= time >= moment - ttl_value
    elif ttl is not None:
        raise ValueError("ttl needs as_of: a time-to-live counts back from a moment")
    tie = (
        _time_values(table, created, "table")[0]
        if created is not None
        else np.arange(len(table), dtype=np.int64)
    )
    order = np.lexsort((tie, time))
    order = order[keep[order]]
    ordered = table.iloc[order]
    last = ordered.drop_duplicates(entity, keep="last").sort_values(entity, kind="stable")
    return last[[entity, timestamp, *columns]].reset_index(drop=True)


def _moment(value, kind: str, name: str):
    """A moment (``as_of``) in the unit of a time column of this kind."""
    if kind == "datetime":
        if isinstance(value, bool | numbers.Real):
            raise TypeError(
                f"{name} must be a datetime (e.g. pandas.Timestamp('2026-01-05')) because the "
                f"table's timestamps are datetimes, got {value!r}"
            )
        try:
            moment = pd.Timestamp(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a datetime, got {value!r} ({exc})") from None
        if pd.isna(moment):
            raise ValueError(f"{name} is NaT; pass a real moment")
        if moment.tzinfo is not None:
            moment = moment.tz_convert("UTC").tz_localize(None)
        return moment.as_unit("ns").value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number because the timestamps are numbers, got {value!r}"
        )
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)
