"""The cluster saga (its state machine is domain/saga.py): `engine` runs it, `create`,
`teardown` and `upgrade` are its steps, `replies` the events that move it."""

from .create import uses_network_service
from .engine import advance
from .replies import on_cluster_event, on_network_failed, on_network_ready, on_network_released

__all__ = [
    "advance",
    "on_cluster_event",
    "on_network_failed",
    "on_network_ready",
    "on_network_released",
    "uses_network_service",
]
