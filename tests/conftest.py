"""Shared fixtures: one real broker per session, unique topics and groups per test, real databases."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from streams.core.sections import TopicSettings
from streams.core.settings import Settings, load_settings
from streams.embedded.broker import EmbeddedBroker

# Every test is marked by the folder it lives in, so `-m unit` selects every unit test.
LAYERS = ("unit", "integration", "e2e", "reliability")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the layer named by its folder."""
    for item in items:
        layer = next((part for part in item.path.parts if part in LAYERS), None)
        if layer is not None and item.get_closest_marker(layer) is None:
            item.add_marker(getattr(pytest.mark, layer))


PG_URL = os.environ.get("HANDOFF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Kafka:
    """A running Kafka-compatible broker."""

    bootstrap: str
    kind: str  # "embedded" or "testcontainers"

    def create_topic(self, name: str, partitions: int) -> str:
        """Create a topic with this many partitions (one replica) and return its name."""
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            admin.create_topics([NewTopic(name, partitions, 1)])
        finally:
            admin.close()
        return name


def _docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    if not os.environ.get("DOCKER_HOST") and not os.path.exists("/var/run/docker.sock"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure means no engine
        return False


@pytest.fixture(scope="session")
def kafka() -> Iterator[Kafka]:
    """Apache Kafka in a container when a Docker engine answers, else the embedded broker."""
    if os.environ.get("HANDOFF_TEST_KAFKA") == "testcontainers" or (
        os.environ.get("HANDOFF_TEST_KAFKA") != "embedded" and _docker_engine_answers()
    ):
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield Kafka(container.get_bootstrap_server(), "testcontainers")
        return
    with EmbeddedBroker() as broker:
        yield Kafka(broker.bootstrap, "embedded")


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Make names unique to this test (topics, groups), so tests never see each other's data."""
    suffix = uuid.uuid4().hex[:10]
    return lambda name: f"{name}-{suffix}"


@pytest.fixture
def settings_for(kafka: Kafka, unique: Callable[[str], str], tmp_path: object) -> Callable[..., Settings]:
    """Settings with unique topics and groups on the session broker, fast group timeouts."""

    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {
            "kafka_bootstrap_servers": kafka.bootstrap,
            "session_timeout_s": 2.0,
            "heartbeat_interval_s": 0.5,
            "worker_group": unique("worker"),
            "sink_group": unique("sink"),
            "state_dir": f"{tmp_path}/state",
            "database_url": f"sqlite:///{tmp_path}/handoff.db",
        }
        for topic in TopicSettings.model_fields:
            base[f"topic_{topic}"] = unique(f"leads.{topic}")
        base.update(overrides)
        return load_settings(**base)

    return make


def _pg_available() -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/queue.db"
        return
    why = _pg_available()
    if why:
        pytest.skip(f"PostgreSQL at {PG_URL} unreachable ({why}): PostgreSQL case skipped")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database brought to the newest schema by the migrations."""
    from tests.sales_factory import migrated

    eng = migrated(database_url)
    yield eng
    eng.dispose()
