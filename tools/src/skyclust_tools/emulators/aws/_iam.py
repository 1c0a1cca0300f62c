"""Faster resets: moto builds the AWS-managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES)
for every IAM backend, one per partition, parsing its bundled JSON anew each time. Every
request resolves its account through those backends, so after each reset the first request,
whatever its service, paid over a second. The parsed policies are kept here instead; each
backend still gets policy objects of its own."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from moto.iam import models as iam


@functools.cache
def _parsed() -> tuple[tuple[str, dict[str, Any], str, datetime, datetime], ...]:
    data = json.loads(iam.aws_managed_policies_data)
    return tuple(
        (
            name,
            policy,
            json.dumps(policy.get("Document")),
            datetime.fromisoformat(policy["CreateDate"]),
            datetime.fromisoformat(policy["UpdateDate"]),
        )
        for name, policy in data.items()
    )


def _init_aws_policies(self: iam.IAMBackend) -> list[iam.ManagedPolicy]:
    # What moto's IAMBackend._init_aws_policies and AWSManagedPolicy.from_data do.
    if not iam.load_iam_aws_managed_policies():
        return []
    return [
        iam.AWSManagedPolicy(  # type: ignore[abstract]  # moto's from_data does the same
            name,
            account_id=self.account_id,
            region=self.region_name,
            default_version_id=policy.get("DefaultVersionId"),
            path=policy.get("Path"),
            document=document,
            create_date=created,
            update_date=updated,
        )
        for name, policy, document, created, updated in _parsed()
    ]


def install() -> None:
    iam.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
