"""The application form: Flask-WTF for CSRF and for keeping the shopper's input.

The form does not judge the answers itself. They are put into the quote
payload (:func:`dividebuy_checkout.orders.build_quote_payload`) and checked by
the UK schema, whose every rule and message lives in
:mod:`dividebuy_checkout.schemas.rules`; the schema's errors (dotted wire paths)
are then placed beside the fields they belong to. So a limit or a message is
written once, for the wire and the form alike, and the form can never accept
what DivideBuy's rules refuse.

What the form asks is what the order does not say: title, date of birth, income,
residential status, rent, nationality, time at the address, previous addresses
until three years are covered, instalment term and day — plus any detail the
order lacks or holds in a form DivideBuy would refuse (a landline as the mobile,
a 30-character town), shown pre-filled with the order's value and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField, SubmitField

from ..checkout.terms import Offer
from ..nationalities import nationalities
from ..orders import Address, Applicant, Order, PreviousAddress
from ..schemas import enums, rules
from ..schemas.rules import FieldRule

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
PREVIOUS_FIELDS = ("house_number", "address_line_1", "address_line_2", "town", "postcode")

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


try:  # WTForms 3.3 names its choices; older releases take (value, label) pairs
    from wtforms import SelectChoice as _Choice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    _Choice = None  # type: ignore[assignment,misc]


def choice(value: str, label: str) -> Any:
    """One option of a select or radio field, as the installed WTForms wants it."""
    return _Choice(value, label) if _Choice is not None else (value, label)


def _choices(values: Iterable[str], prompt: str | None = None) -> list[Any]:
    listed = [choice(value, value) for value in values]
    return [choice("", prompt), *listed] if prompt else listed


class PreviousAddressForm(Form):
    """One previous address (a sub-form: the CSRF token is the outer form's)."""

    house_number = StringField("House number (optional)")
    address_line_1 = StringField("Street address")
    address_line_2 = StringField("Address line 2 (optional)")
    town = StringField("Town or city")
    postcode = StringField("Postcode")
    years = StringField("Years")
    months = StringField("Months")


class ApplicationForm(FlaskForm):
    """Every field the form may show; :func:`asked_fields` says which are shown for an order.

    Choice fields do not check their own choices (``validate_choice=False``): the
    schema does, with the rules' messages. ``validate()`` therefore checks only the
    CSRF token.
    """

    title = SelectField("Title", choices=_choices(enums.TITLES, "Choose…"), validate_choice=False)
    first_name = StringField("First name")
    last_name = StringField("Last name")
    dob_day = StringField("Day")
    dob_month = StringField("Month")
    dob_year = StringField("Year")
    mobile_number = StringField("UK mobile number")
    house_number = StringField("House number (optional)")
    house_name = StringField("House name (optional)")
    address_line_1 = StringField("Street address")
    address_line_2 = StringField("Address line 2 (optional)")
    town = StringField("Town or city")
    county = StringField("County (optional)")
    postcode = StringField("Postcode")
    address_years = StringField("Years")
    address_months = StringField("Months")
    previous = FieldList(
        FormField(PreviousAddressForm), min_entries=1, max_entries=MAX_PREVIOUS_ADDRESSES
    )
    income_type = RadioField(
        "What is your main source of income?",
        choices=_choices(enums.INCOME_TYPES),
        validate_choice=False,
    )
    residential_status = RadioField(
        "Do you own your home?",
        choices=_choices(enums.RESIDENTIAL_STATUSES),
        validate_choice=False,
    )
    rent = StringField("Monthly rent or mortgage payment, in whole pounds")
    nationality = SelectField("Nationality", validate_choice=False)
    term = RadioField(
        "How many months would you like to spread the cost over?", validate_choice=False
    )
    instalment_day = SelectField(
        "Which day of the month should payments be taken?",
        choices=_choices(
            (str(d) for d in range(rules.INSTALMENT_DAY_MIN, rules.INSTALMENT_DAY_MAX + 1)),
            "Choose a day…",
        ),
        validate_choice=False,
    )
    add_address = SubmitField("Add another previous address")
    submit = SubmitField("Continue to DivideBuy")

    def setup(self, offer: Offer) -> None:
        """Fill the choices that depend on the request: the offer's terms, the nationalities."""
        self.term.choices = [choice(str(term.months), term.label) for term in offer.choices]
        self.nationality.choices = _choices(nationalities(), "Choose…")


# -- what to ask --------------------------------------------------------------------------------


def _fails(rule: FieldRule, value: Any) -> bool:
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
    asked = set()
    if _fails(rules.TITLE, known.title):
        asked.add("title")
    if _fails(rules.FIRST_NAME, known.first_name):
        asked.add("first_name")
    if _fails(rules.LAST_NAME, known.last_name):
        asked.add("last_name")
    if _fails(rules.MOBILE_NUMBER, known.mobile_number):
        asked.add("mobile_number")
    address = known.address
    if address is None or any(
        _fails(rule, getattr(address, name)) for name, rule in _ADDRESS_RULES.items()
    ):
        asked.add("address")
    return asked


def prefill(form: ApplicationForm, order: Order, asked: set[str]) -> None:
    """Put the order's own values into the fields asked because they need correcting."""
    known = order.customer
    for name in ("title", "first_name", "last_name", "mobile_number"):
        if name in asked and getattr(known, name):
            getattr(form, name).data = getattr(known, name)
    if "address" in asked and known.address is not None:
        for name in ADDRESS_FIELDS:
            value = getattr(known.address, name)
            if value:
                getattr(form, name).data = value


# -- answers → Applicant --------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def combine_date(day: Any, month: Any, year: Any) -> str:
    """``YYYY-MM-DD`` from three boxes; anything else is passed on for the rule to refuse."""
    day, month, year = _text(day), _text(month), _text(year)
    if not (day or month or year):
        return ""
    if day.isdigit() and month.isdigit() and year.isdigit():
        return f"{year:0>4}-{month:0>2}-{day:0>2}"
    return f"{year}-{month}-{day}"


def combine_years_months(years: Any, months: Any) -> str:
    """``YY-MM`` from two boxes (a blank one counts as 0); blank when both are blank."""
    years, months = _text(years), _text(months)
    if not (years or months):
        return ""
    years, months = years or "0", months or "0"
    if years.isdigit() and months.isdigit():
        return f"{int(years):02d}-{int(months):02d}"
    return f"{years}-{months}"


@dataclass
class Answers:
    """The applicant built from the form, and which form row each previous address came from."""

    applicant: Applicant
    #: previous_addresses[i] on the wire came from form row ``rows[i]``
    rows: list[int] = field(default_factory=list)


def _blank_row(row: Mapping[str, Any]) -> bool:
    return not any(_text(value) for value in row.values())


def answers_from(form: ApplicationForm, asked: set[str]) -> Answers:
    """The :class:`Applicant` the form holds. Only asked fields override the order."""
    previous: list[PreviousAddress] = []
    rows: list[int] = []
    for index, entry in enumerate(form.previous.entries):
        data = entry.form.data
        if _blank_row(data):
            continue
        rows.append(index)
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
    address = None
    if "address" in asked:
        values = {name: _text(getattr(form, name).data) for name in ADDRESS_FIELDS}
        address = Address(
            address_line_1=values["address_line_1"],
            town=values["town"],
            postcode=values["postcode"],
            house_number=values["house_number"] or None,
            house_name=values["house_name"] or None,
            address_line_2=values["address_line_2"] or None,
            county=values["county"] or None,
        )

    def override(name: str) -> str | None:
        return _text(getattr(form, name).data) if name in asked else None

    applicant = Applicant(
        instalment_term=_text(form.term.data),
        instalment_day=_text(form.instalment_day.data),
        time_at_address=combine_years_months(form.address_years.data, form.address_months.data),
        title=override("title"),
        date_of_birth=combine_date(form.dob_day.data, form.dob_month.data, form.dob_year.data),
        income_type=_text(form.income_type.data),
        residential_status=_text(form.residential_status.data),
        rent=_text(form.rent.data) or None,
        nationality=_text(form.nationality.data),
        previous_addresses=tuple(previous),
        first_name=override("first_name"),
        last_name=override("last_name"),
        mobile_number=override("mobile_number"),
        address=address,
    )
    return Answers(applicant, rows)


# -- wire errors → form fields --------------------------------------------------------------------

#: wire path → form field name, for the paths that are not addresses
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
#: the details a shopper can correct only when the form shows them
_ASKABLE = {
    "title": "title",
    "first_name": "first_name",
    "last_name": "last_name",
    "mobile_number": "mobile_number",
}


@dataclass
class FormErrors:
    """Errors keyed by form field (``"town"``, ``"previous-1-postcode"``, ``"dob"``)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    #: errors no field of the form can fix (the shop's order data, the shopper's address)
    general: list[str] = field(default_factory=list)

    def add(self, key: str, messages: Iterable[str]) -> None:
        bucket = self.by_field.setdefault(key, [])
        bucket.extend(m for m in messages if m not in bucket)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


#: The form asks the time at an address as years and months only, so the wire's
#: "time or move-in date" message is shown as the time rule's own required message.
_FORM_WORDING = {rules.ADDRESS_TIME_NEITHER: rules.TIME_AT_ADDRESS.required_message}


def map_errors(
    field_errors: Mapping[str, list[str]], rows: list[int], asked: set[str]
) -> FormErrors:
    """Place dotted wire-path errors on form fields; widen *asked* where a hidden detail failed.

    *asked* is updated in place: a detail taken from the order that DivideBuy
    refused (a 422 our rules did not predict) is shown so it can be corrected.
    """
    errors = FormErrors()
    for path, given in field_errors.items():
        messages = [_FORM_WORDING.get(message, message) for message in given]
        key = _key_for(path, rows, asked)
        if key is None:
            errors.general.extend(messages)
        else:
            errors.add(key, messages)
    return errors


def _key_for(path: str, rows: list[int], asked: set[str]) -> str | None:
    if path in _FIELD_FOR_PATH:
        key = _FIELD_FOR_PATH[path]
        if key in _ASKABLE:
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


#: where the error summary links for each grouped key (the first input of the group)
def anchor_for(key: str) -> str:
    """The id of the input an error summary entry links to."""
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
