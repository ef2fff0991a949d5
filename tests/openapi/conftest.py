"""The REC+ fake fixtures of tests/fuzz (the plugin app needs a platform for its webhooks)."""

from __future__ import annotations

from fuzz.conftest import recplus, recplus_server

__all__ = ["recplus", "recplus_server"]
