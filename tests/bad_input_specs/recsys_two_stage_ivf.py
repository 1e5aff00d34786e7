"""Battery entry of ``mlref.recsys.IVFRetriever`` (issue 15): a two-tower model of 4 users and
6 items, indexed in 2 cells."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Estimator
from mlref.models import TwoTowerModel

_TWO_TOWER = TwoTowerModel(
    embedding_dim=3, id_embedding_dim=3, hidden_layer_sizes=(), batch_size=4, n_epochs=1,
    random_state=0,
).fit(np.array([0, 0, 1, 2, 3, 3]), np.array([1, 2, 0, 3, 4, 5]))  # fmt: skip

SPECS = {
    "recsys.IVFRetriever": Estimator(
        params={"n_lists": 2, "n_probe": 1, "random_state": 0},
        fit={"model": _TWO_TOWER},
        methods={"retrieve": {"users": np.array([0, 2]), "n": 2}},
    ),
}
