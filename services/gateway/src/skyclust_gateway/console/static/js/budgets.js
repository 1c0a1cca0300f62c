// The costs page's budgets: a chart of each budget's spend and forecast against its
// amount with its thresholds marked, the table, and (budgets:manage only) a form that
// creates a budget or, from a row's Edit, replaces its settings.

import { api } from "./api.js";
import { field, h, money, table } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const ROW = 44;
const LEFT = 150;
const RIGHT = 16;

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const scopeText = (s) => (s.value ? `${s.kind}: ${s.value}` : s.kind);

// budgets: each with its status (GetBudget's: actual, forecast, crossed).
export function budgetChart(title, budgets) {
  const height = budgets.length * ROW + 24;
  const svg = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", class: "chart budgets-chart" });
  svg.append(el("title", {}, title));
  budgets.forEach((b, i) => {
    const amount = Number(b.amount);
    const actual = Number(b.status?.actual ?? 0);
    const forecast = Number(b.status?.forecast ?? 0);
    const top = Math.max(amount, actual, forecast, ...b.thresholds.map((t) => (amount * Number(t)) / 100)) * 1.05 || 1;
    const x = (v) => LEFT + (v / top) * (W - LEFT - RIGHT);
    const y = 8 + i * ROW;
    const group = el("g", { "data-budget": b.budget_id });
    group.append(
      el("text", { x: LEFT - 8, y: y + 18, "text-anchor": "end", class: "axis" }, b.name),
      el("rect", { x: LEFT, y: y + 4, width: x(amount) - LEFT, height: 22, class: "budget-amount" }),
      el("rect", { x: LEFT, y: y + 8, width: Math.max(0, x(forecast) - LEFT), height: 14, class: "budget-forecast" }),
      el("rect", { x: LEFT, y: y + 11, width: Math.max(0, x(actual) - LEFT), height: 8, class: "budget-actual" }),
    );
    for (const t of b.thresholds) {
      const at = x((amount * Number(t)) / 100);
      const crossed = (b.status?.crossed || []).some((c) => Number(c.threshold ?? c) === Number(t));
      const mark = el("line", { x1: at, x2: at, y1: y, y2: y + 30, class: `threshold${crossed ? " crossed" : ""}`, "data-threshold": Number(t) });
      mark.append(el("title", {}, `${Number(t)}% of ${money(amount, b.currency)}: ${money((amount * Number(t)) / 100, b.currency)}`));
      group.append(mark, el("text", { x: at, y: y + 40, "text-anchor": "middle", class: "axis" }, `${Number(t)}%`));
    }
    svg.append(group);
  });
  return svg;
}

export function budgetTable(budgets, onEdit) {
  return table(
    "Budgets, their thresholds and where the period stands",
    ["Budget", "Scope", "Mode", "Amount", "Spent", "Forecast", "Thresholds", ""],
    budgets.map((b) =>
      h(
        "tr",
        { "data-budget": b.budget_id },
        h("th", { scope: "row" }, b.name),
        h("td", {}, scopeText(b.scope)),
        h("td", {}, b.mode),
        h("td", { class: "num" }, money(b.amount, b.currency)),
        h("td", { class: "num" }, money(b.status?.actual ?? 0, b.currency)),
        h("td", { class: "num" }, money(b.status?.forecast ?? 0, b.currency)),
        h("td", { class: "thresholds" }, b.thresholds.map((t) => `${Number(t)}%`).join(", ")),
        h("td", {}, onEdit ? h("button", { type: "button", onclick: () => onEdit(b) }, "Edit") : null),
      ),
    ),
  );
}

// The form: POST /budgets, or PUT /budgets/{id} when a budget is being edited. onSaved
// reloads the page's data.
export function budgetForm(run, onSaved) {
  let editing = null;
  const name = h("input", { name: "budget-name", required: true, maxlength: 100 });
  const amount = h("input", { name: "budget-amount", required: true, inputmode: "decimal", pattern: "[0-9]+(\\.[0-9]{1,2})?" });
  const period = h("select", { name: "budget-period" }, ["monthly", "quarterly", "yearly"].map((p) => new Option(p, p)));
  const scope = h("select", { name: "budget-scope" }, ["workspace", "aws", "gcp", "azure"].map((s) => new Option(s === "workspace" ? "the workspace" : s.toUpperCase(), s)));
  const thresholds = h("input", { name: "budget-thresholds", value: "50, 80, 100", pattern: "\\s*[0-9]+(\\.[0-9]+)?(\\s*,\\s*[0-9]+(\\.[0-9]+)?)*\\s*" });
  const mode = h("select", { name: "budget-mode" }, ["warn", "enforce"].map((m) => new Option(m, m)));
  const heading = h("h2", {}, "Create a budget");
  const submit = h("button", { type: "submit", class: "primary" }, "Create budget");
  const cancel = h("button", { type: "button", hidden: true, onclick: () => reset() }, "Cancel");

  function reset() {
    editing = null;
    form.reset();
    heading.textContent = "Create a budget";
    submit.textContent = "Create budget";
    cancel.hidden = true;
  }

  function edit(budget) {
    editing = budget;
    name.value = budget.name;
    amount.value = Number(budget.amount).toString();
    period.value = budget.period;
    scope.value = budget.scope.kind === "provider" ? budget.scope.value : "workspace";
    thresholds.value = budget.thresholds.map((t) => Number(t)).join(", ");
    mode.value = budget.mode;
    heading.textContent = `Edit budget “${budget.name}”`;
    submit.textContent = "Save budget";
    cancel.hidden = false;
    name.focus();
  }

  const form = h(
    "form",
    {
      class: "card inline budget-form",
      onsubmit: (event) => {
        event.preventDefault();
        run(async () => {
          const body = {
            name: name.value,
            amount: amount.value,
            period: period.value,
            scope: scope.value === "workspace" ? { kind: "workspace" } : { kind: "provider", value: scope.value },
            thresholds: thresholds.value.split(",").map((t) => t.trim()).filter(Boolean),
            mode: mode.value,
          };
          if (editing) await api("PUT", `/api/v1/budgets/${editing.budget_id}`, body);
          else await api("POST", "/api/v1/budgets", body);
          reset();
          await onSaved();
        });
      },
    },
    heading,
    field("Budget name", name),
    field("Amount (USD)", amount),
    field("Period", period),
    field("Covers", scope),
    field("Thresholds (%)", thresholds, "Comma separated, e.g. 50, 80, 100"),
    field("Mode", mode, "enforce: the guardrail refuses what would pass 100%"),
    submit,
    cancel,
  );
  return { form, edit };
}
