"""The REC+ fake of tests/integrations (one per session, reset for each test): the plugin
app needs a platform for its webhooks and bridge page."""

from __future__ import annotations

from integrations.conftest import recplus, recplus_server

__all__ = ["recplus", "recplus_server"]
