// Inline SVG charts, drawn from data with attributes only (the console's CSP allows no
// inline style): daily lines per series, and a forecast's mean with its 80% and 95% bands.

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const H = 260;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(title, dates, max) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart" });
  svg.append(el("title", {}, title));
  const x = (i) => PAD.left + (dates.length < 2 ? 0 : (i * (W - PAD.left - PAD.right)) / (dates.length - 1));
  const top = max > 0 ? max * 1.1 : 1;
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  for (let t = 0; t <= 4; t++) {
    const value = (top * t) / 4;
    svg.append(
      el("line", { x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value), class: "grid" }),
      el("text", { x: PAD.left - 6, y: y(value) + 4, "text-anchor": "end", class: "axis" }, value.toFixed(value < 10 ? 2 : 0)),
    );
  }
  const every = Math.max(1, Math.ceil(dates.length / 6));
  dates.forEach((d, i) => {
    if (i % every === 0) svg.append(el("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "axis" }, d.slice(5)));
  });
  return { svg, x, y };
}

const line = (points) => points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");

// series: [{name, values: Map(date -> amount)}]
export function dailyChart(title, dates, series) {
  const max = Math.max(0, ...series.flatMap((s) => dates.map((d) => s.values.get(d) || 0)));
  const { svg, x, y } = frame(title, dates, max);
  series.forEach((s, n) => {
    const points = dates.map((d, i) => [x(i), y(s.values.get(d) || 0)]);
    svg.append(el("path", { d: line(points), class: `series s${n}`, "data-series": s.name }, undefined));
    points.forEach(([px, py], i) => {
      const amount = s.values.get(dates[i]) || 0;
      const dot = el("circle", { cx: px, cy: py, r: 2.5, class: `dot s${n}`, "data-date": dates[i], "data-amount": amount });
      dot.append(el("title", {}, `${s.name} ${dates[i]}: ${amount.toFixed(2)}`));
      svg.append(dot);
    });
  });
  return svg;
}

// days: [{date, mean, lower_80, upper_80, lower_95, upper_95}]
export function forecastChart(title, days) {
  const dates = days.map((d) => d.date);
  const { svg, x, y } = frame(title, dates, Math.max(0, ...days.map((d) => d.upper_95)));
  const band = (lo, hi, cls) => {
    const upper = days.map((d, i) => [x(i), y(d[hi])]);
    const lower = days.map((d, i) => [x(i), y(Math.max(0, d[lo]))]).reverse();
    svg.append(el("path", { d: `${line(upper)} ${line(lower).replace("M", "L")} Z`, class: cls }));
  };
  if (days.length) {
    band("lower_95", "upper_95", "band band95");
    band("lower_80", "upper_80", "band band80");
    svg.append(el("path", { d: line(days.map((d, i) => [x(i), y(d.mean)])), class: "series s0" }));
  }
  return svg;
}

// classes: the chart's class of each name's mark (by default its series colour).
export function legend(names, classes = names.map((_, n) => `s${n}`)) {
  const list = document.createElement("ul");
  list.className = "legend";
  names.forEach((name, n) => {
    const item = document.createElement("li");
    const swatch = el("svg", { width: 12, height: 12, "aria-hidden": "true" });
    swatch.append(el("rect", { width: 12, height: 12, class: `swatch ${classes[n]}` }));
    item.append(swatch, ` ${name}`);
    list.append(item);
  });
  return list;
}
