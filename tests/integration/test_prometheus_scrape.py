"""A real Prometheus (Debian's server) scrapes a running `handoff up` and `handoff serve`.

The query for outcomes returns the leads just sent; every metric the alert rules and the
dashboard name exists in the live scrape; `promtool check metrics` accepts each /metrics.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.test_ops_artefacts import DEPLOY, promql_metric_names

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        not (shutil.which("prometheus") and shutil.which("promtool")),
        reason="Debian's prometheus package is missing (.ci/run installs it)",
    ),
]
HANDOFF = [sys.executable, "-m", "streams.cli"]
KEY = "scrape-key-1"


def _get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback test servers
        return str(response.read().decode())


def _wait(check: Any, what: str, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout_s:g} s (last: {last!r})")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


def quiet_ports(count: int) -> tuple[int, ...]:
    """``count`` consecutive free loopback ports below the kernel's ephemeral range.

    A port from ``free_port()`` is an ephemeral one: between the check and the server's own
    bind, any process's outgoing connection (the stack's Kafka clients among them) may take
    it, and a port's neighbour is not checked at all. Below that range nothing is handed
    out on its own.
    """
    low, _ = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(max(1024, low - 12_000), low - count)
        socks = []
        try:
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
        return tuple(range(first, first + count))
    raise AssertionError("no run of free ports below the ephemeral range")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`handoff up` (worker and sink metrics on their own ports) and `handoff serve` beside it."""
    # The worker serves /metrics on the port given and the sink on the next one up.
    broker, metrics, _, web, desk = quiet_ports(5)
    forms = tmp_path / "forms.yaml"
    forms.write_text(yaml.safe_dump({"forms": {"demo-request": {"api_key_envs": ["SCRAPE_KEY"]}}}))
    env = {
        **os.environ,
        "HANDOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'scrape.db'}",
        "HANDOFF_METRICS_PORT": str(metrics),
        "HANDOFF_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{broker}",
        "HANDOFF_FORMS_FILE": str(forms),
        "HANDOFF_LAG_INTERVAL_S": "1",
        # The desk listener serves /metrics; "none" lets a loopback scraper in without sign-in.
        "HANDOFF_DESK_AUTH": "none",
        "SCRAPE_KEY": KEY,
    }
    up = subprocess.Popen(
        [*HANDOFF, "up", "--port", str(broker), "--logs", str(tmp_path / "logs")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    serve = None
    try:
        assert up.stderr is not None
        said = []
        for line in up.stderr:
            said.append(line.decode(errors="replace"))
            if b"ready" in line:
                break
        else:
            raise AssertionError(f"`handoff up` ended before it was ready:\n{''.join(said)}")
        serve_env = {k: v for k, v in env.items() if k != "HANDOFF_METRICS_PORT"}
        serve = subprocess.Popen(
            [*HANDOFF, "serve", "--port", str(web), "--desk-port", str(desk)],
            env=serve_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        targets = {"worker": metrics, "sink": metrics + 1, "serve": desk}
        for port in targets.values():
            _wait(lambda p=port: _get(f"http://127.0.0.1:{p}/metrics"), f"/metrics on {port}")
        yield {"targets": targets, "env": env, "web": web}
    finally:
        if serve is not None:
            _stop(serve)
        _stop(up)


@pytest.fixture
def prometheus(tmp_path: Path, stack: dict[str, Any]) -> Iterator[str]:
    """The Debian Prometheus server on a free loopback port with temporary storage."""
    (port,) = quiet_ports(1)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus" / "alerts.yml")],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{p}"]}]}
            for job, p in stack["targets"].items()
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    server = subprocess.Popen(
        [
            str(shutil.which("prometheus")),
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: "Ready" in _get(f"{url}/-/ready"), "prometheus ready")
        yield url
    finally:
        server.terminate()
        server.wait(10)


def _query(url: str, promql: str) -> list[dict[str, Any]]:
    doc = json.loads(_get(f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})))
    assert doc["status"] == "success", doc
    return list(doc["data"]["result"])


def _post_lead(web: int, body: dict[str, Any]) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        f"http://127.0.0.1:{web}/v1/leads",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Handoff-Key": KEY},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_prometheus_scrapes_outcomes_of_leads_just_sent(
    tmp_path: Path, stack: dict[str, Any], prometheus: str
) -> None:
    leads = [
        {"form_id": "demo-request", "email": f"buyer{i}@marubeni-tech.co.jp", "company": "丸紅テック株式会社"}
        for i in range(3)
    ]
    statuses = [_post_lead(stack["web"], lead) for lead in leads]
    assert statuses == [202, 202, 202]
    assert (
        _post_lead(stack["web"], {"form_id": "demo-request", "email": "x@y.co.jp", "employees": [1]}) == 422
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "a lead"}\n')
    subprocess.run(
        [*HANDOFF, "send", str(bad)], env=stack["env"], check=True, capture_output=True, timeout=60
    )

    def four_outcomes() -> list[dict[str, Any]] | None:
        rows = _query(prometheus, "sum by (outcome) (handoff_outcomes_total)")
        return rows if sum(float(r["value"][1]) for r in rows) >= 4 else None

    rows = _wait(four_outcomes, "outcomes of the leads just sent")
    counted = {r["metric"]["outcome"]: float(r["value"][1]) for r in rows}
    assert counted.get("dead_letter") == 1
    assert sum(counted.values()) == 4

    wanted = promql_metric_names()

    def all_named_metrics() -> bool | None:
        return not any(not _query(prometheus, f"count({m})") for m in wanted) or None

    try:
        _wait(all_named_metrics, "every metric the rules and dashboard name", timeout_s=45)
    except AssertionError:
        missing = sorted(m for m in wanted if not _query(prometheus, f"count({m})"))
        raise AssertionError(f"named in deploy/ but not in a live scrape: {missing}") from None

    for job, port in stack["targets"].items():
        scrape = _get(f"http://127.0.0.1:{port}/metrics")
        check = subprocess.run(
            [str(shutil.which("promtool")), "check", "metrics"],
            input=scrape,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, f"{job}: {check.stdout}{check.stderr}"
