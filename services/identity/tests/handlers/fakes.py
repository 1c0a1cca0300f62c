"""Identity's handlers wired on the in-memory unit of work, for the unit lane."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from skyclust_common.contracts import ContractRegistry, load_registry
from skyclust_common.fake_uow import FakeDatabase
from skyclust_common.messages.rpc import (
    Login,
    RegisterUser,
    VerifyEmail,
)
from skyclust_identity.adapters.fake_uow import FakeIdentityUnitOfWork
from skyclust_identity.adapters.passwords import Passwords
from skyclust_identity.handlers import accounts, auth
from skyclust_identity.handlers.base import IdentityDeps
from skyclust_identity.settings import IdentitySettings

PASSWORD = "correct-horse-9"


@cache
def registry() -> ContractRegistry:
    return load_registry()


@cache
def passwords() -> Passwords:
    # The cheapest argon2id parameters: the rules are under test here, not the hash.
    return Passwords(memory_kib=1024, time_cost=1)


# A key of the tests' own, made at import: TOTP secrets are sealed with it.
MFA_KEY = base64.b64encode(os.urandom(32)).decode()


@dataclass
class Identity:
    db: FakeDatabase = field(default_factory=FakeDatabase)
    settings: IdentitySettings = field(
        default_factory=lambda: IdentitySettings(
            nats_url="nats://127.0.0.1:1",
            database_url="postgresql://identity@127.0.0.1/unused",
            login_max_failures_per_account=3,
            login_max_failures_per_client=5,
            mfa_keys={"v1": MFA_KEY},
        )
    )

    @property
    def deps(self) -> IdentityDeps:
        # Events are checked against their contracts, as the real unit of work does.
        return IdentityDeps(
            uow=lambda: FakeIdentityUnitOfWork(self.db, registry()),
            passwords=passwords(),
            settings=self.settings,
        )

    async def register(
        self, email: str | None = None, *, verified: bool = True, **fields: Any
    ) -> dict[str, Any]:
        """A sign-up; `verified` follows the link of its verification email too."""
        body = {
            "email": email or f"u{uuid.uuid4().hex[:10]}@example.com",
            "password": PASSWORD,
            "name": "U",
            "workspace_name": "w",
            **fields,
        }
        registered = await auth.register(self.deps, RegisterUser.request(body))
        if verified:
            token = self.mailed_token(registered["user"]["id"], "verify_email")
            await accounts.verify_email(self.deps, VerifyEmail.request({"token": token}))
        return registered

    def mailed_token(self, user_id: str, template: str) -> str:
        """The token of the newest account email of `template` sent to the user."""
        for mail in reversed(self.events("SendAccountEmail")):
            if mail["user_id"] == user_id and mail["template"] == template:
                return parse_qs(urlsplit(mail["link"]).query)["token"][0]
        raise AssertionError(f"no {template} email for {user_id}")

    async def login(self, email: str, password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
        body = {"email": email, "password": password, **fields}
        return await auth.login(self.deps, Login.request(body))

    def events(self, name: str) -> list[dict[str, Any]]:
        return [event.data for event in self.db.events(name)]
