"""The application form in Flask: Flask-WTF for CSRF and for keeping the shopper's input.

Everything about the answers themselves — which fields are asked, the order's
values to prefill, answers → :class:`~dividebuy_checkout.orders.Applicant`, wire
errors → form fields — is framework-free and lives in
:mod:`dividebuy_checkout.checkout.answers`. This module only declares the WTForms
class (whose field names are the ones that module documents) and hands its data
over in the flat shape the core reads.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import wtforms
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, SelectField, StringField, SubmitField

from ..checkout.answers import (
    INSTALMENT_DAYS,
    MAX_PREVIOUS_ADDRESSES,
    Answers,
    prefill_values,
    read_answers,
)
from ..orders import Order
from ..schemas import enums
from ..terms import Offer

__all__ = [
    "ApplicationForm",
    "CancelForm",
    "PreviousAddressForm",
    "answers_from",
    "choice",
    "form_values",
    "prefill",
]

#: WTForms 3.3 names its choices; older releases take (value, label) pairs
_Choice: Any = getattr(wtforms, "SelectChoice", None)


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


class ApplicationForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    """Every field the form may show; ``asked_fields`` says which are shown for an order.

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
    #: typed, with the gov.uk list as a type-ahead <datalist> (works without JavaScript);
    #: the schema checks the value against that list
    nationality = StringField("Nationality")
    term = RadioField(
        "How many months would you like to spread the cost over?", validate_choice=False
    )
    instalment_day = SelectField(
        "Which day of the month should payments be taken?",
        choices=_choices(INSTALMENT_DAYS, "Choose a day…"),
        validate_choice=False,
    )
    add_address = SubmitField("Add another previous address")
    submit = SubmitField("Continue to DivideBuy")

    def setup(self, offer: Offer) -> None:
        """Fill the choices that depend on the request: the offer's terms."""
        self.term.choices = [choice(str(term.months), term.label) for term in offer.choices]


class CancelForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    """The "Cancel this application" form on the return page: only its CSRF token is checked."""


def prefill(form: ApplicationForm, order: Order, asked: Collection[str]) -> None:
    """Put the order's own values into the fields asked because they need correcting."""
    for name, value in prefill_values(order, asked).items():
        getattr(form, name).data = value


def form_values(form: ApplicationForm) -> dict[str, object]:
    """The form's data in the flat shape the core reads (``previous-<row>-<name>`` for rows).

    Rows are numbered by position, as the template numbers their inputs, so the
    core's row numbers are the ids the error summary links to.
    """
    data: dict[str, object] = dict(form.data)
    rows = data.pop("previous", None)
    for position, row in enumerate(rows if isinstance(rows, list) else []):
        for name, value in row.items() if isinstance(row, dict) else ():
            data[f"previous-{position}-{name}"] = value
    return data


def answers_from(form: ApplicationForm, asked: Collection[str]) -> Answers:
    """The :class:`~dividebuy_checkout.checkout.answers.Answers` the form holds."""
    return read_answers(form_values(form), asked)
