"""``RecPlusFakeServer``: the REC+ fake on a loopback port (a shared ``FakeServer``)."""

from __future__ import annotations

from ..._fakeserver import FakeServer
from .app import API_PREFIX, RecPlusFakeApp
from .state import FakeConfig, RecPlusFakeState

__all__ = ["RecPlusFakeServer"]


class RecPlusFakeServer(FakeServer[RecPlusFakeApp]):
    """A REC+ site on ``host:port``; :attr:`api_url` is what ``RecPlusOrderSource`` takes."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: FakeConfig | None = None,
        *,
        log_requests: bool = False,
    ) -> None:
        super().__init__(
            RecPlusFakeApp(RecPlusFakeState(config)), host, port, log_requests=log_requests
        )

    @property
    def state(self) -> RecPlusFakeState:
        return self.app.state

    @property
    def api_url(self) -> str:
        """The shop's ``https://{DOMAIN}/api/v1``, here on loopback."""
        return self.url + API_PREFIX
