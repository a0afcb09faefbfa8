// The live-state line of the domain model's prompt (one documented format, kernel/llm/infer/state.ts
// writes the same from the running kernel), random states for the corpus, and the rules that
// say which command is right for a state. Numbers are kept small and coarse on purpose: most
// become one token, so the prompt stays short (prompt tokens dominate the latency in QEMU).
//
//   mem FREE/TOTAL frag F big B oom R ev E sched POLICY run N sw S vda U hit H fs rw|ro net up|down uptime T tasks K trace D
//
// FREE/TOTAL MiB, F fragmentation 0..99 (%), B the largest free block (4K..4M), R the OOM
// predictor's risk (%, like U and H; no % signs and no separators: fewer tokens), E recent OOM events, POLICY fair|attention|heuristic, N runnable tasks,
// S context switches per second, U disk used %, H buffer-cache hit %, T uptime (37m / 5h / 2d),
// K tasks, D decisions in the AI trace.
export interface State {
  free: number; total: number; frag: number; bigK: number; oom: number; ev: number;
  policy: string; run: number; sw: number; used: number; hit: number; ro: boolean; net: boolean;
  upMin: number; tasks: number; trace: number;
}

export const BLOCKS_K = [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export function blockText(k: number): string { return k >= 1024 ? `${k / 1024}M` : `${k}K`; }
export function blockWords(k: number): string { return k >= 1024 ? `${k / 1024} MiB` : `${k} KiB`; }
export function upText(m: number): string {
  if (m < 60) return `${m}m`;
  if (m < 48 * 60) return `${Math.floor(m / 60)}h`;
  return `${Math.floor(m / 1440)}d`;
}
export function upWords(m: number): string {
  if (m < 60) return `${m} minutes`;
  if (m < 48 * 60) return `${Math.floor(m / 60)} hours`;
  return `${Math.floor(m / 1440)} days`;
}

export function stateLine(s: State): string {
  return `mem ${s.free}/${s.total} frag ${s.frag} big ${blockText(s.bigK)} oom ${s.oom} ev ${s.ev} ` +
    `sched ${s.policy} run ${s.run} sw ${s.sw} vda ${s.used} hit ${s.hit} fs ${s.ro ? "ro" : "rw"} ` +
    `net ${s.net ? "up" : "down"} uptime ${upText(s.upMin)} tasks ${s.tasks} trace ${s.trace}`;
}

/** The prompt the model sees: state, question, then the answer follows "A:". */
export function promptText(s: State, question: string): string {
  return `${stateLine(s)}\nQ: ${question}\nA:`;
}

// thresholds of the rules (README "Domain model"): one place, used by every answer
export const FRAG_HIGH = 60, BIG_SMALL_K = 256, OOM_HIGH = 50, LOW_FREE_PCT = 10, DISK_FULL = 85, BUSY_RUN = 8;

export const needsCompaction = (s: State) => s.frag >= FRAG_HIGH && s.bigK <= BIG_SMALL_K;
export const lowMemory = (s: State) => s.free * 100 < s.total * LOW_FREE_PCT;
export const oomHigh = (s: State) => s.oom >= OOM_HIGH;

/**
 * A random state over the whole range a live kernel can show. Three kinds, so every field is
 * seen at its extremes and on both sides of its rule's threshold:
 * - boot (15%): what `llmctl infer` sees right after boot: ~90-100% free memory, no
 *   fragmentation, a 4M largest block, OOM risk 0-5, no events, 0-2 runnable, 0-50 switches/s,
 *   a nearly empty disk, a cold cache (hit 0 possible), uptime 0-5 minutes, few traces;
 * - near (45%): each field often within a few points of its rule's threshold;
 * - wide (40%): each field uniform over its full range (free 0..100% of total, frag 0..99,
 *   OOM 0..99, events 0..20, runnable 0..40, switches 0..60000/s, disk 0..99%, hit 0..99,
 *   uptime 0m..60d, tasks 1..200, traces 0..65535).
 */
export function randomState(rnd: () => number): State {
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const near = (t: number, spread: number, lo: number, hi: number) =>
    rnd() < 0.5 ? Math.max(lo, Math.min(hi, t + int(-spread, spread))) : int(lo, hi);
  const kind = rnd();
  const boot = kind < 0.15, wide = kind >= 0.6;
  const total = rnd() < 0.4 ? pick([120, 244, 500, 956, 1980, 4020]) : rnd() < 0.3 ? int(900, 1010) : int(40, 16000);
  const freePct = boot ? int(88, 100) : wide ? int(0, 100) : rnd() < 0.4 ? int(1, 20) : int(5, 100);
  const free = Math.min(total, Math.floor(total * freePct / 100) + (rnd() < 0.5 ? 0 : int(0, 3)));
  const frag = boot ? int(0, 10) : wide ? int(0, 99) : near(FRAG_HIGH, 8, 0, 99);
  const bigK = boot ? (rnd() < 0.8 ? 4096 : pick([1024, 2048])) : rnd() < 0.5 ? pick(BLOCKS_K.slice(0, 8)) : pick(BLOCKS_K);
  const oom = boot ? int(0, 5) : wide ? int(0, 99) : rnd() < 0.5 ? near(OOM_HIGH, 10, 0, 99) : int(0, 25);
  const ev = boot ? 0 : rnd() < 0.55 ? 0 : wide ? int(1, 20) : int(1, 9);
  const policy = boot && rnd() < 0.7 ? "fair" : rnd() < 0.4 ? "fair" : rnd() < 0.7 ? "attention" : "heuristic";
  const run = boot ? int(0, 2) : wide ? int(0, 40) : near(BUSY_RUN, 3, 0, 30);
  const sw = boot ? int(0, 50) : wide ? int(0, 60000) : rnd() < 0.15 ? int(0, 20) : int(20, 9000);
  const used = boot ? int(0, 30) : wide ? int(0, 99) : near(DISK_FULL, 6, 0, 99);
  const hit = boot ? (rnd() < 0.3 ? 0 : int(0, 99)) : wide ? int(0, 99) : int(40, 99);
  const ro = rnd() < 0.12;
  const net = boot ? rnd() < 0.6 : rnd() < 0.8;
  const upMin = boot ? int(0, 5) : rnd() < 0.45 ? int(0, 59) : rnd() < 0.7 ? int(60, 47 * 60) : int(48 * 60, 60 * 1440);
  const tasks = boot ? run + int(1, 10) : Math.max(run + int(1, 8), wide ? int(1, 200) : int(1, 40));
  const trace = boot ? (rnd() < 0.5 ? 0 : int(1, 20)) : rnd() < 0.2 ? 0 : wide ? int(1, 65535) : int(1, 4096);
  return { free, total, frag, bigK, oom, ev, policy, run, sw, used, hit, ro, net, upMin, tasks, trace };
}

/** The answer slots the kernel fills from the state line (kernel/llm/infer/slots.ts). */
export const SLOTS = ["free", "total", "freepct", "frag", "big", "oom", "ev", "policy", "run", "sw", "used", "hit", "uptime", "tasks", "trace"];
