"""Slack (incoming webhook, Block Kit) and Teams (Workflows webhook, Adaptive Card) notifications."""

from __future__ import annotations

from typing import Any

import orjson

from sinks.config import SlackSink, TeamsSink, secret
from sinks.contract import Answer, Item, TargetSink
from sinks.directory import Directory
from sinks.notice import Notice, notice_of
from sinks.targets.http import HttpTarget, answer_of


def slack_message(notice: Notice) -> dict[str, Any]:
    """Block Kit blocks with ``text`` as the fallback (notifications, screen readers)."""
    mention = f"<@{notice.owner.slack}> " if notice.owner and notice.owner.slack else ""
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in notice.facts]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": notice.title[:150]}},
        # A section takes at most 10 fields.
        {"type": "section", "fields": fields[:10]},
    ]
    if mention:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": mention.strip()}})
    if notice.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": notice.link_label},
                        "url": notice.link,
                    }
                ],
            }
        )
    return {"text": mention + notice.text(), "blocks": blocks}


def teams_card(notice: Notice) -> dict[str, Any]:
    """A message with one Adaptive Card attachment, as Teams Workflows webhooks take it."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": notice.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in notice.facts]},
    ]
    entities: list[dict[str, Any]] = []
    if notice.owner and notice.owner.email:
        name = notice.owner_id or notice.owner.email
        body.append({"type": "TextBlock", "text": f"<at>{name}</at>", "wrap": True})
        entities.append(
            {
                "type": "mention",
                "text": f"<at>{name}</at>",
                "mentioned": {"id": notice.owner.email, "name": name},
            }
        )
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if notice.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": notice.link_label, "url": notice.link}]
    if entities:
        card["msteams"] = {"entities": entities}
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class _Chat(TargetSink):
    # One message at a time (chat webhooks rate-limit per URL), one commit per batch.
    batch_limit = 20

    def __init__(self, url: str, timeout_s: float, locale: str, directory: Directory) -> None:
        super().__init__()
        self.url, self.locale, self.directory = url, locale, directory
        self.http = HttpTarget(timeout_s)

    def render(self, notice: Notice) -> dict[str, Any]:
        raise NotImplementedError

    async def send(self, items: list[Item]) -> list[Answer]:
        """Post one message per event."""
        answers: list[Answer] = []
        for item in items:
            body = orjson.dumps(self.render(notice_of(item.event, self.locale, self.directory)))
            headers = {"Content-Type": "application/json"}
            # The URL is the secret: keep it out of any excerpt.
            reply = await self.http.request("POST", self.url, body=body, headers=headers, secrets=(self.url,))
            answers.append(answer_of(reply, (self.url,)))
        return answers

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()


class Slack(_Chat):
    """A Slack incoming webhook."""

    def __init__(self, config: SlackSink, directory: Directory) -> None:
        super().__init__(secret(config.webhook_url_env), config.timeout_s, config.locale, directory)

    def render(self, notice: Notice) -> dict[str, Any]:
        """Block Kit."""
        return slack_message(notice)


class Teams(_Chat):
    """A Teams Workflows webhook."""

    def __init__(self, config: TeamsSink, directory: Directory) -> None:
        super().__init__(secret(config.webhook_url_env), config.timeout_s, config.locale, directory)

    def render(self, notice: Notice) -> dict[str, Any]:
        """An Adaptive Card."""
        return teams_card(notice)
