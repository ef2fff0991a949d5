"""The client checks DivideBuy's arithmetic, warns with the figures, and changes nothing."""

from __future__ import annotations

import copy
import logging
from decimal import Decimal

import httpx
import pytest

from dividebuy_checkout.money import dumps
from dividebuy_checkout.sandbox.config import RateCardEntry
from dividebuy_checkout.sandbox.rates import instalments, representative_html, term_for_wire

from .conftest import SECRET
from .fake_api import TERMS_BODY

LOGGER = "dividebuy_checkout.client"
DOCUMENT_EXAMPLE_HTML = (
    "<strong>Representative Example:</strong> Cash price of goods is £2,150.00. Initial "
    "payment of £119.52. Total amount of credit is £2,030.48. The total amount payable is "
    "£2,359.33, which includes £209.33 in interest at 14.2% fixed. The repayments comprise "
    "16 monthly payments of £131.75 and a final payment of £131.81 at a representative "
    "14.2% APR."
)


def _reply(body: object) -> httpx.Response:
    return httpx.Response(200, content=dumps(body), headers={"Content-Type": "application/json"})


def _terms_reply(amount: str, *entries: RateCardEntry) -> httpx.Response:
    price = Decimal(amount)
    terms = [term_for_wire(entry, price) for entry in entries]
    return _reply({"status": "success", "data": {"order_value": price, "terms": terms}})


def _example_reply(amount: str, term: int, apr: str, html: str) -> httpx.Response:
    data = {"amount": Decimal(amount), "term": term, "apr": Decimal(apr), "html": html}
    return _reply({"status": "success", "data": data, "message": "fetched"})


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING
    ]


BEARING_24 = RateCardEntry(24, Decimal("9.9"), Decimal("1000.00"), Decimal("15000.00"))
FREE_12 = RateCardEntry(12)


def test_terms_that_add_up_log_nothing(client, api, caplog):
    api.queue(_terms_reply("2000.00", FREE_12, BEARING_24))
    with caplog.at_level(logging.WARNING, LOGGER):
        terms = client.get_terms("2000.00")
        client.get_terms("2000.00")  # the fake's default reply: the document's 2,000 term
    assert len(terms.available) == 2
    assert _warnings(caplog) == []


def test_instalments_that_do_not_sum_to_the_total_are_reported_and_passed_on(client, api, caplog):
    # The document's own terms reply: 12 × £166.67 is £2,000.04, not the £2,000 payable.
    body = copy.deepcopy(TERMS_BODY)
    body["data"]["terms"][0]["final_instalment_cost"] = 166.67
    api.queue(httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, LOGGER):
        terms = client.get_terms("2000.00")
    assert terms.available[0].final_instalment_cost == Decimal("166.67")  # not corrected
    (warning,) = _warnings(caplog)
    assert "12-month term for £2,000.00" in warning
    assert "add up to £2,000.04, not the total payable £2,000.00" in warning


def test_credit_that_is_not_cash_less_initial_is_reported(client, api, caplog):
    body = copy.deepcopy(TERMS_BODY)
    body["data"]["terms"][0]["total_loan_value"] = 2000
    api.queue(httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, LOGGER):
        client.get_terms("2000.00")
    (warning,) = _warnings(caplog)
    assert (
        "the credit £2,000.00 is not the cash price £2,000.00 less the initial payment £166.67"
        in warning
    )


def test_an_interest_bearing_term_whose_figures_give_another_apr_is_reported(client, api, caplog):
    # The sandbox's old maths: the whole £1,749 amortised over 36 months at the monthly
    # equivalent of 9.9 %, then the first instalment taken up front (really 10.53 %).
    term = term_for_wire(
        RateCardEntry(36, Decimal("9.9"), Decimal("1000"), Decimal("15000")), Decimal("1749")
    )
    term.update(
        first_instalment_cost=Decimal("56.01"),
        regular_instalment_cost=Decimal("56.01"),
        final_instalment_cost=Decimal("55.90"),
        total_loan_value=Decimal("1692.99"),
        total_to_pay=Decimal("2016.25"),
        total_interest=Decimal("267.25"),
    )
    api.queue(
        _reply({"status": "success", "data": {"order_value": Decimal("1749"), "terms": [term]}})
    )
    with caplog.at_level(logging.WARNING, LOGGER):
        terms = client.get_terms("1749.00")
    assert terms.available[0].total_to_pay == Decimal("2016.25")
    (warning,) = _warnings(caplog)
    assert "36-month term for £1,749.00" in warning
    assert "the figures give 10.5% APR, not the 9.9% stated" in warning


def test_an_interest_free_term_that_costs_more_than_the_cash_price_is_reported(client, api, caplog):
    body = copy.deepcopy(TERMS_BODY)
    term = body["data"]["terms"][0]
    term.update(final_instalment_cost=176.63, total_to_pay=2010, total_interest=10)
    api.queue(httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, LOGGER):
        client.get_terms("2000.00")
    (warning,) = _warnings(caplog)
    assert "at 0% APR the total payable £2,010.00 should be the cash price £2,000.00" in warning


def test_unavailable_terms_are_not_checked(client, api, caplog):
    body = copy.deepcopy(TERMS_BODY)
    body["data"]["terms"][0].update(available=False, final_instalment_cost=0, total_to_pay=0)
    api.queue(httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, LOGGER):
        client.get_terms("2000.00")
    assert _warnings(caplog) == []


def test_an_example_that_adds_up_and_matches_its_term_logs_nothing(client, api, caplog):
    html = representative_html(instalments(Decimal("2000.00"), 24, Decimal("9.9")))
    api.queue(
        _terms_reply("2000.00", FREE_12, BEARING_24), _example_reply("2000.00", 24, "9.9", html)
    )
    with caplog.at_level(logging.WARNING, LOGGER):
        client.get_terms("2000.00")
        example = client.get_representative_example("2000.00", 24)
    assert example.html == html
    assert _warnings(caplog) == []


def test_the_documents_own_example_reply_is_reported_and_shown_word_for_word(client, api, caplog):
    # Its fields say £2,000 over 12 months at 0 %; its text is £2,150 over 18 at 14.2 %.
    api.queue(_example_reply("2000", 12, "0", DOCUMENT_EXAMPLE_HTML))
    with caplog.at_level(logging.WARNING, LOGGER):
        example = client.get_representative_example("2000.00", 12)
    assert example.html == DOCUMENT_EXAMPLE_HTML
    (warning,) = _warnings(caplog)
    assert "example for £2,000.00 over 12 months" in warning
    assert "its text is for £2,150.00, not the £2,000.00 asked for" in warning
    assert "its text has 18 instalments, not the 12 asked for" in warning
    assert "its text states 14.2% APR but its 'apr' is 0%" in warning
    assert "APR, not the" not in warning  # the figures themselves do give 14.2 %
    assert "shown as DivideBuy sent it" in warning


def test_an_example_whose_figures_differ_from_its_term_is_reported(client, api, caplog):
    plan = instalments(Decimal("2000.00"), 24, Decimal("9.9"))
    html = representative_html(plan).replace("£91.09", "£91.10", 1)  # initial payment only
    html = html.replace(
        "Total amount of credit is £1,908.91", "Total amount of credit is £1,908.90"
    )
    html = html.replace("£2,186.13", "£2,186.14").replace("£186.13", "£186.14")
    api.queue(_terms_reply("2000.00", BEARING_24), _example_reply("2000.00", 24, "9.9", html))
    with caplog.at_level(logging.WARNING, LOGGER):
        client.get_terms("2000.00")
        client.get_representative_example("2000.00", 24)
    (warning,) = _warnings(caplog)
    assert "its initial payment £91.10 is not the term's £91.09" in warning
    assert "its total payable £2,186.14 is not the term's £2,186.13" in warning


def test_an_example_without_the_figures_is_reported(client, api, caplog):
    api.queue(_example_reply("2000.00", 24, "9.9", "<p>Borrow now!</p>"))
    with caplog.at_level(logging.WARNING, LOGGER):
        example = client.get_representative_example("2000.00", 24)
    assert example.html == "<p>Borrow now!</p>"
    (warning,) = _warnings(caplog)
    assert "does not state all the figures" in warning


def test_warnings_carry_amounts_only(client, api, caplog):
    body = copy.deepcopy(TERMS_BODY)
    body["data"]["terms"][0]["final_instalment_cost"] = 166.67
    api.queue(httpx.Response(200, json=body))
    with caplog.at_level(logging.DEBUG, LOGGER):
        client.get_terms("2000.00")
    text = caplog.text
    assert SECRET not in text and "tok-" not in text and "shop-1" not in text
