"""`handoff rules check|simulate`: validate the policy and dry-run it over real leads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from schemas import SourcePosition
from streams.cli.options import policy_at
from streams.core.settings import load_settings
from streams.logic.accounts import EMPTY_INDEX, AccountIndex, build_index
from streams.logic.enrich import AccountMatcher, Enricher
from streams.logic.policy import PolicyError
from streams.logic.policy_file import load_policy


@click.group()
def rules() -> None:
    """The qualification policy: check it, and dry-run it over real leads."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def rules_check(file: Path | None) -> None:
    """Validate a policy file (default: the configured or shipped policy); list every error with its line."""
    try:
        policy = load_policy(file or load_settings().policy.rules_file)
    except PolicyError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(
        f"ok: {policy.version} ({len(policy.rules)} rules, {len(policy.disqualify)} disqualifiers, "
        f"{len(policy.routing)} routes, {len(policy.queues)} queues, {len(policy.reps)} reps)"
    )


def _file_messages(path: Path) -> list[tuple[SourcePosition, bytes | None]]:
    data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    if data.lstrip().startswith(b"["):
        import orjson

        try:
            items = [orjson.dumps(x) for x in orjson.loads(data)]
        except orjson.JSONDecodeError as exc:
            raise click.ClickException(f"{path}: not a JSON array: {exc}") from None
    else:
        items = [line.strip() for line in data.splitlines() if line.strip()]
    return [(SourcePosition(topic=str(path), partition=0, offset=i), m) for i, m in enumerate(items)]


def _index(accounts_csv: Path | None, database_url: str | None, fuzzy_min: float) -> AccountIndex:
    if accounts_csv is not None:
        from streams.desk.accounts_csv import read_accounts

        rows, errors = read_accounts(accounts_csv)
        if errors:
            raise click.ClickException("\n".join(errors))
        return build_index(rows, fuzzy_min=fuzzy_min)
    if database_url is not None:
        from sinks.preflight import require_store
        from streams.desk.account_index import load_index

        require_store(database_url)  # asked for by name: an unreadable one is an error, not "no accounts"
        return load_index(database_url, fuzzy_min=fuzzy_min)
    return EMPTY_INDEX


@rules.command("simulate")
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy to try (default: the configured or shipped policy).",
)
@click.option(
    "--leads",
    "leads_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="JSON-lines (or JSON array) file of leads, as sent to leads.submitted.",
)
@click.option("--from-topic", "topic", help="Replay this topic from the beginning instead of a file.")
@click.option(
    "--against",
    "against_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Shadow mode: compare with this policy (the current one) and list what would change.",
)
@click.option(
    "--accounts",
    "accounts_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Match leads against the accounts in this CSV file.",
)
@click.option("--db", "database_url", help="Match leads against the accounts table of this database.")
@click.option("--limit", default=50, show_default=True, help="Changed leads to list in shadow mode.")
@click.option("--show-rotation", is_flag=True, help="Also list leads whose only change is a rotation shift.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def rules_simulate(
    rules_file: Path | None,
    leads_file: Path | None,
    topic: str | None,
    against_file: Path | None,
    accounts_csv: Path | None,
    database_url: str | None,
    limit: int,
    show_rotation: bool,
    as_json: bool,
) -> None:
    """Dry-run a policy over leads offline: outcomes, queues, rule hits, scores; --against diffs two."""
    from streams.cli.simulate_report import changes_json, render_diff, render_summary, summary_json
    from streams.logic.simulate import diff, prepare_all, run, summarise

    if (leads_file is None) == (topic is None):
        raise click.UsageError("give exactly one of --leads FILE or --from-topic TOPIC")
    settings = load_settings()
    candidate = policy_at(rules_file or settings.policy.rules_file)
    current = policy_at(against_file) if against_file else None
    if topic is not None:
        from streams.kafka.reach import require_broker
        from streams.kafka.replay import read_topic

        require_broker(settings.kafka.bootstrap_servers)
        messages = read_topic(settings.kafka.bootstrap_servers, topic)
    else:
        assert leads_file is not None  # noqa: S101 - checked above
        messages = _file_messages(leads_file)
    index = _index(accounts_csv, database_url, settings.policy.account_match_min)
    enrichers: list[Enricher] = [AccountMatcher(index)]
    prepared = prepare_all(messages, enrichers)
    rows = run(prepared, candidate)
    summary = summarise(rows)
    if current is None:
        click.echo(
            json.dumps(summary_json(summary, candidate.version), indent=2, ensure_ascii=False)
            if as_json
            else render_summary(summary, candidate.version)
        )
        return
    changes = diff(run(prepared, current), rows)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "candidate": summary_json(summary, candidate.version),
                    "current": current.version,
                    "changes": changes_json(changes),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo(render_summary(summary, candidate.version))
    click.echo("")
    click.echo(
        render_diff(
            changes, len(rows), current.version, candidate.version, limit=limit, rotation=show_rotation
        )
    )
