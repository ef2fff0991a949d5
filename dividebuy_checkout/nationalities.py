"""The nationalities DivideBuy accepts for ``customer.nationality``.

Origin of ``data/uk-nationalities.txt``: the 224 names of the UK government's
publication "Nationalities: list of nationalities"
(https://www.gov.uk/government/publications/nationalities/list-of-nationalities),
one a line, in the publication's order, as transcribed by a public UK government
service repository. The document says the value "must ... match an existing
nationality found in this list".

"Stateless" appears in some copies of the list and not in others. It is **not** in
our copy, and we do not accept it: DivideBuy requires a value from the published
list, and sending a value it may not hold would turn an application into a
rejected request. A stateless shopper cannot apply through this checkout.

Matching is exact after trimming surrounding whitespace; a match that differs
only in letter case (or in repeated inner spaces) is normalised to the listed
spelling (``"new zealander"`` is sent as ``"New Zealander"``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["is_nationality", "nationalities", "normalise_nationality"]

_RESOURCE = "data/uk-nationalities.txt"


@cache
def nationalities() -> tuple[str, ...]:
    """Every listed nationality, in the publication's order."""
    text = resources.files("dividebuy_checkout").joinpath(_RESOURCE).read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@cache
def _by_key() -> dict[str, str]:
    return {" ".join(name.split()).casefold(): name for name in nationalities()}


def normalise_nationality(value: object) -> str | None:
    """The listed spelling of *value*, or ``None`` if it is not a listed nationality."""
    if not isinstance(value, str):
        return None
    trimmed = value.strip()
    if trimmed in _exact():
        return trimmed
    return _by_key().get(" ".join(trimmed.split()).casefold())


def is_nationality(value: object) -> bool:
    """Whether *value* names a listed nationality (after trimming; any letter case)."""
    return normalise_nationality(value) is not None


@cache
def _exact() -> frozenset[str]:
    return frozenset(nationalities())
