"""docker-compose.yml's NATS runs with the platform's per-service users, from the
configuration `skyclust_tools.nats_compose` writes: the same passwords `make run`
connects with, no anonymous access, each service kept to what it owns."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import subprocess
from pathlib import Path

import nats
import pytest
import yaml

from skyclust_tools import nats_compose
from skyclust_tools.embedded import NatsServer, _binary, free_port, scratch_dir
from skyclust_tools.launcher import ROOT
from skyclust_tools.nats_auth import ADMIN_USER, SERVICES, inbox_prefix


@pytest.mark.unit
def test_the_compose_file_runs_nats_with_the_generated_users_only():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["nats"]
    command = service["command"]
    assert command[:1] == ["-c"], "nats-server must read the generated configuration"
    mounted = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    assert mounted[command[1]] == f"./.skyclust/{nats_compose.CONFIG_NAME}"
    # No flag that would open it up besides the configuration's own users.
    assert not {"--no_auth_user", "--user", "--pass", "--auth"} & set(command)
    assert mounted[nats_compose.STORE_DIR] == "nats-data"


@pytest.mark.unit
def test_the_config_holds_every_service_with_the_launchers_passwords(tmp_path: Path):
    path = nats_compose.write(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = json.loads(path.read_text())
    secret = json.loads((tmp_path / "secrets.json").read_text())
    users = {u["user"]: u for u in config["authorization"]["users"]}
    assert set(users) == {*SERVICES, ADMIN_USER}
    for service in SERVICES:
        assert users[service]["password"] == secret["nats_passwords"][service]
        assert f"{inbox_prefix(service)}.>" in users[service]["permissions"]["subscribe"]["allow"]
    assert config["jetstream"] == {"store_dir": nats_compose.STORE_DIR}
    # Written again, it keeps the passwords `make run` already uses.
    assert json.loads(nats_compose.write(tmp_path).read_text()) == config
    # And nats-server takes it as it is, as the container will.
    checked = subprocess.run(
        [_binary("nats-server"), "-t", "-c", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "is valid" in checked.stdout + checked.stderr


@pytest.mark.integration
async def test_nats_with_the_compose_config_refuses_anonymous_clients():
    root = scratch_dir("sc-nats-compose-")
    path = nats_compose.write(root / "state")
    secret = json.loads((root / "state" / "secrets.json").read_text())
    # As the container runs it, but with the store where this test may write (the
    # embedded server gives it on the command line, which nats-server refuses twice).
    config = json.loads(path.read_text())
    config["jetstream"] = "enabled"
    path.write_text(json.dumps(config))
    server = NatsServer(free_port(), root / "js", config_file=path, log_file=root / "log")
    server.start()
    try:
        with pytest.raises((nats.errors.Error, OSError)):
            await nats.connect(server.url, allow_reconnect=False, connect_timeout=2)
        nc = await nats.connect(
            server.url,
            user="provisioning",
            password=secret["nats_passwords"]["provisioning"],
            inbox_prefix=inbox_prefix("provisioning"),
            allow_reconnect=False,
        )
        refused: list[str] = []

        async def on_error(exc: Exception) -> None:
            refused.append(str(exc))

        nc._error_cb = on_error
        await nc.publish("skyclust.evt.w.SessionsRevoked", b"{}")
        await nc.flush()
        await asyncio.sleep(0.2)
        assert any("sessionsrevoked" in r.lower() for r in refused), refused
        await nc.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
