"""The demo shopper: what Ada Lovelace types at the shop's checkout and on the application form.

Shared by the example shop, the tests, the benches and anyone trying the shop by
hand against the sandbox, so there is one demo shopper, not several slightly
different ones. :data:`ANSWERS` uses the application form's field names
(:mod:`dividebuy_checkout.checkout.answers`), so it can be posted to the Flask
blueprint's form or read with :func:`~dividebuy_checkout.checkout.answers.read_answers`
in any other framework. The details are invented and pass the sandbox's checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ANSWERS", "CUSTOMER"]

#: the shop's own checkout form (name, contact, address)
CUSTOMER: Mapping[str, str] = MappingProxyType(
    {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "mobile_number": "07400 123456",
        "house_number": "12",
        "address_line_1": "Acacia Avenue",
        "town": "Leeds",
        "postcode": "LS1 4AP",
    }
)

#: the DivideBuy application form: a shopper who has lived 5 years at her address
ANSWERS: Mapping[str, str] = MappingProxyType(
    {
        "title": "Ms",
        "dob_day": "23",
        "dob_month": "7",
        "dob_year": "1985",
        "nationality": "British",
        "address_years": "5",
        "address_months": "2",
        "income_type": "Employed full-time",
        "residential_status": "No, renting",
        "rent": "650",
        "term": "12",
        "instalment_day": "28",
    }
)
