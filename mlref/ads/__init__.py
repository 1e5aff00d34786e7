"""Ads: ad scores and expected value, and the auctions that sell ad slots.

:mod:`mlref.ads.auction` holds first-price, second-price, GSP and VCG auctions (allocation and
payments, vectorised over batches of auctions), GSP's lowest envy-free equilibrium and a
deviation check for truthfulness; :mod:`mlref.ads.scoring` the ad score, the expected value of
an impression, the downsampling correction of predicted CTRs and the evaluation of a batch of
auctions under the true click and conversion rates.
"""

from mlref.ads.auction import (
    AuctionResult,
    auction_utilities,
    first_price_auction,
    gsp_auction,
    gsp_envy_free_bids,
    second_price_auction,
    vcg_auction,
    vcg_externalities,
)
from mlref.ads.scoring import (
    ad_score,
    correct_downsampled_probability,
    expected_value,
    true_outcome,
)

__all__ = [
    "AuctionResult",
    "ad_score",
    "auction_utilities",
    "correct_downsampled_probability",
    "expected_value",
    "first_price_auction",
    "gsp_auction",
    "gsp_envy_free_bids",
    "second_price_auction",
    "true_outcome",
    "vcg_auction",
    "vcg_externalities",
]
