"""``dividebuy-checkout sandbox``: run the local DivideBuy on loopback."""

from __future__ import annotations

from dataclasses import replace

import click

__all__ = ["commands", "sandbox"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token-lifetime", type=click.IntRange(min=1), default=None, help="Seconds a token lives."
)
@click.option(
    "--latency", type=click.FloatRange(min=0), default=None, help="Seconds added to every reply."
)
def sandbox(host: str, port: int, token_lifetime: int | None, latency: float | None) -> None:
    """Run the local DivideBuy sandbox (stateful, with magic values; see docs/sandbox.md)."""
    from ..sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig()
    if token_lifetime is not None:
        config = replace(config, token_lifetime=token_lifetime)
    if latency is not None:
        config = replace(config, latency=latency)
    try:
        server = SandboxServer(host, port, config, log_requests=True)
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    click.echo(f"DivideBuy sandbox listening on {server.url}")
    click.echo(
        f"Use it with: DIVIDEBUY_ENVIRONMENT=local DIVIDEBUY_BASE_URL={server.url} "
        "DIVIDEBUY_CLIENT_ID=demo DIVIDEBUY_CLIENT_SECRET=demo"
    )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")


commands = [sandbox]
