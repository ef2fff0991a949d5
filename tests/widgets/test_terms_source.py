"""TermsSource: one cache for checkout and widgets; refusals kept; a breaker for failures only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from dividebuy_checkout.errors import RequestValidationError, ServiceUnavailableError
from dividebuy_checkout.terms import CacheBackend, MemoryBackend, Stored, TermsSource
from dividebuy_checkout.widgets import WidgetService

from .helpers import DOWN, wait_idle

REFUSED = RequestValidationError("no", field_errors={"amount": ["not financed"]}, status=422)


@pytest.fixture
def source(client, clock) -> Iterator[TermsSource]:
    src = TermsSource(client, ttl=300, stale_ttl=3600, clock=clock)
    yield src
    src.close(wait=True)


@pytest.fixture
def widgets(source: TermsSource) -> WidgetService:
    return WidgetService(source=source, budget=1.0)


def idle(service: TermsSource) -> None:
    wait_idle(service.stats)


def test_a_product_page_then_the_checkout_form_for_that_price_make_one_call(
    source, widgets, client
):
    assert widgets.view("899.00") is not None
    offer = source.offer(Decimal("899.00"))
    assert offer.months == (3, 6, 9, 10, 12)
    assert offer.choice(12).label == "12 months: £74.92 a month, interest-free"
    assert client.terms_calls == [Decimal("899.00")]


def test_the_checkout_form_then_a_product_page_make_one_call(source, widgets, client):
    source.offer("1749.00")
    assert widgets.view("1749.00") is not None
    assert client.terms_calls == [Decimal("1749.00")]


def test_the_checkout_and_the_widget_describe_a_term_with_the_same_view(source, widgets):
    view = widgets.view("2000.00")
    offer = source.offer("2000.00")
    assert view is not None
    shown = {term.months: term for term in view.terms}
    for choice in offer.choices:
        assert type(choice) is type(shown[choice.months])
        assert (choice.first, choice.regular, choice.total_payable) == (
            shown[choice.months].first,
            shown[choice.months].regular,
            shown[choice.months].total_payable,
        )


def test_checkout_never_gets_stale_terms_while_widgets_do_at_once(source, widgets, client, clock):
    widgets.view("899.00")
    clock.advance(301)  # stale: widgets show it and refresh in the background
    assert widgets.view("899.00") is not None
    idle(source)
    assert len(client.terms_calls) == 2
    clock.advance(301)
    source.current("899.00")  # checkout: asks now, waits for the answer
    assert len(client.terms_calls) == 3


def test_clearing_the_source_clears_what_checkout_and_widgets_show(source, widgets, client):
    widgets.view("899.00")
    source.offer("899.00")
    widgets.clear()  # e.g. after the retailer's rate card changed
    source.offer("899.00")
    assert widgets.view("899.00") is not None
    assert client.terms_calls == [Decimal("899.00")] * 2
    source.clear()
    source.current("899.00")
    assert len(client.terms_calls) == 3


def test_refusals_are_remembered_per_amount_and_never_open_the_breaker(source, widgets, client):
    client.fail = REFUSED
    for n in range(10):  # far more than the failure threshold (3)
        amount = f"{300 + n}.00"
        assert widgets.view(amount) is None
        assert source.offer(amount).choices == ()  # checkout: "not available", not an error
    assert len(client.terms_calls) == 10  # each amount asked once: the refusal is kept
    stats = source.stats()
    assert stats["breaker"] == "closed" and stats["refusals"] == 10
    client.fail = None
    assert widgets.view("899.00") is not None


def test_a_refusal_is_kept_for_the_terms_lifetime_only(source, client, clock):
    client.fail = REFUSED
    source.current("500.00")
    client.fail = None
    clock.advance(299)
    assert source.current("500.00").terms == ()
    clock.advance(2)  # a refusal is never served stale: DivideBuy is asked again
    assert source.current("500.00").terms != ()
    assert len(client.terms_calls) == 2


def test_failures_open_the_breaker_but_a_checkout_still_asks_and_its_success_closes_it(
    source, widgets, client
):
    client.fail = DOWN
    for n in range(6):
        widgets.view(f"{400 + n}.00")
    idle(source)
    assert source.breaker.state.value == "open"
    made = len(client.terms_calls)
    assert widgets.view("999.00") is None and len(client.terms_calls) == made  # widgets: no
    with pytest.raises(ServiceUnavailableError):
        source.current("999.00")  # a shopper at the form: one call, the error raised
    client.fail = None
    assert source.current("999.00").terms
    assert source.breaker.state.value == "closed"


def test_the_spend_range_is_what_dividebuy_last_reported(source):
    assert source.spend_range() is None
    source.current("899.00")
    assert source.spend_range() == (Decimal("250.00"), Decimal("15000.00"))


def test_the_memory_backend_keeps_each_entry_for_its_own_time_and_clears_by_prefix(clock):
    backend = MemoryBackend(maxsize=10, clock=clock)
    assert isinstance(backend, CacheBackend)
    backend.set("terms:1.00", Stored("a", clock(), 10), ttl=10)
    backend.set("terms:2.00", Stored("b", clock(), 100), ttl=100)
    backend.set("example:2.00:36", Stored("c", clock(), 100), ttl=100)
    with backend.lock("terms:1.00", 1.0) as held:
        assert held
    clock.advance(11)
    assert backend.get("terms:1.00") is None
    assert backend.get("terms:2.00") == Stored("b", 1000.0, 100)
    backend.clear("terms:")
    assert backend.get("terms:2.00") is None and backend.get("example:2.00:36") is not None
    assert backend.size() == 1


def test_a_checkout_that_joins_a_load_the_breaker_stopped_asks_itself(source, client, clock):
    client.fail = DOWN
    for n in range(3):
        with pytest.raises(ServiceUnavailableError):
            source.current(f"{600 + n}.00")
    assert source.breaker.state.value == "open"
    client.fail = None
    clock.advance(30)  # half-open: a widget claims the one trial, so its load is let through...
    assert source.breaker.allow()  # ...and the next gated load would be stopped
    source.terms.load(Decimal("899.00"))  # a widget's background load: stopped
    assert source.current("899.00").terms  # checkout does not get CircuitOpenError
