// Clusters in every cloud, with their status and progress kept live from the stream:
// a provisioning event moves the progress bar at once, any other cluster event re-reads
// that cluster (its status is the owning service's, not guessed here).

import { api } from "./api.js";
import { alertBox, h, mount, statusBadge, table, when } from "./dom.js";
import { stream } from "./stream.js";

const FINAL = { ClusterReady: "READY", ClusterFailed: "FAILED", ClusterDeleted: "DELETED" };

export function progressCell(cluster) {
  if (cluster.status === "READY") return h("span", {}, "done");
  if (cluster.progress === null || cluster.progress === undefined) return h("span", {}, cluster.step || "—");
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: 100, value: cluster.progress, "aria-label": `${cluster.name} progress` }),
    ` ${cluster.progress}% ${cluster.step || ""}`,
  );
}

function row(cluster) {
  return h(
    "tr",
    { "data-cluster": cluster.id, "data-status": cluster.status },
    h("th", { scope: "row" }, h("a", { href: `#/clusters/${cluster.provider}/${cluster.id}` }, cluster.name)),
    h("td", {}, cluster.provider.toUpperCase()),
    h("td", {}, cluster.region),
    h("td", {}, cluster.version),
    h("td", { class: "status" }, statusBadge(cluster.status)),
    h("td", { class: "progress-cell" }, progressCell(cluster)),
    h("td", {}, when(cluster.created_at)),
  );
}

export async function clustersPage(view, ctx) {
  const create = ctx.can("clusters:write")
    ? h("a", { class: "button primary", href: "#/clusters/new", id: "create-cluster" }, "Create cluster")
    : null;
  const body = h("div", {}, h("p", {}, "Loading…"));
  mount(view, h("div", { class: "heading" }, h("h1", {}, "Clusters"), create), body);
  let clusters;
  try {
    clusters = await api("GET", "/api/v1/kubernetes/clusters?limit=100");
  } catch (error) {
    body.replaceChildren(alertBox(error));
    return;
  }
  const byId = new Map(clusters.map((c) => [c.id, c]));
  const grid = table(
    "Clusters across AWS, GCP and Azure, updated live",
    ["Name", "Cloud", "Region", "Version", "Status", "Progress", "Created"],
    clusters.map(row),
  );
  body.replaceChildren(grid);
  const tbody = grid.querySelector("tbody");

  function put(cluster) {
    byId.set(cluster.id, cluster);
    const fresh = row(cluster);
    const old = tbody.querySelector(`[data-cluster="${cluster.id}"]`);
    if (old) old.replaceWith(fresh);
    else {
      if (byId.size === 1) tbody.replaceChildren();
      tbody.append(fresh);
    }
  }

  // One event at a time, in the stream's order: a slow read of an older event must not
  // land after a newer one's.
  let chain = Promise.resolve();
  ctx.cleanup.push(
    stream.subscribe((name, event) => {
      chain = chain.then(() => follow(name, event)).catch(() => {});
    }),
  );

  async function follow(name, event) {
    const data = event.data || {};
    if (!name.startsWith("Cluster") || !data.cluster_id) return;
    const known = byId.get(data.cluster_id);
    if (known && name === "ClusterProvisioning") {
      put({ ...known, status: "PROVISIONING", progress: data.progress, step: data.step });
    }
    if (known && FINAL[name]) put({ ...known, status: FINAL[name], progress: 100 });
    const provider = data.provider || known?.provider;
    if (!provider) return;
    try {
      put(await api("GET", `/api/v1/${provider}/kubernetes/clusters/${data.cluster_id}`));
    } catch (error) {
      if (error.status === 404 && known) tbody.querySelector(`[data-cluster="${data.cluster_id}"]`)?.remove();
    }
  }
}
