from __future__ import annotations

import sys
from functools import partial

from skyclust_common.runtime import run

from .adapters.db import metadata
from .bootstrap import MIGRATIONS, SERVICE, wire
from .settings import VaultSettings


def main() -> None:
    if len(sys.argv) > 1:
        from .cli import main as cli

        sys.exit(cli(sys.argv[1:]))
    settings = VaultSettings()
    run(
        SERVICE,
        settings,
        partial(wire, settings=settings),
        metadata=metadata,
        migrations_dir=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
