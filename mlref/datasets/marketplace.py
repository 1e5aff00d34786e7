r"""A seeded simulator of a B2B wholesale marketplace: the course's default, offline data.

Independent retailers (boutiques, gift shops, grocers, online stores...) search a catalogue of
wholesale products made by brands, click, add to cart and order; the simulator logs all of it
together with the ground truth a real log never has: the true graded relevance of every shown
product and the probability that the retailer examined each position.

The world follows the wholesale setting of the course's source (section 9D): high order values and
bulk buying in case packs, a minimum order value (MOV) per brand, inventory limits, retailers who
reorder their bestsellers, new brands competing with proven ones for exposure, and purchases that
depend on store type, region and price tier.

Click model
-----------
A shown product at position :math:`k` for query :math:`q` is clicked with probability

.. math::

    P(C = 1 \mid q, d, k) = P(E = 1 \mid k)\, P(C = 1 \mid E = 1, r(q, d)),
    \qquad P(E = 1 \mid k) = k^{-\eta},

where :math:`r(q, d) \in \{0, 1, 2, 3\}` is the true graded relevance (0 irrelevant, 1 somewhat,
2 relevant, 3 highly relevant) and :math:`P(C = 1 \mid E = 1, r) = \alpha_r` with
:math:`\alpha = (0.02, 0.10, 0.30, 0.60)` by default. Examination depends only on the position and
attractiveness only on the relevance, so :math:`E[C / P(E = 1 \mid k) \mid r] = \alpha_r`: this is
what inverse propensity weighting (IPW) relies on.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from mlref._validation import check_random_state, check_real

__all__ = [
    "CATEGORIES",
    "CLICK_PROB_GIVEN_RELEVANCE",
    "INTENTS",
    "PRICE_TIERS",
    "REGIONS",
    "STORE_TYPES",
    "Marketplace",
    "make_marketplace",
]


class _Category(NamedTuple):
    name: str
    phrasings: tuple[str, ...]
    types: tuple[str, ...]
    materials: tuple[str, ...]
    variants: tuple[str, ...]
    adjectives: tuple[str, ...]
    base_price: float


_CATALOGUE = (
    _Category(
        "candles",
        ("candles", "home fragrance"),
        ("candle", "wax melt", "reed diffuser", "room spray", "incense", "candle holder"),
        ("soy", "beeswax", "coconut wax", "ceramic", "glass"),
        ("lavender", "vanilla", "sandalwood", "eucalyptus", "citrus", "cedar", "rose"),
        ("hand-poured", "artisan", "small-batch", "luxe", "cozy", "botanical"),
        12.0,
    ),
    _Category(
        "jewelry",
        ("jewelry", "accessories"),
        ("necklace", "earrings", "bracelet", "ring", "anklet", "hair clip"),
        ("gold-plated", "sterling silver", "brass", "pearl", "enamel"),
        ("gold", "silver", "rose gold", "turquoise", "opal"),
        ("dainty", "minimalist", "handmade", "statement", "vintage-inspired", "layered"),
        20.0,
    ),
    _Category(
        "home_decor",
        ("home decor", "decor"),
        ("throw pillow", "vase", "wall art", "throw blanket", "planter", "mirror"),
        ("ceramic", "linen", "cotton", "wool", "rattan", "glass"),
        ("sage", "terracotta", "cream", "navy", "blush", "charcoal"),
        ("handwoven", "modern", "boho", "rustic", "hand-painted", "textured"),
        28.0,
    ),
    _Category(
        "stationery",
        ("stationery", "paper goods"),
        ("notebook", "greeting card", "planner", "sticker", "journal", "art print"),
        ("recycled paper", "leather", "linen", "kraft paper"),
        ("floral", "botanical", "sage", "navy", "blush"),
        ("letterpress", "illustrated", "hand-lettered", "dotted", "foil-stamped", "eco-friendly"),
        6.0,
    ),
    _Category(
        "beauty",
        ("bath and body", "skincare"),
        ("soap bar", "lip balm", "body lotion", "bath salts", "face serum", "hand cream"),
        ("shea butter", "goat milk", "coconut oil", "charcoal", "oatmeal"),
        ("lavender", "vanilla", "eucalyptus", "citrus", "rose", "unscented"),
        ("natural", "organic", "cold-process", "nourishing", "vegan", "gentle"),
        8.0,
    ),
    _Category(
        "food_drink",
        ("gourmet food", "snacks"),
        ("hot sauce", "coffee", "tea", "chocolate bar", "honey", "jam"),
        ("organic", "fair trade", "raw", "small-batch"),
        ("vanilla", "citrus", "cinnamon", "chili", "sea salt", "lavender", "mint"),
        ("artisan", "gourmet", "handcrafted", "farm-fresh", "local", "classic"),
        7.0,
    ),
    _Category(
        "apparel",
        ("apparel", "clothing"),
        ("t-shirt", "sweater", "scarf", "socks", "beanie", "tote bag"),
        ("cotton", "linen", "wool", "cashmere", "organic cotton"),
        ("cream", "navy", "sage", "charcoal", "terracotta", "black"),
        ("relaxed", "oversized", "classic", "cozy", "embroidered", "everyday"),
        22.0,
    ),
    _Category(
        "kids_baby",
        ("kids and baby", "toys"),
        ("plush toy", "baby blanket", "wooden puzzle", "teether", "board book", "rattle"),
        ("organic cotton", "wooden", "silicone", "wool", "muslin"),
        ("sage", "blush", "cream", "rainbow", "mustard"),
        ("soft", "montessori", "handmade", "heirloom", "playful", "gentle"),
        15.0,
    ),
    _Category(
        "kitchen",
        ("kitchen", "tableware"),
        ("mug", "cutting board", "tea towel", "bowl", "apron", "utensil set"),
        ("ceramic", "olive wood", "linen", "stoneware", "cotton", "bamboo"),
        ("sage", "terracotta", "cream", "speckled", "navy", "charcoal"),
        ("handmade", "hand-thrown", "rustic", "modern", "everyday", "artisan"),
        14.0,
    ),
)

#: Product categories, in the order of the ``category`` dtype's categories.
CATEGORIES = tuple(c.name for c in _CATALOGUE)
#: Retailer store types.
STORE_TYPES = ("boutique", "gift_shop", "home_decor", "clothing", "grocery", "online", "toy_store")
#: Retailer and brand regions.
REGIONS = ("northeast", "southeast", "midwest", "southwest", "west")
#: Ordered price tiers of retailers and price levels of brands.
PRICE_TIERS = ("budget", "mid", "premium")
#: Query intents: ``navigational`` queries name a brand.
INTENTS = ("navigational", "category", "product")
#: Default :math:`P(\text{click} \mid \text{examined}, r)` for relevance grades r = 0, 1, 2, 3.
CLICK_PROB_GIVEN_RELEVANCE = (0.02, 0.10, 0.30, 0.60)

_STORE_WEIGHTS = (0.24, 0.22, 0.14, 0.10, 0.08, 0.14, 0.08)
_REGION_WEIGHTS = (0.22, 0.24, 0.20, 0.12, 0.22)
# How much each store type buys (and searches) each category, rows in STORE_TYPES order.
_AFFINITY = np.array(
    [
        [0.7, 1.0, 0.6, 0.4, 0.6, 0.2, 1.0, 0.3, 0.3],
        [1.0, 0.6, 0.6, 1.0, 0.8, 0.7, 0.3, 0.5, 0.6],
        [0.9, 0.2, 1.0, 0.3, 0.3, 0.1, 0.2, 0.2, 0.9],
        [0.2, 0.9, 0.2, 0.1, 0.3, 0.1, 1.0, 0.2, 0.1],
        [0.3, 0.1, 0.1, 0.2, 0.5, 1.0, 0.1, 0.2, 0.6],
        [0.7, 0.7, 0.7, 0.7, 0.7, 0.5, 0.7, 0.7, 0.7],
        [0.2, 0.1, 0.2, 0.5, 0.2, 0.2, 0.2, 1.0, 0.1],
    ]
)
_BRAND_WORDS = (
    "Willow", "Juniper", "Saltwater", "Honeybee", "Magnolia", "Fern", "Cedar", "Wildflower",
    "Marigold", "Driftwood", "Sunday", "Golden Hour", "Little Fox", "Blue Heron", "Olive",
    "Sparrow", "Moss", "Hazel", "Clover", "Birch", "Meadow", "Harbor", "Canyon", "Prairie",
    "Maple", "Acorn", "Pebble", "Indigo", "Ember", "Tidal", "Copper", "Linden", "Poppy", "Quill",
    "Hollow", "Fable", "North", "Rosewood", "Lark", "Wren", "Thistle", "Bramble", "Orchard",
    "Bluebird", "Kettle", "Lantern", "Haven", "Aster", "Coral", "Dune",
)  # fmt: skip
_BRAND_SUFFIXES = (
    "Studio", "Co.", "Goods", "Supply", "Workshop", "Collective", "Atelier", "Made", "House",
    "Mercantile", "Makers", "Lane", "Trading", "Botanicals", "Home", "Design", "Craft",
    "Provisions", "Mill", "Loom",
)  # fmt: skip
# Queries for things the catalogue does not sell: they retrieve nothing (zero-result searches).
_OUT_OF_CATALOGUE = (
    "forklift", "solar panel", "printer ink", "car parts", "lumber", "smartphone case",
    "office chair", "snow tires", "fertilizer", "power drill", "laptop stand", "vinyl flooring",
    "frozen pizza", "fishing rod", "motor oil", "hdmi cable", "espresso machine", "dog food",
    "garden hose", "light bulbs",
)  # fmt: skip

_NAV, _CAT, _PROD = 0, 1, 2
_SECONDS_PER_DAY = 86_400
_RANK_BLOCK = 8192
# Relevance: a match class sets a base grade and a range; product quality moves the grade within
# it (see Marketplace.true_relevance).
_EXACT, _PARTIAL, _BROAD, _RELATED, _NONE = range(5)
_MATCH_BASE = np.array([2.2, 1.5, 1.8, 0.8, 0.0])
_MATCH_FLOOR = np.array([1, 1, 1, 0, 0])
_MATCH_CEILING = np.array([3, 2, 3, 1, 0])
_QUALITY_WEIGHT = 0.6
# Relative search traffic Monday..Sunday.
_WEEKDAY_TRAFFIC = (1.0, 1.05, 1.05, 1.0, 0.9, 0.6, 0.5)


class _Vocabulary(NamedTuple):
    """Integer-coded catalogue vocabulary shared by products and queries."""

    type_names: np.ndarray  # all product types, category-major
    type_category: np.ndarray
    token_names: np.ndarray  # materials and variants; a word shared by categories is one token
    category_types: tuple[np.ndarray, ...]
    category_materials: tuple[np.ndarray, ...]
    category_variants: tuple[np.ndarray, ...]
    category_adjectives: tuple[np.ndarray, ...]


def _vocabulary() -> _Vocabulary:
    tokens = list(dict.fromkeys(w for c in _CATALOGUE for w in c.materials + c.variants))
    token_id = {w: i for i, w in enumerate(tokens)}
    type_names, type_category, cat_types = [], [], []
    for i, c in enumerate(_CATALOGUE):
        cat_types.append(np.arange(len(type_names), len(type_names) + len(c.types)))
        type_names.extend(c.types)
        type_category.extend([i] * len(c.types))
    return _Vocabulary(
        type_names=np.array(type_names, dtype=object),
        type_category=np.array(type_category),
        token_names=np.array(tokens, dtype=object),
        category_types=tuple(cat_types),
        category_materials=tuple(np.array([token_id[w] for w in c.materials]) for c in _CATALOGUE),
        category_variants=tuple(np.array([token_id[w] for w in c.variants]) for c in _CATALOGUE),
        category_adjectives=tuple(np.array(c.adjectives, dtype=object) for c in _CATALOGUE),
    )


_VOCAB = _vocabulary()


class _Truth(NamedTuple):
    """Latent codes behind :meth:`Marketplace.true_relevance` (``-1`` means "none")."""

    query_intent: np.ndarray
    query_category: np.ndarray
    query_brand: np.ndarray
    query_type: np.ndarray
    query_token: np.ndarray
    product_category: np.ndarray
    product_brand: np.ndarray
    product_type: np.ndarray
    product_material: np.ndarray
    product_variant: np.ndarray
    product_quality: np.ndarray
    candidates: np.ndarray  # (n_queries, n_candidates) product ids, -1 padded
    n_candidates: np.ndarray


def _lexical_overlap(t: _Truth, q, p) -> np.ndarray:
    """Query words found in the product's title or brand: product type, attribute, brand name."""
    qtok = t.query_token[q]
    attr = (qtok >= 0) & ((qtok == t.product_material[p]) | (qtok == t.product_variant[p]))
    qb = t.query_brand[q]
    return (
        ((t.query_type[q] >= 0) & (t.query_type[q] == t.product_type[p])).astype(np.int8)
        + attr
        + ((qb >= 0) & (qb == t.product_brand[p]))
    )


def _relevance(t: _Truth, q, p) -> np.ndarray:
    """True graded relevance of (query, product) pairs; ``q`` and ``p`` broadcast."""
    intent = t.query_intent[q]
    same_category = (t.query_category[q] >= 0) & (t.query_category[q] == t.product_category[p])
    type_match = (t.query_type[q] >= 0) & (t.query_type[q] == t.product_type[p])
    qtok = t.query_token[q]
    attr_match = (qtok < 0) | (qtok == t.product_material[p]) | (qtok == t.product_variant[p])
    match = np.select(
        [
            (intent == _NAV) & (t.query_brand[q] == t.product_brand[p]),
            (intent == _PROD) & type_match & attr_match,
            (intent == _PROD) & type_match,
            (intent == _CAT) & same_category,
            same_category,
        ],
        [_EXACT, _EXACT, _PARTIAL, _BROAD, _RELATED],
        _NONE,
    )
    grade = np.rint(_MATCH_BASE[match] + _QUALITY_WEIGHT * t.product_quality[p])
    return np.clip(grade, _MATCH_FLOOR[match], _MATCH_CEILING[match]).astype(np.int8)


@dataclass(frozen=True, eq=False, repr=False)
class Marketplace:
    r"""A simulated wholesale marketplace: seven tidy tables plus the ground truth behind them.

    Built by :func:`make_marketplace`. Ids are integers starting at 0 and equal to the row number
    of their own table; every table is sorted by its id, and ids of events (searches, orders)
    increase with time.

    Attributes
    ----------
    retailers : pandas.DataFrame
        ``retailer_id``, ``store_type``, ``region``, ``price_tier`` (ordered: budget < mid <
        premium), ``signup_date``. Sign-ups happen in the year before the window or inside it; a
        retailer never searches before signing up.
    brands : pandas.DataFrame
        ``brand_id``, ``brand_name``, ``category``, ``region``, ``price_level``, ``margin`` (the
        retailer's margin ``1 - wholesale / msrp``), ``min_order_value`` (dollars),
        ``shipping_days``, ``is_new`` (joined recently: few reviews, rarely searched by name),
        ``free_returns``; with ``new_brand_arrivals``, ``launch_day`` (0 for brands there from
        the start).
    products : pandas.DataFrame
        ``product_id``, ``brand_id``, ``category``, ``product_type``, ``material``, ``variant``,
        ``title`` (e.g. ``"Hand-poured Soy Candle Lavender"``), ``wholesale_price``, ``msrp``,
        ``case_pack`` (units per case), ``rating`` (1-5, NaN when ``review_count`` is 0),
        ``review_count`` (heavy-tailed), ``inventory`` (units; some 0, some low); with
        ``new_brand_arrivals``, ``launch_day`` (its brand's).
    queries : pandas.DataFrame
        ``query_id``, ``text``, ``intent`` (``navigational`` = a brand name, ``category`` e.g.
        "candles", ``product`` e.g. "soy candle"), ``target_category``, ``target_brand_id``,
        ``target_product_type``, ``target_attribute`` (missing where they do not apply; queries for
        things the catalogue does not sell have no target at all), ``frequency`` (share of
        searches, Zipf: proportional to ``rank ** -query_zipf_exponent``; sums to 1), ``rank``
        (1 = most frequent) and ``segment``: ``head`` for ranks up to ``ceil(0.01 * n_queries)``,
        ``torso`` up to ``ceil(0.20 * n_queries)``, ``tail`` for the rest.
    searches : pandas.DataFrame
        One row per search request: ``search_id``, ``retailer_id``, ``query_id``, ``timestamp``,
        ``day`` (0-based day of the window), ``n_results`` (products shown; 0 for a zero-result
        search).
    impressions : pandas.DataFrame
        One row per shown product: ``search_id``, ``position`` (1-based, contiguous),
        ``product_id``, ``retailer_id``, ``query_id``, ``timestamp``, ``clicked``,
        ``added_to_cart``, ``ordered`` (0/1, each implies the previous), and the ground truth
        ``true_relevance`` (0-3), ``examination_prob`` and ``click_prob``.
    orders : pandas.DataFrame
        One row per ordered product: ``order_id``, ``retailer_id``, ``brand_id``, ``product_id``,
        ``search_id`` (nullable ``Int64``: missing for reorders), ``source`` (``search`` or
        ``reorder``), ``is_reorder`` (the retailer had ordered this product before, by any route),
        ``quantity``, ``order_value`` (wholesale dollars, GMV), ``timestamp``, ``day``.
    propensities : pandas.Series
        :math:`P(\text{examine} \mid k) = k^{-\eta}`, indexed by position
        ``k = 1..results_per_search``.
    click_prob_given_relevance : numpy.ndarray of shape (4,)
        :math:`P(\text{click} \mid \text{examined}, r)` for r = 0..3; index it with relevance
        grades.
    params : dict
        Every generation parameter of :func:`make_marketplace` (``start_date`` as an ISO date).
    random_state : int, numpy.random.Generator or None
        The seed the tables were built from.

    Notes
    -----
    True relevance depends on the query and the product only (not on the retailer); see
    :meth:`true_relevance`. What a retailer buys after a click does depend on the retailer: store
    type and category, price tier and brand price level, same region, stock, MOV and shipping
    time (see :func:`make_marketplace`).
    """

    retailers: pd.DataFrame
    brands: pd.DataFrame
    products: pd.DataFrame
    queries: pd.DataFrame
    searches: pd.DataFrame
    impressions: pd.DataFrame
    orders: pd.DataFrame
    propensities: pd.Series
    click_prob_given_relevance: np.ndarray
    params: dict[str, Any]
    random_state: Any
    _truth: _Truth = field(repr=False)

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{name}={len(getattr(self, name)):,}"
            for name in (
                "retailers",
                "brands",
                "products",
                "queries",
                "searches",
                "impressions",
                "orders",
            )
        )
        return f"Marketplace({sizes})"

    def true_relevance(self, query_ids, product_ids) -> np.ndarray:
        """True graded relevance (0-3) of query-product pairs, for any pair, shown or not.

        The grade comes from the latent catalogue, never from logged behaviour:
        ``clip(rint(base + 0.6 * quality), floor, ceiling)``, where ``quality`` is the product's
        latent quality (standard normal, :attr:`product_quality`) and the match class sets
        ``(base, floor, ceiling)``:

        ==============================================================  ====  =====  =======
        match class                                                     base  floor  ceiling
        ==============================================================  ====  =====  =======
        exact: the brand of a navigational query; the product type      2.2   1      3
        (and the attribute, if asked) of a product query
        partial: right product type, other attribute ("soy candle"      1.5   1      2
        for a beeswax candle)
        broad: any product of a category query's category               1.8   1      3
        related: same category, otherwise no match                      0.8   0      1
        none: another category (lexical near-misses like lavender       0     0      0
        soap for "lavender candle"), or an out-of-catalogue query
        ==============================================================  ====  =====  =======

        So an exact match is highly relevant (3) when its quality is above 0.5, relevant (2)
        down to -1.17 and somewhat relevant (1) below.

        Parameters
        ----------
        query_ids, product_ids : array-like of int
            Ids; broadcast against each other (e.g. ``q[:, None]`` and ``p[None, :]`` for a
            matrix).

        Returns
        -------
        numpy.ndarray of int8
            Grades in {0, 1, 2, 3}, of the broadcast shape.
        """
        q = self._ids(query_ids, "query_ids", len(self.queries))
        p = self._ids(product_ids, "product_ids", len(self.products))
        return _relevance(self._truth, q, p)

    def click_probability(self, positions, relevance) -> np.ndarray:
        """Probability of a click at 1-based ``positions`` for relevance grades ``relevance``.

        ``propensities[position] * click_prob_given_relevance[relevance]``, broadcast.
        """
        k = self._ids(
            np.asarray(positions) - 1,
            "positions - 1 (positions are 1-based)",
            len(self.propensities),
        )
        r = self._ids(relevance, "relevance", 4)
        return self.propensities.to_numpy()[k] * self.click_prob_given_relevance[r]

    def simulate_clicks(self, query_ids, product_ids, positions, *, random_state=None):
        """Clicks of new traffic: each (query, product) shown at a 1-based position is clicked
        with :meth:`click_probability` of that position and its true relevance.

        Use it to replay a ranking the log never showed (a randomized page, an interleaved list,
        another ranker's page) under the simulator's click model.

        Parameters
        ----------
        query_ids, product_ids, positions : array-like of int, broadcast together
        random_state : int, numpy.random.Generator or None

        Returns
        -------
        numpy.ndarray of int8
            0/1 clicks of the broadcast shape.

        Examples
        --------
        >>> m = make_marketplace(n_searches=200, random_state=0)
        >>> m.simulate_clicks([0, 0], [1, 2], [1, 1], random_state=0).shape
        (2,)
        """
        if isinstance(random_state, bool) or not (
            random_state is None or isinstance(random_state, numbers.Integral | np.random.Generator)
        ):
            raise ValueError(
                f"random_state must be None, an int or a numpy Generator, got {random_state!r}"
            )
        relevance = self.true_relevance(query_ids, product_ids)
        prob = self.click_probability(positions, relevance)
        rng = np.random.default_rng(random_state)
        return (rng.random(prob.shape) < prob).astype(np.int8)

    def purchase_given_click(self, query_ids, retailer_ids, product_ids):
        r"""What a click is worth: the probability of an order and its expected value.

        The simulator's known purchase model (see :func:`make_marketplace`), in expectation over
        the quantity drawn at the cart: a click becomes a cart with probability
        :math:`p_c = \min(0.5 f_{rel} f_{tier} f_{store} f_{region}, 1)` (0 out of stock), the
        cart holds :math:`n = \min(\text{case\_pack}\,(1 + K), \text{inventory})` units with
        :math:`K \sim \text{Poisson}(1.5)`, and it becomes an order with probability
        :math:`p_o(n)` (0.75 if its value reaches the brand's MOV, else 0.35, times the shipping
        and free-returns factors). So

        .. math::

            P(\text{order} \mid \text{click}) = p_c \sum_K P(K)\, p_o(n_K),\qquad
            E[\text{GMV} \mid \text{click}] = p_c \sum_K P(K)\, p_o(n_K)\, n_K\, w,

        with :math:`w` the wholesale price. Logged clicks are ordered at these rates (the unit
        tests check it on the log); use them to score a ranking on orders and GMV, not only
        clicks.

        Parameters
        ----------
        query_ids, retailer_ids, product_ids : array-like of int, broadcast together

        Returns
        -------
        order_prob, expected_gmv : numpy.ndarray of float64
            :math:`P(\text{order} \mid \text{click})` and :math:`E[\text{GMV} \mid
            \text{click}]` (wholesale dollars, 0 when no order), of the broadcast shape.

        Examples
        --------
        >>> m = make_marketplace(n_searches=200, random_state=0)
        >>> p, v = m.purchase_given_click([0, 0], [3, 3], [1, 2])
        >>> p.shape, bool((p <= 1).all() and (v >= 0).all())
        ((2,), True)
        """
        q = self._ids(query_ids, "query_ids", len(self.queries))
        r = self._ids(retailer_ids, "retailer_ids", len(self.retailers))
        p = self._ids(product_ids, "product_ids", len(self.products))
        q, r, p = np.broadcast_arrays(q, r, p)
        products, brands, retailers = self.products, self.brands, self.retailers
        brand = products["brand_id"].to_numpy()[p]
        category = products["category"].cat.codes.to_numpy()[p]
        store = retailers["store_type"].cat.codes.to_numpy()[r]
        tier = retailers["price_tier"].cat.codes.to_numpy()[r]
        level = brands["price_level"].cat.codes.to_numpy()[brand]
        same_region = (
            retailers["region"].cat.codes.to_numpy()[r]
            == brands["region"].cat.codes.to_numpy()[brand]
        )
        inventory = products["inventory"].to_numpy()[p]
        f_rel = np.array([0.1, 0.4, 0.8, 1.0])[_relevance(self._truth, q, p)]
        f_tier = np.array([1.0, 0.6, 0.3])[np.abs(tier - level)]
        f_store = 0.5 + 0.5 * _AFFINITY[store, category]
        f_region = np.where(same_region, 1.25, 1.0)
        p_cart = np.minimum(0.5 * f_rel * f_tier * f_store * f_region, 1.0) * (inventory > 0)
        # Quantity: case_pack * (1 + K), K ~ Poisson(1.5), capped by inventory; the Poisson
        # tail beyond K = 30 is below 1e-20.
        k = np.arange(31)
        log_pmf = k * np.log(1.5) - 1.5 - np.cumsum(np.r_[0.0, np.log(k[1:])])
        pmf = np.exp(log_pmf)
        qty = np.minimum(
            products["case_pack"].to_numpy()[p][..., None] * (1 + k), inventory[..., None]
        )
        value = qty * products["wholesale_price"].to_numpy()[p][..., None]
        mov = brands["min_order_value"].to_numpy()[brand][..., None]
        factor = np.exp(-0.04 * (brands["shipping_days"].to_numpy()[brand] - 2)) * np.where(
            brands["free_returns"].to_numpy()[brand], 1.1, 1.0
        )
        p_order = np.minimum(np.where(value >= mov, 0.75, 0.35) * factor[..., None], 1.0)
        order_prob = p_cart * (p_order @ pmf)
        expected_gmv = p_cart * ((p_order * np.round(value, 2)) @ pmf)
        return order_prob, expected_gmv

    @property
    def product_quality(self) -> pd.Series:
        """Latent product quality (standard normal); ``rating`` and ``review_count`` are noisy."""
        return pd.Series(
            self._truth.product_quality.copy(),
            index=pd.Index(self.products["product_id"].to_numpy(), name="product_id"),
            name="quality",
        )

    def judgments(self) -> pd.DataFrame:
        """The retrieved candidates of every query with their true relevance (full "qrels").

        Returns
        -------
        pandas.DataFrame
            ``query_id``, ``product_id``, ``retrieval_rank`` (1 = best lexical match) and
            ``true_relevance``; the products the production ranker chooses from for each query.
        """
        t = self._truth
        width = t.candidates.shape[1]
        keep = np.arange(width)[None, :] < t.n_candidates[:, None]
        q = np.broadcast_to(np.arange(len(t.candidates))[:, None], t.candidates.shape)[keep]
        p = t.candidates[keep]
        rank = np.broadcast_to(np.arange(1, width + 1)[None, :], t.candidates.shape)[keep]
        return pd.DataFrame(
            {
                "query_id": q.astype(np.int64),
                "product_id": p.astype(np.int64),
                "retrieval_rank": rank.astype(np.int64),
                "true_relevance": _relevance(t, q, p),
            }
        )

    @staticmethod
    def _ids(values, name: str, upper: int) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise ValueError(f"{name} must be integers, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= upper):
            raise ValueError(
                f"{name} must lie in 0..{upper - 1}, got values in {arr.min()}..{arr.max()}"
            )
        return arr


def _check_int(name: str, value, minimum: int = 1, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}{hint}, got {value!r}")
    return int(value)


def _check_float(name: str, value, low: float, high: float = np.inf) -> float:
    return check_real(value, name, low=low, high=high)


def _categorical(codes, categories, ordered: bool = False) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.asarray(codes), categories=list(categories), ordered=ordered
    )


def _capitalise(words: np.ndarray) -> np.ndarray:
    """Capitalise each word of each string ("hand-poured soy" -> "Hand-poured Soy")."""
    vocabulary, codes = np.unique(np.asarray(words, dtype=object), return_inverse=True)
    display = [" ".join(w[:1].upper() + w[1:] for w in s.split()) for s in vocabulary]
    return np.array(display, dtype=object)[codes]


def _seconds_to_datetime(start: pd.Timestamp, seconds: np.ndarray) -> np.ndarray:
    """``start`` plus whole ``seconds``, as datetime64[ns]."""
    offset = np.asarray(seconds).astype(np.int64).astype("timedelta64[s]")
    return (np.datetime64(start.to_datetime64(), "s") + offset).astype("datetime64[ns]")


def _make_retailers(rng, n, n_days, start):
    store = rng.choice(len(STORE_TYPES), size=n, p=np.array(_STORE_WEIGHTS) / sum(_STORE_WEIGHTS))
    region = rng.choice(len(REGIONS), size=n, p=np.array(_REGION_WEIGHTS) / sum(_REGION_WEIGHTS))
    tier = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])
    recent = rng.random(n) < 0.15
    signup_day = np.where(recent, rng.integers(0, n_days, n), rng.integers(-365, 0, n))
    activity = rng.lognormal(0.0, 1.0, n)
    table = pd.DataFrame(
        {
            "retailer_id": np.arange(n, dtype=np.int64),
            "store_type": _categorical(store, STORE_TYPES),
            "region": _categorical(region, REGIONS),
            "price_tier": _categorical(tier, PRICE_TIERS, ordered=True),
            "signup_date": _seconds_to_datetime(start, signup_day * float(_SECONDS_PER_DAY)),
        }
    )
    return table, store, region, tier, signup_day, activity


def _make_brands(rng, n):
    n_combos = len(_BRAND_WORDS) * len(_BRAND_SUFFIXES)
    repeats = -(-n // n_combos)
    pick = rng.permutation(n_combos * repeats)[:n]
    base, again = pick % n_combos, pick // n_combos
    words = np.array(_BRAND_WORDS, dtype=object)[base // len(_BRAND_SUFFIXES)]
    suffixes = np.array(_BRAND_SUFFIXES, dtype=object)[base % len(_BRAND_SUFFIXES)]
    names = words + " " + suffixes
    names = np.where(again > 0, names + " " + (again + 1).astype(str).astype(object), names)

    category = rng.choice(len(CATEGORIES), size=n)
    region = rng.choice(len(REGIONS), size=n, p=np.array(_REGION_WEIGHTS) / sum(_REGION_WEIGHTS))
    level = rng.choice(3, size=n, p=[0.3, 0.45, 0.25])
    margin = np.round(np.clip(rng.normal(0.5, 0.04, n), 0.35, 0.65), 2)
    mov_options = np.array([0, 100, 150, 200, 250, 300, 500])
    mov_probs = np.array(
        [
            [0.25, 0.35, 0.25, 0.10, 0.05, 0.0, 0.0],
            [0.10, 0.25, 0.25, 0.20, 0.10, 0.10, 0.0],
            [0.0, 0.10, 0.20, 0.25, 0.15, 0.20, 0.10],
        ]
    )
    u = rng.random(n)
    mov = mov_options[(u[:, None] > np.cumsum(mov_probs[level], axis=1)[:, :-1]).sum(axis=1)]
    shipping = np.clip(np.round(rng.gamma(4.0, 1.6, n)), 1, 21).astype(np.int64)
    is_new = rng.random(n) < 0.15
    free_returns = rng.random(n) < 0.3
    quality = rng.normal(0.0, np.sqrt(0.4), n)
    table = pd.DataFrame(
        {
            "brand_id": np.arange(n, dtype=np.int64),
            "brand_name": pd.array(names, dtype="string"),
            "category": _categorical(category, CATEGORIES),
            "region": _categorical(region, REGIONS),
            "price_level": _categorical(level, PRICE_TIERS, ordered=True),
            "margin": margin,
            "min_order_value": mov.astype(np.float64),
            "shipping_days": shipping,
            "is_new": is_new,
            "free_returns": free_returns,
        }
    )
    return table, names, category, region, level, quality, is_new


def _make_products(rng, n, brand_category, brand_level, brand_quality, brand_new, brand_margin):
    n_brands = len(brand_category)
    size = rng.lognormal(0.0, 0.8, n_brands)
    brand = np.sort(rng.choice(n_brands, size=n, p=size / size.sum()))
    category = brand_category[brand]
    # Each brand has a signature product type that half of its products share.
    signature = rng.random(n_brands)
    u_type, u_mat, u_var, u_adj = rng.random((4, n))
    own = rng.random(n) < 0.5
    ptype = np.empty(n, np.int64)
    material = np.empty(n, np.int64)
    variant = np.empty(n, np.int64)
    adjective = np.empty(n, object)
    for c in range(len(CATEGORIES)):
        m = category == c
        types = _VOCAB.category_types[c]
        pick = np.where(own[m], signature[brand[m]], u_type[m])
        ptype[m] = types[(pick * len(types)).astype(np.int64)]
        mats, vars_ = _VOCAB.category_materials[c], _VOCAB.category_variants[c]
        material[m] = mats[(u_mat[m] * len(mats)).astype(np.int64)]
        variant[m] = vars_[(u_var[m] * len(vars_)).astype(np.int64)]
        adjs = _VOCAB.category_adjectives[c]
        adjective[m] = adjs[(u_adj[m] * len(adjs)).astype(np.int64)]
    title = (
        _capitalise(adjective)
        + " "
        + _capitalise(_VOCAB.token_names)[material]
        + " "
        + _capitalise(_VOCAB.type_names)[ptype]
        + " "
        + _capitalise(_VOCAB.token_names)[variant]
    )

    quality = brand_quality[brand] + rng.normal(0.0, np.sqrt(0.6), n)
    base_price = np.array([c.base_price for c in _CATALOGUE])[category]
    level_mult = np.array([0.6, 1.0, 1.8])[brand_level[brand]]
    wholesale = np.round(base_price * level_mult * rng.lognormal(0.0, 0.3, n), 2)
    wholesale = np.maximum(wholesale, 0.5)
    msrp = np.round(wholesale / (1.0 - brand_margin[brand]), 2)
    cheap = wholesale < 10
    case_pack = np.where(
        cheap, rng.choice([2, 4, 6, 12], size=n), rng.choice([1, 2, 4, 6], size=n)
    ).astype(np.int64)
    popularity = 0.8 * quality + rng.normal(0.0, 1.0, n)
    reviews = rng.poisson(np.exp(1.5 + popularity) * np.where(brand_new[brand], 0.1, 1.0))
    rating = np.round(np.clip(4.2 + 0.45 * quality + rng.normal(0.0, 0.25, n), 1.0, 5.0), 1)
    rating = np.where(reviews > 0, rating, np.nan)
    stock_u = rng.random(n)
    inventory = np.where(
        stock_u < 0.06,
        0,
        np.where(
            stock_u < 0.18,
            rng.integers(1, 6, n),
            np.round(rng.lognormal(np.log(120.0), 0.8, n)),
        ),
    ).astype(np.int64)
    table = pd.DataFrame(
        {
            "product_id": np.arange(n, dtype=np.int64),
            "brand_id": brand.astype(np.int64),
            "category": _categorical(category, CATEGORIES),
            "product_type": _categorical(ptype, _VOCAB.type_names),
            "material": _categorical(material, _VOCAB.token_names),
            "variant": _categorical(variant, _VOCAB.token_names),
            "title": pd.array(title, dtype="string"),
            "wholesale_price": wholesale,
            "msrp": msrp,
            "case_pack": case_pack,
            "rating": rating,
            "review_count": reviews.astype(np.int64),
            "inventory": inventory,
        }
    )
    return table, brand, category, ptype, material, variant, quality


def _query_pool(brand_names, brand_category, brand_quality, brand_new):
    """All possible queries as parallel arrays, plus a log-popularity prior for each."""
    cols = {k: [] for k in ("text", "intent", "category", "brand", "type", "token", "prior")}

    def add(text, intent, category, brand, ptype, token, prior):
        cols["text"].append(np.asarray(text, dtype=object))
        size = len(cols["text"][-1])
        for key, value in (
            ("intent", intent),
            ("category", category),
            ("brand", brand),
            ("type", ptype),
            ("token", token),
            ("prior", prior),
        ):
            cols[key].append(np.broadcast_to(np.asarray(value), (size,)))

    n_brands = len(brand_names)
    add(
        np.array([s.lower() for s in brand_names], dtype=object),
        _NAV,
        brand_category,
        np.arange(n_brands),
        -1,
        -1,
        1.5 + 0.5 * brand_quality - 1.5 * brand_new,
    )
    for c, cat in enumerate(_CATALOGUE):
        add(list(cat.phrasings), _CAT, c, -1, -1, -1, 4.0)
        types = _VOCAB.category_types[c]
        add(_VOCAB.type_names[types], _PROD, c, -1, types, -1, 2.5)
        tokens = np.concatenate([_VOCAB.category_materials[c], _VOCAB.category_variants[c]])
        tokens = tokens[np.sort(np.unique(tokens, return_index=True)[1])]
        tt, kk = np.repeat(types, len(tokens)), np.tile(tokens, len(types))
        add(_VOCAB.token_names[kk] + " " + _VOCAB.type_names[tt], _PROD, c, -1, tt, kk, 0.0)
    pool = {k: np.concatenate(v) for k, v in cols.items()}
    return pool


def _make_queries(rng, n, zero_result_fraction, zipf_exponent, brands_info):
    pool = _query_pool(*brands_info)
    n_pool = len(pool["text"])
    n_out = min(len(_OUT_OF_CATALOGUE), round(zero_result_fraction * n))
    if zero_result_fraction > 0 and n >= 2:
        n_out = max(n_out, 1)
    n_out = min(len(_OUT_OF_CATALOGUE), max(n_out, n - n_pool))
    n_in = n - n_out
    # Weighted sampling without replacement (Gumbel top-k): broad queries are nearly always in.
    weight = np.select(
        [pool["intent"] == _CAT, (pool["intent"] == _PROD) & (pool["token"] < 0)], [4.0, 2.0], 0.0
    )
    keys = weight + rng.gumbel(size=n_pool)
    chosen = np.sort(np.argsort(-keys, kind="stable")[:n_in])
    out = rng.choice(len(_OUT_OF_CATALOGUE), size=n_out, replace=False)

    text = np.concatenate([pool["text"][chosen], np.array(_OUT_OF_CATALOGUE, object)[out]])
    intent = np.concatenate([pool["intent"][chosen], np.full(n_out, _PROD)])
    category = np.concatenate([pool["category"][chosen], np.full(n_out, -1)])
    brand = np.concatenate([pool["brand"][chosen], np.full(n_out, -1)])
    ptype = np.concatenate([pool["type"][chosen], np.full(n_out, -1)])
    token = np.concatenate([pool["token"][chosen], np.full(n_out, -1)])
    prior = np.concatenate([pool["prior"][chosen], np.full(n_out, 0.5)])

    order = rng.permutation(n)
    text, intent, category, brand, ptype, token, prior = (
        a[order] for a in (text, intent, category, brand, ptype, token, prior)
    )
    rank = np.empty(n, np.int64)
    rank[np.argsort(-(prior + 0.5 * rng.gumbel(size=n)), kind="stable")] = np.arange(1, n + 1)
    frequency = rank.astype(np.float64) ** -zipf_exponent
    frequency /= frequency.sum()
    segment = np.where(rank <= np.ceil(0.01 * n), 0, np.where(rank <= np.ceil(0.20 * n), 1, 2))
    table = pd.DataFrame(
        {
            "query_id": np.arange(n, dtype=np.int64),
            "text": pd.array(text, dtype="string"),
            "intent": _categorical(intent, INTENTS),
            "target_category": _categorical(category, CATEGORIES),
            "target_brand_id": pd.array(np.where(brand >= 0, brand, 0), dtype="Int64"),
            "target_product_type": _categorical(ptype, _VOCAB.type_names),
            "target_attribute": _categorical(token, _VOCAB.token_names),
            "frequency": frequency,
            "rank": rank,
            "segment": _categorical(segment, ("head", "torso", "tail"), ordered=True),
        }
    )
    table.loc[brand < 0, "target_brand_id"] = pd.NA
    return table, intent, category, brand, ptype, token


def _retrieve(rng, truth_parts, popularity_z, n_candidates, ranker_noise, popularity_weight):
    """Candidates of each query (lexical match or same category) and their ranker base score."""
    t = _Truth(
        **truth_parts, candidates=np.empty((0, 0), np.int64), n_candidates=np.empty(0, np.int64)
    )
    n_queries = len(t.query_intent)
    candidates = np.full((n_queries, n_candidates), -1, np.int64)
    counts = np.zeros(n_queries, np.int64)
    base_score = np.full((n_queries, n_candidates), -np.inf)
    for c in range(len(CATEGORIES)):
        qs = np.flatnonzero(t.query_category == c)
        if qs.size == 0:
            continue
        tokens = t.query_token[qs][t.query_token[qs] >= 0]
        ps = np.flatnonzero(
            (t.product_category == c)
            | np.isin(t.product_material, tokens)
            | np.isin(t.product_variant, tokens)
        )
        if ps.size == 0:
            continue
        q, p = qs[:, None], ps[None, :]
        same = t.product_category[p] == c
        overlap = _lexical_overlap(t, q, p)
        eligible = (overlap > 0) | same
        score = np.where(eligible, overlap + 0.5 * same + 0.25 * popularity_z[p], -np.inf)
        width = min(n_candidates, ps.size)
        if ps.size > width:
            top = np.argpartition(-score, width - 1, axis=1)[:, :width]
        else:
            top = np.broadcast_to(np.arange(ps.size), (qs.size, width)).copy()
        top_score = np.take_along_axis(score, top, axis=1)
        order = np.argsort(-top_score, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_score = np.take_along_axis(top_score, order, axis=1)
        found = np.isfinite(top_score)
        prod = np.where(found, ps[top], -1)
        rel = _relevance(t, qs[:, None], np.maximum(prod, 0))
        noise = rng.standard_normal(prod.shape)
        candidates[qs, :width] = prod
        counts[qs] = found.sum(axis=1)
        base_score[qs, :width] = np.where(
            found, rel + ranker_noise * noise + popularity_weight * popularity_z[prod], -np.inf
        )
    return candidates, counts, base_score


def _rank(rng, candidates, base_score, query, n_shown, jitter, launch=None):
    """The production ranker's page for each search: product ids of shape (n_searches, n_shown).

    Scores are the query's base scores plus per-search noise; rows of products a query does not
    have (``-inf`` base score) sort last and hold -1. ``launch``, if given, is ``(launch day of
    each product, day of each search)``: a product is not shown before its launch day.
    """
    n_searches, width = len(query), candidates.shape[1]
    page = np.empty((n_searches, n_shown), np.int64)
    # Blocks of searches bound the memory of the (searches x candidates) score matrix.
    for lo in range(0, n_searches, _RANK_BLOCK):
        q = query[lo : lo + _RANK_BLOCK]
        score = base_score[q] + jitter * rng.standard_normal((len(q), width), dtype=np.float32)
        if launch is not None:
            product_launch, search_day = launch
            cand = candidates[q]
            unlaunched = (
                product_launch[np.maximum(cand, 0)] > search_day[lo : lo + _RANK_BLOCK, None]
            )
            score = np.where(unlaunched, -np.inf, score)
        if width > n_shown:
            top = np.argpartition(-score, n_shown - 1, axis=1)[:, :n_shown]
        else:
            top = np.broadcast_to(np.arange(n_shown), (len(q), n_shown))
        order = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        block = candidates[q[:, None], top]
        if launch is not None:
            block = np.where(np.isfinite(np.take_along_axis(score, top, axis=1)), block, -1)
        page[lo : lo + _RANK_BLOCK] = block
    return page


def _search_times(rng, retailer, signup_day, n_days, start):
    weekday = (start.weekday() + np.arange(n_days)) % 7
    cdf = np.cumsum(np.array(_WEEKDAY_TRAFFIC)[weekday])
    cdf /= cdf[-1]
    first_day = np.clip(signup_day[retailer], 0, n_days - 1)
    low = np.where(first_day > 0, cdf[np.maximum(first_day - 1, 0)], 0.0)
    u = low + rng.random(len(retailer)) * (1.0 - low)
    day = np.minimum(np.searchsorted(cdf, u, side="right"), n_days - 1)
    day = np.maximum(day, first_day)
    hour = np.where(
        rng.random(len(retailer)) < 0.55,
        rng.normal(10.5, 2.0, len(retailer)),
        rng.normal(15.0, 2.5, len(retailer)),
    )
    second_of_day = np.floor(np.mod(hour * 3600.0, _SECONDS_PER_DAY))
    return day.astype(np.int64), day * float(_SECONDS_PER_DAY) + second_of_day


#: Most impression rows (searches x results per search) and entities the simulator will build:
#: about 2 GB of tables; larger requests fail with a clear message instead of a MemoryError.
MAX_IMPRESSIONS = 20_000_000
MAX_ENTITIES = 5_000_000


def _check_size(n_impressions, n_retailers, n_products, n_queries, n_brands) -> None:
    if n_impressions > MAX_IMPRESSIONS:
        raise ValueError(
            f"n_searches x results_per_search = {n_impressions:,} impressions is above the "
            f"simulator's limit of {MAX_IMPRESSIONS:,} (about 2 GB of tables); lower n_searches "
            "or results_per_search, or build several seeded markets"
        )
    for name, value in (
        ("n_retailers", n_retailers),
        ("n_products", n_products),
        ("n_queries", n_queries),
        ("n_brands", n_brands),
    ):
        if value > MAX_ENTITIES:
            raise ValueError(
                f"{name}={value:,} is above the simulator's limit of {MAX_ENTITIES:,}; lower it"
            )


def make_marketplace(
    *,
    random_state=0,
    n_retailers: int = 1000,
    n_brands: int = 200,
    n_products: int = 4000,
    n_queries: int = 500,
    n_searches: int = 15_000,
    n_days: int = 90,
    results_per_search: int = 20,
    n_candidates: int = 100,
    start_date: str = "2026-01-01",
    position_bias_eta: float = 1.0,
    click_prob_given_relevance=CLICK_PROB_GIVEN_RELEVANCE,
    ranker_noise: float = 1.2,
    ranking_jitter: float = 0.8,
    ranker_popularity_weight: float = 0.5,
    query_zipf_exponent: float = 1.0,
    zero_result_query_fraction: float = 0.04,
    preference_drift: float = 0.0,
    new_brand_arrivals: float = 0.0,
) -> Marketplace:
    r"""Simulate a wholesale marketplace's catalogue and its search, click and order logs.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None, default 0
        Seed of ``numpy.random.default_rng``; the same int gives identical tables.
    n_retailers, n_brands, n_products : int, default 1000, 200, 4000
        Catalogue and customer sizes.
    n_queries : int, default 500
        Distinct queries. At most the number of possible queries: ``n_brands`` brand names plus
        about 700 category and product phrasings plus 20 out-of-catalogue queries.
    n_searches : int, default 15000
        Search requests; each shows up to ``results_per_search`` products.
    n_days : int, default 90
        Length of the logging window, starting at ``start_date``.
    results_per_search : int, default 20
        Products shown per search: positions 1..results_per_search.
    n_candidates : int, default 100
        Products retrieved per query, from which the production ranker picks what is shown; at
        least ``results_per_search``.
    start_date : str, default "2026-01-01"
        First day of the window.
    position_bias_eta : float, default 1.0
        :math:`\eta` in :math:`P(\text{examine} \mid k) = k^{-\eta}`; 0 means no position bias.
    click_prob_given_relevance : sequence of 4 floats, default (0.02, 0.10, 0.30, 0.60)
        :math:`\alpha_r = P(\text{click} \mid \text{examined}, r)` for r = 0..3, non-decreasing.
    ranker_noise : float, default 1.2
        Standard deviation of the production ranker's fixed error per (query, product).
    ranking_jitter : float, default 0.8
        Standard deviation of its per-search noise: the same query shows a product at different
        positions in different searches, which is what makes position bias estimable.
    ranker_popularity_weight : float, default 0.5
        Weight of standardised ``log1p(review_count)`` in the ranker's score (popularity bias).
    query_zipf_exponent : float, default 1.0
        Query frequency is proportional to ``rank ** -query_zipf_exponent``.
    zero_result_query_fraction : float, default 0.04
        Share of queries that name things the catalogue does not sell (at least one query when
        positive); their searches return nothing. Being rarely searched, they make up about 1-3%
        of searches by default.
    preference_drift : float, default 0.0
        How fast retailers' tastes move over the window (0: not at all, the default, which leaves
        every table bit-identical to a simulator without drift). Each click probability is
        multiplied by :math:`\exp(\delta\, \tfrac{t}{T-1}\, (b_c - \tfrac12 z_p))` (capped so
        the probability stays at most 1), with :math:`\delta` = ``preference_drift``, :math:`t`
        the search's day, :math:`T` = ``n_days``, :math:`b_c` a trend per category spread evenly
        over :math:`[-1, 1]` in :data:`CATEGORIES` order, and :math:`z_p` the product's
        standardised log wholesale price: some categories rise and others fade, and cheaper
        products gain. True relevance does not drift; ``impressions.click_prob`` includes the
        multiplier, while :meth:`Marketplace.click_probability` gives the day-0 value.
    new_brand_arrivals : float in [0, 1), default 0.0
        Share of brands that launch *during* the window (0: none, the default, which leaves every
        table bit-identical to a simulator without arrivals). ``round(new_brand_arrivals *
        n_brands)`` brands, drawn at random, get a launch day uniform on ``1..n_days - 1`` and are
        flagged ``is_new`` (few reviews, rarely searched by name); their products are retrieved
        as usual but the production ranker shows them only from their launch day on, so a
        search before it shows other products (and fewer when a query runs out of them). With
        arrivals, ``brands`` and ``products`` gain a ``launch_day`` column (0 for brands that
        were there from the start).

    Returns
    -------
    Marketplace
        The tables and the ground truth; see :class:`Marketplace`.

    Raises
    ------
    ValueError
        If a size is not a positive integer, a probability or weight is out of range, or
        ``n_queries`` exceeds the possible queries.

    Notes
    -----
    Clicks follow the examination hypothesis

    .. math::

        P(C = 1 \mid q, d, k) = k^{-\eta}\, \alpha_{r(q, d)},

    with :math:`r(q, d)` from :meth:`Marketplace.true_relevance`; ``impressions.click_prob`` is
    exactly this product and ``impressions.clicked`` a Bernoulli draw of it.

    **Traffic.** A search's query is drawn from ``queries.frequency``; its retailer with
    probability proportional to a log-normal activity times the affinity of the retailer's store
    type for the query's category (a grocer searches food). Days follow a weekly cycle (quieter
    weekends), hours a morning and an afternoon peak; nobody searches before signing up.

    **Retrieval and ranking.** A query retrieves up to ``n_candidates`` products of its category
    or sharing a word with it ("lavender candle" also retrieves lavender soap: relevance 0), by
    lexical overlap plus popularity. The production ranker orders them by
    ``true_relevance + ranker_noise * e_qd + ranker_popularity_weight * popularity
    + ranking_jitter * e_search``, with standard normal errors: the logged ranking correlates with
    relevance but is not perfect, and new brands (few reviews) are under-exposed.

    **After the click.** A click becomes an add-to-cart with probability
    ``0.5 * f_rel * f_tier * f_store * f_region`` (zero when out of stock): ``f_rel`` = 0.1, 0.4,
    0.8, 1.0 for grades 0-3; ``f_tier`` = 1, 0.6, 0.3 as the retailer's price tier and the
    brand's price level are 0, 1, 2 steps apart; ``f_store = 0.5 + 0.5 * affinity``;
    ``f_region`` = 1.25 for a brand of the retailer's region, else 1. The quantity is
    ``case_pack * (1 + Poisson(1.5))``, capped by inventory. The cart becomes an order with
    probability 0.75 if its value reaches the brand's MOV, else 0.35, times
    ``exp(-0.04 * (shipping_days - 2))``, times 1.1 with free returns.

    **Reorders.** After each order the retailer reorders the same product, up to 8 times, each
    time with probability ``0.2 + 0.5 * sigmoid(1.5 * quality)`` (bestsellers get reordered)
    after a Gamma(4, 7)-day gap, while the window lasts.

    Examples
    --------
    >>> m = make_marketplace(n_searches=200, random_state=0)
    >>> len(m.searches), len(m.impressions), len(m.orders)
    (200, 3960, 43)
    >>> cols = ["position", "true_relevance", "examination_prob", "click_prob", "clicked"]
    >>> m.impressions[cols].head(3).round(3)
       position  true_relevance  examination_prob  click_prob  clicked
    0         1               3             1.000        0.60        1
    1         2               2             0.500        0.15        0
    2         3               3             0.333        0.20        1
    >>> m.propensities.loc[1:3].round(3).tolist(), m.click_prob_given_relevance.tolist()
    ([1.0, 0.5, 0.333], [0.02, 0.1, 0.3, 0.6])
    >>> m.true_relevance(m.impressions.query_id[:3], m.impressions.product_id[:3])
    array([3, 2, 3], dtype=int8)
    """
    params = {
        "n_retailers": _check_int("n_retailers", n_retailers),
        "n_brands": _check_int("n_brands", n_brands),
        "n_products": _check_int("n_products", n_products),
        "n_queries": _check_int("n_queries", n_queries),
        "n_searches": _check_int("n_searches", n_searches),
        "n_days": _check_int("n_days", n_days, hint=" (the window's length in days)"),
        "results_per_search": _check_int("results_per_search", results_per_search),
        "n_candidates": _check_int("n_candidates", n_candidates),
        "start_date": start_date,
        "position_bias_eta": _check_float("position_bias_eta", position_bias_eta, 0.0, 10.0),
        "click_prob_given_relevance": click_prob_given_relevance,
        "ranker_noise": _check_float("ranker_noise", ranker_noise, 0.0, 1e6),
        "ranking_jitter": _check_float("ranking_jitter", ranking_jitter, 0.0, 1e6),
        "ranker_popularity_weight": _check_float(
            "ranker_popularity_weight", ranker_popularity_weight, -1e6, 1e6
        ),
        "query_zipf_exponent": _check_float("query_zipf_exponent", query_zipf_exponent, 0.0, 10.0),
        "preference_drift": _check_float("preference_drift", preference_drift, 0.0, 100.0),
        "new_brand_arrivals": _check_float(
            "new_brand_arrivals", new_brand_arrivals, 0.0, 1.0 - 1e-12
        ),
        "zero_result_query_fraction": _check_float(
            "zero_result_query_fraction", zero_result_query_fraction, 0.0, 1.0
        ),
    }
    if params["n_candidates"] < params["results_per_search"]:
        raise ValueError(
            f"n_candidates must be >= results_per_search ({results_per_search}), got "
            f"{n_candidates}; raise n_candidates or lower results_per_search"
        )
    alpha = np.asarray(click_prob_given_relevance, dtype=np.float64)
    if alpha.shape != (4,) or np.any(~np.isfinite(alpha)) or alpha.min() < 0 or alpha.max() > 1:
        raise ValueError(
            "click_prob_given_relevance must be 4 probabilities in [0, 1] (for relevance 0..3), "
            f"got {click_prob_given_relevance!r}"
        )
    if np.any(np.diff(alpha) < 0):
        raise ValueError(
            "click_prob_given_relevance must be non-decreasing (more relevant, more clicks), "
            f"got {click_prob_given_relevance!r}"
        )
    params["click_prob_given_relevance"] = tuple(alpha.tolist())
    try:
        start = pd.Timestamp(start_date)
    except (TypeError, ValueError):
        start = pd.NaT
    if start is pd.NaT or isinstance(start_date, numbers.Number):
        raise ValueError(f"start_date must be a date such as '2026-01-01', got {start_date!r}")
    start = start.tz_localize(None).normalize() if start.tzinfo else start.normalize()
    params["start_date"] = start.date().isoformat()
    max_queries = (
        n_brands
        + sum(
            len(c.phrasings) + len(c.types) * (1 + len(set(c.materials) | set(c.variants)))
            for c in _CATALOGUE
        )
        + len(_OUT_OF_CATALOGUE)
    )
    if n_queries > max_queries:
        raise ValueError(
            f"n_queries must be at most {max_queries} with n_brands={n_brands} (each brand adds "
            f"one navigational query), got {n_queries}; lower n_queries or raise n_brands"
        )
    n_days, R = params["n_days"], params["results_per_search"]
    eta = params["position_bias_eta"]
    _check_size(n_searches * R, n_retailers, n_products, n_queries, n_brands)

    rng = check_random_state(random_state)
    retailers, r_store, r_region, r_tier, r_signup, r_activity = _make_retailers(
        rng, n_retailers, n_days, start
    )
    brands, b_names, b_category, b_region, b_level, b_quality, b_new = _make_brands(rng, n_brands)
    b_launch = None
    if params["new_brand_arrivals"] > 0:
        if n_days < 2:
            raise ValueError(
                "new_brand_arrivals needs n_days >= 2 (brands launch on days 1..n_days - 1), "
                f"got n_days={n_days}; raise n_days or set new_brand_arrivals=0"
            )
        n_arriving = round(params["new_brand_arrivals"] * n_brands)
        arriving = rng.choice(n_brands, size=n_arriving, replace=False)
        b_launch = np.zeros(n_brands, np.int64)
        b_launch[arriving] = rng.integers(1, n_days, n_arriving)
        b_new = b_new | (b_launch > 0)
        brands["is_new"] = b_new
        brands["launch_day"] = b_launch
    b_margin = brands["margin"].to_numpy()
    products, p_brand, p_category, p_type, p_material, p_variant, p_quality = _make_products(
        rng, n_products, b_category, b_level, b_quality, b_new, b_margin
    )
    if b_launch is not None:
        products["launch_day"] = b_launch[p_brand]
    queries, q_intent, q_category, q_brand, q_type, q_token = _make_queries(
        rng,
        n_queries,
        params["zero_result_query_fraction"],
        params["query_zipf_exponent"],
        (b_names, b_category, (b_quality - b_quality.mean()) / (b_quality.std() + 1e-12), b_new),
    )
    popularity = np.log1p(products["review_count"].to_numpy())
    popularity_z = (popularity - popularity.mean()) / (popularity.std() + 1e-12)
    truth_parts = {
        "query_intent": q_intent,
        "query_category": q_category,
        "query_brand": q_brand,
        "query_type": q_type,
        "query_token": q_token,
        "product_category": p_category,
        "product_brand": p_brand,
        "product_type": p_type,
        "product_material": p_material,
        "product_variant": p_variant,
        "product_quality": p_quality,
    }
    candidates, n_cand, base_score = _retrieve(
        rng,
        truth_parts,
        popularity_z,
        params["n_candidates"],
        params["ranker_noise"],
        params["ranker_popularity_weight"],
    )
    truth = _Truth(**truth_parts, candidates=candidates, n_candidates=n_cand)

    # Searches: query from the Zipf frequencies, retailer by activity x store-type affinity.
    s_query = rng.choice(n_queries, size=n_searches, p=queries["frequency"].to_numpy())
    s_retailer = np.empty(n_searches, np.int64)
    u = rng.random(n_searches)
    for c in range(-1, len(CATEGORIES)):
        m = q_category[s_query] == c
        weight = r_activity * (_AFFINITY[r_store, c] if c >= 0 else 1.0)
        cdf = np.cumsum(weight)
        s_retailer[m] = np.searchsorted(cdf, u[m] * cdf[-1], side="right")
    s_retailer = np.minimum(s_retailer, n_retailers - 1)
    s_day, s_seconds = _search_times(rng, s_retailer, r_signup, n_days, start)
    order = np.argsort(s_seconds, kind="stable")
    s_query, s_retailer, s_day, s_seconds = (
        a[order] for a in (s_query, s_retailer, s_day, s_seconds)
    )
    n_results = np.minimum(n_cand[s_query], R)

    launch = None if b_launch is None else (b_launch[p_brand], s_day)
    page = _rank(rng, candidates, base_score, s_query, R, params["ranking_jitter"], launch)
    if launch is not None:
        n_results = (page >= 0).sum(axis=1)
    shown = np.arange(R)[None, :] < n_results[:, None]
    i_search = np.broadcast_to(np.arange(n_searches)[:, None], shown.shape)[shown]
    i_position = np.broadcast_to(np.arange(1, R + 1)[None, :], shown.shape)[shown]
    i_product = page[shown]
    del page, shown
    i_query = s_query[i_search]
    i_retailer = s_retailer[i_search]
    n_imp = len(i_search)

    propensities = np.arange(1, R + 1, dtype=np.float64) ** -eta
    i_relevance = _relevance(truth, i_query, i_product)
    i_exam = propensities[i_position - 1]
    i_click_prob = i_exam * alpha[i_relevance]
    if params["preference_drift"] > 0:
        # Deterministic trends (no random draws), so a drifting world keeps the same rng stream.
        trend = np.linspace(-1.0, 1.0, len(CATEGORIES))
        log_price = np.log(products["wholesale_price"].to_numpy())
        z_price = (log_price - log_price.mean()) / (log_price.std() + 1e-12)
        age = s_day[i_search] / max(n_days - 1, 1)
        shift = trend[p_category[i_product]] - 0.5 * z_price[i_product]
        i_click_prob = np.minimum(
            i_click_prob * np.exp(params["preference_drift"] * age * shift), 1.0
        )
    u_click, u_cart, u_order = rng.random((3, n_imp))
    clicked = u_click < i_click_prob

    i_brand = p_brand[i_product]
    f_rel = np.array([0.1, 0.4, 0.8, 1.0])[i_relevance]
    f_tier = np.array([1.0, 0.6, 0.3])[np.abs(r_tier[i_retailer] - b_level[i_brand])]
    f_store = 0.5 + 0.5 * _AFFINITY[r_store[i_retailer], p_category[i_product]]
    f_region = np.where(r_region[i_retailer] == b_region[i_brand], 1.25, 1.0)
    inventory = products["inventory"].to_numpy()
    in_stock = inventory[i_product] > 0
    p_cart = np.minimum(0.5 * f_rel * f_tier * f_store * f_region, 1.0) * in_stock
    carted = clicked & (u_cart < p_cart)

    case_pack = products["case_pack"].to_numpy()
    wholesale = products["wholesale_price"].to_numpy()
    cart_rows = np.flatnonzero(carted)
    cart_product = i_product[cart_rows]
    cart_qty = np.minimum(
        case_pack[cart_product] * (1 + rng.poisson(1.5, cart_rows.size)), inventory[cart_product]
    )
    cart_value = cart_qty * wholesale[cart_product]
    cart_brand = p_brand[cart_product]
    p_order = (
        np.where(cart_value >= brands["min_order_value"].to_numpy()[cart_brand], 0.75, 0.35)
        * np.exp(-0.04 * (brands["shipping_days"].to_numpy()[cart_brand] - 2))
        * np.where(brands["free_returns"].to_numpy()[cart_brand], 1.1, 1.0)
    )
    order_mask = u_order[cart_rows] < np.minimum(p_order, 1.0)
    ordered = np.zeros(n_imp, bool)
    ordered[cart_rows[order_mask]] = True

    # Orders placed from search, then reorders of the same products.
    o_rows = cart_rows[order_mask]
    o_product = i_product[o_rows]
    o_retailer = i_retailer[o_rows]
    o_search = i_search[o_rows]
    o_qty = cart_qty[order_mask]
    end_seconds = n_days * float(_SECONDS_PER_DAY) - 1.0
    o_seconds = np.minimum(
        np.floor(s_seconds[o_search] + rng.exponential(15 * 60.0, o_rows.size)), end_seconds
    )
    reorder_p = 0.2 + 0.5 / (1.0 + np.exp(-1.5 * p_quality[o_product]))
    parts_product, parts_retailer, parts_qty, parts_seconds = [], [], [], []
    last, active = o_seconds, np.ones(o_rows.size, bool)
    for _ in range(8):
        gap = rng.gamma(4.0, 7.0 * _SECONDS_PER_DAY, o_rows.size)
        again = rng.random(o_rows.size) < reorder_p
        qty = np.minimum(
            case_pack[o_product] * (1 + rng.poisson(2.0, o_rows.size)), inventory[o_product]
        )
        last = np.floor(last + gap)
        active &= again & (last <= end_seconds)
        parts_product.append(o_product[active])
        parts_retailer.append(o_retailer[active])
        parts_qty.append(qty[active])
        parts_seconds.append(last[active])
    n_search_orders = o_rows.size
    all_product = np.concatenate([o_product, *parts_product])
    all_seconds = np.concatenate([o_seconds, *parts_seconds])
    all_retailer = np.concatenate([o_retailer, *parts_retailer])
    all_qty = np.concatenate([o_qty, *parts_qty]).astype(np.int64)
    all_search = np.concatenate([o_search, np.full(len(all_product) - n_search_orders, -1)])
    sort = np.lexsort((all_product, all_retailer, all_seconds))
    all_product, all_seconds, all_retailer, all_qty, all_search = (
        a[sort] for a in (all_product, all_seconds, all_retailer, all_qty, all_search)
    )
    pair = all_retailer * n_products + all_product
    first_of_pair = np.zeros(len(pair), bool)
    first_of_pair[np.unique(pair, return_index=True)[1]] = True

    searches = pd.DataFrame(
        {
            "search_id": np.arange(n_searches, dtype=np.int64),
            "retailer_id": s_retailer.astype(np.int64),
            "query_id": s_query.astype(np.int64),
            "timestamp": _seconds_to_datetime(start, s_seconds),
            "day": s_day,
            "n_results": n_results.astype(np.int64),
        }
    )
    impressions = pd.DataFrame(
        {
            "search_id": i_search.astype(np.int64),
            "position": i_position.astype(np.int64),
            "product_id": i_product.astype(np.int64),
            "retailer_id": i_retailer.astype(np.int64),
            "query_id": i_query.astype(np.int64),
            "timestamp": searches["timestamp"].to_numpy()[i_search],
            "clicked": clicked.astype(np.int8),
            "added_to_cart": carted.astype(np.int8),
            "ordered": ordered.astype(np.int8),
            "true_relevance": i_relevance,
            "examination_prob": i_exam,
            "click_prob": i_click_prob,
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": np.arange(len(all_product), dtype=np.int64),
            "retailer_id": all_retailer.astype(np.int64),
            "brand_id": p_brand[all_product].astype(np.int64),
            "product_id": all_product.astype(np.int64),
            "search_id": pd.array(np.maximum(all_search, 0), dtype="Int64"),
            "source": _categorical((all_search < 0).astype(np.int8), ("search", "reorder")),
            "is_reorder": ~first_of_pair,
            "quantity": all_qty,
            "order_value": np.round(all_qty * wholesale[all_product], 2),
            "timestamp": _seconds_to_datetime(start, all_seconds),
            "day": (all_seconds // _SECONDS_PER_DAY).astype(np.int64),
        }
    )
    orders.loc[all_search < 0, "search_id"] = pd.NA
    alpha.setflags(write=False)
    return Marketplace(
        retailers=retailers,
        brands=brands,
        products=products,
        queries=queries,
        searches=searches,
        impressions=impressions,
        orders=orders,
        propensities=pd.Series(
            propensities, index=pd.RangeIndex(1, R + 1, name="position"), name="examination_prob"
        ),
        click_prob_given_relevance=alpha,
        params=params,
        random_state=random_state,
        _truth=truth,
    )
