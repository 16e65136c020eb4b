"""`handoff erase`: remove a person's data, keep anonymous counts."""

from __future__ import annotations

import click

from streams.cli.options import open_desk


@click.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, yes: bool) -> None:
    """Erase a person's data from the sales queue store and announce it on the erasure topic.

    Counts stay (the rows are kept, anonymous). Safe to run again.
    """
    from streams.client import DeliveryError
    from streams.logic.normalise import InvalidEmail

    if not yes:
        click.confirm(f"erase every handoff of {email}?", abort=True)
    with open_desk() as desk:
        try:
            result, event = desk.erase(email)
        except InvalidEmail as exc:
            raise click.ClickException(f"not an email address: {exc}") from None
        except DeliveryError as exc:
            raise click.ClickException(
                f"erased in the database, but not announced ({exc}); run the command again"
            ) from None
    click.echo(
        f"erased {result.queue_rows} handoffs ({result.ledger_rows} ledger entries) of "
        f"person {event.lead_id}; announced on {desk.settings.topics.erasure}"
    )
