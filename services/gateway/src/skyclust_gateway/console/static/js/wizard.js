// The create wizard: provider, credential, place and version, node groups, then a review
// that shows the cost service's monthly estimate and its budget guardrail's verdict on
// the cluster (POST /cost-analysis/budget-check: the same check the create will meet),
// before anything is asked for. An admin facing a refusal may override it there.

import { api } from "./api.js";
import { alertBox, field, h, money, mount, table } from "./dom.js";

const REGIONS = {
  aws: ["us-east-1", "us-west-2", "eu-west-1"],
  gcp: ["us-central1", "europe-west1", "asia-east1"],
  azure: ["westeurope", "eastus", "northeurope"],
};
const VERSIONS = { aws: ["1.31", "1.30", "1.29"], gcp: ["1.32", "1.31"], azure: ["1.32", "1.31"] };
const INSTANCES = { aws: "t3.medium", gcp: "e2-standard-2", azure: "Standard_D2s_v5" };
const STEPS = ["Cloud", "Credential", "Place", "Node groups", "Review"];

function datalist(id, values) {
  return h("datalist", { id }, values.map((v) => h("option", { value: v })));
}

function number(name, value, label) {
  return h("input", { type: "number", min: 0, max: 1000, value, name, required: true, "aria-label": label });
}

function groupRow(provider, index) {
  const name = h("input", { name: "ng-name", value: `workers${index ? index + 1 : ""}`, required: true, pattern: "[a-zA-Z][a-zA-Z0-9_\\-]{0,62}", "aria-label": "Node group name" });
  const type = h("input", { name: "ng-type", placeholder: INSTANCES[provider], "aria-label": "Instance type" });
  const remove = h("button", { type: "button", class: "link", onclick: () => rowEl.remove() }, "Remove");
  const rowEl = h(
    "tr",
    { class: "node-group" },
    h("td", {}, name),
    h("td", {}, type),
    h("td", {}, number("ng-min", 1, "Minimum nodes")),
    h("td", {}, number("ng-desired", 2, "Desired nodes")),
    h("td", {}, number("ng-max", 3, "Maximum nodes")),
    h("td", {}, remove),
  );
  return rowEl;
}

const VERDICTS = {
  allow: "Within every budget that covers it.",
  warn: "It would pass a warn budget: the create goes ahead, with a warning.",
  refuse: "It would pass an enforce budget: the create will be refused with BUDGET_EXCEEDED",
};

// The cost service's guardrail verdict, as the create itself will be checked.
function verdictLines(check) {
  const refuse = check.verdict === "refuse";
  const head = h(
    "p",
    { class: { allow: "ok", warn: "warning", refuse: "alert" }[check.verdict], id: "budget-verdict", "data-verdict": check.verdict, role: refuse ? "alert" : "status" },
    `Budget check by the cost service: ${VERDICTS[check.verdict]}`,
    refuse ? (check.can_override ? " unless you override it below." : " unless an admin of the workspace overrides it: ask one, or raise the budget.") : "",
  );
  const findings = check.findings.map((f) =>
    h(
      "p",
      { class: "warning budget-warning", "data-budget": f.budget_id },
      `Budget “${f.name}” (${f.mode}): its forecast ${money(f.forecast, f.currency)} plus this cluster's ${money(f.estimate, f.currency)} is ${money(f.projected, f.currency)}, over ${money(f.amount, f.currency)} (${Number(f.percent)}%).`,
    ),
  );
  return [head, ...findings];
}

// Offered only when the gateway says this caller may override (`can_override`: admins)
// and only for a refusal: the create then carries `budget_override`, which the API
// audits. Unchecked by default, so an admin's create is refused like anyone's unless
// they choose otherwise; the API takes no reason, so none is asked for.
function overrideControl(check) {
  if (check.verdict !== "refuse" || !check.can_override) return null;
  const box = h("input", { type: "checkbox", id: "budget-override", name: "budget_override", "aria-describedby": "budget-verdict budget-override-hint" });
  return h(
    "fieldset",
    { class: "override" },
    h("legend", {}, "Budget override"),
    h("label", { for: "budget-override", class: "choice" }, box, " Override the enforce budget and create this cluster anyway"),
    h("small", { id: "budget-override-hint" }, "Admins only. The override is recorded in the audit log with your name."),
  );
}

export async function wizardPage(view, ctx) {
  if (!ctx.can("clusters:write")) {
    location.hash = "#/clusters";
    return;
  }
  const credentials = await api("GET", "/api/v1/credentials?limit=100");
  const form = h("form", { class: "card wizard", novalidate: true });
  const steps = h("ol", { class: "steps" }, STEPS.map((s) => h("li", {}, s)));
  const problem = h("div", { "aria-live": "assertive" });
  let current = 0;

  const providerChoice = h(
    "fieldset",
    {},
    h("legend", {}, "Which cloud?"),
    ["aws", "gcp", "azure"].map((p, i) =>
      h("label", { class: "choice" }, h("input", { type: "radio", name: "provider", value: p, checked: i === 0 }), ` ${p.toUpperCase()}`),
    ),
  );
  const provider = () => form.querySelector("input[name=provider]:checked").value;
  const credential = h("select", { name: "credential", required: true });
  const name = h("input", { name: "name", required: true, pattern: "[a-zA-Z][a-zA-Z0-9\\-]{0,99}", autocomplete: "off" });
  const region = h("input", { name: "region", required: true, list: "regions", pattern: "[a-z][a-z0-9\\-]{1,63}" });
  const version = h("input", { name: "version", required: true, list: "versions", pattern: "[0-9]+\\.[0-9]+" });
  const groups = h("tbody", {});
  const review = h("div", { class: "review", "aria-live": "polite" });
  const regions = datalist("regions", []);
  const versions = datalist("versions", []);

  const sections = [
    providerChoice,
    h("fieldset", {}, h("legend", {}, "Credential"), field("Credential", credential, "Add one under Credentials first.")),
    h(
      "fieldset",
      {},
      h("legend", {}, "Name, region and version"),
      field("Cluster name", name),
      field("Region", region),
      regions,
      field("Kubernetes version", version),
      versions,
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Node groups"),
      h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Instance type", "Min", "Desired", "Max", ""].map((c) => h("th", { scope: "col" }, c)))), groups),
      h("button", { type: "button", onclick: () => groups.append(groupRow(provider(), groups.children.length)) }, "Add node group"),
    ),
    h("fieldset", {}, h("legend", {}, "Review: cost and budgets"), review),
  ];

  function setProvider() {
    const p = provider();
    const own = credentials.filter((c) => c.provider === p);
    credential.replaceChildren(...own.map((c) => new Option(`${c.name} (${c.status})`, c.id)));
    regions.replaceChildren(...REGIONS[p].map((v) => h("option", { value: v })));
    versions.replaceChildren(...VERSIONS[p].map((v) => h("option", { value: v })));
    region.value = REGIONS[p][0];
    version.value = VERSIONS[p][0];
    groups.replaceChildren(groupRow(p, 0));
  }
  providerChoice.addEventListener("change", setProvider);

  function body() {
    const nodeGroups = [...groups.querySelectorAll("tr")].map((tr) => {
      const value = (n) => tr.querySelector(`[name=${n}]`).value;
      const group = {
        name: value("ng-name"),
        min_size: Number(value("ng-min")),
        desired_size: Number(value("ng-desired")),
        max_size: Number(value("ng-max")),
      };
      if (value("ng-type")) group.instance_type = value("ng-type");
      return group;
    });
    return { credential_id: credential.value, name: name.value, region: region.value, version: version.value, node_groups: nodeGroups };
  }

  async function showReview() {
    review.replaceChildren(h("p", {}, "Estimating…"));
    const request = body();
    const priced = { ...request, provider: provider() };
    const [estimate, check] = await Promise.all([
      api("POST", "/api/v1/cost-analysis/estimate", priced),
      api("POST", "/api/v1/cost-analysis/budget-check", priced).catch((error) => ({ error })),
    ]);
    review.replaceChildren(
      ...[
        h("p", { class: "estimate" }, "Estimated ", h("strong", { id: "estimate-monthly" }, money(estimate.monthly, estimate.currency)), " a month ", `(${money(estimate.monthly_min)} to ${money(estimate.monthly_max)} as the node groups scale)`),
        table(
          "What the estimate is made of",
          ["Item", "Kind", "Monthly"],
          estimate.line_items.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, i.kind), h("td", { class: "num" }, money(i.monthly)))),
        ),
        estimate.warnings.map((w) => h("p", { class: "warning" }, `${w.code}: ${w.message}`)),
        check.error ? alertBox(check.error) : [verdictLines(check), overrideControl(check)],
      ].flat(2).filter(Boolean),
    );
  }

  function show(index) {
    current = index;
    sections.forEach((s, i) => (s.hidden = i !== index));
    [...steps.children].forEach((li, i) => (i === index ? li.setAttribute("aria-current", "step") : li.removeAttribute("aria-current")));
    back.hidden = index === 0;
    next.hidden = index === sections.length - 1;
    submit.hidden = index !== sections.length - 1;
    sections[index].querySelector("input, select, button")?.focus();
  }

  const back = h("button", { type: "button", onclick: () => show(current - 1) }, "Back");
  const next = h("button", {
    type: "button",
    class: "primary",
    onclick: async () => {
      const invalid = [...sections[current].querySelectorAll("input, select")].find((c) => !c.checkValidity());
      if (invalid) {
        invalid.reportValidity();
        return;
      }
      problem.replaceChildren();
      show(current + 1);
      if (current === sections.length - 1) await showReview().catch((e) => review.replaceChildren(alertBox(e)));
    },
  }, "Next");
  const submit = h("button", { type: "submit", class: "primary" }, "Create cluster");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const request = body();
      if (review.querySelector("#budget-override")?.checked) request.budget_override = true;
      const cluster = await api("POST", `/api/v1/${provider()}/kubernetes/clusters`, request);
      location.hash = `#/clusters/${cluster.provider}/${cluster.id}`;
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    } finally {
      submit.disabled = false;
    }
  });

  form.append(steps, ...sections, problem, h("div", { class: "actions" }, back, next, submit));
  mount(view, h("h1", {}, "Create a cluster"), form);
  setProvider();
  show(0);
}
