"""Learning to rank: pointwise, pairwise and listwise rankers, and LambdaMART."""
