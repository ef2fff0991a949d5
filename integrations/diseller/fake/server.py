"""``DiSellerFakeServer``: the DiSeller fake on a loopback port (a shared ``FakeServer``)."""

from __future__ import annotations

from collections.abc import Callable

from ..._fakeserver import FakeServer
from .app import API_PREFIX, DiSellerFakeApp
from .state import DiSellerFakeConfig, DiSellerFakeState

__all__ = ["DiSellerFakeServer"]


class DiSellerFakeServer(FakeServer[DiSellerFakeApp]):
    """A DiSeller account on ``host:port``; :attr:`api_url` is the source's ``base_url``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: DiSellerFakeConfig | None = None,
        *,
        clock: Callable[[], float] | None = None,
        log_requests: bool = False,
    ) -> None:
        state = (
            DiSellerFakeState(config) if clock is None else DiSellerFakeState(config, clock=clock)
        )
        super().__init__(DiSellerFakeApp(state), host, port, log_requests=log_requests)

    @property
    def state(self) -> DiSellerFakeState:
        return self.app.state

    @property
    def api_url(self) -> str:
        """DiSeller's ``https://api.diseller.com/v1``, here on loopback."""
        return self.url + API_PREFIX
