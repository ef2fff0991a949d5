"""The framework-free checkout: order → application → quote → DivideBuy → verified return.

>>> service = CheckoutService(client, store, order_source, signer=ReferenceSigner(
...     app_secret, return_max_age=172800, start_max_age=86400), notify=my_listener)
>>> submitted = service.submit(order_id, applicant, ip_address=ip, return_url=url_for_token)
>>> outcome = service.handle_return(token_from_the_return_url)
>>> service.reconcile()

Nothing here imports a web framework; :mod:`dividebuy_checkout.flask` is one adapter.
See ``docs/checkout.md``.
"""

from ..terms import Offer
from ..terms import TermView as TermChoice  # the one view of a term
from .errors import (
    AlreadyFinanced,
    BadReference,
    CheckoutError,
    DivideBuyUnavailable,
    InvalidApplication,
    NotFinanceable,
    QuoteOutcomeUnknown,
    ShopOrderNotFound,
)
from .holds import HoldNotResolvable, HoldResolution, resolve_hold
from .ratelimit import SlidingWindowLimiter, parse_limit
from .reference import ReferenceSigner, ReturnReference
from .service import CheckoutService, ReconcileReport, ReturnOutcome, Submitted

__all__ = [
    "AlreadyFinanced",
    "BadReference",
    "CheckoutError",
    "CheckoutService",
    "DivideBuyUnavailable",
    "HoldNotResolvable",
    "HoldResolution",
    "InvalidApplication",
    "NotFinanceable",
    "Offer",
    "QuoteOutcomeUnknown",
    "ReconcileReport",
    "ReferenceSigner",
    "ReturnOutcome",
    "ReturnReference",
    "ShopOrderNotFound",
    "SlidingWindowLimiter",
    "Submitted",
    "TermChoice",
    "parse_limit",
    "resolve_hold",
]
