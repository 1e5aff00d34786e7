"""Battery entry of ``mlref.nn.LazyAdam`` (issue 21): a step on a 3 x 2 table with rows."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Func


def _call(target, **kwargs):
    grads, rows = kwargs.pop("grads"), kwargs.pop("rows")
    table = np.zeros((3, 2))
    target(**kwargs).step([table], grads, rows=rows)
    return table


SPECS = {
    "nn.LazyAdam": Func(
        {"lr": 0.1, "grads": [np.ones((3, 2))], "rows": [np.array([0, 2])]},
        call=_call,
        skip={"grads": {"ndim", "ragged"}, "rows": {"ndim", "ragged"}},
    ),
}
