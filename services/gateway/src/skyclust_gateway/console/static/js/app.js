// The console's shell: who is signed in (and their role in this workspace), the
// workspace switcher, the unread badge, the live stream, and hash routes to the pages.

import { api, can, finishOidc, session, signOut, whenSignedOut } from "./api.js";
import { stream } from "./stream.js";
import { loginPage } from "./login.js";
import { clustersPage } from "./clusters.js";
import { wizardPage } from "./wizard.js";
import { detailPage } from "./detail.js";
import { costsPage } from "./costs.js";
import { networksPage } from "./networks.js";
import { notificationsPage, refreshBadge } from "./notifications.js";
import { apiKeysPage, auditPage, credentialsPage, membersPage } from "./settings.js";

const view = document.getElementById("view");
const ctx = { me: null, role: "viewer", can: (p) => can(ctx.role, p), cleanup: [] };

const ROUTES = [
  [/^#\/clusters\/new$/, (m) => wizardPage(view, ctx)],
  [/^#\/clusters\/(aws|gcp|azure)\/([0-9a-f-]{36})$/, (m) => detailPage(view, ctx, m[1], m[2])],
  [/^#\/clusters$/, () => clustersPage(view, ctx)],
  [/^#\/networks$/, () => networksPage(view, ctx)],
  [/^#\/costs$/, () => costsPage(view, ctx)],
  [/^#\/notifications$/, () => notificationsPage(view, ctx)],
  [/^#\/credentials$/, () => credentialsPage(view, ctx)],
  [/^#\/members$/, () => membersPage(view, ctx)],
  [/^#\/api-keys$/, () => apiKeysPage(view, ctx)],
  [/^#\/audit$/, () => auditPage(view, ctx)],
];

async function loadMe() {
  ctx.me = await api("GET", "/api/v1/auth/me");
  ctx.role = ctx.me.workspace?.role || ctx.me.role || "viewer";
  document.getElementById("whoami").textContent = `${ctx.me.user?.email || "API key"} · ${ctx.role}`;
  for (const link of document.querySelectorAll("[data-needs]")) {
    link.parentElement.hidden = !ctx.can(link.dataset.needs);
  }
  const select = document.getElementById("workspace");
  const workspaces = await api("GET", "/api/v1/workspaces?limit=100");
  select.replaceChildren(
    ...workspaces.map((w) => {
      const option = new Option(`${w.name} (${w.role})`, w.id);
      option.selected = w.id === ctx.me.workspace?.id;
      return option;
    }),
  );
  select.disabled = workspaces.length < 2;
}

async function switchWorkspace(event) {
  const tokens = await api("POST", "/api/v1/auth/switch-workspace", {
    workspace_id: event.target.value,
  });
  session.set(tokens);
  stream.stop();
  await start();
}

function leave() {
  for (const undo of ctx.cleanup.splice(0)) undo();
}

async function route() {
  leave();
  if (!session.get()) {
    document.querySelector("header.top").hidden = true;
    if (location.hash !== "#/login") history.replaceState(null, "", "#/login");
    loginPage(view, start);
    return;
  }
  const hash = location.hash || "#/clusters";
  for (const link of document.querySelectorAll("nav a")) {
    const current = hash.startsWith(`#/${link.dataset.page}`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) {
      await page(match);
      return;
    }
  }
  location.hash = "#/clusters";
}

async function start() {
  document.querySelector("header.top").hidden = false;
  await loadMe();
  stream.onstate = (state) => {
    const live = document.getElementById("live");
    live.textContent = state === "live" ? "live" : state;
    live.dataset.state = state;
  };
  await stream.start();
  await refreshBadge();
  if (!location.hash || location.hash === "#/login") location.hash = "#/clusters";
  else await route();
}

stream.subscribe((name) => {
  if (name === "NotificationCreated") refreshBadge();
});
whenSignedOut(() => {
  stream.stop();
  route();
});
window.addEventListener("hashchange", route);
document.getElementById("workspace").addEventListener("change", switchWorkspace);
document.getElementById("signout").addEventListener("click", async () => {
  stream.stop();
  await signOut().catch(() => {});
  route();
});

async function boot() {
  const params = new URLSearchParams(location.search);
  if (params.has("oidc")) {
    // Back from an OIDC provider: the code is single use, so it leaves the address bar.
    history.replaceState(null, "", "/console/#/clusters");
    try {
      await finishOidc(params);
    } catch (error) {
      history.replaceState(null, "", "/console/#/login");
      loginPage(view, start, error);
      return;
    }
  }
  if (session.get()) await start().catch(() => route());
  else await route();
}

boot();
