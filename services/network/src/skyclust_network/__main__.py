from __future__ import annotations

from functools import partial

from skyclust_common.runtime import run

from .adapters.db import metadata
from .bootstrap import MIGRATIONS, SERVICE, wire
from .settings import NetworkSettings


def main() -> None:
    settings = NetworkSettings()
    run(
        SERVICE,
        settings,
        partial(wire, settings=settings),
        metadata=metadata,
        migrations_dir=MIGRATIONS,
    )


if __name__ == "__main__":
    main()
