"""The generated message models are those the contracts give, and `--check` says so."""

from __future__ import annotations

import json
import shutil

import pytest

from skyclust_common.contracts import find_contracts_dir
from skyclust_tools import gen_messages

pytestmark = pytest.mark.unit


def test_the_generated_files_are_up_to_date(capsys):
    assert gen_messages.main(["--check"]) == 0, "run python -m skyclust_tools.gen_messages"
    assert capsys.readouterr().err == ""


def test_a_changed_contract_makes_the_check_fail(tmp_path, monkeypatch, capsys):
    contracts = tmp_path / "contracts"
    shutil.copytree(find_contracts_dir(), contracts)
    path = contracts / "events" / "ClusterReady.v1.schema.json"
    schema = json.loads(path.read_text())
    schema["properties"]["zone"] = {"type": "string", "maxLength": 64}
    path.write_text(json.dumps(schema))
    monkeypatch.setenv("SKYCLUST_CONTRACTS_DIR", str(contracts))

    assert gen_messages.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "messages/events.py" in err
    assert "commands.py" not in err and "rpc.py" not in err
    events = gen_messages.generated(contracts)[gen_messages.PACKAGE / "events.py"]
    assert "    zone: Annotated[StrictStr | None, Field(max_length=64)] = None\n" in events
    assert '"skyclust-not-null": ["zone"]' in events


def test_the_files_say_they_are_generated_and_how_to_regenerate():
    for name in ("events.py", "commands.py", "rpc.py"):
        head = (gen_messages.PACKAGE / name).read_text().splitlines()[:2]
        assert head[0].startswith("# Generated from contracts/ by `uv run --frozen python -m")
        assert "skyclust_tools.gen_messages" in head[0]
