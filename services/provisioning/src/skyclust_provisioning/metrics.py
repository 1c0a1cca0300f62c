"""Provisioning's metrics, served with every other metric on the health/metrics port:

- `cluster_creation_duration_seconds{provider,region}` (the seed's name): from the
  create request to READY, observed once per cluster, by the run that makes it READY.
- `active_clusters_total{provider,region}` (the seed's name): READY clusters, counted in
  the database by a periodic job, so every replica reports the same whole count (take
  `max`, not `sum`, across replicas).

The cluster saga's steps are timed with skyclust-common's
`skyclust_saga_step_duration_seconds{saga="cluster",step,outcome}`, which the network
service's saga shares."""

from __future__ import annotations

from prometheus_client import Gauge, Histogram

CLUSTER_CREATION_SECONDS = Histogram(
    "cluster_creation_duration_seconds",
    "Cluster creation, from the request to READY",
    ["provider", "region"],
    buckets=(1, 5, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400),
)
ACTIVE_CLUSTERS = Gauge(
    "active_clusters_total", "READY clusters, every workspace's", ["provider", "region"]
)
