// Networks in every cloud: the workspace's address space as a map (each network and its
// subnets placed by address, the planner's next free block outlined), then the networks,
// subnets and security groups of each cloud. Users who may change networks create one
// here (without a block the planner picks the next free one), add subnets and security
// groups with their rules to a network, and delete them from their rows. Every check is
// the API's: a refusal is shown with its code, on the fields it names. The page follows
// the stream's network events.

import { api } from "./api.js";
import { alertBox, field, h, mount, statusBadge, table } from "./dom.js";
import { addressMap } from "./cidrmap.js";
import { stream } from "./stream.js";

const CLOUDS = ["aws", "gcp", "azure"];
const REGIONS = { aws: "us-east-1", gcp: "us-central1", azure: "westeurope" };
const KINDS = ["vpcs", "subnets", "security-groups"];

const blocksOf = (vpc) => (vpc.address_space?.length ? vpc.address_space : [vpc.cidr_block].filter(Boolean));
const GONE = new Set(["DELETING", "DELETED", "FAILED"]);

// The API names a refused field as `cidr_block`, `rules[1]` (the service) or
// `rules.1.from_port` (the gateway's schema check): one spelling, to find its controls.
function refusedFields(error) {
  const named = [error.details?.field, ...(error.details?.errors || []).map((e) => e.field)];
  return named.filter(Boolean).map((f) => String(f).replace(/\.([0-9]+)(?=\.|$)/g, "[$1]"));
}

// A form's own error box: the API's code and message, and each control it names marked
// invalid and described by it, so a screen reader hears why on the field.
function formProblem(form, id) {
  const box = h("div", { id, "aria-live": "assertive" });
  const clear = () => {
    box.replaceChildren();
    for (const c of form.querySelectorAll("[aria-invalid]")) {
      c.removeAttribute("aria-invalid");
      c.removeAttribute("aria-errormessage");
    }
  };
  const show = (error) => {
    clear();
    box.replaceChildren(alertBox(error));
    box.firstChild.dataset.code = error.code;
    const fields = refusedFields(error);
    for (const c of form.querySelectorAll("[data-field]")) {
      const f = c.dataset.field;
      if (!fields.some((n) => f === n || f.startsWith(`${n}.`) || f.startsWith(`${n}[`))) continue;
      c.setAttribute("aria-invalid", "true");
      c.setAttribute("aria-errormessage", id);
    }
  };
  return { box, clear, show };
}

// The managed networks a subnet or group can go in, named with their cloud and block.
function networkChoice(select, vpcs) {
  const kept = select.value;
  const open = vpcs.filter((v) => v.managed && !GONE.has(v.status));
  select.replaceChildren(...open.map((v) => new Option(`${v.name} (${v.provider.toUpperCase()}, ${blocksOf(v).join(", ") || "no block"})`, v.id)));
  if (open.some((v) => v.id === kept)) select.value = kept;
  return open;
}

// Submitting a form: its button held while the API answers, its problem shown on it.
function submitting(button, problem, work) {
  return async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.clear();
    try {
      await work();
    } catch (error) {
      problem.show(error);
    } finally {
      button.disabled = false;
    }
  };
}

function subnetForm(byId, reload) {
  const network = h("select", { name: "vpc", required: true, "data-field": "vpc_id" });
  const name = h("input", { name: "subnet-name", required: true, autocomplete: "off", "data-field": "name" });
  // No pattern here: the network service decides what a block is and says why not.
  const cidr = h("input", { name: "subnet-cidr", required: true, placeholder: "10.0.1.0/24", class: "mono", "data-field": "cidr_block" });
  const zone = h("input", { name: "subnet-zone", placeholder: "AWS only, e.g. us-east-1a", "data-field": "availability_zone" });
  const region = h("input", { name: "subnet-region", placeholder: "GCP: the subnet's region", "data-field": "region" });
  const isPublic = h("input", { type: "checkbox", name: "subnet-public", id: "subnet-public", "data-field": "is_public" });
  const button = h("button", { type: "submit", class: "primary" }, "Create subnet");
  const form = h("form", { class: "card inline", "aria-labelledby": "subnet-h" });
  const problem = formProblem(form, "subnet-problem");
  form.addEventListener("submit", submitting(button, problem, async () => {
    // The select is required: the browser keeps the form from coming here without one.
    const vpc = byId().get(network.value);
    const body = { vpc_id: vpc.id, name: name.value, cidr_block: cidr.value.trim(), is_public: isPublic.checked };
    if (zone.value) body.availability_zone = zone.value;
    if (region.value) body.region = region.value;
    await api("POST", `/api/v1/${vpc.provider}/network/subnets`, body);
    name.value = "";
    cidr.value = "";
    await reload();
  }));
  form.append(
    h("h2", { id: "subnet-h" }, "Add a subnet"),
    field("Network", network),
    field("Subnet name", name),
    field("Subnet block", cidr, "Inside the network's block."),
    field("Zone (optional)", zone),
    field("Subnet region (optional)", region),
    h("label", { class: "choice", for: "subnet-public" }, isPublic, " Public"),
    button,
    problem.box,
  );
  return { form, refresh: (vpcs) => networkChoice(network, vpcs) };
}

// A rule's controls, labelled and named as the API names them (`rules[0].cidr`): both
// counted again whenever a row comes or goes.
const RULE_CONTROLS = [
  ["direction", "direction", "Direction"],
  ["protocol", "protocol", "Protocol"],
  ["cidr", "cidr", "Block"],
  ["from", "from_port", "From port"],
  ["to", "to_port", "To port"],
];

function renumber(rules) {
  [...rules.querySelectorAll("tr.rule")].forEach((row, i) => {
    for (const [n, api, label] of RULE_CONTROLS) {
      const control = row.querySelector(`[name=rule-${n}]`);
      control.dataset.field = `rules[${i}].${api}`;
      control.setAttribute("aria-label", `${label} of rule ${i + 1}`);
    }
    row.querySelector("button").setAttribute("aria-label", `Remove rule ${i + 1}`);
  });
}

function ruleRow(rules) {
  const direction = h("select", { name: "rule-direction" }, ["ingress", "egress"].map((d) => new Option(d, d)));
  const protocol = h("select", { name: "rule-protocol" }, ["tcp", "udp", "icmp", "all"].map((p) => new Option(p, p)));
  const cidr = h("input", { name: "rule-cidr", required: true, value: "10.0.0.0/8", class: "mono" });
  const from = h("input", { name: "rule-from", type: "number", min: 0, max: 65535, value: 443 });
  const to = h("input", { name: "rule-to", type: "number", min: 0, max: 65535 });
  // icmp and all take no ports: the fields go quiet rather than send what the API refuses.
  protocol.addEventListener("change", () => {
    const portless = ["icmp", "all"].includes(protocol.value);
    from.disabled = portless;
    to.disabled = portless;
  });
  const remove = h("button", { type: "button", class: "link" }, "Remove");
  const row = h("tr", { class: "rule" }, [direction, protocol, cidr, from, to, remove].map((c) => h("td", {}, c)));
  remove.addEventListener("click", () => {
    // Focus goes to a neighbouring rule, not to the page's start, when a row goes.
    (row.nextElementSibling || row.previousElementSibling)?.querySelector("select")?.focus();
    row.remove();
    renumber(rules);
  });
  rules.append(row);
  renumber(rules);
  return row;
}

function readRules(rules) {
  return [...rules.querySelectorAll("tr.rule")].map((row) => {
    const control = (n) => row.querySelector(`[name=rule-${n}]`);
    const rule = { direction: control("direction").value, protocol: control("protocol").value, cidr: control("cidr").value.trim() };
    for (const [n, api] of [["from", "from_port"], ["to", "to_port"]]) {
      if (!control(n).disabled && control(n).value !== "") rule[api] = Number(control(n).value);
    }
    return rule;
  });
}

function groupForm(byId, reload) {
  const network = h("select", { name: "vpc", required: true, "data-field": "vpc_id" });
  const name = h("input", { name: "group-name", required: true, autocomplete: "off", "data-field": "name" });
  const description = h("input", { name: "group-description", maxlength: 255, "data-field": "description" });
  const rules = h("tbody", {});
  const button = h("button", { type: "submit", class: "primary" }, "Create security group");
  const form = h("form", { class: "card", "aria-labelledby": "group-h" });
  const problem = formProblem(form, "group-problem");
  form.addEventListener("submit", submitting(button, problem, async () => {
    // The select is required: the browser keeps the form from coming here without one.
    const vpc = byId().get(network.value);
    const body = { vpc_id: vpc.id, name: name.value, description: description.value, rules: readRules(rules) };
    await api("POST", `/api/v1/${vpc.provider}/network/security-groups`, body);
    name.value = "";
    description.value = "";
    rules.replaceChildren();
    ruleRow(rules);
    await reload();
  }));
  ruleRow(rules);
  form.append(
    h("h2", { id: "group-h" }, "Add a security group"),
    h("div", { class: "inline" }, field("Network", network), field("Group name", name), field("Description", description)),
    h(
      "table",
      { class: "rules" },
      h("caption", {}, "Rules (a blank To port is the From port; icmp and all take no ports)"),
      h("thead", {}, h("tr", {}, ["Direction", "Protocol", "Block", "From port", "To port", ""].map((c) => h("th", { scope: "col" }, c)))),
      rules,
    ),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => ruleRow(rules).querySelector("select").focus() }, "Add rule"), button),
    problem.box,
  );
  return { form, refresh: (vpcs) => networkChoice(network, vpcs) };
}

function createForm(credentials, prefix, run, reload) {
  const provider = h("select", { name: "provider" }, CLOUDS.map((c) => new Option(c.toUpperCase(), c)));
  const credential = h("select", { name: "credential", required: true });
  const name = h("input", { name: "name", required: true, pattern: "[a-zA-Z][a-zA-Z0-9\\-]{0,99}", autocomplete: "off" });
  const region = h("input", { name: "region", value: REGIONS.aws, pattern: "[a-z][a-z0-9\\-]{1,63}" });
  const cidr = h("input", { name: "cidr", placeholder: "the next free block", pattern: "[0-9.]+/[0-9]{1,2}" });
  const fill = () => {
    credential.replaceChildren(...credentials.filter((c) => c.provider === provider.value).map((c) => new Option(c.name, c.id)));
    region.value = REGIONS[provider.value];
  };
  provider.addEventListener("change", fill);
  fill();
  const form = h(
    "form",
    {
      class: "card inline",
      onsubmit: (event) => {
        event.preventDefault();
        run(async () => {
          const body = { credential_id: credential.value, name: name.value, region: region.value };
          if (cidr.value) body.cidr_block = cidr.value;
          else body.prefix_length = Number(prefix.value);
          await api("POST", `/api/v1/${provider.value}/network/vpcs`, body);
          name.value = "";
          cidr.value = "";
          await reload();
        });
      },
    },
    h("h2", {}, "Create a network"),
    field("Cloud", provider),
    field("Credential", credential),
    field("Network name", name),
    field("Region", region),
    field("CIDR block", cidr, "Blank: the next free block of the prefix length above."),
    h("button", { type: "submit", class: "primary" }, "Create network"),
  );
  return form;
}

// `remove` is null for a caller who may not change networks: no button, not a dead one.
function deleteCell(remove, cloud, kind, label, item) {
  if (!remove) return null;
  const button = GONE.has(item.status)
    ? null
    : h(
        "button",
        { type: "button", class: "danger", "aria-label": `Delete ${label} ${item.name}`, onclick: () => confirm(`Delete ${label} ${item.name}?`) && remove(cloud, kind, item.id) },
        "Delete",
      );
  return h("td", {}, button);
}

function cloudTables(cloud, vpcs, subnets, groups, remove) {
  const vpcName = new Map(vpcs.map((v) => [v.id, v.name]));
  const actions = remove ? [""] : [];
  return h(
    "section",
    { "aria-labelledby": `net-${cloud}`, "data-cloud": cloud },
    h("h2", { id: `net-${cloud}` }, cloud.toUpperCase()),
    table(`${cloud.toUpperCase()} networks`, ["Name", "Block", "Region", "Status", "Managed"], vpcs.map((v) =>
      h("tr", { "data-vpc": v.id }, h("th", { scope: "row" }, v.name), h("td", { class: "mono" }, blocksOf(v).join(", ") || "—"), h("td", {}, v.region), h("td", {}, statusBadge(v.status || "—")), h("td", {}, v.managed ? "yes" : "discovered")),
    )),
    table(`${cloud.toUpperCase()} subnets`, ["Name", "Block", "Network", "Zone", "Public", "Status", ...actions], subnets.map((s) =>
      h("tr", { "data-subnet": s.id, "data-status": s.status }, h("th", { scope: "row" }, s.name), h("td", { class: "mono" }, s.cidr_block), h("td", {}, vpcName.get(s.vpc_id) || s.vpc_id), h("td", {}, s.availability_zone || "—"), h("td", {}, s.is_public ? "yes" : "no"), h("td", {}, statusBadge(s.status)), deleteCell(remove, cloud, "subnets", "subnet", s)),
    )),
    table(`${cloud.toUpperCase()} security groups`, ["Name", "Network", "Rules", "Status", ...actions], groups.map((g) =>
      h("tr", { "data-security-group": g.id, "data-status": g.status }, h("th", { scope: "row" }, g.name), h("td", {}, vpcName.get(g.vpc_id) || g.vpc_id), h("td", { class: "rules" }, g.rules.map((r) => `${r.direction} ${r.protocol} ${r.cidr}${r.from_port != null ? ` ${r.from_port}-${r.to_port ?? r.from_port}` : ""}`).join("; ") || "none"), h("td", {}, statusBadge(g.status)), deleteCell(remove, cloud, "security-groups", "security group", g)),
    )),
  );
}

export async function networksPage(view, ctx) {
  const problem = h("div", { "aria-live": "assertive" });
  const run = async (work) => {
    problem.replaceChildren();
    try {
      await work();
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    }
  };
  const prefix = h("input", { type: "number", name: "prefix", min: 8, max: 29, value: 16 });
  const free = h("output", { id: "next-free", class: "mono", "aria-live": "polite" }, "…");
  const map = h("section", { "aria-labelledby": "map-h" }, h("h2", { id: "map-h" }, "Address space"));
  const clouds = h("div", {}, h("p", {}, "Loading…"));
  const writer = ctx.can("networks:write");
  const credentials = writer ? await api("GET", "/api/v1/credentials?limit=100").catch(() => []) : [];
  const form = writer ? createForm(credentials, prefix, run, () => load()) : null;
  let vpcsById = new Map();
  const subnets = writer ? subnetForm(() => vpcsById, () => load()) : null;
  const groups = writer ? groupForm(() => vpcsById, () => load()) : null;
  const remove = writer
    ? (cloud, kind, id) => run(async () => {
        await api("DELETE", `/api/v1/${cloud}/network/${kind}/${id}`);
        await load();
      })
    : null;
  mount(
    view,
    h("h1", {}, "Networks"),
    problem,
    h("div", { class: "filters" }, field("Prefix length", prefix), h("p", {}, "Next free block: ", free)),
    map,
    form,
    subnets?.form,
    groups?.form,
    clouds,
  );

  async function load() {
    const lists = await Promise.all(
      CLOUDS.map((c) => Promise.all(KINDS.map((k) => api("GET", `/api/v1/${c}/network/${k}?limit=100`)))),
    );
    const plan = await api("GET", `/api/v1/network/cidr-plan?prefix_length=${Number(prefix.value) || 16}`).catch((e) => ({ error: e }));
    free.textContent = plan.error ? `${plan.error.code}: ${plan.error.message}` : plan.cidr_block;
    const vpcs = lists.flatMap(([v], i) => v.map((x) => ({ ...x, provider: CLOUDS[i], blocks: blocksOf(x) })));
    const allSubnets = lists.flatMap(([, s]) => s);
    vpcsById = new Map(vpcs.map((v) => [v.id, v]));
    subnets?.refresh(vpcs);
    groups?.refresh(vpcs);
    const { overall, perVpc } = addressMap(vpcs, allSubnets, plan.error ? null : plan.cidr_block);
    const captions = perVpc.map((svg) => h("figure", {}, svg, h("figcaption", {}, `${vpcs.find((v) => v.id === svg.dataset.vpcMap)?.name} ${svg.dataset.range}`)));
    mount(
      map,
      h("h2", { id: "map-h" }, "Address space"),
      overall.length ? overall : h("p", {}, "No network yet."),
      h("ul", { class: "legend" }, CLOUDS.map((c) => h("li", { class: `key ${c}` }, c.toUpperCase())), h("li", { class: "key free" }, "next free block"), h("li", { class: "key overlap" }, "overlapping")),
      perVpc.length ? h("h3", {}, "Subnets by network") : null,
      captions,
    );
    clouds.replaceChildren(...CLOUDS.map((c, i) => cloudTables(c, ...lists[i], remove)));
  }

  prefix.addEventListener("change", () => run(load));
  let pending = null;
  ctx.cleanup.push(
    stream.subscribe((name) => {
      if (!/^(Vpc|Subnet|SecurityGroup)/.test(name)) return;
      clearTimeout(pending);
      pending = setTimeout(() => run(load), 300);
    }),
    () => clearTimeout(pending),
  );
  await run(load);
}
