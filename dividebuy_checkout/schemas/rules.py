"""The field rules of DivideBuy's create-quote request, with the messages a shopper sees.

One definition per rule: the wire schema (:mod:`dividebuy_checkout.schemas`) and the
shopper-facing checkout form both use the functions and :class:`FieldRule` objects
of this module, so a limit or a message is changed in exactly one place.

Every rule is usable on its own::

    >>> normalise_uk_mobile("+44 (0)7400 123456")
    '07400123456'
    >>> POSTCODE("sw1a1aa")
    'SW1A 1AA'

A rule returns the normalised value that is sent to DivideBuy, or raises
:class:`marshmallow.ValidationError` whose message is one fixed sentence. Messages
never repeat what was typed (no dates of birth, bank details or other input in
them), and never name a Python type.

The limits are those of the retailer API document (its section "Creates a
request for a new finance quote"); the readings of its slips are in
``docs/wire.md`` and are repeated beside the rule they touch. See
``docs/validation.md`` for the table of every rule, limit and message.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from marshmallow import ValidationError

from ..dates import parse_iso_date
from ..money import MoneyError, to_money
from ..nationalities import normalise_nationality
from . import enums
from .history import (
    Today,
    anniversary,
    describe_months,
    format_yy_mm,
    parse_yy_mm,
    resolve_today,
)

__all__ = [
    "DEFAULT_MIN_HISTORY_MONTHS",
    "MAX_AGE",
    "MIN_AGE",
    "RULES",
    "FieldRule",
    "check_date_of_birth",
    "check_move_in_date",
    "check_nationality",
    "check_redirect_url",
    "check_term_available",
    "choice_rule",
    "clean_text",
    "flag_rule",
    "history_shortfall",
    "money_rule",
    "normalise_account_number",
    "normalise_first_name",
    "normalise_ip_address",
    "normalise_last_name",
    "normalise_previous_postcode",
    "normalise_sort_code",
    "normalise_time_at_address",
    "normalise_uk_mobile",
    "normalise_uk_postcode",
    "parse_amount",
    "parse_instalment_date",
    "parse_instalment_term",
    "parse_quantity",
    "parse_rent",
    "percentage_rule",
    "term_not_available",
    "text_rule",
    "uk_postcode_or_none",
    "whole_number",
]


# -- limits (the document's numbers) ------------------------------------------------------

FIRST_NAME_MAX = 50
LAST_NAME_MIN = 2
LAST_NAME_MAX = 50
MIN_AGE = 18
MAX_AGE = 100
HOUSE_NUMBER_MAX = 12
HOUSE_NAME_MAX = 50
ADDRESS_LINE_MAX = 50
CURRENT_TOWN_MAX = 25
PREVIOUS_TOWN_MAX = 50
COUNTY_MAX = 100
INSTALMENT_DAY_MIN = 1
INSTALMENT_DAY_MAX = 31
SORT_CODE_DIGITS = 6
ACCOUNT_NUMBER_DIGITS = 8
#: Address history DivideBuy needs, in months (the issue: "at least three years,
#: configurable"; QuoteRequestSchema(min_history_months=...)).
DEFAULT_MIN_HISTORY_MONTHS = 36

# -- messages that belong to no single field -------------------------------------------------

UNKNOWN_FIELD = "This field is not part of a DivideBuy quote request: check its name."
NOT_A_GROUP = "Send these details as a group of named fields."
NOT_A_LIST = "Send these details as a list."
CUSTOMER_REQUIRED = "Enter the customer's details."
ORDER_REQUIRED = "Enter the order's details."
ADDRESS_REQUIRED = "Enter your current address."

# Current address: exactly one of time_at_address / move_in_date.
ADDRESS_TIME_NEITHER = "Tell us how long you have lived at this address, or the date you moved in."
ADDRESS_TIME_BOTH = (
    "Give either how long you have lived at this address or the date you moved in, not both."
)
# Previous addresses use the current address's form.
PREVIOUS_TIME_MISSING = "Enter how long you lived at this address, as years and months, like 02-06."
PREVIOUS_MOVE_IN_MISSING = "Enter the date you moved in to this address, like 2019-04-01."
PREVIOUS_OTHER_FORM = (
    "Give your time at each previous address the same way as for your current address."
)
PREVIOUS_MOVE_IN_NOT_BEFORE = (
    "The date you moved in to a previous address must be before the date you moved in "
    "to your current address."
)
RENT_REQUIRED = "Enter your monthly rent or mortgage payment in whole pounds, like 650."
TOTAL_NOT_POSITIVE = "The order total must be more than £0.00."
UPFRONT_NOT_BELOW_TOTAL = "The upfront payment must be less than the order total."
CREDIT_MISMATCH = "The credit amount must be the order total minus the upfront payment."
LINE_ITEM_NEEDS_PRICE = "Give the item's price excluding VAT, including VAT, or both."
NO_TERMS_AVAILABLE = "No instalment terms are available for this order total."


def history_shortfall(min_months: int) -> str:
    """The message for an address history shorter than *min_months*."""
    return (
        "Add your previous addresses so that, with your current address, they cover "
        f"the last {describe_months(min_months)}."
    )


def term_not_available(terms: Iterable[int]) -> str:
    """The message for a term DivideBuy did not report as available."""
    listed = enums.join_choices(str(term) for term in sorted(set(terms)))
    return f"Choose one of the instalment terms available for this order: {listed} months."


# -- the rule object ---------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class FieldRule:
    """One field's rule.

    ``rule(value)`` returns the normalised value, ``None`` for a blank optional
    field, or raises :class:`marshmallow.ValidationError` with a shopper-facing
    sentence; ``required_message`` is what a missing required value is told.
    Rules that depend on the date take ``today`` (a ``date``, a callable
    returning one, or ``None`` for today in the UK).
    """

    check: Callable[..., Any]
    required_message: str
    optional: bool = False
    needs_today: bool = False

    def __call__(self, value: Any, *, today: Today = None) -> Any:
        if _blank(value):
            if self.optional:
                return None
            raise ValidationError(self.required_message)
        if self.needs_today:
            return self.check(value, today=today)
        return self.check(value)


def _fail(message: str) -> ValidationError:
    return ValidationError(message)


def _lower_first(subject: str) -> str:
    return subject[:1].lower() + subject[1:]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    """Turn control characters into spaces, then trim and collapse runs of spaces to one.

    In that order: dropping a control character can leave spaces side by side or
    at an end, and cleaning must be idempotent (``load(load(x)) == load(x)``).
    """
    return " ".join(_CONTROL.sub(" ", value).split())


def text_rule(
    subject: str,
    *,
    max_length: int | None = None,
    min_length: int | None = None,
    optional: bool = False,
    allow_int: bool = False,
    type_message: str | None = None,
) -> FieldRule:
    """A free-text rule: *subject* is the sentence subject ("Your town or city")."""
    required = f"Enter {_lower_first(subject)}."
    wrong_type = type_message or f"{subject} must be text."
    too_long = f"{subject} must be {max_length} characters or fewer."
    too_short = f"{subject} must be at least {min_length} characters long."

    def check(value: Any) -> str | None:
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _fail(wrong_type)
        text = clean_text(value)
        if not text:
            if optional:
                return None
            raise _fail(required)
        if max_length is not None and len(text) > max_length:
            raise _fail(too_long)
        if min_length is not None and len(text) < min_length:
            raise _fail(too_short)
        return text

    return FieldRule(check, required, optional=optional)


def choice_rule(
    choices: Iterable[str], *, required_message: str, invalid_message: str, optional: bool = False
) -> FieldRule:
    """One of *choices*, matched ignoring case and spacing, sent in the listed spelling."""
    listed = tuple(choices)

    def check(value: Any) -> str:
        matched = enums.match_choice(value, listed)
        if matched is None:
            raise _fail(invalid_message)
        return matched

    return FieldRule(check, required_message, optional=optional)


# -- customer --------------------------------------------------------------------------------

TITLE = choice_rule(
    enums.TITLES,
    required_message="Choose your title.",
    invalid_message=f"Choose a title from the list: {enums.join_choices(enums.TITLES)}.",
)

# "Allows both upper and lower case alphabets with spaces, apostrophes, and hyphens".
# Reading: "alphabets" is the letters A to Z. That is the strictest reading, so a name
# we accept is accepted whether DivideBuy allows only A-Z or any letter; a shopper
# with an accented name is told how to write it rather than rejected by DivideBuy.
# Typographic apostrophes (’ from phone keyboards) are sent as the plain one (').
_NAME_CHARS = re.compile(r"[A-Za-z '\-]+")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

FIRST_NAME_INVALID = (
    "Enter your first name using only the letters A to Z, spaces, apostrophes and hyphens "
    "(for example, write Zoë as Zoe)."
)
LAST_NAME_INVALID = (
    "Enter your last name using only the letters A to Z, spaces, apostrophes and hyphens "
    "(for example, write Brontë as Bronte)."
)


def _name(
    value: Any, *, invalid: str, too_long: str, too_short: str | None, lo: int, hi: int
) -> str:
    if not isinstance(value, str):
        raise _fail(invalid)
    text = clean_text(value).translate(_APOSTROPHES)
    if not _NAME_CHARS.fullmatch(text) or not _HAS_LETTER.search(text):
        raise _fail(invalid)
    if len(text) > hi:
        raise _fail(too_long)
    if too_short is not None and len(text) < lo:
        raise _fail(too_short)
    return text


def normalise_first_name(value: Any) -> str:
    """A first name: letters A-Z, spaces, apostrophes and hyphens, at most 50 characters."""
    return _name(
        value,
        invalid=FIRST_NAME_INVALID,
        too_long=f"Your first name must be {FIRST_NAME_MAX} characters or fewer.",
        too_short=None,
        lo=1,
        hi=FIRST_NAME_MAX,
    )


def normalise_last_name(value: Any) -> str:
    """A last name: letters A-Z, spaces, apostrophes and hyphens, 2 to 50 characters."""
    return _name(
        value,
        invalid=LAST_NAME_INVALID,
        too_long=f"Your last name must be {LAST_NAME_MAX} characters or fewer.",
        too_short=f"Your last name must be at least {LAST_NAME_MIN} characters long.",
        lo=LAST_NAME_MIN,
        hi=LAST_NAME_MAX,
    )


FIRST_NAME = FieldRule(normalise_first_name, "Enter your first name.")
LAST_NAME = FieldRule(normalise_last_name, "Enter your last name.")


DATE_OF_BIRTH_INVALID = "Enter a real date of birth as YYYY-MM-DD, like 1985-07-23."
DATE_OF_BIRTH_FUTURE = "Enter a date of birth in the past."
DATE_OF_BIRTH_TOO_YOUNG = f"You must be {MIN_AGE} or over to apply for DivideBuy credit."
DATE_OF_BIRTH_TOO_OLD = (
    f"Check your date of birth: DivideBuy accepts applicants aged {MIN_AGE} to {MAX_AGE}."
)


def check_date_of_birth(value: Any, *, today: Today = None) -> str:
    """A real ``YYYY-MM-DD`` date of birth of someone aged 18 to 100 on *today* in the UK.

    "Not younger than 18 years nor older than 100 years" is read as a whole-year age
    of 18 to 100: on their 18th birthday a shopper may apply, and until the day
    before their 101st. Birthdays on 29 February fall on 1 March in other years
    (see :func:`~dividebuy_checkout.schemas.history.anniversary`).
    """
    birth = parse_iso_date(value)
    if birth is None:
        raise _fail(DATE_OF_BIRTH_INVALID)
    now = resolve_today(today)
    if birth > now:
        raise _fail(DATE_OF_BIRTH_FUTURE)
    if now < anniversary(birth, MIN_AGE):
        raise _fail(DATE_OF_BIRTH_TOO_YOUNG)
    if now >= anniversary(birth, MAX_AGE + 1):
        raise _fail(DATE_OF_BIRTH_TOO_OLD)
    return birth.isoformat()


DATE_OF_BIRTH = FieldRule(check_date_of_birth, "Enter your date of birth.", needs_today=True)

MOBILE_INVALID = "Enter a UK mobile number, like 07400 123456."
_PHONE_SEPARATORS = re.compile(r"[\s()\-.]")
_UK_MOBILE = re.compile(r"07[0-9]{9}", re.ASCII)


def normalise_uk_mobile(value: Any) -> str:
    """A UK mobile number as 11 digits starting ``07`` (``07400123456``).

    Spaces, brackets, hyphens and dots are removed and a ``+44`` or ``0044`` prefix
    (with or without the ``(0)`` some people write after it) becomes ``0``. The
    result must be 11 digits starting ``07`` (the document's rule) and a mobile
    number by ``phonenumbers``: personal numbers (070) and pagers (076) are not
    mobiles. Note that ``phonenumbers`` does not treat Ofcom's drama range
    (07700 900000 to 900999) as valid, so those fictional numbers are rejected.
    """
    if not isinstance(value, str) or len(value) > 40:
        raise _fail(MOBILE_INVALID)
    digits = _PHONE_SEPARATORS.sub("", value)
    for prefix in ("+44", "0044"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :].removeprefix("0")
            break
    if not _UK_MOBILE.fullmatch(digits):
        raise _fail(MOBILE_INVALID)
    try:
        number = phonenumbers.parse(digits, "GB")
    except phonenumbers.NumberParseException:  # pragma: no cover - 11 digits always parse
        raise _fail(MOBILE_INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise _fail(MOBILE_INVALID)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise _fail(MOBILE_INVALID)
    return digits


MOBILE_NUMBER = FieldRule(normalise_uk_mobile, "Enter your mobile number.")

# -- addresses -----------------------------------------------------------------------------

HOUSE_NUMBER = text_rule(
    "Your house number",
    max_length=HOUSE_NUMBER_MAX,
    optional=True,
    allow_int=True,
    type_message="Your house number must be text or a whole number.",
)
HOUSE_NAME = text_rule("Your house name", max_length=HOUSE_NAME_MAX, optional=True)
ADDRESS_LINE_1 = text_rule("The first line of your address", max_length=ADDRESS_LINE_MAX)
ADDRESS_LINE_2 = text_rule(
    "The second line of your address", max_length=ADDRESS_LINE_MAX, optional=True
)
ADDRESS_LINE_3 = text_rule(
    "The third line of your address", max_length=ADDRESS_LINE_MAX, optional=True
)
#: The current address's town is required and at most 25 characters ...
TOWN = text_rule("Your town or city", max_length=CURRENT_TOWN_MAX)
#: ... a previous address's town is optional and at most 50 (the document's numbers).
PREVIOUS_TOWN = text_rule("The town or city", max_length=PREVIOUS_TOWN_MAX, optional=True)
COUNTY = text_rule("Your county", max_length=COUNTY_MAX, optional=True)

POSTCODE_INVALID = "Enter a UK postcode, like SW1A 1AA."
# The UK Government Data Standards postcode pattern (letters each position may hold),
# plus GIR 0AA; matched with the spaces removed.
_UK_POSTCODE = re.compile(
    r"(GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]"
    r"|[A-HK-Y][0-9][ABEHMNPRVWXY])[0-9][ABD-HJLNP-UW-Z]{2})",
    re.ASCII,
)


def uk_postcode_or_none(value: str) -> str | None:
    """*value* as a normalised UK postcode (``SW1A 1AA``), or ``None`` if it is not one."""
    compact = "".join(value.split()).upper()
    if len(compact) > 7 or not _UK_POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_uk_postcode(value: Any) -> str:
    """A UK postcode in upper case with one space before the last three characters.

    The document accepts "any string value"; the current address must be in the
    UK (DivideBuy lends to UK residents), so its postcode must be a UK one.
    """
    if not isinstance(value, str):
        raise _fail(POSTCODE_INVALID)
    normalised = uk_postcode_or_none(value)
    if normalised is None:
        raise _fail(POSTCODE_INVALID)
    return normalised


def normalise_previous_postcode(value: Any) -> str | None:
    """A previous address's postcode: any text (the address may be abroad).

    A UK postcode is normalised like the current one; other text is only trimmed.
    """
    if not isinstance(value, str):
        raise _fail("The postcode must be text.")
    text = clean_text(value)
    if not text:
        return None
    return uk_postcode_or_none(text) or text


POSTCODE = FieldRule(normalise_uk_postcode, "Enter your postcode.")
PREVIOUS_POSTCODE = FieldRule(normalise_previous_postcode, "Enter the postcode.", optional=True)

TIME_AT_ADDRESS_INVALID = (
    "Enter the time at this address as years and months, like 03-06 for 3 years and 6 months."
)
TIME_AT_ADDRESS_MONTHS = "The months in the time at this address must be from 0 to 11."


def normalise_time_at_address(value: Any) -> str:
    """``YY-MM`` years and months at an address (months 0 to 11), e.g. ``03-06``.

    ``3-6`` is accepted and sent as ``03-06``.
    """
    if not isinstance(value, str):
        raise _fail(TIME_AT_ADDRESS_INVALID)
    parts = parse_yy_mm(value)
    if parts is None:
        raise _fail(TIME_AT_ADDRESS_INVALID)
    years, months = parts
    if months > 11:
        raise _fail(TIME_AT_ADDRESS_MONTHS)
    return format_yy_mm(years, months)


MOVE_IN_DATE_INVALID = "Enter the date you moved in as YYYY-MM-DD, like 2019-04-01."
MOVE_IN_DATE_FUTURE = "The date you moved in cannot be in the future."


def check_move_in_date(value: Any, *, today: Today = None) -> str:
    """A real ``YYYY-MM-DD`` move-in date, not after *today* in the UK."""
    moved = parse_iso_date(value)
    if moved is None:
        raise _fail(MOVE_IN_DATE_INVALID)
    if moved > resolve_today(today):
        raise _fail(MOVE_IN_DATE_FUTURE)
    return moved.isoformat()


# Optional at field level: which of the two is required is a cross-field rule
# (exactly one on the current address; the same one on every previous address).
TIME_AT_ADDRESS = FieldRule(
    normalise_time_at_address, "Enter the time at this address.", optional=True
)
MOVE_IN_DATE = FieldRule(
    check_move_in_date, "Enter the date you moved in.", optional=True, needs_today=True
)

# -- about the applicant ---------------------------------------------------------------------

INCOME_TYPE = choice_rule(
    enums.INCOME_TYPES,
    required_message="Choose your income type.",
    invalid_message="Choose your income type from the list.",
)
RESIDENTIAL_STATUS = choice_rule(
    enums.RESIDENTIAL_STATUSES,
    required_message="Choose your residential status.",
    invalid_message="Choose your residential status from the list.",
)

RENT_NEGATIVE = "Your monthly rent or mortgage payment cannot be negative."


def parse_rent(value: Any) -> int:
    """``customer.rent`` in whole pounds (reading: the document's "integer value in pounds").

    Assumption: the amount is monthly (the document does not say; the form asks
    for the monthly rent or mortgage payment). ``650``, ``"650"``, ``"£650"`` and
    ``650.00`` are all sent as ``650``.
    """
    try:
        amount = _amount(value, "monthly rent or mortgage payment", allow_negative=True)
    except MoneyError:
        raise _fail(RENT_REQUIRED) from None
    if amount < 0:
        raise _fail(RENT_NEGATIVE)
    if amount != amount.to_integral_value():
        raise _fail(RENT_REQUIRED)
    return int(amount)


#: Optional at field level: it is required unless the residential status is
#: "Yes, outright owner" or "No, other" (a cross-field rule of the customer).
RENT = FieldRule(parse_rent, RENT_REQUIRED, optional=True)

IP_ADDRESS_INVALID = "Send one IP address, like 203.0.113.7 or 2001:db8::7."
IP_ADDRESS_MANY = "Send a single IP address, not a list of them."


def normalise_ip_address(value: Any) -> str:
    """Exactly one IPv4 or IPv6 address, in its standard text form.

    Reading: the document's ``customer.customer.ip_address`` is ``customer.ip_address``
    (``docs/wire.md``). A list (``"1.2.3.4, 5.6.7.8"`` as in X-Forwarded-For) is
    refused: "multiple IPs not supported". So is an IPv6 zone (``%eth0``).
    """
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if not isinstance(value, str):
        raise _fail(IP_ADDRESS_INVALID)
    text = value.strip()
    if "," in text or " " in text:
        raise _fail(IP_ADDRESS_MANY)
    if len(text) > 45 or "%" in text:
        raise _fail(IP_ADDRESS_INVALID)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise _fail(IP_ADDRESS_INVALID) from None


IP_ADDRESS = FieldRule(normalise_ip_address, "Send the shopper's IP address.")

NATIONALITY_INVALID = "Choose your nationality from the list."


def check_nationality(value: Any) -> str:
    """A nationality from the gov.uk list, in the listed spelling.

    Reading: the document's ``customer.customer.nationality`` is
    ``customer.nationality`` (``docs/wire.md``). The list and its origin live in
    :mod:`dividebuy_checkout.nationalities` ("Stateless" is not accepted).
    """
    listed = normalise_nationality(value)
    if listed is None:
        raise _fail(NATIONALITY_INVALID)
    return listed


NATIONALITY = FieldRule(check_nationality, "Choose your nationality.")

# -- numbers and money ---------------------------------------------------------------------


def _amount(value: Any, label: str, *, allow_negative: bool = False) -> Decimal:
    """Pounds through :func:`dividebuy_checkout.money.to_money`; raises ``MoneyError``.

    A float (from JSON decoded without ``parse_float=Decimal``) is read through
    ``repr`` so that ``149.99`` is ``Decimal("149.99")``; more than two decimal
    places is still an error. Booleans are not numbers.
    """
    invalid = f"The {label} must be a number of pounds, like 149.99."
    if isinstance(value, bool):
        raise MoneyError(invalid)
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, int | str | Decimal) or (isinstance(value, str) and len(value) > 32):
        raise MoneyError(invalid)
    return to_money(value, field=label, allow_negative=allow_negative)


def parse_amount(value: Any, *, label: str) -> Decimal:
    """A non-negative amount in pounds with at most two decimal places, as ``Decimal``."""
    try:
        return _amount(value, label)
    except MoneyError as exc:
        raise _fail(str(exc)) from None


def money_rule(label: str, *, optional: bool = False) -> FieldRule:
    """A rule for an amount of pounds called *label* ("subtotal", "shipping cost")."""

    def check(value: Any) -> Decimal:
        return parse_amount(value, label=label)

    return FieldRule(check, f"Enter the {label} in pounds.", optional=optional)


def percentage_rule(label: str) -> FieldRule:
    """An optional percentage from 0 to 100 with at most two decimal places (``20``, ``17.5``)."""
    invalid = f"The {label} must be a percentage from 0 to 100, like 20."

    def check(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise _fail(invalid)
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, str):
            value = value.strip().removesuffix("%").strip()
            if len(value) > 32:
                raise _fail(invalid)
        if not isinstance(value, int | str | Decimal):
            raise _fail(invalid)
        try:
            rate = Decimal(value)
            if not rate.is_finite() or not 0 <= rate <= 100:
                raise _fail(invalid)
            quantised = rate.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise _fail(invalid) from None
        if quantised != rate:
            raise _fail(f"The {label} can have at most two decimal places.")
        return quantised

    return FieldRule(check, f"Enter the {label}.", optional=True)


def whole_number(value: Any) -> int | None:
    """*value* as an ``int`` if it is a whole number below a billion (not a bool), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**9 else None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,9}(\.0*)?", text, re.ASCII):
            return None
        value = text
    if isinstance(value, str | Decimal):
        try:
            number = Decimal(value)
            if not number.is_finite() or number != number.to_integral_value():
                return None
            if abs(number) >= 10**9:
                return None
        except InvalidOperation:
            return None
        return int(number)
    return None


TERM_INVALID = "Choose how many months to spread the cost over."


def parse_instalment_term(value: Any) -> int:
    """A number of months: a whole number of 1 or more."""
    term = whole_number(value)
    if term is None or term < 1:
        raise _fail(TERM_INVALID)
    return term


def check_term_available(term: int, available_terms: Iterable[int] | None) -> int:
    """*term*, if it is one of the terms DivideBuy reports as available for the total.

    With ``available_terms=None`` (not known here) any positive term passes.
    """
    if available_terms is None:
        return term
    terms = {int(t) for t in available_terms}
    if not terms:
        raise _fail(NO_TERMS_AVAILABLE)
    if term not in terms:
        raise _fail(term_not_available(terms))
    return term


SELECTED_INSTALMENT_TERM = FieldRule(parse_instalment_term, TERM_INVALID)

INSTALMENT_DATE_INVALID = (
    f"Choose the day of the month for your payments, from {INSTALMENT_DAY_MIN} "
    f"to {INSTALMENT_DAY_MAX}."
)


def parse_instalment_date(value: Any) -> int:
    """The day of the month for payments: a whole number from 1 to 31."""
    day = whole_number(value)
    if day is None or not INSTALMENT_DAY_MIN <= day <= INSTALMENT_DAY_MAX:
        raise _fail(INSTALMENT_DATE_INVALID)
    return day


INSTALMENT_DATE = FieldRule(parse_instalment_date, INSTALMENT_DATE_INVALID)


def flag_rule(what: str) -> FieldRule:
    """A 1/0 flag (reading: the document's "boolean ... accepts 1 or 0"); sent as ``1`` or ``0``.

    ``True``/``False``, ``1``/``0`` and ``"1"``/``"0"`` are accepted.
    """
    message = f"Send 1 (yes) or 0 (no) for whether this is {what}."

    def check(value: Any) -> int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            value = value.strip()
            if value in ("1", "0"):
                return int(value)
            raise _fail(message)
        number = whole_number(value)
        if number not in (0, 1):
            raise _fail(message)
        return number

    return FieldRule(check, message)


# -- order --------------------------------------------------------------------------------------

RETAILER_ORDER_ID = text_rule(
    "The order ID", allow_int=True, type_message="The order ID must be text or a whole number."
)
RETAILER_ORDER_REF = FieldRule(
    text_rule(
        "The order reference",
        allow_int=True,
        type_message="The order reference must be text or a whole number.",
    ).check,
    "Enter the order reference (send the order ID again if there is none).",
)
SUBTOTAL = money_rule("subtotal")
VAT_RATE = percentage_rule("VAT rate")
# Reading: order.vat is the VAT amount in pounds (the document repeats the subtotal's text).
VAT = money_rule("VAT amount", optional=True)
SHIPPING = money_rule("shipping cost")
SHIPPING_METHOD = text_rule("The shipping method")
SHIPPING_LABEL = text_rule("The shipping description")
# Reading: order.discount and order.total are amounts in pounds (the document says "string").
DISCOUNT = money_rule("discount")
TIME_DISCOUNT_APPLIED = choice_rule(
    enums.TIME_DISCOUNT_APPLIED,
    required_message="Say whether the discount applies before or after VAT.",
    invalid_message="Say whether the discount applies before or after VAT: beforeVat or afterVat.",
)
TOTAL = money_rule("order total")
IS_DEFAULT_SHIPPING = flag_rule("the customer's default shipping address")
IS_DEFAULT_BILLING = flag_rule("the customer's default billing address")
# Reading: upfront_payment and credit_amount are amounts in pounds (the document says
# "boolean"); credit_amount = total - upfront_payment.
UPFRONT_PAYMENT = money_rule("upfront payment")
CREDIT_AMOUNT = money_rule("credit amount")

SOURCE_INVALID = (
    "Choose the sales channel: in-store, telephony or in-home (leave it out for web orders)."
)
# Reading: order.source is omitted for web orders (ecommerce/app), else one of the three.
# A blank value is treated as omitted.
SOURCE = choice_rule(
    enums.SOURCES, required_message=SOURCE_INVALID, invalid_message=SOURCE_INVALID, optional=True
)

REDIRECT_URL_INVALID = (
    "The return address must be a full web address starting with https:// or http://."
)


def check_redirect_url(value: Any) -> str:
    """An absolute ``http``/``https`` URL with a host; its query string is kept as given."""
    if not isinstance(value, str):
        raise _fail(REDIRECT_URL_INVALID)
    text = value.strip()
    if not text or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise _fail(REDIRECT_URL_INVALID)
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise _fail(REDIRECT_URL_INVALID) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise _fail(REDIRECT_URL_INVALID)
    return text


REDIRECT_URL = FieldRule(check_redirect_url, REDIRECT_URL_INVALID, optional=True)

# Reading: a line item needs at least one of price_excluding_vat / price_including_vat
# (the document marks both "required" and says "At least one of these parameters").
ITEM_NAME = text_rule("The item's name")
ITEM_SKU = text_rule(
    "The item's SKU",
    optional=True,
    allow_int=True,
    type_message="The item's SKU must be text or a whole number.",
)
ITEM_QUANTITY_INVALID = "The quantity must be a whole number, 1 or more."


def parse_quantity(value: Any) -> int:
    """A line item's quantity: a whole number of 1 or more."""
    quantity = whole_number(value)
    if quantity is None or quantity < 1:
        raise _fail(ITEM_QUANTITY_INVALID)
    return quantity


ITEM_QUANTITY = FieldRule(parse_quantity, "Enter the quantity.")
ITEM_PRICE_EXCLUDING_VAT = money_rule("price excluding VAT", optional=True)
ITEM_PRICE_INCLUDING_VAT = money_rule("price including VAT", optional=True)
ITEM_VAT_PERCENTAGE = percentage_rule("VAT percentage")
ITEM_ROW_TOTAL_EXCLUDING_VAT = money_rule("row total excluding VAT", optional=True)
ITEM_ROW_TOTAL_INCLUDING_VAT = money_rule("row total including VAT", optional=True)
ITEM_DISCOUNT = money_rule("item discount", optional=True)

# -- payment ---------------------------------------------------------------------------------

PAYMENT_METHOD = choice_rule(
    enums.PAYMENT_METHODS,
    required_message="Choose a payment method.",
    invalid_message="The only payment method DivideBuy accepts is direct_debit.",
)

SORT_CODE_INVALID = "Enter a 6-digit sort code, like 12-34-56."
ACCOUNT_NUMBER_INVALID = "Enter an 8-digit account number, like 12345678."
_BANK_SEPARATORS = re.compile(r"[\s\-]")


def _digits(value: Any, count: int, message: str) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise _fail(message)
    digits = _BANK_SEPARATORS.sub("", value)
    if len(digits) != count or not re.fullmatch(r"[0-9]+", digits, re.ASCII):
        raise _fail(message)
    return digits


def normalise_sort_code(value: Any) -> str:
    """A sort code as 6 digits, spaces and hyphens removed (``12-34-56`` is ``123456``)."""
    return _digits(value, SORT_CODE_DIGITS, SORT_CODE_INVALID)


def normalise_account_number(value: Any) -> str:
    """An account number as 8 digits, spaces and hyphens removed."""
    return _digits(value, ACCOUNT_NUMBER_DIGITS, ACCOUNT_NUMBER_INVALID)


# Optional at field level: required when the method is direct_debit (a payment rule).
SORT_CODE = FieldRule(normalise_sort_code, "Enter your sort code.", optional=True)
ACCOUNT_NUMBER = FieldRule(normalise_account_number, "Enter your account number.", optional=True)
ACCOUNT_NAME = text_rule("The name on the account", optional=True)

#: Every field rule by its wire path (``*`` is any index of a list).
RULES: dict[str, FieldRule] = {
    "customer.title": TITLE,
    "customer.first_name": FIRST_NAME,
    "customer.last_name": LAST_NAME,
    "customer.date_of_birth": DATE_OF_BIRTH,
    "customer.mobile_number": MOBILE_NUMBER,
    "customer.address.house_number": HOUSE_NUMBER,
    "customer.address.house_name": HOUSE_NAME,
    "customer.address.address_line_1": ADDRESS_LINE_1,
    "customer.address.address_line_2": ADDRESS_LINE_2,
    "customer.address.address_line_3": ADDRESS_LINE_3,
    "customer.address.town": TOWN,
    "customer.address.county": COUNTY,
    "customer.address.postcode": POSTCODE,
    "customer.address.time_at_address": TIME_AT_ADDRESS,
    "customer.address.move_in_date": MOVE_IN_DATE,
    "customer.previous_addresses.*.house_number": HOUSE_NUMBER,
    "customer.previous_addresses.*.house_name": HOUSE_NAME,
    "customer.previous_addresses.*.address_line_1": ADDRESS_LINE_1,
    "customer.previous_addresses.*.address_line_2": ADDRESS_LINE_2,
    "customer.previous_addresses.*.address_line_3": ADDRESS_LINE_3,
    "customer.previous_addresses.*.town": PREVIOUS_TOWN,
    "customer.previous_addresses.*.county": COUNTY,
    "customer.previous_addresses.*.postcode": PREVIOUS_POSTCODE,
    "customer.previous_addresses.*.time_at_address": TIME_AT_ADDRESS,
    "customer.previous_addresses.*.move_in_date": MOVE_IN_DATE,
    "customer.income_type": INCOME_TYPE,
    "customer.residential_status": RESIDENTIAL_STATUS,
    "customer.ip_address": IP_ADDRESS,
    "customer.rent": RENT,
    "customer.nationality": NATIONALITY,
    "order.retailer_order_id": RETAILER_ORDER_ID,
    "order.retailer_order_ref": RETAILER_ORDER_REF,
    "order.selected_instalment_term": SELECTED_INSTALMENT_TERM,
    "order.instalment_date": INSTALMENT_DATE,
    "order.subtotal": SUBTOTAL,
    "order.vat_rate": VAT_RATE,
    "order.vat": VAT,
    "order.shipping": SHIPPING,
    "order.shipping_method": SHIPPING_METHOD,
    "order.shipping_label": SHIPPING_LABEL,
    "order.discount": DISCOUNT,
    "order.time_discount_applied": TIME_DISCOUNT_APPLIED,
    "order.total": TOTAL,
    "order.is_default_shipping": IS_DEFAULT_SHIPPING,
    "order.is_default_billing": IS_DEFAULT_BILLING,
    "order.upfront_payment": UPFRONT_PAYMENT,
    "order.credit_amount": CREDIT_AMOUNT,
    "order.source": SOURCE,
    "order.line_items.*.name": ITEM_NAME,
    "order.line_items.*.sku": ITEM_SKU,
    "order.line_items.*.quantity": ITEM_QUANTITY,
    "order.line_items.*.price_excluding_vat": ITEM_PRICE_EXCLUDING_VAT,
    "order.line_items.*.price_including_vat": ITEM_PRICE_INCLUDING_VAT,
    "order.line_items.*.vat_percentage": ITEM_VAT_PERCENTAGE,
    "order.line_items.*.row_total_excluding_vat": ITEM_ROW_TOTAL_EXCLUDING_VAT,
    "order.line_items.*.row_total_including_vat": ITEM_ROW_TOTAL_INCLUDING_VAT,
    "order.line_items.*.discount": ITEM_DISCOUNT,
    "order.redirect_url": REDIRECT_URL,
    "payment.method": PAYMENT_METHOD,
    "payment.sort_code": SORT_CODE,
    "payment.account_number": ACCOUNT_NUMBER,
    "payment.account_name": ACCOUNT_NAME,
}
