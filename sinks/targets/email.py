"""Mail to the owner (``reps.ID.email``), else the queue's address, over SMTP, UTF-8 MIME."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from sinks.config import EmailSink, secret
from sinks.contract import DELIVERED, Answer, Item, Refused, RetryLater, TargetSink, excerpt
from sinks.directory import Directory
from sinks.notice import notice_of


class Email(TargetSink):
    """One message per event; a 4xx SMTP reply is retried, a 5xx refused."""

    batch_limit = 20

    def __init__(self, config: EmailSink, directory: Directory) -> None:
        super().__init__()
        self.config, self.directory = config, directory
        self.password = secret(config.password_env)

    def recipient(self, item: Item) -> str | None:
        """The owner's address, else the queue's, else the default."""
        notice = notice_of(item.event, self.config.locale, self.directory)
        if notice.owner and notice.owner.email:
            return notice.owner.email
        queue = getattr(item.event, "queue", None) or getattr(item.event, "to_queue", None)
        return self.config.queue_addresses.get(queue or "", self.config.default_to)

    def message(self, item: Item, to: str) -> EmailMessage:
        """The MIME message (UTF-8 subject and body)."""
        notice = notice_of(item.event, self.config.locale, self.directory)
        msg = EmailMessage()
        msg["Subject"] = notice.title
        msg["From"] = self.config.sender
        msg["To"] = to
        # The same idempotency key on a redelivery lets the mailbox (or a filter) spot a repeat.
        msg["Message-ID"] = make_msgid(idstring=f"{item.kind}.{item.key}", domain="handoff.invalid")
        msg["X-Handoff-Idempotency-Key"] = item.key
        msg.set_content(notice.text(), charset="utf-8")
        return msg

    def _send_all(self, items: list[Item]) -> list[Answer]:
        cfg = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if cfg.security == "tls":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        answers: list[Answer] = []
        with smtp:
            if cfg.security == "starttls":
                smtp.starttls(context=context)
            if cfg.user:
                smtp.login(cfg.user, self.password)
            for item in items:
                to = self.recipient(item)
                if to is None:
                    answers.append(
                        Refused(None, "no address: the owner has no reps.ID.email and the queue none")
                    )
                    continue
                try:
                    smtp.send_message(self.message(item, to))
                except smtplib.SMTPRecipientsRefused as exc:
                    answers.append(Refused(550, excerpt(str(exc.recipients), (self.password,))))
                except smtplib.SMTPResponseException as exc:
                    detail = f"SMTP {exc.smtp_code}: {excerpt(str(exc.smtp_error), (self.password,))}"
                    answers.append(
                        RetryLater(detail) if exc.smtp_code < 500 else Refused(exc.smtp_code, detail)
                    )
                except OSError as exc:  # smtplib's other errors are OSErrors too: after those above
                    # Gone mid-batch: what was sent stays sent; the rest is tried again.
                    rest = len(items) - len(answers)
                    answers.extend([RetryLater(f"{type(exc).__name__} after {len(answers)} messages")] * rest)
                    return answers
                else:
                    answers.append(DELIVERED)
        return answers

    async def send(self, items: list[Item]) -> list[Answer]:
        """Send the batch over one SMTP connection in a thread."""
        try:
            return await asyncio.to_thread(self._send_all, items)
        except smtplib.SMTPAuthenticationError as exc:
            return [RetryLater(f"SMTP login refused ({exc.smtp_code}); check the user and password")] * len(
                items
            )
        except (smtplib.SMTPException, OSError) as exc:
            return [RetryLater(f"{type(exc).__name__}: {excerpt(str(exc), (self.password,))}")] * len(items)
