"""Say within seconds, by the setting's name, that no Kafka broker answers."""

from __future__ import annotations

from schemas.errors import BrokerError
from streams.kafka.producer import DeliveryError, check_reachable

# Long enough for a loaded machine to accept a loopback connection, well under the 10 s
# a user waits before thinking the command hangs.
REACH_TIMEOUT_S = 5.0


class BrokerUnreachable(BrokerError):
    """No bootstrap server accepted a connection."""


def require_broker(bootstrap_servers: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Raise ``BrokerUnreachable`` naming HANDOFF_KAFKA_BOOTSTRAP_SERVERS unless a server answers."""
    try:
        check_reachable(bootstrap_servers, timeout_s)
    except DeliveryError as exc:
        raise BrokerUnreachable(str(exc)) from None
