"""DiSeller's ``X-DiSeller-Signature``: the one place that signs and verifies webhook bodies.

DiSeller's document (seed 002:179) only says "Verify webhook signatures to ensure
requests are coming from DiSeller. Check the X-DiSeller-Signature header on each
webhook request" — no scheme, secret or timestamp. The whole document follows
Stripe (``evt_`` ids, ``data.object``, ``has_more``, the ``error`` envelope), so
we read it as Stripe's scheme (ADAPTERS.md §3.3, Q-D6; ``docs/assumptions.md``)::

    X-DiSeller-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]
    <hex> = lower-case hex(HMAC-SHA256(key=endpoint secret (UTF-8), msg=b"<t>." + raw body))

Why each rule:

- the MAC covers the **raw bytes** (verified before anything is parsed), so a
  body re-serialised by a proxy or a parser quirk never passes;
- the timestamp is signed and must be within the tolerance (300 s) of our clock,
  either way, so a captured delivery cannot be replayed later (event-id dedupe
  is the second line);
- several ``v1`` values (DiSeller signing with an old and a new secret while it
  rotates) and several configured secrets (ours, while we rotate) are both
  accepted: any ``v1`` matching any secret passes;
- parsing is tolerant (spaces, unknown keys such as ``v0=``) because a scheme we
  guessed must not break on a harmless variation; it is strict on what matters
  (exactly one integer ``t``, hex ``v1`` values);
- every comparison is ``hmac.compare_digest`` and every pair is compared, so the
  time taken does not say which secret or value came close.

``SCHEME_HEX_BODY`` (``DIVIDEBUY_DISELLER_SIGNATURE_SCHEME = "hex-body"``) is the
kept alternative: the header is the bare hex HMAC of the raw body; with no signed
timestamp, replays are caught by the event-id dedupe and the ``created`` age
check in :mod:`.webhooks` instead.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_TOLERANCE",
    "HEADER",
    "SCHEMES",
    "SCHEME_HEX_BODY",
    "SCHEME_T_V1",
    "ParsedSignature",
    "SignatureInvalid",
    "compute",
    "parse_header",
    "sign",
    "verify",
]

#: the header DiSeller names (002:179)
HEADER = "X-DiSeller-Signature"
#: Stripe's scheme, the default reading
SCHEME_T_V1 = "t-v1"
#: the alternative: hex HMAC-SHA256 of the raw body, no timestamp
SCHEME_HEX_BODY = "hex-body"
SCHEMES = (SCHEME_T_V1, SCHEME_HEX_BODY)
#: seconds a signed timestamp may be away from our clock, either way (Stripe's default)
DEFAULT_TOLERANCE = 300

# a header longer than this is not a signature (bounds the work done on junk)
_MAX_HEADER = 4096
# more v1 values than this is not rotation
_MAX_SIGNATURES = 8
_HEX_LENGTH = 64
_HEX = frozenset("0123456789abcdef")


class SignatureInvalid(ValueError):
    """The delivery is not signed by a configured secret; ``reason`` is safe to log.

    The reason never contains a secret, a signature value or the body.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedSignature:
    """The parts of a ``t=…,v1=…`` header that matter; unknown keys are dropped."""

    timestamp: int
    signatures: tuple[str, ...]


def _is_hex(value: str) -> bool:
    return len(value) == _HEX_LENGTH and set(value) <= _HEX


def parse_header(value: str | None) -> ParsedSignature:
    """``" t=1700000000, v1=ab…,v0=…"`` → ``ParsedSignature(1700000000, ("ab…",))``.

    Raises :class:`SignatureInvalid` when the header is missing, has no ``t`` or
    more than one, a non-integer ``t``, or no well-formed ``v1``. ``v1`` values
    that are not 64 lower-case hex digits are dropped (they cannot match).
    """
    if value is None or not value.strip():
        raise SignatureInvalid(f"no {HEADER} header")
    if len(value) > _MAX_HEADER:
        raise SignatureInvalid(f"{HEADER} header too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in value.split(","):
        key, sep, item = part.partition("=")
        if not sep:
            continue
        key, item = key.strip(), item.strip()
        if key == "t":
            timestamps.append(item)
        elif key == "v1" and _is_hex(item):
            signatures.append(item)
    if not timestamps:
        raise SignatureInvalid("signature has no timestamp (t=)")
    if len(timestamps) > 1:
        raise SignatureInvalid("signature has more than one timestamp (t=)")
    stamp = timestamps[0]
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise SignatureInvalid("signature timestamp (t=) is not Unix seconds")
    if not signatures:
        raise SignatureInvalid("signature has no usable v1= value")
    return ParsedSignature(int(stamp), tuple(signatures[:_MAX_SIGNATURES]))


def compute(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The lower-case hex HMAC-SHA256 of ``b"<timestamp>." + body`` (or of *body* alone
    when *timestamp* is ``None``: the ``hex-body`` scheme) keyed with *secret*."""
    message = body if timestamp is None else f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(
    body: bytes,
    secret: str | Sequence[str],
    timestamp: int | None = None,
    *,
    scheme: str = SCHEME_T_V1,
) -> str:
    """The header value DiSeller would send for *body* (the fake and the tests use this).

    Several secrets give several ``v1`` values (DiSeller rotating). *timestamp*
    defaults to now.
    """
    keys = [secret] if isinstance(secret, str) else list(secret)
    if scheme == SCHEME_HEX_BODY:
        return ",".join(compute(body, key) for key in keys)
    if scheme != SCHEME_T_V1:
        raise ValueError(f"unknown signature scheme {scheme!r}; use one of {SCHEMES}")
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={stamp}", *(f"v1={compute(body, key, stamp)}" for key in keys)])


def _any_match(given: Iterable[str], expected: Iterable[str]) -> bool:
    """Compare every pair in constant time (no early exit): any equal pair matches."""
    matched = False
    wanted = [value.encode() for value in expected]
    for value in given:
        raw = value.encode()
        for candidate in wanted:
            matched |= hmac.compare_digest(raw, candidate)
    return matched


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    scheme: str = SCHEME_T_V1,
) -> int | None:
    """Check *header* against the raw *body* and the configured *secrets*.

    Returns the signed timestamp (``None`` for ``hex-body``, which has none).
    Raises :class:`SignatureInvalid` when no secret is configured, the header is
    missing or malformed, the timestamp is more than *tolerance* seconds away
    from *now* (either way), or no ``v1`` matches any secret.
    """
    keys = [key for key in secrets if key]
    if not keys:
        raise SignatureInvalid("no webhook secret is configured")
    if scheme == SCHEME_HEX_BODY:
        given = [part.strip() for part in (header or "").split(",")]
        given = [value for value in given if _is_hex(value)][:_MAX_SIGNATURES]
        if not given:
            raise SignatureInvalid(f"no usable {HEADER} header")
        if not _any_match(given, [compute(body, key) for key in keys]):
            raise SignatureInvalid("no signature matches a configured secret")
        return None
    if scheme != SCHEME_T_V1:
        raise SignatureInvalid(f"unknown signature scheme {scheme!r}")
    parsed = parse_header(header)
    current = time.time() if now is None else now
    if abs(current - parsed.timestamp) > tolerance:
        raise SignatureInvalid(
            f"signature timestamp is {int(current - parsed.timestamp)} s away "
            f"from now (tolerance {tolerance} s)"
        )
    expected = [compute(body, key, parsed.timestamp) for key in keys]
    if not _any_match(parsed.signatures, expected):
        raise SignatureInvalid("no signature matches a configured secret")
    return parsed.timestamp
