"""Every command against each user-side failure: one `handoff:` line, a documented exit code, no traceback.

Run in-process with click's runner (the same entry point and error handling as the
installed `handoff`), so the whole matrix stays fast.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from streams.cli.main import EXIT_BUG, main
from streams.embedded.broker import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

NO_BROKER = "unreachable broker"
NO_DATABASE = "unreachable database"
UNMIGRATED = "unmigrated schema"
BAD_FILE = "bad file"

# Commands that talk to Kafka, to the store, or read a file the user names.
KAFKA_COMMANDS = [
    ("lag",),
    ("lag", "--group", "g"),
    ("dlq", "list"),
    ("dlq", "show", "x"),
    ("dlq", "replay", "x"),
    ("rules", "simulate", "--from-topic", "leads.submitted"),
    ("worker",),
    ("sink",),
    ("send", "{leads}"),
    ("trace", "ev-1"),
    ("trace", "--email", "taro@example.co.jp"),
    ("nurture", "list"),
]
STORE_COMMANDS = [
    ("queue", "list"),
    ("queue", "next", "--queue", "inside-sales", "--rep", "tanaka"),
    ("queue", "accept", "h-1", "--rep", "tanaka"),
    ("report", "funnel"),
    ("report", "scorecard"),
    ("erase", "taro@example.co.jp", "--yes"),
    ("erase", "taro@example.co.jp"),
    ("users", "list"),
    ("users", "add", "sato.k", "--role", "rep"),
]
FILE_COMMANDS = [
    ("sinks", "check", "{missing}"),
    ("send", "{missing}"),
    ("rules", "check", "{missing}"),
    ("rules", "simulate", "--leads", "{missing}"),
    ("accounts", "import", "{missing}"),
    ("schemas", "export", "/proc/nope/schemas"),
    ("up", "--logs", "/proc/nope/logs"),
]


def _cases() -> list[tuple[str, tuple[str, ...]]]:
    cases = [(NO_BROKER, c) for c in KAFKA_COMMANDS]
    cases += [
        (NO_DATABASE, c)
        for c in [
            *STORE_COMMANDS,
            ("db", "upgrade"),
            ("db", "current"),
            ("db", "revision", "-m", "x"),
            ("accounts", "import", "{accounts}"),
            ("rules", "simulate", "--leads", "{leads}", "--db", "{database}"),
            ("sink",),
            ("up",),
        ]
    ]
    cases += [(UNMIGRATED, c) for c in STORE_COMMANDS]  # SQLite sinks migrate their own file
    cases += [(BAD_FILE, c) for c in FILE_COMMANDS]
    cases += [(BAD_FILE, ("up",)), (BAD_FILE, ("demo",))]  # a policy file that does not parse
    return cases


@pytest.mark.parametrize(
    ("failure", "args"), _cases(), ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_a_user_error_is_one_line_and_never_a_traceback(
    failure: str, args: tuple[str, ...], tmp_path: Path
) -> None:
    closed = free_port()
    unmigrated = tmp_path / "empty.db"
    sqlite3.connect(unmigrated).close()
    env = {
        "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'missing.db'}",
    }
    if failure == NO_DATABASE:
        env["HANDOFF_DATABASE_URL"] = f"postgresql://handoff:secret-pw@127.0.0.1:{closed}/handoff"
    elif failure == UNMIGRATED:
        env["HANDOFF_DATABASE_URL"] = f"sqlite:///{unmigrated}"
    elif failure == BAD_FILE:
        (tmp_path / "bad.yaml").write_text("version: 1\nrules: [\n")
        env["HANDOFF_RULES_FILE"] = str(tmp_path / "bad.yaml")
    (tmp_path / "leads.json").write_text('[{"form_id": "pricing", "email": "a@kougyou.co.jp"}]')
    (tmp_path / "accounts.csv").write_text("domain,name,owner\nacme.co.jp,Acme,tanaka.hiro\n")
    files = {"missing": tmp_path / "nosuch.json", "leads": tmp_path / "leads.json"}
    database = env["HANDOFF_DATABASE_URL"]
    argv = [a.format(**files, accounts=tmp_path / "accounts.csv", database=database) for a in args]

    result = CliRunner().invoke(main, argv, env=env, input="y\n", catch_exceptions=False)

    output = result.output
    assert "Traceback" not in output, output
    assert result.exit_code not in (0, EXIT_BUG), output
    # `rules check` lists located errors, one per line, each starting with the file's name.
    prefix = str(tmp_path / "nosuch.json") if args[:2] == ("rules", "check") else "handoff: "
    assert output.lstrip().startswith(prefix), output
    assert "secret-pw" not in output
    assert not (tmp_path / "missing.db").exists(), "a failed command left an empty database behind"
    expected = {NO_BROKER: 4, NO_DATABASE: 4, UNMIGRATED: 1, BAD_FILE: 1}[failure]
    if args[:2] != ("lag", "--group"):
        assert result.exit_code == expected, output


def test_lag_for_a_group_that_never_committed_says_so_and_exits_3(kafka: Any) -> None:
    env = {"HANDOFF_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    result = CliRunner().invoke(main, ["lag", "--group", "nosuch-group", "--samples", "2"], env=env)
    assert result.exit_code == 3, result.output
    assert result.output.startswith("handoff: no commits from consumer group nosuch-group")
