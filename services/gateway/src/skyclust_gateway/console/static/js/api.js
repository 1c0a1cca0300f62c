// The REST API: the session's tokens, JSON calls answered in the SkyClust envelope, one
// refresh on a 401, an Idempotency-Key on every POST (a retried click is not a second
// create), and the caller's role mirrored from the gateway's permission matrix.

const KEY = "skyclust.session";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const session = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || null;
    } catch {
      return null;
    }
  },
  set(tokens) {
    sessionStorage.setItem(
      KEY,
      JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token }),
    );
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function send(method, path, body, token, accept) {
  const headers = { Accept: accept || "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["Idempotency-Key"] = randomKey();
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
}

async function refreshed() {
  const current = session.get();
  if (!current?.refresh) return false;
  const response = await send("POST", "/api/v1/auth/refresh", { refresh_token: current.refresh });
  if (!response.ok) return false;
  session.set((await response.json()).data);
  return true;
}

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not the envelope (a proxy's page): the status says enough
  }
  const error = body.error || {};
  return new ApiError(
    response.status,
    error.code || `HTTP_${response.status}`,
    error.message || response.statusText,
    error.details,
  );
}

export let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function raw(method, path, body, accept) {
  let response = await send(method, path, body, session.get()?.access, accept);
  if (response.status === 401 && session.get() && (await refreshed())) {
    response = await send(method, path, body, session.get()?.access, accept);
  }
  if (response.status === 401 && session.get()) {
    session.clear();
    onSignedOut();
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function api(method, path, body) {
  const response = await raw(method, path, body);
  return (await response.json()).data;
}

export async function download(path, accept) {
  const response = await raw("GET", path, undefined, accept);
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return { blob: await response.blob(), name: name ? name[1] : "download" };
}

function keep(reply) {
  if (reply.mfa_required) {
    throw new ApiError(401, "MFA_REQUIRED", "this account needs a second factor: use the CLI");
  }
  session.set(reply);
}

export async function signIn(email, password) {
  keep(await api("POST", "/api/v1/auth/login", { email, password }));
}

// Where an OIDC provider sends the browser back: this page, which then hands the code
// and state to the gateway's callback (the state cookie set by `/login` goes with it).
export function oidcReturn(provider) {
  return `${location.origin}/console/?oidc=${encodeURIComponent(provider)}`;
}

export async function finishOidc(params) {
  const provider = encodeURIComponent(params.get("oidc"));
  const query = new URLSearchParams();
  for (const name of ["code", "state", "error"]) {
    if (params.has(name)) query.set(name, params.get(name));
  }
  keep(await api("GET", `/api/v1/auth/oidc/${provider}/callback?${query}`));
}

export async function signOut() {
  try {
    await api("POST", "/api/v1/auth/logout");
  } finally {
    session.clear();
  }
}

// As the gateway's permission matrix (permissions.py): what each role may change.
const USER = ["read", "clusters:write", "clusters:kubeconfig", "networks:write"];
const PERMISSIONS = {
  viewer: ["read"],
  user: USER,
  admin: [
    ...USER,
    "credentials:manage",
    "members:manage",
    "workspace:manage",
    "audit:read",
    "budgets:manage",
    "notifications:manage",
  ],
};

export function can(role, permission) {
  return (PERMISSIONS[role] || []).includes(permission);
}
