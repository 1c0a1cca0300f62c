"""The account mails, as text and HTML from one template each: what they say, never how
they are sent. Every value put into HTML is escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    # Stable per command, so a resend after a crash can be recognised as the same mail.
    message_id: str


_TEMPLATES = {
    "verify_email": (
        "Confirm your SkyClust email address",
        "Confirm that this address is yours to finish setting up your SkyClust account.",
        "Confirm my address",
    ),
    "password_reset": (
        "Reset your SkyClust password",
        "Someone (hopefully you) asked to reset your SkyClust password."
        " If it was not you, ignore this mail: your password stays as it is.",
        "Choose a new password",
    ),
    "change_email": (
        "Confirm your new SkyClust email address",
        "Someone asked to use this address for their SkyClust account. If it was you,"
        " confirm it; if not, ignore this mail and the account keeps its old address.",
        "Use this address",
    ),
}


def account_mail(
    template: str, to: str, link: str, expires_at: datetime, *, command_id: str, domain: str
) -> Mail:
    subject, intro, action = _TEMPLATES[template]
    until = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    text = f"{intro}\n\n{action}: {link}\n\nThe link works until {until}.\n"
    safe_link = html.escape(link, quote=True)
    body = (
        f"<p>{html.escape(intro)}</p>"
        f'<p><a href="{safe_link}">{html.escape(action)}</a></p>'
        f"<p>The link works until {html.escape(until)}.</p>"
    )
    return Mail(to, subject, text, body, f"<{command_id}@{domain}>")


_SEVERITY_WORD = {"info": "Info", "warning": "Warning", "critical": "Critical"}


def event_mail(
    to: str,
    *,
    title: str,
    body: str,
    severity: str,
    event_type: str,
    link: str,
    channel: str,
    message_id: str,
) -> Mail:
    """A platform event as a mail to one address of an email channel: what happened,
    and a link back to the resource."""
    word = _SEVERITY_WORD.get(severity, severity)
    subject = f"[SkyClust] {word}: {title}"
    footer = f"You get this mail through the SkyClust notification channel {channel!r}."
    text = f"{title}\n\n{body}\n\nOpen it: {link}\n\nEvent: {event_type}\n\n{footer}\n"
    safe_link = html.escape(link, quote=True)
    page = (
        f"<h2>{html.escape(title)}</h2>"
        f"<p>{html.escape(body)}</p>"
        f'<p><a href="{safe_link}">Open it in SkyClust</a></p>'
        f"<p><small>Event: {html.escape(event_type)}. {html.escape(footer)}</small></p>"
    )
    return Mail(to, subject, text, page, message_id)
