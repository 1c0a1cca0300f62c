// Costs: daily spend by cloud (one summary per cloud), the breakdown by a chosen
// dimension, the forecast with its 80% and 95% bands, and the budgets' standing drawn
// with their thresholds (created and edited here by those who may manage budgets).

import { api } from "./api.js";
import { alertBox, field, h, money, mount, table } from "./dom.js";
import { dailyChart, forecastChart, legend } from "./chart.js";
import { budgetChart, budgetForm, budgetTable } from "./budgets.js";

const CLOUDS = ["aws", "gcp", "azure"];

export async function costsPage(view, ctx) {
  const period = h("select", { id: "period" }, ["7d", "1m", "3m"].map((p) => new Option(p, p, p === "1m", p === "1m")));
  const by = h("select", { id: "by" }, ["service", "provider", "region", "cluster", "node_group"].map((b) => new Option(b.replace("_", " "), b)));
  const body = h("div", {}, h("p", {}, "Loading…"));
  const collect = ctx.can("clusters:write")
    ? h("button", { type: "button", onclick: () => api("POST", "/api/v1/cost-analysis/collect?days=30").then(load).catch((e) => body.prepend(alertBox(e))) }, "Collect from the clouds now")
    : null;
  const problem = h("div", { "aria-live": "assertive" });
  const run = async (work) => {
    problem.replaceChildren();
    try {
      await work();
    } catch (error) {
      problem.replaceChildren(alertBox(error));
    }
  };
  const editor = ctx.can("budgets:manage") ? budgetForm(run, () => load()) : null;
  mount(view, h("div", { class: "heading" }, h("h1", {}, "Costs"), collect), h("div", { class: "filters" }, field("Period", period), field("Breakdown by", by)), problem, body);

  async function load() {
    const q = `period=${period.value}`;
    let summaries, breakdown, forecast, budgets;
    try {
      [summaries, breakdown, forecast, budgets] = await Promise.all([
        Promise.all(CLOUDS.map((c) => api("GET", `/api/v1/cost-analysis/summary?${q}&provider=${c}`))),
        api("GET", `/api/v1/cost-analysis/breakdown?${q}&by=${by.value}`),
        api("GET", "/api/v1/cost-analysis/forecast?horizon=1m"),
        // The list has no standing; each budget's own read has its spend and forecast.
        api("GET", "/api/v1/budgets").then((b) => Promise.all(b.items.map((i) => api("GET", `/api/v1/budgets/${i.budget_id}`)))),
      ]);
    } catch (error) {
      body.replaceChildren(alertBox(error));
      return;
    }
    const dates = [...new Set(summaries.flatMap((s) => s.daily.map((d) => d.date)))].sort();
    const series = summaries.map((s, i) => ({ name: CLOUDS[i].toUpperCase(), values: new Map(s.daily.map((d) => [d.date, d.amount])) }));
    const total = summaries.reduce((sum, s) => sum + s.total, 0);
    const warnings = [...summaries, breakdown, forecast].flatMap((r) => r.warnings || []);
    body.replaceChildren(
      h(
        "section",
        { "aria-labelledby": "daily-h" },
        h("h2", { id: "daily-h" }, "Daily spend by cloud ", h("span", { class: "total" }, money(total))),
        dailyChart(`Daily spend by cloud, ${summaries[0].start} to ${summaries[0].end}`, dates, series),
        legend(series.map((s, i) => `${s.name} ${money(summaries[i].total)}`)),
      ),
      h(
        "section",
        { "aria-labelledby": "bd-h" },
        h("h2", { id: "bd-h" }, "Breakdown"),
        table(
          `Spend by ${breakdown.by}, ${breakdown.start} to ${breakdown.end}`,
          [breakdown.by, "Amount", "Share"],
          breakdown.items.map((i) => h("tr", {}, h("th", { scope: "row" }, i.key), h("td", { class: "num" }, money(i.amount, breakdown.currency)), h("td", { class: "num" }, `${(i.share * 100).toFixed(1)}%`))),
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "fc-h" },
        h("h2", { id: "fc-h" }, "Forecast ", h("span", { class: "total" }, money(forecast.total))),
        forecastChart(`Forecast to ${forecast.end}: mean with 80% and 95% intervals`, forecast.daily),
        legend(["mean", "80% interval", "95% interval"], ["s0", "band80", "band95"]),
      ),
      h(
        "section",
        { "aria-labelledby": "bu-h" },
        h("h2", { id: "bu-h" }, "Budgets"),
        budgets.length ? budgetChart("Each budget's spend and forecast against its amount, thresholds marked", budgets) : null,
        budgets.length ? legend(["spent", "forecast", "amount", "threshold"], ["budget-actual", "budget-forecast", "budget-amount", "threshold"]) : null,
        budgetTable(budgets, editor ? editor.edit : null),
        editor ? editor.form : null,
      ),
      h("div", {}, warnings.map((w) => h("p", { class: "warning" }, `${w.code}: ${w.message}`))),
    );
  }
  period.addEventListener("change", load);
  by.addEventListener("change", load);
  await load();
}
