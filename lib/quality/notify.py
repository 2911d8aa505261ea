"""The failure email, sent by SMTP with settings from the environment, never from code.

``CRASH_RATES_SMTP_HOST`` (no host: no email), ``CRASH_RATES_SMTP_PORT`` (25),
``CRASH_RATES_SMTP_SECURITY`` (``none``, ``starttls`` or ``ssl``),
``CRASH_RATES_SMTP_USER`` and ``CRASH_RATES_SMTP_PASSWORD`` (optional),
``CRASH_RATES_SMTP_FROM`` and ``CRASH_RATES_SMTP_TO`` (comma-separated).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings | None:
        env = dict(os.environ if env is None else env)
        host = env.get("CRASH_RATES_SMTP_HOST")
        if not host:
            return None
        security = env.get("CRASH_RATES_SMTP_SECURITY", "none").lower()
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"CRASH_RATES_SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
        recipients = tuple(a.strip() for a in env.get("CRASH_RATES_SMTP_TO", "").split(",") if a.strip())
        if not recipients:
            raise ValueError("CRASH_RATES_SMTP_TO names no recipient")
        return cls(
            host=host,
            port=int(env.get("CRASH_RATES_SMTP_PORT", "465" if security == "ssl" else "25")),
            security=security,
            user=env.get("CRASH_RATES_SMTP_USER") or None,
            password=env.get("CRASH_RATES_SMTP_PASSWORD") or None,
            sender=env.get("CRASH_RATES_SMTP_FROM", "crash-rates@localhost"),
            recipients=recipients,
        )


def send_report(settings: SmtpSettings, subject: str, body: str, attachment_name: str, attachment_html: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message.set_content(body)
    message.add_attachment(attachment_html, subtype="html", filename=attachment_name)
    context = ssl.create_default_context()
    if settings.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, context=context, timeout=30)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=30)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
        client.send_message(message)
