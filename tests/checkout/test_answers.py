"""The framework-free form helpers: any framework's posted form → ``Applicant``, errors → fields."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from dividebuy_checkout.checkout.answers import (
    MAX_PREVIOUS_ADDRESSES,
    asked_fields,
    map_errors,
    offer_another_row,
    prefill_values,
    read_answers,
)
from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.orders import Address, Customer

from .conftest import make_order


def test_a_plain_dict_or_a_multidict_gives_the_same_applicant():
    as_dict = read_answers(dict(ANSWERS), set())
    as_multidict = read_answers(MultiDict(list(ANSWERS.items())), set())
    assert as_dict == as_multidict
    applicant = as_dict.applicant
    assert applicant.date_of_birth == "1985-07-23"
    assert applicant.time_at_address == "05-02"
    assert applicant.instalment_term == "12" and applicant.title is None  # title not asked


def test_previous_rows_keep_their_row_numbers_and_blank_rows_are_skipped():
    posted = {
        **ANSWERS,
        "address_years": "1",
        "previous-0-town": "  ",
        "previous-1-address_line_1": "Mill Lane",
        "previous-1-town": "Harrogate",
        "previous-1-postcode": "HG1 1AA",
        "previous-1-years": "2",
    }
    answers = read_answers(posted, set())
    assert answers.rows == [1]
    (previous,) = answers.applicant.previous_addresses
    assert previous.address.town == "Harrogate" and previous.time_at_address == "02-00"
    # DivideBuy's error on previous_addresses.0 lands on the row the shopper typed in
    errors = map_errors({"customer.previous_addresses.0.postcode": ["Bad postcode"]}, [1], set())
    assert errors.by_field == {"previous-1-postcode": ["Bad postcode"]}
    assert errors.summary() == [("Bad postcode", "previous-1-postcode")]


def test_hostile_row_numbers_are_ignored_and_rows_are_capped():
    posted = {f"previous-{n}-town": f"Town {n}" for n in range(MAX_PREVIOUS_ADDRESSES + 3)}
    posted["previous-123456789-town"] = "Nowhere"  # more digits than any form row has
    answers = read_answers(posted, set())
    assert answers.rows == list(range(MAX_PREVIOUS_ADDRESSES))


def test_only_asked_details_override_the_order_and_refused_ones_are_prefilled():
    order = make_order(
        customer=Customer(
            "Ada",
            "Lovelace",
            "ada@example.com",
            "0113 496 0000",  # a landline
            Address(address_line_1="Acacia Avenue", town="Leeds", postcode="LS1 4AP"),
        )
    )
    asked = asked_fields(order)
    assert asked == {"title", "mobile_number"}
    assert prefill_values(order, asked) == {"mobile_number": "0113 496 0000"}
    answers = read_answers({**ANSWERS, "mobile_number": "07400 123456", "first_name": "Eve"}, asked)
    assert answers.applicant.mobile_number == "07400 123456"
    assert answers.applicant.first_name is None  # not asked: the order's name is used


def test_a_refused_detail_from_the_order_is_asked_next_time():
    asked: set[str] = set()
    errors = map_errors({"customer.last_name": ["Too long"], "order.total": ["Bad"]}, [], asked)
    assert asked == {"last_name"}
    assert errors.by_field == {"last_name": ["Too long"]} and errors.general == ["Bad"]


def test_a_short_history_offers_another_row_only_when_every_row_is_used():
    short = map_errors({"customer.previous_addresses": ["Need 3 years"]}, [0], set())
    assert offer_another_row(short, rows=[0], shown=1)
    assert not offer_another_row(short, rows=[], shown=1)  # the empty row is still there
    full = list(range(MAX_PREVIOUS_ADDRESSES))
    assert not offer_another_row(short, rows=full, shown=MAX_PREVIOUS_ADDRESSES)
