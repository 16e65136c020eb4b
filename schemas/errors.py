"""The one exception tree of Handoff: a base and a subclass per area.

It stands on the ground floor so that every floor (``sinks/`` as well as ``streams/``)
raises under it. Library code raises; only the command line turns an error into a
message and an exit code (``exit_code`` says which, see ``handoff --help``).
"""

from __future__ import annotations


class HandoffError(Exception):
    """Something Handoff cannot do; the message says what is wrong and how to fix it."""

    exit_code = 1


class ConfigError(HandoffError):
    """A setting, option or configuration file is wrong."""


class PolicyError(HandoffError):
    """The qualification policy is invalid; one located error per line."""


class BrokerError(HandoffError):
    """Kafka (or the embedded broker) is unreachable or did not confirm a message."""

    exit_code = 4


class StoreError(HandoffError):
    """The sales queue database is unreachable or not at the schema this code needs."""

    exit_code = 4


class IntakeError(HandoffError):
    """A lead or a forms file the intake cannot accept."""


class DeskError(HandoffError):
    """A sales desk action that is not allowed or not possible."""
