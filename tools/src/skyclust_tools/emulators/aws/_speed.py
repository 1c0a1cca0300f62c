"""Two per-request costs of moto that answer the same thing every time, computed once
instead. py-spy on the emulator in a burst of cluster creates put them at about 45% of
its CPU:

- EKS checks every role ARN (CreateCluster, CreateNodegroup) against the AWS partitions
  from a new boto3 `Session()`, which parses botocore's endpoint data again: about 35%.
- Every request looks its action up among the response class's functions with
  `inspect.getmembers`: about 9%. A class's functions do not change once the emulator
  has patched them in (`_eks.install`, before the first request).

The checks themselves are moto's: the same ARN pattern, the same partitions, the same
error."""

from __future__ import annotations

import functools
import re

_ROLE_ARN = re.compile("arn:(?P<partition>.+):iam::(?P<account_id>[0-9]{12}):role/.+")


@functools.cache
def _partitions() -> frozenset[str]:
    from boto3 import Session

    return frozenset(Session().get_available_partitions())


def validate_role_arn(arn: str) -> None:
    from moto.eks.exceptions import InvalidParameterException

    match = _ROLE_ARN.match(arn) if arn else None
    if match is None or match.group("partition") not in _partitions():
        raise InvalidParameterException(message="Invalid Role Arn: '" + arn + "'")


@functools.cache
def _method_names(clazz: type) -> frozenset[str]:
    from moto.core.utils import method_names_from_class

    return frozenset(method_names_from_class(clazz))


def method_names_from_class(clazz: type) -> frozenset[str]:
    return _method_names(clazz)


def install() -> None:
    """Patch both into moto (idempotent)."""
    from moto.core import responses
    from moto.eks import models

    models.validate_role_arn = validate_role_arn
    responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]
