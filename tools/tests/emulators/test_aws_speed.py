"""The AWS emulator's once-computed answers to moto's per-request questions give moto's
own answers."""

from __future__ import annotations

import pytest
from moto.core.utils import method_names_from_class as motos_method_names
from moto.eks.exceptions import InvalidParameterException
from moto.eks.responses import EKSResponse
from moto.eks.utils import validate_role_arn as motos_validate_role_arn

from skyclust_tools.emulators.aws import _speed

VALID = [
    "arn:aws:iam::123456789012:role/eks",
    "arn:aws-cn:iam::123456789012:role/path/eks",
    "arn:aws-us-gov:iam::123456789012:role/eks",
]
INVALID = [
    "",
    "eks",
    "arn:nope:iam::123456789012:role/eks",
    "arn:aws:iam::12345:role/eks",
    "arn:aws:iam::123456789012:user/eks",
]


@pytest.mark.parametrize("arn", VALID)
def test_a_role_arn_moto_accepts_is_accepted(arn: str) -> None:
    motos_validate_role_arn(arn)
    _speed.validate_role_arn(arn)


@pytest.mark.parametrize("arn", INVALID)
def test_a_role_arn_moto_refuses_is_refused_with_its_error(arn: str) -> None:
    with pytest.raises(InvalidParameterException) as moto_says:
        motos_validate_role_arn(arn)
    with pytest.raises(InvalidParameterException) as emulator_says:
        _speed.validate_role_arn(arn)
    assert emulator_says.value.message == moto_says.value.message


def test_the_action_names_are_the_response_class_functions() -> None:
    names = _speed.method_names_from_class(EKSResponse)
    assert names == set(motos_method_names(EKSResponse))
    assert "create_cluster" in names and "describe_cluster" in names
    assert _speed.method_names_from_class(EKSResponse) is names  # computed once
