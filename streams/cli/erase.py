"""`handoff erase`: remove a person's data, keep anonymous counts."""

from __future__ import annotations

import click

from streams.cli.options import counted, open_desk


@click.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, yes: bool) -> None:
    """Erase a person's data from the sales queue store and announce it on the erasure topic.

    Counts stay (the rows are kept, anonymous). Safe to run again.
    """
    from sqlalchemy.orm import Session

    from sinks.erase import count_person
    from streams.client import DeliveryError
    from streams.logic.lead import lead_id_for
    from streams.logic.normalise import InvalidEmail, normalise_email

    try:
        address = normalise_email(email)
    except InvalidEmail as exc:
        raise click.ClickException(f"not an email address: {exc}") from None
    with open_desk() as desk:
        if not yes:
            with Session(desk.engine) as session:
                found = count_person(session=session, lead_id=lead_id_for(address), email=address)
            click.confirm(f"erase {counted(found, 'handoff')} of {email}?", abort=True)
        try:
            result, event = desk.erase(email)
        except InvalidEmail as exc:
            raise click.ClickException(f"not an email address: {exc}") from None
        except DeliveryError as exc:
            raise click.ClickException(
                f"erased in the database, but not announced ({exc}); run the command again"
            ) from None
    click.echo(
        f"erased {counted(result.queue_rows, 'handoff')} "
        f"({counted(result.ledger_rows, 'ledger entry', 'ledger entries')}) of "
        f"person {event.lead_id}; announced on {desk.settings.topics.erasure}"
    )
