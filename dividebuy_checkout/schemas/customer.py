"""``customer``: the applicant, their current address and their address history.

Readings of the document's slips (``docs/wire.md``), applied here:

- ``customer.customer.ip_address`` and ``customer.customer.nationality`` are read as
  ``customer.ip_address`` and ``customer.nationality``;
- ``customer.rent`` is whole pounds (an integer), required unless the residential
  status is "Yes, outright owner" or "No, other".

Address history: the current address gives exactly one of ``time_at_address``
(``YY-MM``) or ``move_in_date`` (``YYYY-MM-DD``); every previous address gives the
same one (the document: each is "required, if the ... is set on the customer's
current address"). Together they must cover at least
``ValidationConfig.min_history_months`` (36 unless configured).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from marshmallow import ValidationError, validates_schema

from . import rules
from ._base import ConfiguredNested, QuoteSchemaBase, RuleField, given, nested_list, quietly
from .enums import RENT_NOT_REQUIRED
from .history import history_months_from_durations, history_months_from_move_in

__all__ = ["MOVE_IN", "TIME", "CurrentAddressSchema", "CustomerSchema", "PreviousAddressSchema"]

TIME = "time_at_address"
MOVE_IN = "move_in_date"


class _AddressSchema(QuoteSchemaBase):
    house_number = RuleField(rules.HOUSE_NUMBER)
    house_name = RuleField(rules.HOUSE_NAME)
    address_line_1 = RuleField(rules.ADDRESS_LINE_1)
    address_line_2 = RuleField(rules.ADDRESS_LINE_2)
    address_line_3 = RuleField(rules.ADDRESS_LINE_3)
    county = RuleField(rules.COUNTY)
    time_at_address = RuleField(rules.TIME_AT_ADDRESS)
    move_in_date = RuleField(rules.MOVE_IN_DATE)


class CurrentAddressSchema(_AddressSchema):
    """``customer.address``: town required (at most 25), a UK postcode, one of the two times."""

    town = RuleField(rules.TOWN)
    postcode = RuleField(rules.POSTCODE)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _exactly_one_time(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        # On the address itself (customer.address): neither field alone is at fault.
        if not isinstance(original, Mapping):
            return
        has_time, has_move_in = given(original, TIME), given(original, MOVE_IN)
        if has_time and has_move_in:
            raise ValidationError(rules.ADDRESS_TIME_BOTH)
        if not has_time and not has_move_in:
            raise ValidationError(rules.ADDRESS_TIME_NEITHER)


class PreviousAddressSchema(_AddressSchema):
    """``customer.previous_addresses.*``: town optional (at most 50), any postcode.

    Which of the two times is required depends on the current address, so it is
    checked by :class:`CustomerSchema`.
    """

    town = RuleField(rules.PREVIOUS_TOWN)
    postcode = RuleField(rules.PREVIOUS_POSTCODE)


class CustomerSchema(QuoteSchemaBase):
    """``customer``."""

    title = RuleField(rules.TITLE)
    first_name = RuleField(rules.FIRST_NAME)
    last_name = RuleField(rules.LAST_NAME)
    date_of_birth = RuleField(rules.DATE_OF_BIRTH)
    mobile_number = RuleField(rules.MOBILE_NUMBER)
    address = ConfiguredNested(
        CurrentAddressSchema, required=True, required_message=rules.ADDRESS_REQUIRED
    )
    previous_addresses = nested_list(PreviousAddressSchema, required_message=rules.NOT_A_LIST)
    income_type = RuleField(rules.INCOME_TYPE)
    residential_status = RuleField(rules.RESIDENTIAL_STATUS)
    ip_address = RuleField(rules.IP_ADDRESS)
    rent = RuleField(rules.RENT)
    nationality = RuleField(rules.NATIONALITY)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _cross_field(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        # Read from the raw input, so that list indices are the shopper's own and a
        # field's own error (already reported) is never repeated here.
        if not isinstance(original, Mapping):
            return
        errors: dict[str, Any] = {}
        status = quietly(rules.RESIDENTIAL_STATUS, original.get("residential_status"))
        if status is not None and status not in RENT_NOT_REQUIRED and not given(original, "rent"):
            errors["rent"] = [rules.RENT_REQUIRED]
        errors.update(self._history_errors(original))
        if errors:
            raise ValidationError(errors)

    def _history_errors(self, original: Mapping[str, Any]) -> dict[str, Any]:
        address = original.get("address")
        previous = original.get("previous_addresses")
        if previous is None:
            previous = []
        if not isinstance(address, Mapping) or not isinstance(previous, Sequence):
            return {}
        if isinstance(previous, str):
            return {}
        has_time, has_move_in = given(address, TIME), given(address, MOVE_IN)
        if has_time == has_move_in:
            return {}  # the current address reports "neither" or "both" itself
        config = self.rules_config
        if has_time:
            per_address, months = self._durations(address, previous)
        else:
            per_address, months = self._move_ins(address, previous, config.today_date())
        if per_address:
            return {"previous_addresses": per_address}
        if months is not None and months < config.min_history_months:
            # On the list (customer.previous_addresses): the shopper adds an address.
            return {"previous_addresses": [rules.history_shortfall(config.min_history_months)]}
        return {}

    @staticmethod
    def _durations(
        address: Mapping[str, Any], previous: Sequence[Any]
    ) -> tuple[dict[int, dict[str, list[str]]], int | None]:
        errors: dict[int, dict[str, list[str]]] = {}
        durations = [quietly(rules.TIME_AT_ADDRESS, address.get(TIME))]
        for index, item in enumerate(previous):
            if not isinstance(item, Mapping):
                durations.append(None)
                continue
            if not given(item, TIME):
                errors.setdefault(index, {})[TIME] = [rules.PREVIOUS_TIME_MISSING]
            if given(item, MOVE_IN):
                errors.setdefault(index, {})[MOVE_IN] = [rules.PREVIOUS_OTHER_FORM]
            durations.append(quietly(rules.TIME_AT_ADDRESS, item.get(TIME)))
        if errors or None in durations:
            return errors, None
        return errors, history_months_from_durations(durations)

    @staticmethod
    def _move_ins(
        address: Mapping[str, Any], previous: Sequence[Any], today: date
    ) -> tuple[dict[int, dict[str, list[str]]], int | None]:
        errors: dict[int, dict[str, list[str]]] = {}

        def moved(raw: Any) -> date | None:
            text = quietly(rules.MOVE_IN_DATE, raw, today=today)
            return None if text is None else date.fromisoformat(text)

        current = moved(address.get(MOVE_IN))
        dates = [current]
        for index, item in enumerate(previous):
            if not isinstance(item, Mapping):
                dates.append(None)
                continue
            if not given(item, MOVE_IN):
                errors.setdefault(index, {})[MOVE_IN] = [rules.PREVIOUS_MOVE_IN_MISSING]
            if given(item, TIME):
                errors.setdefault(index, {})[TIME] = [rules.PREVIOUS_OTHER_FORM]
            earlier = moved(item.get(MOVE_IN))
            if earlier is not None and current is not None and earlier >= current:
                errors.setdefault(index, {})[MOVE_IN] = [rules.PREVIOUS_MOVE_IN_NOT_BEFORE]
            dates.append(earlier)
        if errors or None in dates:
            return errors, None
        return errors, history_months_from_move_in([d for d in dates if d is not None], today)
