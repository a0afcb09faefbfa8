// The workloads `make bench-linux` runs on both kernels, how each kernel's output becomes one
// number, and the comparison: compare.json rows, a Markdown table and an SVG chart of ratios.
// Pure functions (no QEMU): tests/unit/bench/compare.test.ts runs them.

export type Better = "higher" | "lower";

export interface Workload {
  name: string;
  unit: string;
  better: Better;
  /** The Linux guest's command (bench/linux/iobench.c; DEV and MNT substituted), or null: measured by the host. */
  linux: string | null;
  /** SIS shell commands; the last one's output is parsed by `sis`. */
  sisCommands: string[];
  /** The number from the last SIS command's output (null: not found). */
  sis: ((out: string) => number | null) | null;
  /** The number from the Linux command's output; absent: iobench's `linux.NAME` JSON line. */
  linuxValue?: (out: string) => number | null;
  note: string;
}

export interface CompareRow {
  name: string;
  unit: string;
  linux: number | null;
  sis: number | null;
  /** sis / linux for "higher" rows, linux / sis for "lower": above 1 means SIS is ahead. */
  ratio: number | null;
  better: Better;
  /** every round's figure, in the order measured */
  linuxRuns: number[];
  sisRuns: number[];
  note: string;
}

/** "throughput 1049.3 MB/s, 8589 IOPS" from blkctl bench */
export function blkctlFigure(out: string, what: "MB/s" | "IOPS"): number | null {
  const m = out.match(/throughput ([\d.]+) MB\/s, ([\d.]+) IOPS/);
  if (!m) return null;
  return Number(what === "MB/s" ? m[1] : m[2]);
}

/** The field of the JSON line called `name` in `out`. */
export function jsonField(out: string, name: string, field: string): number | null {
  for (const line of out.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const o = JSON.parse(t);
      if (o.name === name && typeof o[field] === "number") return o[field];
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** procbench's p50 for `name` (us for the process rows, ns for getpid) divided by `scale`. */
export function procbenchFigure(out: string, name: string, scale: number): number | null {
  const v = jsonField(out, name, "p50");
  return v === null ? null : v / scale;
}

/**
 * The language-model rows: checkpoints shaped like issue 13's three (random weights, the seeds
 * of bench/llm.bench.ts) on a read-only ext4 disk both kernels mount at LLM_MOUNT; the tokens
 * of bench/llm.bench.ts.
 */
export const LLM_MOUNT = "/llm";
export const LLM_MODELS: { name: string; shape: "stories260K" | "m1" | "stories15M"; tokens: number }[] = [
  { name: "llm_decode_stories260k", shape: "stories260K", tokens: 256 },
  { name: "llm_decode_1m", shape: "m1", tokens: 256 },
  { name: "llm_decode_stories15m", shape: "stories15M", tokens: 96 },
];

/** The generated token ids and decode time of a JSON line from llmref or `llmctl generate --json`. */
export function generation(out: string): { tokens: number[]; decode_us: number } | null {
  for (const line of out.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const o = JSON.parse(t);
      if (Array.isArray(o.tokens) && typeof o.decode_us === "number") return { tokens: o.tokens, decode_us: o.decode_us };
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** Where two greedy sequences first differ (-1: identical). */
export function firstDifference(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const DEV = "DEV"; // the scratch disk: /dev/vdX on Linux, vdb on SIS
export const WORKLOADS: Workload[] = [
  ...([1024, 128] as const).flatMap((kib) => (["read", "write"] as const).map((rw): Workload => ({
    name: `seq_${rw}_${kib === 1024 ? "1m" : "128k"}_qd1`, unit: "MB/s", better: "higher",
    linux: `iobench seq ${DEV} ${rw} ${kib} 64`,
    sisCommands: [`blkctl bench vdb seq ${rw} --bs ${kib} --mb 64`],
    sis: (out) => blkctlFigure(out, "MB/s"),
    note: `64 MiB of ${kib} KiB requests, O_DIRECT on Linux, queue depth 1`,
  }))),
  ...[1, 32].map((qd): Workload => ({
    name: `rand_read_4k_qd${qd}`, unit: "IOPS", better: "higher",
    linux: `iobench rand ${DEV} ${qd} 4096`,
    sisCommands: [`blkctl bench vdb rand read --qd ${qd} --mb 16`],
    sis: (out) => blkctlFigure(out, "IOPS"),
    note: `4,096 random 4 KiB reads in 128 MiB, ${qd} in flight (Linux: O_DIRECT through Linux AIO, io_submit/io_getevents)`,
  })),
  {
    name: "ext4_create_1000_sync", unit: "s", better: "lower",
    linux: "iobench create MNT 1000",
    sisCommands: ["bench fs create /mnt --count 1000"],
    sis: (out) => {
      const rate = jsonField(out, "fs.create_files_per_s", "p50");
      return rate ? 1000 / rate : null;
    },
    note: "1,000 files created with one 37-byte write each, then sync",
  },
  {
    name: "ext4_write_64m_fsync", unit: "MB/s", better: "higher",
    linux: "iobench write MNT/seq.bin 64",
    sisCommands: ["bench fs write /mnt/seq.bin --mib 64 --repeat 1"],
    sis: (out) => jsonField(out, "fs.write_sequential", "p50"),
    note: "64 MiB in 1 MiB writes, then fsync",
  },
  {
    name: "ext4_append_4k_fsync_p50", unit: "ms", better: "lower",
    linux: "iobench fsync MNT/fsync.bin 200",
    sisCommands: ["bench fs fsync /mnt/fsync.bin --count 200"],
    sis: (out) => {
      const us = jsonField(out, "fs.fsync_after_4k_append", "p50");
      return us === null ? null : us / 1000;
    },
    note: "200 x (4 KiB append, then fsync): the fsync's median",
  },
  // Process costs: the same static binary (userspace/procbench.c, raw system calls) on both,
  // starting the same Debian busybox-static: from the initramfs on Linux, from ext4 on SIS.
  ...([
    ["proc_busybox_sh_c_true", "proc.busybox_sh_c_true", "ms", 1000, "fork + execve /bin/busybox sh -c true + wait4 (a busybox process start): median of 20"],
    ["proc_fork_exec_wait_hello", "proc.fork_exec_wait_hello", "ms", 1000, "fork + execve /bin/hello (static, 1 page of text) + wait4: median of 20"],
    ["proc_getpid", "proc.getpid", "us", 1000, "one getpid system call round trip: median of 100 batches of 200"],
  ] as const).map(([name, json, unit, scale, note]): Workload => ({
    name, unit, better: "lower",
    linux: "procbench 20",
    linuxValue: (out) => procbenchFigure(out, json, scale),
    sisCommands: ["exec /bin/procbench 20"],
    sis: (out) => procbenchFigure(out, json, scale),
    note,
  })),
  ...LLM_MODELS.map((m): Workload => ({
    name: m.name, unit: "tok/s", better: "higher",
    linux: `llmref ${LLM_MOUNT}/${m.shape}.bin --tokens ${m.tokens} --name ${m.name}`,
    sisCommands: [`llmctl load ${LLM_MOUNT}/${m.shape}.bin`, `llmctl generate --temp 0 --tokens ${m.tokens} --json`],
    sis: (out) => {
      const g = generation(out);
      return g && g.decode_us > 0 ? g.tokens.length / (g.decode_us / 1e6) : null;
    },
    note: `greedy decode from BOS, ${m.tokens} tokens, random-weight ${m.shape}-shaped f32 checkpoint: Linux runs bench/linux/llmref.c ` +
      "(our C forward pass computed like llama2.c's run.c, aarch64-linux-gnu-gcc -O3 -static), SIS `llmctl generate`",
  })),
  {
    name: "boot_to_prompt", unit: "s", better: "lower", linux: null, sisCommands: [], sis: null,
    note: "host wall clock from starting QEMU (same firmware) to the shell prompt",
  },
];

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function ratio(better: Better, linux: number | null, sis: number | null): number | null {
  if (linux === null || sis === null || linux <= 0 || sis <= 0) return null;
  return better === "higher" ? sis / linux : linux / sis;
}

export function compareRows(runs: { name: string; linux: number[]; sis: number[] }[]): CompareRow[] {
  return WORKLOADS.map((w) => {
    const r = runs.find((x) => x.name === w.name) ?? { linux: [], sis: [] };
    const linux = median(r.linux), sis = median(r.sis);
    return { name: w.name, unit: w.unit, linux, sis, ratio: ratio(w.better, linux, sis), better: w.better,
      linuxRuns: r.linux, sisRuns: r.sis, note: w.note };
  });
}

export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "-";
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "SIS 1.38x slower" / "SIS 2.31x faster" from a ratio (SIS ahead above 1). */
export function verdict(r: number | null): string {
  if (r === null) return "not measured";
  if (Math.abs(r - 1) < 0.005) return "even";
  return r > 1 ? `SIS ${r.toFixed(2)}x ahead` : `SIS ${(1 / r).toFixed(2)}x behind`;
}

export function markdownTable(rows: CompareRow[]): string {
  const lines = ["| workload | unit | Linux | SIS | ratio (SIS ahead > 1) | verdict | better |", "| --- | --- | ---: | ---: | ---: | --- | --- |"];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.unit} | ${formatNumber(r.linux)} | ${formatNumber(r.sis)} | ${r.ratio === null ? "-" : r.ratio.toFixed(2)} | ${verdict(r.ratio)} | ${r.better} |`);
  }
  return lines.join("\n") + "\n";
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Horizontal bars of log2(ratio) around a centre line at 1 (even): right and green means SIS
 * is ahead, left and red that it is behind. Self-contained SVG, no scripts.
 */
export function ratioChartSvg(rows: CompareRow[], title: string): string {
  const measured = rows.filter((r) => r.ratio !== null);
  const rowH = 26, labelW = 230, plotW = 420, top = 40, width = labelW + plotW + 90;
  const height = top + rowH * Math.max(1, measured.length) + 40;
  const maxLog = Math.max(1, ...measured.map((r) => Math.ceil(Math.abs(Math.log2(r.ratio!)))));
  const cx = labelW + plotW / 2, scale = plotW / 2 / maxLog;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`];
  for (let k = -maxLog; k <= maxLog; k++) {
    const x = cx + k * scale;
    out.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - 30}" stroke="${k === 0 ? "#333" : "#ddd"}"/>`,
      `<text x="${x}" y="${height - 14}" text-anchor="middle">${k >= 0 ? 2 ** k : "1/" + 2 ** -k}x</text>`);
  }
  measured.forEach((r, i) => {
    const y = top + i * rowH;
    const v = Math.log2(r.ratio!) * scale;
    const x = v >= 0 ? cx : cx + v;
    out.push(`<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${escapeXml(r.name)}</text>`,
      `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${Math.max(1, Math.abs(v)).toFixed(1)}" height="${rowH - 8}" fill="${v >= 0 ? "#3a3" : "#c33"}"><title>${escapeXml(`${r.name}: Linux ${formatNumber(r.linux)} ${r.unit}, SIS ${formatNumber(r.sis)} ${r.unit}`)}</title></rect>`,
      `<text x="${labelW + plotW + 8}" y="${y + 16}">${r.ratio!.toFixed(2)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
