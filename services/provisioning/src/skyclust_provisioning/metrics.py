"""Provisioning's metrics, served with every other metric on the health/metrics port:

- `cluster_creation_duration_seconds{provider,region}` (the seed's name): from the
  create request to READY, observed once per cluster, by the run that makes it READY.
- `active_clusters_total{provider,region}` (the seed's name): READY clusters, counted in
  the database by a periodic job, so every replica reports the same whole count (take
  `max`, not `sum`, across replicas).
- `skyclust_saga_step_duration_seconds{saga,step,outcome}`: one saga action, such as
  `create-control-plane` (the cloud call and its polling until the cloud is ACTIVE);
  outcome `ok`, `error` (the step failed: retried or rolled back) or `overtaken`
  (another run moved the cluster first)."""

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
SAGA_STEP_SECONDS = Histogram(
    "skyclust_saga_step_duration_seconds",
    "One saga step, from its start to its end",
    ["saga", "step", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 600, 1200, 1800, 3600),
)
