// The workspace's settings pages: credentials (masked; added, validated and rotated here),
// members and their roles, API keys, and the audit log with its filters. Each shows
// only the buttons the caller's role may use.

import { api } from "./api.js";
import { alertBox, field, h, mount, statusBadge, table, when } from "./dom.js";

function page(view, title, ...parts) {
  const problem = h("div", { "aria-live": "assertive" });
  const body = h("div", {});
  mount(view, h("h1", {}, title), problem, ...parts, body);
  const run = async (work) => {
    problem.replaceChildren();
    try {
      await work();
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    }
  };
  return { body, run };
}

const masked = (values) => Object.entries(values || {}).map(([k, v]) => `${k}: ${v}`).join(", ");

export async function credentialsPage(view, ctx) {
  const provider = h("select", { name: "provider" }, ["aws", "gcp", "azure"].map((p) => new Option(p.toUpperCase(), p)));
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const secret = h("textarea", { name: "data", required: true, rows: 5, spellcheck: "false" });
  const form = ctx.can("credentials:manage")
    ? h(
        "form",
        {
          class: "card",
          onsubmit: (event) => {
            event.preventDefault();
            run(async () => {
              let data;
              try {
                data = JSON.parse(secret.value);
              } catch {
                throw { code: "INVALID_JSON", message: "the secret must be a JSON object" };
              }
              await api("POST", "/api/v1/credentials", { provider: provider.value, name: name.value, data });
              form.reset();
              await load();
            });
          },
        },
        h("h2", {}, "Add a credential"),
        field("Cloud", provider),
        field("Name", name),
        field("Secret (JSON)", secret, "Stored encrypted; only a masked form is ever shown again."),
        h("button", { type: "submit", class: "primary" }, "Add credential"),
      )
    : null;
  const { body, run } = page(view, "Credentials", form);
  async function load() {
    const items = await api("GET", "/api/v1/credentials?limit=100");
    body.replaceChildren(
      table(
        "Cloud credentials (secrets masked)",
        ["Name", "Cloud", "Account", "Status", "Masked secret", "Validated", ""],
        items.map((c) =>
          h(
            "tr",
            { "data-credential": c.id },
            h("th", { scope: "row" }, c.name),
            h("td", {}, c.provider.toUpperCase()),
            h("td", {}, c.account_id || "—"),
            h("td", {}, statusBadge(c.status)),
            h("td", { class: "mono" }, masked(c.masked)),
            h("td", {}, when(c.last_validated_at)),
            h("td", {}, ctx.can("credentials:manage")
              ? [
                  h("button", { type: "button", onclick: () => run(async () => { await api("POST", `/api/v1/credentials/${c.id}/validate`); await load(); }) }, "Validate"),
                  " ",
                  h("button", { type: "button", "aria-expanded": "false", onclick: (e) => rotateRow(e.currentTarget, c) }, "Rotate"),
                ]
              : null),
          ),
        ),
      ),
    );
  }

  // The new secret goes in a row under the credential's; the vault checks it with the
  // cloud, and it must reach the same account.
  function rotateRow(button, credential) {
    const row = button.closest("tr");
    if (row.nextElementSibling?.classList.contains("rotate")) {
      row.nextElementSibling.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    const data = h("textarea", { name: "rotate-data", required: true, rows: 4, spellcheck: "false" });
    const form = h(
      "form",
      {
        class: "rotate-form",
        onsubmit: (event) => {
          event.preventDefault();
          run(async () => {
            let secret;
            try {
              secret = JSON.parse(data.value);
            } catch {
              throw { code: "INVALID_JSON", message: "the secret must be a JSON object" };
            }
            const rotated = await api("PUT", `/api/v1/credentials/${credential.id}`, { data: secret });
            await load();
            done.replaceChildren(h("p", { class: "ok", role: "status" }, `Rotated “${rotated.name}”: the new secret is in use.`));
          });
        },
      },
      field(`New secret for ${credential.name} (JSON)`, data, "Checked with the cloud first; it must reach the same account."),
      h("button", { type: "submit", class: "primary" }, "Rotate secret"),
    );
    row.after(h("tr", { class: "rotate" }, h("td", { colspan: 7 }, form)));
    data.focus();
  }
  const done = h("div", { "aria-live": "polite" });
  body.before(done);
  await run(load);
}

export async function membersPage(view, ctx) {
  const workspace = ctx.me.workspace?.id || ctx.me.workspace_id;
  const base = `/api/v1/workspaces/${workspace}/members`;
  const email = h("input", { type: "email", name: "email", required: true });
  const role = h("select", { name: "role" }, ["viewer", "user", "admin"].map((r) => new Option(r, r)));
  const manage = ctx.can("members:manage");
  const form = manage
    ? h(
        "form",
        { class: "card inline", onsubmit: (e) => { e.preventDefault(); run(async () => { await api("POST", base, { email: email.value, role: role.value }); form.reset(); await load(); }); } },
        h("h2", {}, "Add a member"),
        field("Email", email),
        field("Role", role),
        h("button", { type: "submit", class: "primary" }, "Add member"),
      )
    : null;
  const { body, run } = page(view, "Members", form);
  async function load() {
    const members = await api("GET", `${base}?limit=100`);
    body.replaceChildren(
      table("Members of this workspace and their roles", ["Name", "Email", "Role", "Joined"], members.map((m) =>
        h("tr", {}, h("th", { scope: "row" }, m.name), h("td", {}, m.email), h("td", {}, m.role), h("td", {}, when(m.joined_at))),
      )),
    );
  }
  await run(load);
}

export async function apiKeysPage(view, ctx) {
  const manage = ctx.can("members:manage");
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const role = h("select", { name: "role" }, ["viewer", "user", "admin"].map((r) => new Option(r, r)));
  const shown = h("div", { "aria-live": "polite" });
  const form = manage
    ? h(
        "form",
        { class: "card inline", onsubmit: (e) => { e.preventDefault(); run(async () => {
          const key = await api("POST", "/api/v1/api-keys", { name: name.value, role: role.value });
          shown.replaceChildren(h("p", { class: "ok" }, "Copy the key now; it is not shown again: ", h("code", {}, key.key)));
          form.reset();
          await load();
        }); } },
        h("h2", {}, "Create an API key"),
        field("Name", name),
        field("Role", role),
        h("button", { type: "submit", class: "primary" }, "Create key"),
      )
    : null;
  const { body, run } = page(view, "API keys", form, shown);
  async function load() {
    const keys = await api("GET", "/api/v1/api-keys?limit=100");
    body.replaceChildren(
      table("API keys of this workspace", ["Name", "Prefix", "Role", "Last used", "Expires", "Revoked", ""], keys.map((k) =>
        h("tr", {}, h("th", { scope: "row" }, k.name), h("td", { class: "mono" }, k.prefix), h("td", {}, k.role), h("td", {}, when(k.last_used_at)), h("td", {}, when(k.expires_at)), h("td", {}, when(k.revoked_at)),
          h("td", {}, manage && !k.revoked_at ? h("button", { type: "button", class: "danger", onclick: () => run(async () => { await api("DELETE", `/api/v1/api-keys/${k.id}`); await load(); }) }, "Revoke") : null)),
      )),
    );
  }
  await run(load);
}

export async function auditPage(view, ctx) {
  const action = h("input", { name: "action", placeholder: "e.g. create_cluster" });
  const outcome = h("select", { name: "outcome" }, ["", "success", "failure", "denied"].map((o) => new Option(o || "any", o)));
  const form = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); run(load); } }, field("Action", action), field("Outcome", outcome), h("button", { type: "submit" }, "Filter"));
  const { body, run } = page(view, "Audit log", form);
  async function load() {
    const params = new URLSearchParams({ limit: "50" });
    if (action.value) params.set("action", action.value);
    if (outcome.value) params.set("outcome", outcome.value);
    const logs = await api("GET", `/api/v1/audit-logs?${params}`);
    body.replaceChildren(
      table("Audit records, newest first", ["When", "Actor", "Action", "Resource", "Outcome", "Status"], logs.items.map((r) =>
        h("tr", {}, h("td", {}, when(r.occurred_at)), h("td", {}, `${r.actor_type} ${r.actor_id || ""}`), h("th", { scope: "row" }, r.action), h("td", {}, `${r.resource_type} ${r.resource_id || ""}`), h("td", {}, r.outcome), h("td", {}, r.status_code)),
      )),
    );
  }
  await run(load);
}
