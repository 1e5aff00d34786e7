r"""Retailer behaviour in order logs: repeat buying, order size and first-order success.

A wholesale retailer restocks what sells: its purchases are dominated by reorders of proven
products in case packs, where a consumer buys single units and rarely the same item twice. The
measures:

* **reorder rate** — share of order lines that repeat an earlier (retailer, product) purchase,
  and their share of GMV;
* **AOV** — average order value, an order being one retailer's lines at one timestamp;
* **units per line** — bulk buying;
* **first-order success** — share of first (retailer, product) orders followed by a reorder
  within the window (censored: late first orders have less time to be reordered);
* **sell-through** — units the retailer sold to its customers / units it bought (when the
  orders carry ``units_sold``, see :func:`mlref.datasets.b2b.simulate_sell_through`).
"""

from __future__ import annotations

import pandas as pd

from mlref._validation import check_dataframe

__all__ = ["retailer_behaviour"]

_NEEDED = ("retailer_id", "product_id", "is_reorder", "quantity", "order_value", "timestamp")


def retailer_behaviour(orders) -> pd.Series:
    """Reorder rate, reorder share of GMV, AOV, units per line, first-order success, sell-through.

    Parameters
    ----------
    orders : pandas.DataFrame
        ``Marketplace.orders`` (optionally with ``units_sold``).

    Returns
    -------
    pandas.Series
    """
    check_dataframe(orders, "orders", columns=_NEEDED, hint="pass Marketplace.orders")
    reorder = orders["is_reorder"].to_numpy(bool)
    value = orders["order_value"].to_numpy(float)
    per_order = orders.groupby(["retailer_id", "timestamp"], observed=True)["order_value"].sum()
    pair = orders.groupby(["retailer_id", "product_id"], observed=True)["is_reorder"]
    out = {
        "reorder_rate": reorder.mean(),
        "reorder_share_of_gmv": value[reorder].sum() / value.sum(),
        "aov": per_order.mean(),
        "units_per_line": orders["quantity"].mean(),
        "first_order_success": pair.any().mean(),
    }
    if "units_sold" in orders.columns:
        out["sell_through"] = orders["units_sold"].sum() / orders["quantity"].sum()
    return pd.Series(out, name="value")
