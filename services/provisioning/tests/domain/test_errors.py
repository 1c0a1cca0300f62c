"""Each error class carries its code and status across the bus as the literals did."""

from __future__ import annotations

import inspect

import pytest

from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_provisioning.domain import errors

pytestmark = pytest.mark.unit

CLASSES: list[type[SkyclustError]] = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, SkyclustError) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_class_has_its_own_code_and_a_docstring(cls):
    error = cls("it went wrong")
    assert error.code == cls.code and error.code.isupper()
    assert (cls.__doc__ or "").strip()
    wire = error.to_dict()
    assert (wire["code"], wire["status"], wire["message"]) == (
        cls.code,
        cls.status,
        "it went wrong",
    )


def test_a_cloud_error_keeps_its_code_and_is_not_retryable_unless_said():
    lost = errors.ResourceLost("gone", provider="aws")
    assert isinstance(lost, ProviderError)
    assert (lost.code, lost.status, lost.retryable) == ("PROVIDER_RESOURCE_LOST", 502, False)
    assert lost.to_dict()["details"] == {"provider": "aws"}
    assert errors.StepDeadlineExceeded("late", retryable=True).retryable


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.ClusterNotFound, 404),
        (errors.ClusterBusy, 409),
        (errors.VersionSkip, 422),
        (errors.NodeGroupNameTaken, 409),
        (errors.ResourceLost, 502),
    ],
)
def test_statuses_are_those_of_the_bases(cls, status):
    assert cls("x").status == status


def test_a_code_has_one_status_across_the_classes():
    statuses: dict[str, set[int]] = {}
    for cls in CLASSES:
        statuses.setdefault(cls.code, set()).add(cls.status)
    assert {code: s for code, s in statuses.items() if len(s) > 1} == {}


def test_busy_and_throttled_clouds_are_retryable_by_default():
    for cls in (errors.ProviderBusy, errors.ProviderThrottled):
        assert cls("later").retryable
    assert not errors.ProviderAuthFailed("no").retryable
    assert errors.ProviderUnavailable("down", retryable=True).retryable
