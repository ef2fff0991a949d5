"""Signed, expiring references: the only thing the return route trusts in a request.

``order.redirect_url`` must be given when the quote is *requested*, before
DivideBuy has named the quote, so the return URL cannot carry the quote id.
It carries a random *return reference* instead, recorded with the checkout,
together with the order id, both signed with the app's secret key by
:mod:`itsdangerous` (HMAC-SHA1 over a timestamped payload; no hand-rolled
crypto). On the way back the signature and age are checked, the reference is
looked up, and the order id must match the record: a forged, foreign or expired
link is refused before anything is read or written.

Links that start a checkout (``/apply/<token>``) are signed the same way with
another salt, so one kind can never be used as the other, and an order's
application form (which shows its customer's name and address) cannot be
opened by guessing an order id.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

from .errors import BadReference

__all__ = ["RETURN_SALT", "START_SALT", "ReferenceSigner", "ReturnReference", "new_return_ref"]

RETURN_SALT = "dividebuy-checkout.return"
START_SALT = "dividebuy-checkout.start"


@dataclass(frozen=True)
class ReturnReference:
    """What a verified return link names: the order and the checkout's return reference."""

    order_id: str
    return_ref: str


def new_return_ref() -> str:
    """A fresh, unguessable return reference (128 bits)."""
    return secrets.token_urlsafe(16)


class ReferenceSigner:
    """Sign and verify return and start references with the app's secret key(s).

    *secret_keys* is the current key, or a list ending with it: older keys (Flask's
    ``SECRET_KEY_FALLBACKS``) still verify, so rotating the key does not break
    shoppers who are at DivideBuy at that moment.
    """

    def __init__(
        self,
        secret_keys: str | bytes | Sequence[str | bytes],
        *,
        return_max_age: int,
        start_max_age: int,
    ) -> None:
        keys = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
        if not keys or not all(keys):
            raise ValueError("A secret key is needed to sign checkout links.")
        # itsdangerous turns each key into bytes itself; its annotation takes all-str or
        # all-bytes keys, so a mixed list is converted here exactly as it would convert it
        signing_keys = [want_bytes(key) for key in keys]
        self._return = URLSafeTimedSerializer(signing_keys, salt=RETURN_SALT)
        self._start = URLSafeTimedSerializer(signing_keys, salt=START_SALT)
        self.return_max_age = int(return_max_age)
        self.start_max_age = int(start_max_age)

    def __repr__(self) -> str:
        return f"ReferenceSigner(return_max_age={self.return_max_age})"

    # -- return links ------------------------------------------------------------------------

    def sign_return(self, order_id: str, return_ref: str) -> str:
        return self._return.dumps({"o": order_id, "r": return_ref})

    def verify_return(self, token: Any) -> ReturnReference:
        """The reference in *token*; raises :class:`BadReference` (forged or expired)."""
        data = _load(self._return, token, self.return_max_age)
        order_id, return_ref = data.get("o"), data.get("r")
        if not isinstance(order_id, str) or not isinstance(return_ref, str):
            raise BadReference("forged")
        return ReturnReference(order_id, return_ref)

    # -- start links -------------------------------------------------------------------------

    def sign_start(self, order_id: str) -> str:
        return self._start.dumps({"o": order_id})

    def verify_start(self, token: Any) -> str:
        """The order id in a start link; raises :class:`BadReference`."""
        order_id = _load(self._start, token, self.start_max_age).get("o")
        if not isinstance(order_id, str):
            raise BadReference("forged")
        return order_id


def _load(serializer: URLSafeTimedSerializer, token: Any, max_age: int) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > 1024:
        raise BadReference("forged")
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise BadReference("expired") from None
    except (BadData, UnicodeDecodeError, ValueError):
        raise BadReference("forged") from None
    if not isinstance(data, dict):
        raise BadReference("forged")
    return data
