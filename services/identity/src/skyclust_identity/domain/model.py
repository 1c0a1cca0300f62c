"""Identity's rules, free of I/O."""

from __future__ import annotations

import enum
import re

from .errors import InvalidEmail, LastAdmin, WeakPassword


class Role(enum.StrEnum):
    ADMIN = "admin"
    USER = "user"
    VIEWER = "viewer"


def check_password(password: str, *, min_length: int) -> None:
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if len(password) > 1024:
        problems.append("at most 1024 characters")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[^A-Za-z]", password):
        problems.append("letters and at least one digit or symbol")
    if problems:
        raise WeakPassword(
            "password too weak: needs " + ", ".join(problems),
            details={"field": "password", "requirements": problems},
        )


def normalize_email(email: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(f"invalid email: {exc}", details={"field": "email"}) from None
    return result.normalized.lower()


def check_admins_remain(admins_after: int) -> None:
    """A workspace always keeps at least one admin."""
    if admins_after < 1:
        raise LastAdmin("the workspace would have no admin left; make someone else admin first")
