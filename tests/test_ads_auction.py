"""Auctions: hand-computed cases, VCG = externality, GSP >= VCG, truthfulness, EOS equilibrium."""

import numpy as np
import pytest

from mlref.ads import (
    ad_score,
    auction_utilities,
    correct_downsampled_probability,
    expected_value,
    first_price_auction,
    gsp_auction,
    gsp_envy_free_bids,
    second_price_auction,
    true_outcome,
    vcg_auction,
    vcg_externalities,
)

BIDS = [10.0, 4.0, 6.0, 1.0]
ALPHA = [0.5, 0.2]


def _random_instance(rng, *, ties=False):
    n = int(rng.integers(1, 8))
    K = int(rng.integers(1, n + 1))
    bids = rng.integers(0, 6, n).astype(float) if ties else rng.gamma(2.0, 2.0, n)
    quality = rng.choice([0.01, 0.02, 0.04], n) if ties else rng.uniform(0.005, 0.1, n)
    alpha = np.sort(rng.uniform(0.05, 1.0, K))[::-1]
    if ties and K > 1:
        alpha[1] = alpha[0]
    return bids, quality, alpha


def test_hand_computed_gsp_vcg_first_and_second_price():
    gsp = gsp_auction(BIDS, ALPHA)
    assert gsp.slot.tolist() == [0, -1, 1, -1]
    assert gsp.price_per_click.tolist() == [6.0, 0.0, 4.0, 0.0]
    assert gsp.revenue == pytest.approx(0.5 * 6 + 0.2 * 4)
    vcg = vcg_auction(BIDS, ALPHA)
    # slot 1: (0.5 - 0.2) * 6 + 0.2 * 4 = 2.6 per page view -> 5.2 per click; slot 2: 0.2 * 4
    np.testing.assert_allclose(vcg.expected_payment, [2.6, 0.0, 0.8, 0.0], atol=1e-12)
    np.testing.assert_allclose(vcg.price_per_click, [5.2, 0.0, 4.0, 0.0], atol=1e-12)
    first = first_price_auction(BIDS, position_ctrs=ALPHA)
    assert first.price_per_click.tolist() == [10.0, 0.0, 6.0, 0.0]
    # quality-weighted second price: scores 0.2, 0.1, 0.15 -> pays 0.15 / 0.1 per click
    second = second_price_auction([2.0, 5.0, 3.0], quality=[0.1, 0.02, 0.05])
    assert second.slot.tolist() == [0, -1, -1]
    assert second.price_per_click[0] == pytest.approx(1.5)
    assert second.click_prob.tolist() == [0.1, 0.0, 0.0]


def test_reserve_prices_hand_computed():
    r = second_price_auction([5.0, 3.0], reserve=4.0)
    assert r.slot.tolist() == [0, -1] and r.price_per_click[0] == 4.0
    r = second_price_auction([5.0, 3.0], reserve=6.0)
    assert r.slot.tolist() == [-1, -1] and r.revenue == 0.0
    # per-bidder reserves (a score reserve R / q): bidder 0 needs 2.5, bidder 1 needs 1.0
    r = gsp_auction(
        [3.0, 2.0, 0.5], [1.0, 0.5], quality=[0.02, 0.05, 0.05], reserve=[2.5, 1.0, 1.0]
    )
    assert r.slot.tolist() == [1, 0, -1]
    np.testing.assert_allclose(r.price_per_click, [2.5, 1.2, 0.0])
    v = vcg_auction(
        [3.0, 2.0, 0.5], [1.0, 0.5], quality=[0.02, 0.05, 0.05], reserve=[2.5, 1.0, 1.0]
    )
    # slot 1: (1 - 0.5) * 0.06 + 0.5 * max(0, 0.05) = 0.055 -> 1.1 per click;
    # slot 2: 0.5 * max(0, 2.5 * 0.02) = 0.025 -> 2.5 per click
    np.testing.assert_allclose(v.price_per_click, [2.5, 1.1, 0.0])


@pytest.mark.parametrize("ties", [False, True])
def test_vcg_payment_is_the_externality(ties):
    rng = np.random.default_rng(1 + ties)
    for _ in range(300):
        bids, quality, alpha = _random_instance(rng, ties=ties)
        vcg = vcg_auction(bids, alpha, quality)
        np.testing.assert_allclose(
            vcg.expected_payment, vcg_externalities(bids, alpha, quality), rtol=1e-12, atol=1e-15
        )


def test_one_slot_vcg_gsp_and_second_price_agree_and_batches_equal_loops():
    rng = np.random.default_rng(3)
    bids = rng.gamma(2.0, 2.0, (50, 6))
    quality = rng.uniform(0.01, 0.1, (50, 6))
    reserve = rng.uniform(0, 3, (50, 6))
    a = second_price_auction(bids, quality, reserve=reserve)
    b = gsp_auction(bids, [1.0], quality, reserve=reserve)
    c = vcg_auction(bids, [1.0], quality, reserve=reserve)
    np.testing.assert_allclose(a.price_per_click, b.price_per_click)
    np.testing.assert_allclose(a.price_per_click, c.price_per_click, rtol=1e-12)
    batch = vcg_auction(bids, [0.6, 0.3, 0.1], quality, reserve=reserve)
    for i in range(50):
        one = vcg_auction(bids[i], [0.6, 0.3, 0.1], quality[i], reserve=reserve[i])
        np.testing.assert_array_equal(one.slot, batch.slot[i])
        np.testing.assert_allclose(one.price_per_click, batch.price_per_click[i])


def test_gsp_charges_at_least_vcg_and_both_are_individually_rational():
    rng = np.random.default_rng(4)
    for ties in (False, True):
        for _ in range(200):
            bids, quality, alpha = _random_instance(rng, ties=ties)
            gsp = gsp_auction(bids, alpha, quality)
            vcg = vcg_auction(bids, alpha, quality)
            np.testing.assert_array_equal(gsp.slot, vcg.slot)
            assert (gsp.price_per_click >= vcg.price_per_click - 1e-12).all()
            assert gsp.revenue >= vcg.revenue - 1e-12
            for r in (gsp, vcg):  # truthful bidders never pay more than their value
                assert (r.utility(bids) >= -1e-12).all()
                assert (r.price_per_click <= bids + 1e-12).all()


def test_truthful_bidding_is_dominant_in_vcg_and_second_price_not_in_gsp_or_first_price():
    rng = np.random.default_rng(5)
    grid = np.linspace(0.0, 12.0, 241)
    for _ in range(40):
        n = 5
        values = rng.uniform(1, 10, n)
        others = rng.uniform(0, 10, n)  # any bids of the others: dominance, not equilibrium
        quality = rng.uniform(0.01, 0.1, n)
        reserve = float(rng.uniform(0, 3))
        for i in range(n):
            bids = others.copy()
            bids[i] = values[i]
            for auction, kw in (
                (vcg_auction, {"position_ctrs": [0.5, 0.3, 0.1]}),
                (second_price_auction, {}),
            ):
                u = auction_utilities(
                    auction, bids, values, i, grid, quality=quality, reserve=reserve, **kw
                )
                truthful = auction_utilities(
                    auction, bids, values, i, [values[i]], quality=quality, reserve=reserve, **kw
                )[0]
                assert u.max() <= truthful + 1e-12
    # GSP: with nearly equal position CTRs the top bidder gains by dropping to slot 2
    u = auction_utilities(gsp_auction, BIDS, BIDS, 0, grid, position_ctrs=[0.5, 0.4])
    truthful = auction_utilities(gsp_auction, BIDS, BIDS, 0, [10.0], position_ctrs=[0.5, 0.4])[0]
    assert u.max() > truthful + 0.1 and grid[u.argmax()] < 6.0
    first = auction_utilities(first_price_auction, [5.0, 3.0], [5.0, 3.0], 0, grid)
    assert first.max() > 1.0  # truthful first-price bidding earns exactly 0


def test_gsp_lowest_envy_free_equilibrium_equals_vcg_exactly():
    # Dyadic position CTRs and integer values: every quantity is exact in floating point.
    values = np.array([7.0, 13.0, 2.0, 9.0, 5.0, 11.0])
    alpha = np.array([1.0, 0.5, 0.25, 0.125])
    eq = gsp_envy_free_bids(values, alpha)
    gsp = gsp_auction(eq, alpha)
    vcg = vcg_auction(values, alpha)
    assert (gsp.slot == vcg.slot).all()
    assert (gsp.price_per_click == vcg.price_per_click).all()
    assert gsp.revenue == vcg.revenue
    rng = np.random.default_rng(6)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        K = int(rng.integers(1, n + 1))
        values = rng.uniform(0.1, 10, n)
        quality = rng.uniform(0.01, 0.1, n)
        alpha = np.sort(rng.uniform(0.05, 1.0, K))[::-1]
        eq = gsp_envy_free_bids(values, alpha, quality)
        gsp = gsp_auction(eq, alpha, quality)
        vcg = vcg_auction(values, alpha, quality)
        np.testing.assert_array_equal(gsp.slot, vcg.slot)
        np.testing.assert_allclose(gsp.price_per_click, vcg.price_per_click, rtol=1e-12)
        # envy-free: nobody prefers another bidder's slot at the price that slot pays
        u = gsp.utility(values)
        slots = np.flatnonzero(gsp.slot >= 0)
        for i in range(n):
            for j in slots:
                k = gsp.slot[j]
                swap = (
                    alpha[k]
                    * quality[i]
                    * (values[i] - gsp.price_per_click[j] * quality[j] / quality[i])
                )
                assert u[i] >= swap - 1e-10


def test_uniform_pctr_scaling_changes_nothing_without_a_score_reserve():
    rng = np.random.default_rng(7)
    bids = rng.gamma(2.0, 1.0, (200, 6))
    ctr = rng.uniform(0.01, 0.08, (200, 6))
    alpha = [1.0, 0.6, 0.4]
    base = gsp_auction(bids, alpha, ctr)
    scaled = gsp_auction(bids, alpha, 0.7 * ctr)
    np.testing.assert_array_equal(base.slot, scaled.slot)
    np.testing.assert_allclose(base.price_per_click, scaled.price_per_click, rtol=1e-12)
    a = true_outcome(base, alpha, ctr, bids)
    b = true_outcome(scaled, alpha, ctr, bids)
    assert a["revenue"] == pytest.approx(b["revenue"], rel=1e-12)
    # with a reserve on the score (minimum eCPM), under-predicted CTRs fill fewer slots
    R = 0.05
    low = true_outcome(
        gsp_auction(bids, alpha, 0.7 * ctr, reserve=R / (0.7 * ctr)), alpha, ctr, bids
    )
    cal = true_outcome(gsp_auction(bids, alpha, ctr, reserve=R / ctr), alpha, ctr, bids)
    assert low["slots_filled"] < cal["slots_filled"]
    assert a["advertiser_surplus"] == pytest.approx(a["advertiser_value"] - a["revenue"])


def test_scoring_helpers_against_formulas():
    rng = np.random.default_rng(8)
    p, c, b = rng.random(20), rng.random(20), rng.gamma(2.0, 2.0, 20)
    np.testing.assert_allclose(ad_score(p, b, 0.5), p * b * 0.5)
    np.testing.assert_allclose(expected_value(p, c, b), p * c * b)
    # downsampling: learn on kept negatives, correct back; equals the base rate of the full data
    y = (rng.random(200_000) < 0.03).astype(int)
    keep = (y == 1) | (rng.random(y.size) < 0.1)
    p_down = y[keep].mean()
    w = keep[y == 0].mean()  # the realised share of negatives kept
    assert correct_downsampled_probability([p_down], w)[0] == pytest.approx(y.mean(), rel=1e-9)
    assert correct_downsampled_probability([0.3], 1.0)[0] == pytest.approx(0.3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gsp_auction([1.0, -2.0], [1.0]), "bids must be >= 0"),
        (lambda: gsp_auction([1.0, np.nan], [1.0]), "NaN"),
        (lambda: gsp_auction([1.0, 2.0], [1.0, 0.5, 0.2]), "3 slots for only 2 bidders"),
        (lambda: gsp_auction([1.0, 2.0], [0.5, 1.0]), "non-increasing"),
        (lambda: vcg_auction([1.0, 2.0], [1.0], quality=[0.1]), "shape of bids"),
        (lambda: vcg_auction([1.0, 2.0], [1.0], quality=[0.1, 0.0]), "quality must be > 0"),
        (lambda: second_price_auction([1.0, 2.0], reserve="high"), "reserve"),
        (lambda: second_price_auction([1.0, 2.0], reserve=-1.0), "reserve must be >= 0"),
        (lambda: second_price_auction([1.0, 2.0], reserve=[1.0, 2.0, 3.0]), "reserve"),
        (lambda: first_price_auction(3.0), "scalar"),
        (lambda: first_price_auction(np.ones((2, 2, 2))), "1-D"),
        (lambda: gsp_auction([], [1.0]), "empty"),
        (lambda: gsp_auction(["a", "b"], [1.0]), "array of numbers"),
        (lambda: gsp_auction([1e308, 1.0], [1.0], quality=[10.0, 1.0]), "overflows"),
        (lambda: gsp_envy_free_bids([1.0, 2.0], [1.0, 0.0]), "> 0"),
        (lambda: vcg_externalities(np.ones((2, 2)), [1.0]), "one auction"),
        (
            lambda: auction_utilities(
                gsp_auction, [1.0, 2.0], [1.0, 2.0], 2, [1.0], position_ctrs=[1.0]
            ),
            "bidder",
        ),
        (
            lambda: auction_utilities(
                gsp_auction, [1.0, 2.0], [1.0], 0, [1.0], position_ctrs=[1.0]
            ),
            "same length",
        ),
        (lambda: correct_downsampled_probability([0.2], 0.0), "negative_rate"),
        (lambda: ad_score([1.5], [1.0]), r"\[0, 1\]"),
        (lambda: ad_score([0.5, 0.5], [1.0, 1.0, 1.0]), "broadcast"),
        (lambda: true_outcome(gsp_auction([1.0, 2.0], [1.0]), [1.0], [0.1], [1.0, 2.0]), "shape"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()
