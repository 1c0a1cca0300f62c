// Sign in with a password, or with one of the OpenID Connect providers the gateway has:
// the provider sends the browser back to the console (`oidcReturn`), which completes the
// login through the gateway's callback (app.js).

import { api, oidcReturn, signIn } from "./api.js";
import { alertBox, field, h, mount } from "./dom.js";

export async function loginPage(view, onSignedIn, refused = null) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const problem = h("div", { "aria-live": "assertive" }, refused && alertBox(refused));
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        problem.replaceChildren();
        try {
          await signIn(email.value, password.value);
          await onSignedIn();
        } catch (error) {
          problem.replaceChildren(alertBox(error));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", {}, "Sign in to SkyClust"),
    field("Email", email),
    field("Password", password),
    problem,
    submit,
  );
  const providers = h("div", { class: "oidc" });
  mount(view, form, providers);
  try {
    const { providers: list } = await api("GET", "/api/v1/auth/oidc/providers");
    if (list.length) {
      providers.append(
        h("h2", {}, "Or sign in with"),
        h(
          "ul",
          {},
          list.map((p) =>
            h("li", {}, h("a", { class: "button", href: loginUrl(p.name) }, p.name)),
          ),
        ),
      );
    }
  } catch {
    // no provider list: password sign-in still works
  }
}

function loginUrl(provider) {
  const back = new URLSearchParams({ redirect_uri: oidcReturn(provider) });
  return `/api/v1/auth/oidc/${encodeURIComponent(provider)}/login?${back}`;
}
