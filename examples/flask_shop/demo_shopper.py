"""The example shop's demo shopper: what she types at checkout and on the application form.

Shared by the tests, the benches and anyone trying the shop by hand, so there is
one Ada Lovelace, not several slightly different ones.
"""

from __future__ import annotations

#: the shop's own checkout form (name, contact, address)
CUSTOMER: dict[str, str] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "mobile_number": "07400 123456",
    "house_number": "12",
    "address_line_1": "Acacia Avenue",
    "town": "Leeds",
    "postcode": "LS1 4AP",
}

#: the DivideBuy application form: a shopper who has lived 5 years at her address
ANSWERS: dict[str, str] = {
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
