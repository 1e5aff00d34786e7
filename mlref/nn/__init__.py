"""A small neural-network core in NumPy: layers with explicit backward passes, losses, optimizers,
mini-batches and gradient checking.

Every deep model of the course is built from these pieces; each gradient is checked against
central finite differences in ``tests/test_nn.py``.
"""

from mlref.nn.functional import log_softmax, sigmoid, softmax
from mlref.nn.gradcheck import numerical_gradient, relative_error
from mlref.nn.interactions import DotInteraction
from mlref.nn.layers import (
    BatchNorm,
    Dropout,
    Embedding,
    Layer,
    LayerNorm,
    Linear,
    MultiHeadSelfAttention,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
)
from mlref.nn.losses import (
    Loss,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy_with_logits,
    focal_loss_with_logits,
    huber_loss,
    mean_squared_error,
)
from mlref.nn.optim import (
    SGD,
    Adam,
    LazyAdam,
    Momentum,
    Optimizer,
    clip_by_global_norm,
    clip_by_value,
    cosine_annealing,
    exponential_decay,
    linear_warmup,
    step_decay,
    warmup_cosine,
)
from mlref.nn.training import iterate_minibatches

__all__ = [
    "SGD",
    "Adam",
    "BatchNorm",
    "DotInteraction",
    "Dropout",
    "Embedding",
    "Layer",
    "LayerNorm",
    "LazyAdam",
    "Linear",
    "Loss",
    "Momentum",
    "MultiHeadSelfAttention",
    "Optimizer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy_with_logits",
    "clip_by_global_norm",
    "clip_by_value",
    "cosine_annealing",
    "exponential_decay",
    "focal_loss_with_logits",
    "huber_loss",
    "iterate_minibatches",
    "linear_warmup",
    "log_softmax",
    "mean_squared_error",
    "numerical_gradient",
    "relative_error",
    "sigmoid",
    "softmax",
    "step_decay",
    "warmup_cosine",
]
