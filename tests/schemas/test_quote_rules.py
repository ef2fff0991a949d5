"""The rules on their own (as the checkout form uses them), and the schema's output."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import ValidationError

from dividebuy_checkout import money
from dividebuy_checkout.nationalities import is_nationality, nationalities, normalise_nationality
from dividebuy_checkout.schemas import (
    QuoteRequestSchema,
    enums,
    flatten_errors,
    load_quote,
    rules,
    validate_quote,
)
from dividebuy_checkout.schemas.history import (
    age_on,
    anniversary,
    describe_months,
    months_since,
    resolve_today,
    uk_today,
)

from .payloads import TERMS, TODAY, base_payload, changed

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def message_of(rule, value, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        rule(value, **kwargs)
    (message,) = info.value.messages
    return message


# -- the document's spellings, in one place ------------------------------------------------------


def test_enums_are_spelled_as_the_document_spells_them():
    assert enums.TITLES == ("Mr", "Mrs", "Miss", "Ms", "Mx", "Dr", "Prof", "Rev")
    assert enums.INCOME_TYPES == (
        "Employed full-time",
        "Employed part-time",
        "Self employed",
        "Pension",
        "Other",
        "Director of a limited company",
        "Unemployed",
        "Retired, not working",
    )
    assert enums.RESIDENTIAL_STATUSES == (
        "Yes, outright owner",
        "Yes, with mortgage",
        "No, renting",
        "No, other",
    )
    assert enums.SOURCES == ("in-store", "telephony", "in-home")
    assert enums.TIME_DISCOUNT_APPLIED == ("beforeVat", "afterVat")
    assert enums.PAYMENT_METHODS == ("direct_debit",)
    assert {"Yes, outright owner", "No, other"} == enums.RENT_NOT_REQUIRED


def test_choice_matching_normalises_to_the_listed_spelling():
    assert rules.TITLE(" prof ") == "Prof"
    assert rules.INCOME_TYPE("retired,  NOT working") == "Retired, not working"
    assert rules.TIME_DISCOUNT_APPLIED("beforevat") == "beforeVat"
    assert rules.SOURCE("") is None
    assert message_of(rules.TITLE, "Sir") == (
        "Choose a title from the list: Mr, Mrs, Miss, Ms, Mx, Dr, Prof or Rev."
    )


# -- nationalities ---------------------------------------------------------------------------------


def test_the_nationality_list_is_the_packaged_one():
    names = nationalities()
    assert len(names) == 224
    assert names[0] == "Albanian" and names[-1] == "Zimbabwean"
    assert "Stateless" not in names


def test_nationality_matching():
    assert normalise_nationality("  British ") == "British"
    assert normalise_nationality("citizen of  the dominican republic") == (
        "Citizen of the Dominican Republic"
    )
    assert normalise_nationality("Congolese (DRC)") == "Congolese (DRC)"
    assert normalise_nationality("Stateless") is None
    assert normalise_nationality("Brit") is None
    assert normalise_nationality(None) is None
    assert is_nationality("welsh") and not is_nationality("European")
    assert message_of(rules.NATIONALITY, "Stateless") == "Choose your nationality from the list."


# -- dates -------------------------------------------------------------------------------------


def test_birthdays_on_29_february_fall_on_1_march():
    leapling = date(2008, 2, 29)
    assert anniversary(leapling, 18) == date(2026, 3, 1)
    assert anniversary(leapling, 20) == date(2028, 2, 29)
    assert age_on(leapling, date(2026, 2, 28)) == 17
    assert age_on(leapling, date(2026, 3, 1)) == 18
    assert age_on(date(1990, 6, 15), date(2025, 6, 14)) == 34
    assert age_on(date(1990, 6, 15), date(2025, 6, 15)) == 35


def test_months_since_counts_whole_calendar_months():
    assert months_since(date(2022, 6, 15), date(2025, 6, 15)) == 36
    assert months_since(date(2022, 6, 16), date(2025, 6, 15)) == 35
    assert months_since(date(2025, 1, 31), date(2025, 2, 28)) == 1
    assert months_since(date(2026, 1, 1), date(2025, 1, 1)) == 0


def test_describe_months():
    assert describe_months(36) == "3 years"
    assert describe_months(30) == "2 years and 6 months"
    assert describe_months(13) == "1 year and 1 month"
    assert describe_months(1) == "1 month"


def test_today_is_the_uk_date_and_injectable():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    before = datetime.now(ZoneInfo("Europe/London")).date()
    today = uk_today()
    after = datetime.now(ZoneInfo("Europe/London")).date()
    assert today in {before, after}
    assert resolve_today(date(2020, 1, 2)) == date(2020, 1, 2)
    assert resolve_today(lambda: date(2020, 1, 3)) == date(2020, 1, 3)
    assert resolve_today(datetime(2020, 1, 4, 23, 30)) == date(2020, 1, 4)


def test_a_clock_callable_is_read_at_validation_time():
    days = iter([date(2025, 6, 14), date(2025, 6, 15)])
    current = {"day": next(days)}
    schema = QuoteRequestSchema(available_terms=TERMS, today=lambda: current["day"])
    payload = changed({"customer.date_of_birth": "2007-06-15"})
    assert "date_of_birth" in schema.validate(payload)["customer"]
    current["day"] = next(days)
    assert schema.validate(payload) == {}


def test_date_of_birth_messages_never_repeat_the_date():
    for value in ("2007-06-16", "1924-06-15", "2030-02-01", "1990-02-30"):
        message = message_of(rules.DATE_OF_BIRTH, value, today=TODAY)
        assert value not in message and value[:4] not in message
    assert message_of(rules.DATE_OF_BIRTH, "2007-06-16", today=TODAY) == (
        "You must be 18 or over to apply for DivideBuy credit."
    )
    assert rules.DATE_OF_BIRTH(date(1990, 1, 2), today=TODAY) == "1990-01-02"


# -- standalone rules, as the form uses them ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "sent"),
    [
        ("07400 123456", "07400123456"),
        ("+447400123456", "07400123456"),
        ("+44 (0) 7400 123 456", "07400123456"),
        ("0044-7400-123456", "07400123456"),
        ("(07400) 123456", "07400123456"),
    ],
)
def test_normalise_uk_mobile(raw, sent):
    assert rules.normalise_uk_mobile(raw) == sent
    assert rules.normalise_uk_mobile(sent) == sent


@pytest.mark.parametrize("raw", ["07700 900123", "07640 123456", "07000 123456", "01134960000"])
def test_not_a_mobile(raw):
    assert message_of(rules.normalise_uk_mobile, raw) == (
        "Enter a UK mobile number, like 07400 123456."
    )


def test_postcodes():
    assert rules.POSTCODE("sw1a1aa") == "SW1A 1AA"
    assert rules.POSTCODE("  ec1a   1bb ") == "EC1A 1BB"
    assert rules.POSTCODE("GIR0AA") == "GIR 0AA"
    assert message_of(rules.POSTCODE, "SW1A") == "Enter a UK postcode, like SW1A 1AA."
    assert rules.PREVIOUS_POSTCODE("  75008 ") == "75008"
    assert rules.PREVIOUS_POSTCODE("hg11aa") == "HG1 1AA"
    assert rules.PREVIOUS_POSTCODE("") is None


def test_time_at_address():
    assert rules.normalise_time_at_address("3-6") == "03-06"
    assert rules.normalise_time_at_address("10-00") == "10-00"
    assert message_of(rules.normalise_time_at_address, "01-12") == (
        "The months in the time at this address must be from 0 to 11."
    )
    assert message_of(rules.normalise_time_at_address, "٠١-٠٢").startswith("Enter the time")


def test_bank_details_and_their_messages():
    assert rules.normalise_sort_code("12-34-56") == "123456"
    assert rules.normalise_account_number("1234 5678") == "12345678"
    message = message_of(rules.normalise_sort_code, "98-76-5")
    assert message == "Enter a 6-digit sort code, like 12-34-56."
    assert "98-76-5" not in message
    assert message_of(rules.normalise_account_number, 12345678) == (
        "Enter an 8-digit account number, like 12345678."
    )


def test_amounts_reuse_money():
    assert rules.parse_amount(149.99, label="total") == Decimal("149.99")
    assert rules.parse_amount("£1,000", label="total") == Decimal("1000.00")
    assert rules.parse_amount("-0", label="total") == Decimal("0.00")
    assert str(rules.parse_amount("-0", label="total")) == "0.00"
    assert message_of(rules.SUBTOTAL, "1.005") == (
        "The subtotal can have at most two decimal places."
    )
    assert (
        message_of(rules.SUBTOTAL, True) == "The subtotal must be a number of pounds, like 149.99."
    )
    assert message_of(rules.SUBTOTAL, 10**40) == "The subtotal is too large."
    assert message_of(rules.SUBTOTAL, -5) == "The subtotal cannot be negative."


def test_rent_is_whole_pounds():
    assert rules.parse_rent("650") == 650
    assert rules.parse_rent(650.0) == 650
    assert rules.parse_rent(Decimal("650.00")) == 650
    assert message_of(rules.parse_rent, "650.5") == rules.RENT_REQUIRED


def test_terms():
    assert rules.parse_instalment_term(" 12 ") == 12
    assert rules.check_term_available(12, None) == 12
    assert message_of(rules.check_term_available, 24, available_terms=[12]) == (
        "Choose one of the instalment terms available for this order: 12 months."
    )
    assert message_of(rules.check_term_available, 12, available_terms=[]) == (
        "No instalment terms are available for this order total."
    )


def test_field_rule_blank_handling():
    assert rules.HOUSE_NAME("   ") is None
    assert message_of(rules.TOWN, "  ") == "Enter your town or city."
    assert message_of(rules.TOWN, None) == "Enter your town or city."
    assert rules.TOWN("  Milton   Keynes\n") == "Milton Keynes"
    assert message_of(rules.TOWN, "x" * 26) == "Your town or city must be 25 characters or fewer."


def test_every_rule_has_a_sentence_for_a_missing_value_and_is_in_the_docs():
    docs = DOCS.read_text(encoding="utf-8")
    for path, rule in rules.RULES.items():
        assert rule.required_message.endswith("."), path
        assert rule.required_message[:1].isupper(), path
        assert f"`{path}`" in docs, path


def test_every_message_constant_is_a_sentence():
    constants = [
        value
        for name, value in vars(rules).items()
        if name.isupper() and isinstance(value, str) and " " in value
    ]
    assert len(constants) > 25
    for message in constants:
        assert message[:1].isupper() and message.endswith("."), message
        assert not re.search(r"\b(str|int|dict|None|float|bool)\b", message), message


# -- the schema's output --------------------------------------------------------------------------


def test_load_normalises_the_payload():
    loaded = load_quote(
        changed(
            {
                "customer.title": "mx",
                "customer.nationality": "new zealander",
                "customer.address.address_line_2": "",
                "customer.address.time_at_address": "1-6",
                "customer.previous_addresses.0.county": None,
                "order.source": None,
                "order.is_default_billing": True,
                "order.total": 1000,
                "order.selected_instalment_term": "12",
            }
        ),
        available_terms=TERMS,
        today=TODAY,
    )
    customer, order = loaded["customer"], loaded["order"]
    assert customer["title"] == "Mx"
    assert customer["nationality"] == "New Zealander"
    assert customer["mobile_number"] == "07400123456"
    assert customer["address"]["postcode"] == "LS1 4AP"
    assert customer["address"]["time_at_address"] == "01-06"
    assert "address_line_2" not in customer["address"]
    assert "county" not in customer["previous_addresses"][0]
    assert customer["rent"] == 650 and type(customer["rent"]) is int
    assert "source" not in order
    assert order["is_default_billing"] == 1 and type(order["is_default_billing"]) is int
    assert order["total"] == Decimal("1000.00")
    assert order["selected_instalment_term"] == 12
    assert loaded["payment"] == {
        "method": "direct_debit",
        "sort_code": "123456",
        "account_number": "12345678",
        "account_name": "Ada O'Neill",
    }
    assert load_quote(loaded, available_terms=TERMS, today=TODAY) == loaded
    body = money.loads(money.dumps(loaded))
    assert body["order"]["total"] == Decimal("1000.00")
    assert load_quote(body, available_terms=TERMS, today=TODAY) == loaded


def test_load_raises_with_the_nested_errors():
    with pytest.raises(ValidationError) as info:
        load_quote(changed({"customer.address.town": "T" * 26}), today=TODAY)
    assert flatten_errors(info.value.messages) == {
        "customer.address.town": ["Your town or city must be 25 characters or fewer."]
    }


def test_an_unhashable_clock_still_works():
    class Clock:
        __hash__ = None

        def __call__(self):
            return TODAY

    assert validate_quote(base_payload(), available_terms=TERMS, today=Clock()) == {}


# -- flatten_errors --------------------------------------------------------------------------------


def test_flatten_errors_uses_dotted_wire_paths():
    nested = {
        "customer": {
            "address": {"_schema": ["Both."], "town": ["Too long."]},
            "previous_addresses": {0: {"time_at_address": ["Missing."]}, "_schema": ["Short."]},
        },
        "_schema": ["Not an object."],
    }
    assert flatten_errors(nested) == {
        "customer.address": ["Both."],
        "customer.address.town": ["Too long."],
        "customer.previous_addresses.0.time_at_address": ["Missing."],
        "customer.previous_addresses": ["Short."],
        "_schema": ["Not an object."],
    }


def test_errors_sit_at_their_wire_paths():
    payload = changed(
        {
            "customer.previous_addresses.0.time_at_address": None,
            "order.credit_amount": "1.00",
        }
    )
    flat = flatten_errors(validate_quote(payload, available_terms=TERMS, today=TODAY))
    assert flat == {
        "customer.previous_addresses.0.time_at_address": [rules.PREVIOUS_TIME_MISSING],
        "order.credit_amount": [rules.CREDIT_MISMATCH],
    }


def test_cleaning_free_text_is_idempotent_around_control_characters():
    # Found by hypothesis: "0 \x1b" cleaned to "0 " and then to "0".
    for raw in ("0 \x1b", "\x1b 12 \x07 ", "a\x00\x00 b"):
        once = rules.clean_text(raw)
        assert rules.clean_text(once) == once
        assert once == once.strip() and "  " not in once
    assert rules.clean_text("Flat 1\nHigh Street") == "Flat 1 High Street"
