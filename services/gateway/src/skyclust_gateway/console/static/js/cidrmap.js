// The workspace's address space drawn by address: one bar per private range in use
// (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or the /8 of any other block) with every
// network's blocks placed where they sit, the planner's next free block outlined, and one
// bar per network with its subnets placed inside it. Blocks that overlap are put on lanes
// of their own and marked, so an overlap (allowed only with allow_overlap) is seen.

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const LANE = 26;
const PAD = { left: 8, right: 8, top: 6, bottom: 20 };
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function parseCidr(cidr) {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr || "");
  if (!match) return null;
  const prefix = Number(match[5]);
  const address = match.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const start = address - (address % size);
  return { cidr, start, end: start + size, prefix };
}

export function contains(outer, inner) {
  return inner.start >= outer.start && inner.end <= outer.end;
}

// The range a block is drawn on: the private range holding it, or its /8.
export function rangeOf(block) {
  const held = PRIVATE.map(parseCidr).find((r) => contains(r, block));
  if (held) return held;
  const start = block.start - (block.start % 2 ** 24);
  return { cidr: `${Math.floor(start / 2 ** 24)}.0.0.0/8`, start, end: start + 2 ** 24, prefix: 8 };
}

// Lanes: a block goes on the first lane whose last block ends before it starts, so the
// blocks of one lane never overlap and a second lane exists only where some do.
export function lanes(blocks) {
  const ends = [];
  const placed = [...blocks]
    .sort((a, b) => a.start - b.start || b.end - a.end)
    .map((b) => {
      let lane = ends.findIndex((end) => end <= b.start);
      if (lane < 0) lane = ends.push(0) - 1;
      ends[lane] = b.end;
      return { ...b, lane };
    });
  const overlapping = new Set();
  for (const a of placed) {
    for (const b of placed) {
      if (a !== b && a.start < b.end && b.start < a.end) overlapping.add(a.key);
    }
  }
  return { placed: placed.map((b) => ({ ...b, overlap: overlapping.has(b.key) })), count: Math.max(1, ends.length) };
}

function bar(title, range, blocks, free) {
  const { placed, count } = lanes(blocks);
  const height = PAD.top + count * LANE + PAD.bottom;
  const svg = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", class: "cidr-map", "data-range": range.cidr });
  svg.append(el("title", {}, title));
  const span = W - PAD.left - PAD.right;
  const x = (address) => PAD.left + ((address - range.start) / (range.end - range.start)) * span;
  svg.append(el("rect", { x: PAD.left, y: PAD.top, width: span, height: count * LANE, class: "space" }));
  for (const b of placed) {
    const width = Math.max(3, x(b.end) - x(b.start));
    const rect = el("rect", {
      x: x(b.start),
      y: PAD.top + b.lane * LANE + 2,
      width,
      height: LANE - 4,
      class: `block ${b.kind}${b.overlap ? " overlap" : ""}`,
      "data-cidr": b.cidr,
      [`data-${b.kind === "subnet" ? "subnet" : "vpc"}`]: b.id,
    });
    rect.append(el("title", {}, `${b.label} ${b.cidr}${b.overlap ? " (overlaps)" : ""}`));
    svg.append(rect);
    if (width > 70) {
      svg.append(el("text", { x: x(b.start) + 4, y: PAD.top + b.lane * LANE + 17, class: "block-label" }, `${b.label} ${b.cidr}`));
    }
  }
  if (free && contains(range, free)) {
    const rect = el("rect", { x: x(free.start), y: PAD.top + 1, width: Math.max(3, x(free.end) - x(free.start)), height: count * LANE - 2, class: "free", "data-cidr": free.cidr });
    rect.append(el("title", {}, `next free block ${free.cidr}`));
    svg.append(rect);
  }
  const axis = (address, anchor, text) => svg.append(el("text", { x: x(address), y: height - 6, "text-anchor": anchor, class: "axis" }, text));
  axis(range.start, "start", range.cidr.split("/")[0]);
  axis(range.end, "end", `${range.cidr} · ${(range.end - range.start).toLocaleString()} addresses`);
  return svg;
}

// vpcs: [{id, name, provider, blocks: [cidr]}]; subnets: [{id, name, vpc_id, cidr_block}];
// free: the planner's next free block, or null. Returns the bars as one list of nodes.
export function addressMap(vpcs, subnets, free) {
  const blocks = vpcs.flatMap((v) =>
    v.blocks.map(parseCidr).filter(Boolean).map((b) => ({ ...b, id: v.id, key: `${v.id} ${b.cidr}`, kind: v.provider, label: v.name })),
  );
  const freeBlock = parseCidr(free);
  const ranges = new Map();
  for (const b of [...blocks, ...(freeBlock ? [freeBlock] : [])]) {
    const range = rangeOf(b);
    if (!ranges.has(range.cidr)) ranges.set(range.cidr, { range, blocks: [] });
    if (b.id) ranges.get(range.cidr).blocks.push(b);
  }
  const overall = [...ranges.values()]
    .sort((a, b) => a.range.start - b.range.start)
    .map(({ range, blocks: own }) => bar(`The networks in ${range.cidr}, placed by address`, range, own, freeBlock));
  const perVpc = blocks.map((block) => {
    const inside = subnets
      .filter((s) => s.vpc_id === block.id)
      .map((s) => ({ ...parseCidr(s.cidr_block), id: s.id, key: s.id, kind: "subnet", label: s.name }))
      .filter((b) => b.cidr && contains(block, b));
    const svg = bar(`The subnets of ${block.label} in ${block.cidr}, placed by address`, block, inside, null);
    svg.setAttribute("data-vpc-map", block.id);
    return svg;
  });
  return { overall, perVpc };
}
