"""The shop's products: an in-memory catalogue chosen to show every kind of finance message.

The sandbox's default rate card offers interest-free terms from £250 to £15,000
(and 24/36 months at 9.9% APR from £1,000), so the catalogue has prices below
the minimum (no finance offered), typical prices, one that opens the
interest-bearing terms, and one above the maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

VAT_RATE = Decimal("20")


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    #: price including VAT, in pounds
    price: Decimal
    summary: str
    description: str
    #: a CSS class for the product's swatch (the shop loads no images from anywhere)
    swatch: str
    sku: str


PRODUCTS: tuple[Product, ...] = (
    Product(
        "beeswax-candles",
        "Beeswax candle set",
        Decimal("18.00"),
        "Three hand-poured candles.",
        "Three hand-poured beeswax pillar candles, each burning for about forty hours.",
        "swatch-honey",
        "CND-3",
    ),
    Product(
        "linen-cushions",
        "Linen cushion pair",
        Decimal("49.00"),
        "Stonewashed linen, feather filled.",
        "A pair of 45 cm stonewashed linen cushions with feather inners.",
        "swatch-sage",
        "CSH-2",
    ),
    Product(
        "oak-bedside-table",
        "Oak bedside table",
        Decimal("349.00"),
        "Solid oak with a soft-close drawer.",
        "A solid oak bedside table with a soft-close drawer and an open shelf.",
        "swatch-oak",
        "OAK-BED",
    ),
    Product(
        "walnut-desk",
        "Walnut writing desk",
        Decimal("899.00"),
        "A writing desk in oiled walnut.",
        "A 120 cm writing desk in oiled American walnut with two drawers and brass pulls.",
        "swatch-walnut",
        "WNT-DSK",
    ),
    Product(
        "velvet-sofa",
        "Velvet three-seat sofa",
        Decimal("1749.00"),
        "Deep seats, teal velvet, oak feet.",
        "A deep three-seat sofa in teal cotton velvet on solid oak feet. Made to order.",
        "swatch-teal",
        "SOF-3T",
    ),
    Product(
        "fitted-kitchen",
        "Handmade fitted kitchen",
        Decimal("18500.00"),
        "Designed, made and fitted for you.",
        "A handmade painted kitchen, designed, made and fitted by our own joiners.",
        "swatch-slate",
        "KIT-HM",
    ),
)

BY_SLUG = {product.slug: product for product in PRODUCTS}
