// One cluster: its state and conditions, node groups (scaled here), the kubeconfig, a
// delete, and a timeline of its events: replayed from the stream's history, then live.

import { api, download } from "./api.js";
import { alertBox, h, mount, statusBadge, table, when } from "./dom.js";
import { progressCell } from "./clusters.js";
import { LiveStream } from "./stream.js";

function nextMinor(version) {
  const [major, minor] = String(version).split(".").map(Number);
  return Number.isFinite(minor) ? `${major}.${minor + 1}` : "";
}

function summary(name, data) {
  if (name === "ClusterDriftDetected") return `${(data.drift || []).length} field(s) differ`;
  if (name === "ClusterProvisioning") return `${data.step || ""} ${data.progress ?? ""}%`;
  if (data.code) return `${data.code}: ${data.message || ""}`;
  if (data.desired_size !== undefined) return `${data.name}: desired ${data.desired_size}`;
  return data.status || data.name || "";
}

export async function detailPage(view, ctx, provider, id) {
  const base = `/api/v1/${provider}/kubernetes/clusters/${id}`;
  const info = h("section", { "aria-labelledby": "state-h" });
  const nodes = h("section", { "aria-labelledby": "ng-h" });
  const timeline = h("ol", { class: "timeline", id: "timeline" });
  const problem = h("div", { "aria-live": "assertive" });
  const actions = h("div", { class: "actions" });
  const title = h("h1", {}, "Cluster");
  // Set once this page (or its events) deleted the cluster: its 404 is then expected.
  let deleted = false;
  mount(view, title, problem, actions, info, nodes, h("section", { "aria-labelledby": "ev-h" }, h("h2", { id: "ev-h" }, "Events"), timeline));

  async function act(work) {
    problem.replaceChildren();
    try {
      await work();
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    }
  }

  function gone() {
    info.replaceChildren(
      h("h2", { id: "state-h" }, "State"),
      h("p", { id: "cluster-status", "data-status": "DELETED" }, statusBadge("DELETED"), " This cluster was deleted; its events stay below."),
    );
    actions.replaceChildren();
    nodes.replaceChildren();
  }

  async function loadCluster() {
    let cluster;
    try {
      cluster = await api("GET", base);
    } catch (error) {
      if (error.status === 404 && deleted) return gone();
      throw error;
    }
    title.textContent = cluster.name;
    info.replaceChildren(
      h("h2", { id: "state-h" }, "State"),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Status"),
        h("dd", { id: "cluster-status", "data-status": cluster.status }, statusBadge(cluster.status), " ", cluster.status_message || ""),
        h("dt", {}, "Progress"),
        h("dd", {}, progressCell(cluster)),
        h("dt", {}, "Cloud / region"),
        h("dd", {}, `${cluster.provider.toUpperCase()} ${cluster.region}`),
        h("dt", {}, "Version"),
        h("dd", {}, cluster.target_version ? `${cluster.version} → ${cluster.target_version}` : cluster.version),
        h("dt", {}, "Endpoint"),
        h("dd", {}, cluster.endpoint || "—"),
      ),
      table(
        "Conditions",
        ["Type", "Status", "Reason", "Message", "Since"],
        (cluster.conditions || []).map((c) =>
          h("tr", {}, h("th", { scope: "row" }, c.type), h("td", {}, c.status), h("td", {}, c.reason || ""), h("td", {}, c.message || ""), h("td", {}, when(c.last_transition_time))),
        ),
      ),
    );
    const writer = ctx.can("clusters:write") && cluster.managed !== false;
    const drift = cluster.drift || [];
    if (drift.length) {
      info.append(
        h(
          "div",
          { class: "warning", id: "drift", role: "status" },
          h("strong", {}, "Drift: the cloud differs from what SkyClust asked for."),
          h("ul", {}, drift.map((d) => h("li", {}, `${d.field}: asked ${JSON.stringify(d.desired)}, found ${JSON.stringify(d.actual)}`))),
          writer
            ? h("button", { type: "button", onclick: () => act(async () => {
                await api("POST", `${base}/reconcile`);
                await loadCluster();
              }) }, "Reconcile")
            : null,
        ),
      );
    }
    const buttons = [];
    if (writer && cluster.status === "READY") {
      const version = h("input", { name: "version", pattern: "[0-9]+\\.[0-9]+", required: true, size: 6, "aria-label": "Upgrade to version", placeholder: nextMinor(cluster.version) });
      buttons.push(
        h("form", { class: "upgrade", onsubmit: (event) => {
          event.preventDefault();
          if (!version.reportValidity()) return;
          act(async () => {
            await api("PATCH", base, { version: version.value });
            await loadCluster();
          });
        } }, version, h("button", { type: "submit" }, "Upgrade")),
      );
    }
    if (ctx.can("clusters:kubeconfig") && cluster.status === "READY") {
      buttons.push(
        h("button", { type: "button", onclick: () => act(async () => {
          const file = await download(`${base}/kubeconfig`, "application/yaml");
          const link = h("a", { href: URL.createObjectURL(file.blob), download: file.name });
          link.click();
          URL.revokeObjectURL(link.href);
        }) }, "Download kubeconfig"),
      );
    }
    if (writer && !["DELETING", "DELETED"].includes(cluster.status)) {
      buttons.push(
        h("button", { type: "button", class: "danger", onclick: () => act(async () => {
          if (!confirm(`Delete cluster ${cluster.name}? Its cloud resources are removed.`)) return;
          await api("DELETE", base);
          deleted = true;
          await loadCluster();
        }) }, "Delete cluster"),
      );
    }
    actions.replaceChildren(...buttons);
  }

  async function loadNodeGroups() {
    if (deleted) return;
    const groups = await api("GET", `${base}/node-groups?limit=100`);
    const writer = ctx.can("clusters:write");
    nodes.replaceChildren(
      h("h2", { id: "ng-h" }, "Node groups"),
      table(
        "Node groups and their sizes",
        ["Name", "Instance type", "Status", "Min", "Max", "Desired", ...(writer ? ["Scale"] : [])],
        groups.map((g) => {
          const desired = h("input", { type: "number", min: g.min_size, max: g.max_size, value: g.desired_size, "aria-label": `Desired nodes of ${g.name}` });
          const scale = h("button", { type: "button", onclick: () => act(async () => {
            await api("PATCH", `${base}/node-groups/${g.id}`, { desired_size: Number(desired.value) });
            await loadNodeGroups();
          }) }, "Scale");
          return h(
            "tr",
            { "data-node-group": g.id },
            h("th", { scope: "row" }, g.name),
            h("td", {}, g.instance_type || "default"),
            h("td", {}, statusBadge(g.status)),
            h("td", {}, g.min_size),
            h("td", {}, g.max_size),
            h("td", {}, writer ? desired : g.desired_size),
            writer ? h("td", {}, scale) : null,
          );
        }),
      ),
    );
  }

  await act(() => Promise.all([loadCluster(), loadNodeGroups()]));

  // Many events (a replayed history) make one re-read, and the last event always has one
  // after it.
  let dirty = false;
  let running = false;
  async function refresh() {
    dirty = true;
    if (running) return;
    running = true;
    while (dirty) {
      dirty = false;
      await Promise.all([loadCluster(), loadNodeGroups()]).catch(() => {});
    }
    running = false;
  }

  const history = new LiveStream({ resource: id, from: "0" });
  history.subscribe((name, event) => {
    if (name === "ClusterDeleted") deleted = true;
    timeline.prepend(
      h("li", { "data-event": name }, h("time", { datetime: event.time }, when(event.time)), " ", h("strong", {}, name), " ", summary(name, event.data || {})),
    );
    refresh();
  });
  await history.start();
  ctx.cleanup.push(() => history.stop());
}
