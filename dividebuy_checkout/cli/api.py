"""Read-only DivideBuy commands: ``terms``, ``example``, ``quote show``."""

from __future__ import annotations

from decimal import Decimal

import click

from ..money import format_gbp
from .output import emit
from .params import MONEY, NEGATIVE_NUMBERS_AS_ARGUMENTS
from .runtime import Runtime, pass_runtime

__all__ = ["commands", "example", "quote", "terms"]

json_option = click.option("--json", "json_output", is_flag=True, help="Print JSON for scripts.")


@click.command(context_settings=NEGATIVE_NUMBERS_AS_ARGUMENTS)
@click.argument("amount", type=MONEY)
@json_option
@pass_runtime
def terms(runtime: Runtime, amount: Decimal, json_output: bool) -> None:
    """Show the instalment terms DivideBuy offers for AMOUNT pounds."""
    result = runtime.client.get_terms(amount)
    rows = [
        {
            "months": t.months_in_term,
            "type": t.type,
            "available": t.available,
            "rate %": t.interest_rate,
            "first": t.first_instalment_cost,
            "regular": t.regular_instalment_cost,
            "final": t.final_instalment_cost,
            "total to pay": t.total_to_pay,
            "interest": t.total_interest,
            "spend": f"{format_gbp(t.minimum_spend)}–{format_gbp(t.maximum_spend)}",
        }
        for t in result.terms
    ]
    data = {
        "order_value": result.order_value,
        "terms": [{**t.__dict__, "interest_free": t.interest_free} for t in result.terms],
    }
    emit(data, json_output=json_output, table=rows)


@click.command(context_settings=NEGATIVE_NUMBERS_AS_ARGUMENTS)
@click.argument("amount", type=MONEY)
@click.argument("term", type=click.IntRange(min=1))
@json_option
@pass_runtime
def example(runtime: Runtime, amount: Decimal, term: int, json_output: bool) -> None:
    """Show the representative example for AMOUNT pounds over TERM months."""
    result = runtime.client.get_representative_example(amount, term)
    data = {"amount": result.amount, "term": result.term, "apr": result.apr, "html": result.html}
    emit(data, json_output=json_output)


@click.group()
def quote() -> None:
    """Look at quotes."""


@quote.command("show")
@click.argument("quote_id")
@json_option
@pass_runtime
def quote_show(runtime: Runtime, quote_id: str, json_output: bool) -> None:
    """Show a quote as DivideBuy holds it now."""
    result = runtime.client.get_quote(quote_id)
    emit(dict(result.__dict__), json_output=json_output)


commands = [terms, example, quote]
