"""Errors declared as classes: the code, status and default message on the class, one
class per code, and the class back on the receiving side of the bus."""

from __future__ import annotations

import pytest

from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    SkyclustError,
    declared_errors,
    error_class,
)

pytestmark = pytest.mark.unit


class WidgetNotFound(NotFound):
    """No widget of that id in the workspace."""

    code = "TEST_WIDGET_NOT_FOUND"
    default_message = "widget not found"


class WidgetThrottled(ProviderError):
    code = "TEST_WIDGET_THROTTLED"
    default_retryable = True


def over_the_wire(error: SkyclustError) -> SkyclustError:
    return SkyclustError.from_dict(error.to_dict())


def test_a_declared_error_needs_no_arguments():
    error = WidgetNotFound(details={"widget_id": "w1"})
    assert (error.code, error.status, error.retryable) == ("TEST_WIDGET_NOT_FOUND", 404, False)
    assert error.message == str(error) == "widget not found"
    assert WidgetNotFound("widget w1 is gone").message == "widget w1 is gone"
    assert isinstance(error, NotFound)


def test_each_declared_code_names_its_class():
    assert error_class("TEST_WIDGET_NOT_FOUND") is WidgetNotFound
    assert error_class("NOT_FOUND") is NotFound
    assert error_class("NO_SUCH_CODE") is None
    assert declared_errors()["CONFLICT"] is Conflict
    # Classes that only inherit a code do not take it over.
    unavailable = error_class("SERVICE_UNAVAILABLE")
    assert unavailable is not None
    assert unavailable.__name__ == "ServiceUnavailable"


def test_the_first_class_of_a_code_keeps_it():
    class Again(NotFound):
        code = "TEST_WIDGET_NOT_FOUND"

    assert error_class("TEST_WIDGET_NOT_FOUND") is WidgetNotFound
    assert Again().code == "TEST_WIDGET_NOT_FOUND"


def test_a_declared_error_comes_back_as_its_class_with_the_same_wire_format():
    sent = WidgetNotFound(details={"widget_id": "w1"})
    assert sent.to_dict() == {
        "class": "WidgetNotFound",
        "code": "TEST_WIDGET_NOT_FOUND",
        "message": "widget not found",
        "status": 404,
        "retryable": False,
        "details": {"widget_id": "w1"},
    }
    got = over_the_wire(sent)
    assert type(got) is WidgetNotFound
    assert got.to_dict() == sent.to_dict()


def test_an_unknown_class_with_a_declared_code_comes_back_as_the_code_s_class():
    got = SkyclustError.from_dict(
        {
            "class": "ClassOnlyThePeerHas",
            "code": "TEST_WIDGET_NOT_FOUND",
            "message": "gone",
            "status": 404,
            "retryable": False,
        }
    )
    assert type(got) is WidgetNotFound
    assert (got.code, got.status, got.retryable, got.message) == (
        "TEST_WIDGET_NOT_FOUND",
        404,
        False,
        "gone",
    )


def test_a_known_class_wins_over_its_code_and_what_was_sent_is_kept():
    # A literal code on a base class (as raised before services declared theirs)
    # comes back as that class, not as the code's: the sender's class is kept.
    got = over_the_wire(NotFound("gone", code="TEST_WIDGET_NOT_FOUND"))
    assert type(got) is NotFound
    assert got.code == "TEST_WIDGET_NOT_FOUND"
    # The status and retryability sent win over the class's.
    got = SkyclustError.from_dict(
        {
            "class": "WidgetNotFound",
            "code": "TEST_WIDGET_NOT_FOUND",
            "status": 410,
            "retryable": True,
        }
    )
    assert (type(got), got.status, got.retryable) == (WidgetNotFound, 410, True)


def test_a_provider_error_class_declares_its_code_and_retryability():
    error = WidgetThrottled("slow down", provider="aws")
    assert (error.code, error.status, error.retryable) == ("TEST_WIDGET_THROTTLED", 502, True)
    assert WidgetThrottled("x", retryable=False).retryable is False
    got = over_the_wire(error)
    assert type(got) is WidgetThrottled
    assert isinstance(got, ProviderError) and got.provider == "aws"
    # ProviderError itself is still permanent unless told otherwise.
    assert ProviderError("bad keys", code="PROVIDER_AUTH_FAILED").retryable is False
    assert ProviderError.retryable_by_default() is False
    assert WidgetThrottled.retryable_by_default() is True
    assert NotFound.retryable_by_default() is False
    assert SkyclustError.retryable_by_default() is True
