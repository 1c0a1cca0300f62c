"""What the guardrail decides when cost cannot be asked, as a table: ahead with a
warning, unless a covering budget fails closed; then only an admin's override."""

from __future__ import annotations

import pytest

from skyclust_provisioning.domain.budgets import FailClosedBudget, unchecked
from skyclust_provisioning.domain.errors import BudgetCheckUnavailable, BudgetOverrideForbidden

pytestmark = pytest.mark.unit
CLOSED = [FailClosedBudget("b1", "all", "workspace", None)]


@pytest.mark.parametrize(
    ("covering", "override", "admin", "action"),
    [
        ([], False, False, "unchecked"),
        ([], True, False, "unchecked"),
        (CLOSED, True, True, "override"),
    ],
)
def test_what_goes_ahead_and_how(
    covering: list[FailClosedBudget], override: bool, admin: bool, action: str
) -> None:
    got, warning = unchecked(covering, override=override, is_admin=admin)
    assert got == action
    assert warning["code"] == "BUDGET_CHECK_SKIPPED"


def test_a_fail_closed_budget_refuses_retryably_and_a_non_admins_override_is_forbidden() -> None:
    with pytest.raises(BudgetCheckUnavailable) as refused:
        unchecked(CLOSED, override=False, is_admin=True)
    error = refused.value
    assert (error.status, error.retryable) == (409, True)
    assert error.details == {"budgets": [{"budget_id": "b1", "name": "all"}]}
    with pytest.raises(BudgetOverrideForbidden):
        unchecked(CLOSED, override=True, is_admin=False)
