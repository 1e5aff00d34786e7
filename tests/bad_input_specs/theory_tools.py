"""Battery entries of the teaching code added for A1: ``training.bias_variance_decomposition``,
``training.gaussian_process_posterior`` and ``expected_improvement``,
``models.elastic_net_path`` and the word2vec tools of ``features`` (SGNS, PPMI-SVD)."""

from __future__ import annotations

import numpy as np

from bad_input_specs import Estimator, Func

_RNG = np.random.default_rng(0)
TOKENS = np.array([0, 1, 2, 0, 1, 3, 4, 3, 4, 2, 0, 1])
SESSION = np.repeat([0, 1, 2], 4)
X = _RNG.normal(size=(8, 3))

NO_INPUT = {"training.BiasVariance": "a result record returned by bias_variance_decomposition"}

SPECS = {
    "training.bias_variance_decomposition": Func(
        {
            "predictions": _RNG.normal(size=(3, 4)),
            "f_true": np.array([0.0, 1.0, 2.0, 3.0]),
            "noise_variance": 0.5,
        }
    ),
    "training.gaussian_process_posterior": Func(
        {
            "X_train": X[:5, :2],
            "y_train": np.array([0.1, 0.4, -0.2, 0.3, 0.0]),
            "X_query": X[5:, :2],
            "length_scale": 1.0,
            "noise": 1e-4,
        }
    ),
    # best is any loss value: a negative one (a negated score) is valid, so no range mutation
    "training.expected_improvement": Func(
        {"mean": np.array([0.1, 0.2]), "std": np.array([0.3, 0.1]), "best": 0.15},
        skip={"best": {"range"}},
    ),
    "models.elastic_net_path": Func(
        {
            "X": X,
            "y": X @ [1.0, 0.0, -1.0],
            "alphas": np.array([0.5, 0.1, 0.01]),
            "l1_ratio": 0.5,
            "max_iter": 100,
            "tol": 1e-8,
        }
    ),
    "features.context_pairs": Func({"tokens": TOKENS, "session": SESSION, "window": 2}),
    "features.ppmi_svd_embeddings": Func(
        {"tokens": TOKENS, "session": SESSION, "n_components": 2, "window": 2}
    ),
    "features.sgns_loss": Func(
        {
            "center": _RNG.normal(size=(4, 3)),
            "context": _RNG.normal(size=(4, 3)),
            "negatives": _RNG.normal(size=(4, 2, 3)),
        }
    ),
    "features.nearest_tokens": Func(
        {"embeddings": _RNG.normal(size=(5, 3)), "vocabulary": np.arange(5), "token": 2, "k": 2}
    ),
    "features.SkipGramNegativeSampling": Estimator(
        params={
            "n_components": 2,
            "window": 2,
            "n_negatives": 2,
            "n_epochs": 1,
            "learning_rate": 0.5,
            "batch_size": 8,
            "power": 0.75,
            "random_state": 0,
        },
        fit={"tokens": TOKENS, "session": SESSION},
        methods={"most_similar": {"token": 1, "k": 2}},
    ),
}
