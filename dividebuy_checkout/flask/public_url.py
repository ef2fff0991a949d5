"""The shop's public address: what DivideBuy is told to send the shopper back to.

The return URL (``order.redirect_url``) goes to DivideBuy inside the quote, and DivideBuy
later sends the shopper there. Built from the request's ``Host`` header, a request
sent with ``Host: evil.example`` would make DivideBuy send a shopper (and their signed
return reference) to another site. So:

- ``DIVIDEBUY_PUBLIC_URL`` (e.g. ``https://shop.example``, or ``https://example.com/shop``
  when the app is mounted under a path) builds every return URL; the request's host is
  never used. In ``live`` the checkout refuses to start without it (and it must be
  ``https://``).
- Without it (``sandbox``/``local`` only), the request's host is used, but only when it
  matches ``app.config["SERVER_NAME"]`` and Flask's ``TRUSTED_HOSTS`` where those are
  set; a submit from any other host is refused and nothing is sent to DivideBuy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from werkzeug.sansio.utils import host_is_trusted

from ..config import ConfigurationError

__all__ = [
    "PUBLIC_URL_KEY",
    "check_public_url",
    "external_url",
    "host_refusal",
    "require_public_url",
]

#: the setting (declared by the checkout part, flask/checkout.py)
PUBLIC_URL_KEY = "DIVIDEBUY_PUBLIC_URL"


def check_public_url(value: str | None) -> str | None:
    """*value* as a base URL (scheme, host, optional path; no query, fragment or user),
    without its trailing slash, so a route's path can be appended to it."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be the shop's address, like https://shop.example")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be a plain base URL (no query, fragment or user name)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def require_public_url(app: Flask, environment: str) -> None:
    """Refuse to start a ``live`` checkout without an ``https://`` public URL."""
    if environment != "live":
        return
    base = app.config.get(PUBLIC_URL_KEY)
    if not base:
        raise ConfigurationError(
            f"{PUBLIC_URL_KEY} is required in live: DivideBuy sends shoppers back to it, so it "
            "must never be taken from a request's Host header (e.g. https://shop.example).",
            key=PUBLIC_URL_KEY,
        )
    if not str(base).startswith("https://"):
        raise ConfigurationError(
            f"{PUBLIC_URL_KEY} must be https:// in live (shoppers come back with a signed "
            "reference).",
            key=PUBLIC_URL_KEY,
        )


def host_refusal() -> str | None:
    """Why this request's host must not go to DivideBuy, or None when it may.

    Only asked without ``DIVIDEBUY_PUBLIC_URL`` (with it, the host is never used).
    Flask itself answers 400 to a host outside ``TRUSTED_HOSTS``; the check is repeated
    here so the rule does not depend on where Flask applies it.
    """
    config = current_app.config
    if config.get(PUBLIC_URL_KEY):
        return None
    host = request.host.lower()
    server_name = config.get("SERVER_NAME")
    trusted = config.get("TRUSTED_HOSTS")
    if (server_name and host != str(server_name).lower()) or (
        trusted is not None and not host_is_trusted(host, trusted)
    ):
        return (
            "This page was reached through an address the shop does not use, so nothing "
            "was sent to DivideBuy. Please use the shop's own address."
        )
    return None


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of *endpoint* on the shop's public address (else the request's)."""
    base = current_app.config.get(PUBLIC_URL_KEY)
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)  # the script root (mount path) plus the route
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root) :]
    return f"{base}{path}"
