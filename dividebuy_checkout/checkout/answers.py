"""The application form without a web framework: what to ask, answers → ``Applicant``, errors.

Any web framework can show DivideBuy's application form with these helpers;
the Flask blueprint is one user (:mod:`dividebuy_checkout.flask.forms` adds only
the WTForms class and its CSRF token). The form is described by its **field
names**, which are also the ``name`` (and ``id``) of each input:

=====================================  ==========================================
``title``                              asked when the order lacks a valid one
``first_name``, ``last_name``          asked when the order lacks a valid one
``mobile_number``                      asked when the order's number is refused
``house_number`` … ``postcode``        :data:`ADDRESS_FIELDS`, asked as a block
``dob_day``, ``dob_month``, ``dob_year``  date of birth, three boxes
``address_years``, ``address_months``  time at the current address
``previous-N-<name>``                  previous address N (0, 1, …): the names in
                                       :data:`PREVIOUS_FIELDS` plus ``years`` and
                                       ``months``
``income_type``, ``residential_status``, ``rent``, ``nationality``
``term``                               months, one of the :class:`~.terms.Offer`'s
``instalment_day``                     one of :data:`INSTALMENT_DAYS`
=====================================  ==========================================

The form does not judge the answers itself. :func:`read_answers` only puts them
together; the service validates the quote with the UK schema (every rule and
message is in :mod:`dividebuy_checkout.schemas.rules`) and raises
:class:`~.errors.InvalidApplication` with dotted wire paths, which
:func:`map_errors` places beside the form fields they belong to. So a limit or
a message is written once, for the wire and the form alike.

What the form asks is what the order does not say (:func:`asked_fields`):
title, date of birth, income, residential status, rent, nationality, time at
the address, previous addresses until three years are covered, instalment term
and day — plus any detail the order lacks or holds in a form DivideBuy would
refuse, shown pre-filled with the order's value (:func:`prefill_values`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from marshmallow import ValidationError

from ..nationalities import nationalities
from ..orders import Address, Applicant, Order, PreviousAddress
from ..schemas import rules
from ..schemas.rules import FieldRule

__all__ = [
    "ADDRESS_FIELDS",
    "ASKABLE_DETAILS",
    "INSTALMENT_DAYS",
    "MAX_PREVIOUS_ADDRESSES",
    "NATIONALITY_FIRST",
    "PAGE_ORDER",
    "PREVIOUS_FIELDS",
    "Answers",
    "BoxProblem",
    "FormErrors",
    "anchor_for",
    "asked_fields",
    "box_problems",
    "combine_date",
    "combine_years_months",
    "date_problem",
    "map_errors",
    "nationality_options",
    "needs_another_address",
    "offer_another_row",
    "page_position",
    "prefill_values",
    "read_answers",
    "time_problem",
]

#: at most this many previous addresses (three years is rarely more than five moves)
MAX_PREVIOUS_ADDRESSES = 6

#: the address fields the form can ask for (the wire's names)
ADDRESS_FIELDS = (
    "house_number",
    "house_name",
    "address_line_1",
    "address_line_2",
    "town",
    "county",
    "postcode",
)
#: the fields of one previous address (besides ``years`` and ``months``)
PREVIOUS_FIELDS = ("house_number", "address_line_1", "address_line_2", "town", "postcode")
#: the customer details asked only when the order lacks them (or holds one DivideBuy refuses)
ASKABLE_DETAILS = ("title", "first_name", "last_name", "mobile_number")
#: the days of the month a shopper may choose for payments, as the form's option values
INSTALMENT_DAYS: tuple[str, ...] = tuple(
    str(day) for day in range(rules.INSTALMENT_DAY_MIN, rules.INSTALMENT_DAY_MAX + 1)
)

#: The nationality most UK shoppers give, offered first (the rest follow in the gov.uk list's
#: order). An assumption: the document gives the list, not an order (docs/assumptions.md).
NATIONALITY_FIRST = "British"

#: The form's questions in the order the page shows them (``previous`` stands for every
#: previous-address row, in row order). The error summary lists its entries in this order.
PAGE_ORDER: tuple[str, ...] = (
    "title",
    "first_name",
    "last_name",
    "dob",
    "mobile_number",
    "nationality",
    *ADDRESS_FIELDS,
    "address_time",
    "previous",
    "income_type",
    "residential_status",
    "rent",
    "term",
    "instalment_day",
)
#: the inputs of one previous-address row, in page order (``time`` is its years and months)
_ROW_ORDER = (*PREVIOUS_FIELDS, "time")

_ADDRESS_RULES: dict[str, FieldRule] = {
    "house_number": rules.HOUSE_NUMBER,
    "house_name": rules.HOUSE_NAME,
    "address_line_1": rules.ADDRESS_LINE_1,
    "address_line_2": rules.ADDRESS_LINE_2,
    "address_line_3": rules.ADDRESS_LINE_3,
    "town": rules.TOWN,
    "county": rules.COUNTY,
    "postcode": rules.POSTCODE,
}
_DETAIL_RULES: dict[str, FieldRule] = {
    "title": rules.TITLE,
    "first_name": rules.FIRST_NAME,
    "last_name": rules.LAST_NAME,
    "mobile_number": rules.MOBILE_NUMBER,
}


# -- what to ask --------------------------------------------------------------------------------


def _fails(rule: FieldRule, value: object) -> bool:
    try:
        rule(value)
    except ValidationError:
        return True
    return False


def asked_fields(order: Order) -> set[str]:
    """The details the form must ask, because the order lacks them or DivideBuy would refuse them.

    Always asked: date of birth, income, residential status, rent, nationality, time
    at the address, previous addresses, term and day. Asked when needed: ``title``,
    ``first_name``, ``last_name``, ``mobile_number`` and ``address`` (the block).
    """
    known = order.customer
    asked = {name for name, rule in _DETAIL_RULES.items() if _fails(rule, getattr(known, name))}
    address = known.address
    if address is None or any(
        _fails(rule, getattr(address, name)) for name, rule in _ADDRESS_RULES.items()
    ):
        asked.add("address")
    return asked


def nationality_options() -> tuple[str, ...]:
    """The gov.uk nationalities for the form's type-ahead list, :data:`NATIONALITY_FIRST` first."""
    listed = nationalities()
    first = (NATIONALITY_FIRST,) if NATIONALITY_FIRST in listed else ()
    return (*first, *(name for name in listed if name != NATIONALITY_FIRST))


def prefill_values(order: Order, asked: Collection[str]) -> dict[str, str]:
    """The order's own values for the fields asked because they need correcting (name → value)."""
    known = order.customer
    values: dict[str, str] = {}
    for name in ASKABLE_DETAILS:
        value = getattr(known, name)
        if name in asked and value:
            values[name] = str(value)
    if "address" in asked and known.address is not None:
        for name in ADDRESS_FIELDS:
            value = getattr(known.address, name)
            if value:
                values[name] = str(value)
    return values


# -- answers → Applicant --------------------------------------------------------------------------


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def combine_date(day: object, month: object, year: object) -> str:
    """``YYYY-MM-DD`` from three boxes; anything else is passed on for the rule to refuse."""
    d, m, y = _text(day), _text(month), _text(year)
    if not (d or m or y):
        return ""
    if d.isdigit() and m.isdigit() and y.isdigit():
        return f"{y:0>4}-{m:0>2}-{d:0>2}"
    return f"{y}-{m}-{d}"


def combine_years_months(years: object, months: object) -> str:
    """``YY-MM`` from two boxes (a blank one counts as 0); blank when both are blank."""
    y, m = _text(years), _text(months)
    if not (y or m):
        return ""
    y, m = y or "0", m or "0"
    if y.isdigit() and m.isdigit():
        return f"{int(y):02d}-{int(m):02d}"
    return f"{y}-{m}"


# -- boxes that cannot make a value, in the form's own words ------------------------------------

#: (message, id of the box to correct): what is wrong with a group of small boxes
BoxProblem = tuple[str, str]

#: The date-of-birth messages speak of the form's day, month and year boxes: the wire's
#: rule (schemas.rules.DATE_OF_BIRTH) speaks of YYYY-MM-DD, which the shopper never sees.
DOB_MISSING = "Date of birth must include a {parts}"
DOB_NOT_REAL = "Date of birth must be a real date"
DOB_YEAR_DIGITS = "Year must include 4 numbers"
#: the time boxes (years and months at an address), likewise in the boxes' terms
TIME_YEARS = "Enter the years as a whole number, like 2"
TIME_MONTHS = "Enter the months as a whole number from 0 to 11"


def date_problem(
    day: object, month: object, year: object, prefix: str = "dob"
) -> BoxProblem | None:
    """What stops three boxes making a date, and which box to correct; None if they make one.

    All three blank is not a problem here (the rule's "Enter your date of birth." says
    it). Whether the date is allowed (in the past, 18 or over) is the rule's to say.
    """
    boxes = {"day": _text(day), "month": _text(month), "year": _text(year)}
    if not any(boxes.values()):
        return None
    missing = [name for name, value in boxes.items() if not value]
    if missing:
        return DOB_MISSING.format(parts=" and ".join(missing)), f"{prefix}_{missing[0]}"
    for name, value in boxes.items():
        if not value.isdigit():
            return DOB_NOT_REAL, f"{prefix}_{name}"
    if len(boxes["year"]) != 4:
        return DOB_YEAR_DIGITS, f"{prefix}_year"
    d, m, y = int(boxes["day"]), int(boxes["month"]), int(boxes["year"])
    if not 1 <= m <= 12:
        return DOB_NOT_REAL, f"{prefix}_month"
    if not 1 <= d <= calendar.monthrange(max(y, 1), m)[1]:
        return DOB_NOT_REAL, f"{prefix}_day"
    return None


def time_problem(years: object, months: object, years_id: str, months_id: str) -> BoxProblem | None:
    """What stops a years box and a months box making a time at an address (blank counts as 0)."""
    y, m = _text(years), _text(months)
    if y and not y.isdigit():
        return TIME_YEARS, years_id
    if m and (not m.isdigit() or int(m) > 11):
        return TIME_MONTHS, months_id
    return None


def box_problems(values: Mapping[str, object]) -> dict[str, BoxProblem]:
    """Form key → problem, for every group of boxes in *values* that cannot make its value."""
    found: dict[str, BoxProblem | None] = {
        "dob": date_problem(values.get("dob_day"), values.get("dob_month"), values.get("dob_year")),
        "address_time": time_problem(
            values.get("address_years"),
            values.get("address_months"),
            "address_years",
            "address_months",
        ),
    }
    for row, data in _previous_rows(values):
        found[f"previous-{row}-time"] = time_problem(
            data.get("years"),
            data.get("months"),
            f"previous-{row}-years",
            f"previous-{row}-months",
        )
    return {key: problem for key, problem in found.items() if problem is not None}


@dataclass(frozen=True)
class Answers:
    """The applicant built from the form, and which form row each previous address came from."""

    applicant: Applicant
    #: previous_addresses[i] on the wire came from form row ``rows[i]`` (``previous-<row>-…``)
    rows: list[int] = field(default_factory=list)
    #: boxes that could not make a value (:func:`box_problems`): shown instead of the rule's words
    problems: dict[str, BoxProblem] = field(default_factory=dict)


#: ``previous-<row>-<name>``; four digits at most, so a hostile row number costs nothing
_PREVIOUS_KEY = re.compile(r"previous-(\d{1,4})-([a-z_0-9]+)")


def _previous_rows(values: Mapping[str, object]) -> list[tuple[int, dict[str, object]]]:
    """The previous-address rows posted, in row order, at most :data:`MAX_PREVIOUS_ADDRESSES`."""
    rows: dict[int, dict[str, object]] = {}
    for key in values:
        match = _PREVIOUS_KEY.fullmatch(key)
        if match is not None:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = values[key]
    return sorted(rows.items())[:MAX_PREVIOUS_ADDRESSES]


def read_answers(values: Mapping[str, object], asked: Collection[str]) -> Answers:
    """The :class:`Applicant` a submitted form holds; only *asked* details override the order.

    *values* is the posted form as any framework parses it (Flask's ``request.form``,
    Starlette's ``await request.form()``, Django's ``request.POST``, a plain dict),
    keyed by the field names in this module's docstring. Nothing is judged here:
    :meth:`~.service.CheckoutService.submit` validates the applicant.
    """
    previous: list[PreviousAddress] = []
    rows: list[int] = []
    for row, data in _previous_rows(values):
        if not any(_text(value) for value in data.values()):
            continue
        rows.append(row)
        previous.append(
            PreviousAddress(
                address=Address(
                    house_number=_text(data.get("house_number")) or None,
                    address_line_1=_text(data.get("address_line_1")),
                    address_line_2=_text(data.get("address_line_2")) or None,
                    town=_text(data.get("town")),
                    postcode=_text(data.get("postcode")),
                ),
                time_at_address=combine_years_months(data.get("years"), data.get("months")),
            )
        )

    def text(name: str) -> str:
        return _text(values.get(name))

    def override(name: str) -> str | None:
        return text(name) if name in asked else None

    address = None
    if "address" in asked:
        address = Address(
            address_line_1=text("address_line_1"),
            town=text("town"),
            postcode=text("postcode"),
            house_number=text("house_number") or None,
            house_name=text("house_name") or None,
            address_line_2=text("address_line_2") or None,
            county=text("county") or None,
        )
    applicant = Applicant(
        instalment_term=text("term"),
        instalment_day=text("instalment_day"),
        time_at_address=combine_years_months(
            values.get("address_years"), values.get("address_months")
        ),
        title=override("title"),
        date_of_birth=combine_date(
            values.get("dob_day"), values.get("dob_month"), values.get("dob_year")
        ),
        income_type=text("income_type"),
        residential_status=text("residential_status"),
        rent=text("rent") or None,
        nationality=text("nationality"),
        previous_addresses=tuple(previous),
        first_name=override("first_name"),
        last_name=override("last_name"),
        mobile_number=override("mobile_number"),
        address=address,
    )
    return Answers(applicant, rows, box_problems(values))


# -- wire errors → form fields --------------------------------------------------------------------

#: wire path → form field key, for the paths that are not addresses
_FIELD_FOR_PATH = {
    "customer.title": "title",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "customer.date_of_birth": "dob",
    "customer.mobile_number": "mobile_number",
    "customer.address": "address_time",
    "customer.address.time_at_address": "address_time",
    "customer.address.move_in_date": "address_time",
    "customer.previous_addresses": "previous",
    "customer.income_type": "income_type",
    "customer.residential_status": "residential_status",
    "customer.rent": "rent",
    "customer.nationality": "nationality",
    "order.selected_instalment_term": "term",
    "order.instalment_date": "instalment_day",
}


@dataclass
class FormErrors:
    """Errors keyed by form field (``"town"``, ``"previous-1-postcode"``, ``"dob"``)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    #: errors no field of the form can fix (the shop's order data, the shopper's address)
    general: list[str] = field(default_factory=list)
    #: form key → the input its summary link lands on, where not :func:`anchor_for`'s
    anchors: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, messages: Iterable[str]) -> None:
        bucket = self.by_field.setdefault(key, [])
        bucket.extend(m for m in messages if m not in bucket)

    def summary(self) -> list[tuple[str, str]]:
        """``(message, input id)`` for an error summary whose links land on each input.

        In the page's order (:func:`page_position`), whatever order DivideBuy's
        rules reported them in, so the summary reads like the form.
        """
        return [
            (message, self.anchors.get(key) or anchor_for(key))
            for key in sorted(self.by_field, key=page_position)
            for message in self.by_field[key]
        ]

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


#: The form asks the time at an address as years and months only, so the wire's
#: "time or move-in date" message is shown as the time rule's own required message.
_FORM_WORDING = {
    rules.ADDRESS_TIME_NEITHER: rules.TIME_AT_ADDRESS.required_message,
    # the nationality is typed (with a type-ahead list), not chosen from a drop-down
    rules.NATIONALITY_INVALID: "Enter a nationality from the list, like British",
}


def page_position(key: str) -> tuple[int, int, int]:
    """Where the input of form key *key* is on the page, for sorting (unknown keys last)."""
    match = re.fullmatch(r"previous-(\d{1,4})-([a-z_0-9]+)", key)
    if match is not None:
        name = match.group(2)
        within = _ROW_ORDER.index(name) if name in _ROW_ORDER else len(_ROW_ORDER)
        return PAGE_ORDER.index("previous"), int(match.group(1)) + 1, within
    if key in PAGE_ORDER:
        return PAGE_ORDER.index(key), 0, 0
    return len(PAGE_ORDER), 0, 0


def map_errors(
    field_errors: Mapping[str, list[str]],
    rows: list[int],
    asked: set[str],
    problems: Mapping[str, BoxProblem] | None = None,
) -> FormErrors:
    """Place dotted wire-path errors on form fields; widen *asked* where a hidden detail failed.

    *rows* is :attr:`Answers.rows`. *asked* is updated in place: a detail taken from
    the order that DivideBuy refused (a 422 our rules did not predict) is shown so
    it can be corrected. *problems* (:attr:`Answers.problems`) replaces a group's
    error by what is wrong with its boxes, linked to the box to correct (the month,
    not the year).
    """
    errors = FormErrors()
    for path, given in field_errors.items():
        messages = [_FORM_WORDING.get(message, message) for message in given]
        key = _key_for(path, rows, asked)
        if key is None:
            errors.general.extend(messages)
        else:
            errors.add(key, messages)
    for key, (message, box) in (problems or {}).items():
        if key in errors.by_field:
            errors.by_field[key] = [message]
            errors.anchors[key] = box
    return errors


def _key_for(path: str, rows: list[int], asked: set[str]) -> str | None:
    if path in _FIELD_FOR_PATH:
        key = _FIELD_FOR_PATH[path]
        if key in ASKABLE_DETAILS:
            asked.add(key)
        return key
    parts = path.split(".")
    if parts[:2] == ["customer", "address"] and len(parts) == 3 and parts[2] in _ADDRESS_RULES:
        asked.add("address")
        return parts[2] if parts[2] in ADDRESS_FIELDS else "address_line_2"
    if parts[:2] == ["customer", "previous_addresses"] and len(parts) >= 3:
        try:
            row = rows[int(parts[2])]
        except (ValueError, IndexError):
            return "previous"
        if len(parts) == 3:
            return f"previous-{row}-address_line_1"
        name = parts[3]
        if name in ("time_at_address", "move_in_date"):
            return f"previous-{row}-time"
        if name in PREVIOUS_FIELDS:
            return f"previous-{row}-{name}"
        return f"previous-{row}-address_line_1"
    return None


def anchor_for(key: str) -> str:
    """The id of the input an error summary entry links to (the first input of a group)."""
    if key == "dob":
        return "dob_day"
    if key == "address_time":
        return "address_years"
    if key == "previous":
        return "previous-0-address_line_1"
    if key in ("income_type", "residential_status", "term"):
        return f"{key}-0"
    if key.startswith("previous-") and key.endswith("-time"):
        return key.removesuffix("-time") + "-years"
    return key


def needs_another_address(errors: FormErrors) -> bool:
    """Whether the history is short (the shopper must add a previous address)."""
    return "previous" in errors.by_field


def offer_another_row(errors: FormErrors, rows: list[int], shown: int) -> bool:
    """Whether to show one more previous-address row after a failed submit.

    True when the history is short, the shopper used every row shown (*shown*
    rows, numbered from 0) and there is room for another.
    """
    last_row_used = bool(rows) and rows[-1] == shown - 1
    return needs_another_address(errors) and last_row_used and shown < MAX_PREVIOUS_ADDRESSES
