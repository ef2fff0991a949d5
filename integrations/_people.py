"""The shopper as a platform knows them: title, name split, mobile, UK address gate.

Every helper here errs towards asking: the application form asks for whatever
is ``None``. A guess that is wrong would go into a credit search, so names are
split only when unambiguous, and a non-UK address is never pre-filled.
Nothing here logs anything: these values are personal data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from marshmallow import ValidationError

from ..schemas import enums
from ..schemas.rules import normalise_uk_mobile
from .assumptions import UK_COUNTRY_NAMES

__all__ = ["MASK", "is_uk_country", "mask_fields", "match_title", "pick_mobile", "split_full_name"]

#: What a masked personal value shows as (``order show --raw``).
MASK = "***"


def match_title(value: object) -> str | None:
    """DivideBuy's spelling of a title (``"mr."`` → ``"Mr"``), or ``None`` when unknown."""
    if not isinstance(value, str):
        return None
    return enums.match_choice(value.strip().removesuffix("."), enums.TITLES)


def split_full_name(full_name: object) -> tuple[str | None, str | None, str | None]:
    """``(title, first, last)`` from one full-name string.

    A leading title token is taken off; then exactly two tokens are first and
    last name, anything else gives ``None`` for both (never guess between a
    middle name and a surname particle: the surname drives the credit search).
    """
    if not isinstance(full_name, str):
        return None, None, None
    tokens = full_name.split()
    title = match_title(tokens[0]) if tokens else None
    if title is not None and len(tokens) > 1:
        tokens = tokens[1:]
    else:
        title = None
    if len(tokens) == 2:
        return title, tokens[0], tokens[1]
    return title, None, None


def pick_mobile(candidates: Iterable[object]) -> str | None:
    """The first UK mobile among *candidates* (normalised ``07…``).

    Else the first non-blank candidate as given (the form shows it with "Enter a
    UK mobile number"), else ``None``.
    """
    first_raw: str | None = None
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            return normalise_uk_mobile(candidate)
        except ValidationError:
            if first_raw is None:
                first_raw = candidate.strip()
    return first_raw


def is_uk_country(country: object) -> bool:
    """Whether a platform's country name marks a UK address."""
    return isinstance(country, str) and " ".join(country.split()).casefold() in UK_COUNTRY_NAMES


def mask_fields(
    value: Any,
    fields: Collection[str],
    *,
    widen: Mapping[str, Collection[str]] | None = None,
) -> Any:
    """A copy of a platform body with the value of every key in *fields* shown as :data:`MASK`.

    A blank value stays blank, so the operator still sees what the platform left out.
    *widen* names objects whose whole subtree masks more keys (DiSeller's ``customer``
    object, whose ``name`` is the shopper's while a product's ``name`` is not).
    """
    if isinstance(value, Mapping):
        masked: dict[Any, Any] = {}
        for key, item in value.items():
            if key in fields:
                masked[key] = MASK if item not in (None, "", {}, []) else item
            else:
                inner = fields
                if widen is not None and key in widen:
                    inner = frozenset(fields) | frozenset(widen[key])
                masked[key] = mask_fields(item, inner, widen=widen)
        return masked
    if isinstance(value, list):
        return [mask_fields(item, fields, widen=widen) for item in value]
    return value
