// The caller's inbox: newest first, unread ones marked, each readable on its own or all
// at once; the badge in the header counts the unread and moves with the stream.

import { api } from "./api.js";
import { alertBox, h, mount, when } from "./dom.js";
import { stream } from "./stream.js";

export function setBadge(count) {
  const badge = document.getElementById("unread");
  badge.textContent = String(count);
  badge.hidden = count === 0;
  badge.setAttribute("aria-label", `${count} unread notifications`);
}

export async function refreshBadge() {
  try {
    setBadge((await api("GET", "/api/v1/notifications/unread-count")).unread_count);
  } catch {
    setBadge(0); // API keys have no inbox
  }
}

function clusterHref(link) {
  const match = /\/api\/v1\/(aws|gcp|azure)\/kubernetes\/clusters\/([0-9a-f-]{36})/.exec(link || "");
  return match ? `#/clusters/${match[1]}/${match[2]}` : null;
}

export async function notificationsPage(view, ctx) {
  const list = h("ul", { class: "inbox", "aria-live": "polite" });
  const problem = h("div", {});
  const unreadOnly = h("input", { type: "checkbox", id: "unread-only" });
  const readAll = h("button", { type: "button", onclick: () => run(() => api("POST", "/api/v1/notifications/read-all")) }, "Mark all read");
  mount(
    view,
    h("div", { class: "heading" }, h("h1", {}, "Notifications"), readAll),
    h("label", { class: "choice" }, unreadOnly, " Unread only"),
    problem,
    list,
  );

  async function run(work) {
    problem.replaceChildren();
    try {
      await work();
      await load();
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    }
  }

  async function load() {
    const page = await api("GET", `/api/v1/notifications?limit=50${unreadOnly.checked ? "&unread=true" : ""}`);
    setBadge(page.unread_count);
    list.replaceChildren(
      ...(page.items.length
        ? page.items.map((n) => {
            const href = clusterHref(n.link);
            return h(
              "li",
              { class: n.read_at ? "read" : "unread", "data-notification": n.id, "data-event-type": n.event_type },
              h("span", { class: `badge severity-${n.severity}` }, n.severity),
              " ",
              href ? h("a", { href }, n.title) : h("strong", {}, n.title),
              h("p", {}, n.body),
              h("small", {}, when(n.created_at), n.read_at ? ` · read ${when(n.read_at)}` : " · unread"),
              n.read_at
                ? null
                : h("button", { type: "button", class: "mark-read", onclick: () => run(() => api("POST", `/api/v1/notifications/${n.id}/read`)) }, "Mark read"),
            );
          })
        : [h("li", {}, "Nothing here.")]),
    );
  }
  unreadOnly.addEventListener("change", () => run(async () => {}));
  ctx.cleanup.push(stream.subscribe((name) => name === "NotificationCreated" && load().catch(() => {})));
  await run(async () => {});
}
