"""tools/bin/uv, the Makefile's uv: taken from PATH or `python3 -m uv`, installed with pip
when pip may, and into a venv of its own where the system Python refuses pip (PEP 668),
with a clear way out when neither works. Run on a fake python3 that behaves as each
kind of machine does."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
SCRIPT = Path(__file__).resolve().parents[1] / "bin" / "uv"
# The fake python3: `-m uv` works once pip installed it; `-m pip` obeys FAKE_PIP;
# `-m venv DIR` obeys FAKE_VENV and makes a DIR/bin/python whose pip installs DIR/bin/uv.
FAKE_PYTHON = r"""#!/bin/sh
state="$FAKE_STATE"
if [ "$1 $2" = "-m uv" ]; then
  [ -f "$state/pip-installed" ] || exit 1
  shift 2; echo "uv from pip $*"; exit 0
fi
if [ "$1 $2" = "-m pip" ]; then
  if [ "$FAKE_PIP" = refuse ]; then echo "error: externally-managed-environment" >&2; exit 1; fi
  touch "$state/pip-installed"; exit 0
fi
if [ "$1 $2" = "-m venv" ]; then
  [ "$FAKE_VENV" = fail ] && exit 1
  mkdir -p "$3/bin"
  cat > "$3/bin/python" <<'INNER'
#!/bin/sh
dir=$(dirname "$0")
printf '#!/bin/sh\necho "uv from venv $*"\n' > "$dir/uv"
chmod +x "$dir/uv"
INNER
  chmod +x "$3/bin/python"
  exit 0
fi
exit 2
"""
TOOLS = ("sh", "dirname", "cat", "rm", "mkdir", "chmod", "touch", "printf")


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A checkout with the script, and a PATH of only the fake python3 and basic tools."""
    (tmp_path / "repo" / "tools" / "bin").mkdir(parents=True)
    shutil.copy(SCRIPT, tmp_path / "repo" / "tools" / "bin" / "uv")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    (tmp_path / "state").mkdir()
    return tmp_path


def run(machine: Path, pip: str = "ok", venv: str = "ok") -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(machine / "bin"),
        "FAKE_STATE": str(machine / "state"),
        "FAKE_PIP": pip,
        "FAKE_VENV": venv,
    }
    script = machine / "repo" / "tools" / "bin" / "uv"
    return subprocess.run(
        [str(script), "sync", "--frozen"], env=env, capture_output=True, text=True, timeout=30
    )


def test_pip_installs_uv_where_it_may(machine: Path) -> None:
    done = run(machine)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "uv from pip sync --frozen"
    assert not (machine / "repo" / ".skyclust" / "uv").exists()


def test_an_externally_managed_python_gets_uv_in_a_venv_of_its_own(machine: Path) -> None:
    done = run(machine, pip="refuse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "uv from venv sync --frozen"
    assert "installing uv into" in done.stderr
    # The next run uses it without installing again.
    again = run(machine, pip="refuse", venv="fail")
    assert again.returncode == 0 and again.stdout.strip() == "uv from venv sync --frozen"
    assert "installing" not in again.stderr


def test_with_neither_pip_nor_venv_it_says_what_to_install(machine: Path) -> None:
    done = run(machine, pip="refuse", venv="fail")
    assert done.returncode == 1
    assert "apt-get install python3-venv" in done.stderr
    assert "docs.astral.sh/uv" in done.stderr
    assert not (machine / "repo" / ".skyclust" / "uv").exists()


def test_uv_on_path_is_used_as_it_is(machine: Path) -> None:
    uv = machine / "bin" / "uv"
    uv.write_text('#!/bin/sh\necho "uv on path $*"\n')
    uv.chmod(0o755)
    done = run(machine, pip="refuse", venv="fail")
    assert done.returncode == 0 and done.stdout.strip() == "uv on path sync --frozen"
    assert os.access(SCRIPT, os.X_OK)
