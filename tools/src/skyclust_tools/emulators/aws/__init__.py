"""Local AWS emulator: moto plus the EKS calls it lacks (cluster versions, version updates,
node group tags) and the same `/_emulator` admin API, with faults, as the GCP and Azure
emulators.

Start it with ``python -m skyclust_tools.emulators.aws -H 127.0.0.1 -p PORT`` (or through
``skyclust_tools.embedded.MotoServer``). moto keeps its state per process, so unlike the
GCP and Azure emulators it runs in a process of its own rather than a thread.
See tools/EMULATORS.md for the admin API.
"""

from __future__ import annotations

from .._admin import AwsAdmin
from ._app import DEFAULT_DURATIONS, AwsEmulator

__all__ = ["DEFAULT_DURATIONS", "AwsAdmin", "AwsEmulator"]
