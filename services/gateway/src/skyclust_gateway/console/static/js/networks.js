// Networks in every cloud: the workspace's address space as a map (each network and its
// subnets placed by address, the planner's next free block outlined), then the networks,
// subnets and security groups of each cloud. Users who may change networks create one
// here; without a block the planner picks the next free one. The page follows the
// stream's network events.

import { api } from "./api.js";
import { alertBox, field, h, mount, statusBadge, table } from "./dom.js";
import { addressMap } from "./cidrmap.js";
import { stream } from "./stream.js";

const CLOUDS = ["aws", "gcp", "azure"];
const REGIONS = { aws: "us-east-1", gcp: "us-central1", azure: "westeurope" };
const KINDS = ["vpcs", "subnets", "security-groups"];

const blocksOf = (vpc) => (vpc.address_space?.length ? vpc.address_space : [vpc.cidr_block].filter(Boolean));

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

function cloudTables(cloud, vpcs, subnets, groups) {
  const vpcName = new Map(vpcs.map((v) => [v.id, v.name]));
  return h(
    "section",
    { "aria-labelledby": `net-${cloud}`, "data-cloud": cloud },
    h("h2", { id: `net-${cloud}` }, cloud.toUpperCase()),
    table(`${cloud.toUpperCase()} networks`, ["Name", "Block", "Region", "Status", "Managed"], vpcs.map((v) =>
      h("tr", { "data-vpc": v.id }, h("th", { scope: "row" }, v.name), h("td", { class: "mono" }, blocksOf(v).join(", ") || "—"), h("td", {}, v.region), h("td", {}, statusBadge(v.status || "—")), h("td", {}, v.managed ? "yes" : "discovered")),
    )),
    table(`${cloud.toUpperCase()} subnets`, ["Name", "Block", "Network", "Zone", "Public", "Status"], subnets.map((s) =>
      h("tr", { "data-subnet": s.id }, h("th", { scope: "row" }, s.name), h("td", { class: "mono" }, s.cidr_block), h("td", {}, vpcName.get(s.vpc_id) || s.vpc_id), h("td", {}, s.availability_zone || "—"), h("td", {}, s.is_public ? "yes" : "no"), h("td", {}, statusBadge(s.status))),
    )),
    table(`${cloud.toUpperCase()} security groups`, ["Name", "Network", "Rules", "Status"], groups.map((g) =>
      h("tr", { "data-security-group": g.id }, h("th", { scope: "row" }, g.name), h("td", {}, vpcName.get(g.vpc_id) || g.vpc_id), h("td", {}, g.rules.map((r) => `${r.direction} ${r.protocol} ${r.cidr}${r.from_port != null ? ` ${r.from_port}-${r.to_port ?? r.from_port}` : ""}`).join("; ") || "none"), h("td", {}, statusBadge(g.status))),
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
  const credentials = ctx.can("networks:write") ? await api("GET", "/api/v1/credentials?limit=100").catch(() => []) : [];
  const form = ctx.can("networks:write") ? createForm(credentials, prefix, run, () => load()) : null;
  mount(
    view,
    h("h1", {}, "Networks"),
    problem,
    h("div", { class: "filters" }, field("Prefix length", prefix), h("p", {}, "Next free block: ", free)),
    map,
    form,
    clouds,
  );

  async function load() {
    const lists = await Promise.all(
      CLOUDS.map((c) => Promise.all(KINDS.map((k) => api("GET", `/api/v1/${c}/network/${k}?limit=100`)))),
    );
    const plan = await api("GET", `/api/v1/network/cidr-plan?prefix_length=${Number(prefix.value) || 16}`).catch((e) => ({ error: e }));
    free.textContent = plan.error ? `${plan.error.code}: ${plan.error.message}` : plan.cidr_block;
    const vpcs = lists.flatMap(([v], i) => v.map((x) => ({ ...x, provider: CLOUDS[i], blocks: blocksOf(x) })));
    const subnets = lists.flatMap(([, s]) => s);
    const { overall, perVpc } = addressMap(vpcs, subnets, plan.error ? null : plan.cidr_block);
    const captions = perVpc.map((svg) => h("figure", {}, svg, h("figcaption", {}, `${vpcs.find((v) => v.id === svg.dataset.vpcMap)?.name} ${svg.dataset.range}`)));
    mount(
      map,
      h("h2", { id: "map-h" }, "Address space"),
      overall.length ? overall : h("p", {}, "No network yet."),
      h("ul", { class: "legend" }, CLOUDS.map((c) => h("li", { class: `key ${c}` }, c.toUpperCase())), h("li", { class: "key free" }, "next free block"), h("li", { class: "key overlap" }, "overlapping")),
      perVpc.length ? h("h3", {}, "Subnets by network") : null,
      captions,
    );
    clouds.replaceChildren(...CLOUDS.map((c, i) => cloudTables(c, ...lists[i])));
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
