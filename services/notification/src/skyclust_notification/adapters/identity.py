"""Who is in a workspace, asked of identity (request/reply; NATS lets this service ask
identity and nothing else)."""

from __future__ import annotations

import uuid

from skyclust_common.messages.rpc import ListMembers
from skyclust_common.messaging import Bus

from ..domain.model import Member

PAGE = 100
# A workspace larger than this is cut off rather than paged for ever.
MAX_MEMBERS = 10_000


class IdentityMembers:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def __call__(self, workspace_id: str) -> list[Member]:
        members: list[Member] = []
        offset = 0
        while offset < MAX_MEMBERS:
            reply = await ListMembers.call(
                self.bus,
                "identity",
                ListMembers.Request(
                    workspace_id=uuid.UUID(workspace_id), limit=PAGE, offset=offset
                ),
            )
            members += [
                Member(user_id=item.user_id, role=item.role, email=item.email, name=item.name)
                for item in reply.items
            ]
            offset += len(reply.items)
            if not reply.items or offset >= reply.total:
                return members
        return members
