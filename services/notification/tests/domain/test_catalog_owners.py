"""The notification catalog's owner of each event is its contract's owner: the catalog
and the bus's permissions and source checks cannot disagree on who sends what."""

from __future__ import annotations

import pytest

from skyclust_common.contracts import load_registry
from skyclust_notification.domain.catalog import CATALOG

pytestmark = pytest.mark.unit


def test_each_catalog_entry_names_its_contracts_owner():
    registry = load_registry()
    assert CATALOG
    for name, kind in CATALOG.items():
        contract = registry.get(name)
        assert contract.kind == "events", name
        assert kind.owner == contract.owner, name
