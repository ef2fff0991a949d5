"""DivideBuy's instalment terms, fetched once and shared by checkout and widgets.

    from dividebuy_checkout.terms import TermsSource

    source = TermsSource(client, ttl=300)       # one per process (per app)
    offer = source.offer("2000.00")             # checkout: the current answer, or an error
    CheckoutService(client, store, orders, terms=source)
    WidgetService(source=source, budget=0.3)    # widgets: cached figures within a budget
    source.clear()                              # the rate card changed: both forget

Modules: :mod:`.source` (the source), :mod:`.cache` (single flight, stale-while-revalidate,
budget, negative entries), :mod:`.backend` (where entries live: the protocol a shared
backend implements), :mod:`.breaker`, :mod:`.view` (one view of a term) and :mod:`.wording`
(every sentence about terms).
"""

from .backend import CacheBackend, MemoryBackend, Stored
from .breaker import BreakerState, CircuitBreaker, CircuitOpenError
from .cache import BudgetExceeded, CacheMiss, SWRCache
from .source import UNAVAILABLE, TermsClient, TermsSource, is_refusal
from .view import Offer, TermView
from .wording import WORDING, Wording

__all__ = [
    "UNAVAILABLE",
    "WORDING",
    "BreakerState",
    "BudgetExceeded",
    "CacheBackend",
    "CacheMiss",
    "CircuitBreaker",
    "CircuitOpenError",
    "MemoryBackend",
    "Offer",
    "SWRCache",
    "Stored",
    "TermView",
    "TermsClient",
    "TermsSource",
    "Wording",
    "is_refusal",
]
