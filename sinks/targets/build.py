"""Make the target a sink's config describes."""

from __future__ import annotations

from typing import Any

from sinks.config import (
    EmailSink,
    HubspotSink,
    KintoneSink,
    SalesforceSink,
    SlackSink,
    TeamsSink,
    WebhookSink,
)
from sinks.contract import TargetSink
from sinks.directory import Directory
from sinks.targets.chat import Slack, Teams
from sinks.targets.email import Email
from sinks.targets.hubspot import Hubspot
from sinks.targets.kintone import Kintone
from sinks.targets.salesforce import Salesforce
from sinks.targets.webhook import Webhook


def build_target(config: Any, directory: Directory) -> TargetSink:
    """The target for one entry of the sinks file (a ConfigError names a missing secret)."""
    if isinstance(config, WebhookSink):
        return Webhook(config)
    if isinstance(config, SlackSink):
        return Slack(config, directory)
    if isinstance(config, TeamsSink):
        return Teams(config, directory)
    if isinstance(config, EmailSink):
        return Email(config, directory)
    if isinstance(config, SalesforceSink):
        return Salesforce(config, directory)
    if isinstance(config, HubspotSink):
        return Hubspot(config, directory)
    if isinstance(config, KintoneSink):
        return Kintone(config, directory)
    raise TypeError(f"no target for {type(config).__name__}")
