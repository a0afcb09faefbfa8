// Helpers for benchmarks: the JSON-line format, and running in-kernel benchmarks in QEMU.
//
// Every benchmark prints one JSON object per line:
//   {"name": "...", "unit": "ns", "p50": ..., "p99": ..., "mean": ..., "n": ..., "where": "qemu"|"node", ...}
// A benchmark is not a test: it reports whatever it measures and never fails on a target.
import { QemuSession, SessionOptions } from "../host/qemu.ts";

export interface BenchResult {
  name: string;
  unit: string;
  n?: number;
  p50?: number;
  p99?: number;
  mean?: number;
  [key: string]: unknown;
}

/** Percentile (0..100) of already-sorted numbers, nearest-rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(name: string, unit: string, samples: number[], extra: object = {}): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { name, unit, n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, ...extra };
}

/** JSON objects found on lines of `text` (other lines ignored). */
export function jsonLines(text: string): BenchResult[] {
  const out: BenchResult[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{") || !t.endsWith("}")) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/** Boots SIS once and runs shell commands, returning the JSON lines each printed. */
export async function runInKernel(commands: string[], options: SessionOptions = {}, timeoutMs = 600000): Promise<BenchResult[]> {
  const session = await QemuSession.start(options);
  try {
    await session.waitForPrompt();
    const results: BenchResult[] = [];
    for (const c of commands) {
      const out = await session.run(c, timeoutMs);
      const found = jsonLines(out);
      if (found.length === 0) throw new Error(`'${c}' printed no JSON lines:\n${out}`);
      results.push(...found.map((r) => ({ ...r, where: r.where ?? "qemu" })));
    }
    return results;
  } finally {
    await session.close();
  }
}
