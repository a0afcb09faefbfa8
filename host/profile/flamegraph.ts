// Flame graphs from folded stacks ("root;caller;leaf COUNT" lines, what `profctl export`
// writes): a self-contained SVG (no scripts; each frame's <title> gives its samples) and a
// speedscope JSON file (https://www.speedscope.app, "sampled" profile). Written here rather
// than taken from npm: the generators there are unmaintained or pull in a browser bundle.

export interface Folded { stack: string[]; count: number }

export function parseFolded(text: string): Folded[] {
  const out: Folded[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^(.*) (\d+)$/);
    if (!m || !m[1]) continue;
    out.push({ stack: m[1].split(";"), count: Number(m[2]) });
  }
  return out;
}

interface Node { name: string; value: number; children: Map<string, Node> }

export function buildTree(stacks: Folded[]): Node {
  const root: Node = { name: "all", value: 0, children: new Map() };
  for (const s of stacks) {
    root.value += s.count;
    let n = root;
    for (const f of s.stack) {
      let c = n.children.get(f);
      if (!c) n.children.set(f, (c = { name: f, value: 0, children: new Map() }));
      c.value += s.count;
      n = c;
    }
  }
  return root;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A warm colour from the name (stable across runs, so before/after graphs compare by eye). */
function colour(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const u = (h >>> 0) / 2 ** 32;
  const base = name.startsWith("~lib/") ? [60, 140, 200] : name.startsWith("kernel/") ? [220, 110, 40] : [160, 160, 160];
  return `rgb(${Math.round(base[0] + 35 * u)},${Math.round(base[1] + 60 * u)},${Math.round(base[2] * (0.7 + 0.3 * u))})`;
}

export function flameGraphSvg(stacks: Folded[], title: string, width = 1200): string {
  const root = buildTree(stacks);
  const rowH = 16, pad = 10, top = 40;
  let depth = 0;
  const measure = (n: Node, d: number) => { depth = Math.max(depth, d); n.children.forEach((c) => measure(c, d + 1)); };
  measure(root, 0);
  const height = top + (depth + 1) * rowH + pad + 20;
  const scale = root.value > 0 ? (width - 2 * pad) / root.value : 0;
  const rects: string[] = [];
  const draw = (n: Node, x: number, d: number) => {
    const w = n.value * scale;
    if (w < 0.3) return;
    const y = height - 20 - (d + 1) * rowH;
    const pct = root.value ? ((100 * n.value) / root.value).toFixed(2) : "0";
    const label = w > 40 ? escapeXml(n.name.length * 6.5 > w - 6 ? n.name.slice(0, Math.max(0, Math.floor((w - 6) / 6.5) - 2)) + ".." : n.name) : "";
    rects.push(`<g><title>${escapeXml(n.name)}: ${n.value} samples (${pct}%)</title>` +
      `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 1}" fill="${d === 0 ? "#ccc" : colour(n.name)}" rx="2"/>` +
      (label ? `<text x="${(x + 3).toFixed(2)}" y="${y + rowH - 4}">${label}</text>` : "") + "</g>");
    let cx = x;
    [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).forEach((c) => { draw(c, cx, d + 1); cx += c.value * scale; });
  };
  draw(root, pad, 0);
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdfdf8"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-family="sans-serif">${escapeXml(title)}</text>`,
    `<text x="${pad}" y="${height - 5}" font-family="sans-serif">${root.value} samples; width = share of samples, bottom = outermost caller</text>`,
    ...rects, "</svg>"].join("\n") + "\n";
}

export function speedscopeJson(stacks: Folded[], name: string): string {
  const frames: { name: string }[] = [];
  const index = new Map<string, number>();
  const id = (f: string) => {
    if (!index.has(f)) { index.set(f, frames.length); frames.push({ name: f }); }
    return index.get(f)!;
  };
  const samples = stacks.map((s) => s.stack.map(id));
  const weights = stacks.map((s) => s.count);
  const total = weights.reduce((a, b) => a + b, 0);
  return JSON.stringify({
    $schema: "https://www.speedscope.app/file-format-schema.json", name, exporter: "SIS make profile",
    shared: { frames },
    profiles: [{ type: "sampled", name, unit: "none", startValue: 0, endValue: total, samples, weights }],
  }) + "\n";
}

/** The n functions with most self samples (leaf of a stack): [name, self, total]. */
export function topSelf(stacks: Folded[], n: number): [string, number, number][] {
  const self = new Map<string, number>(), total = new Map<string, number>();
  for (const s of stacks) {
    const leaf = s.stack[s.stack.length - 1];
    self.set(leaf, (self.get(leaf) ?? 0) + s.count);
    for (const f of new Set(s.stack)) total.set(f, (total.get(f) ?? 0) + s.count);
  }
  return [...total.keys()].map((f): [string, number, number] => [f, self.get(f) ?? 0, total.get(f)!])
    .sort((a, b) => b[1] - a[1] || b[2] - a[2]).slice(0, n);
}
