// The live-state line of the domain model's prompt: the same format host/model/state.ts
// writes for the corpus (one documented format, README "Domain model"):
//
//   mem FREE/TOTAL frag F big B oom R ev E sched POLICY run N sw S vda U hit H fs rw|ro
//   net up|down uptime T tasks K trace D
//
// FREE/TOTAL MiB; F fragmentation %; B the largest free block (4K..4M); R the OOM
// predictor's risk %; E OOM events in the last 10 minutes; POLICY fair|attention|heuristic;
// N runnable tasks; S context switches per second; U % of vda used; H buffer-cache hit %;
// T uptime (37m, 5h, 2d); K tasks; D decisions in the AI trace. The shell fills it from
// the running kernel (kernel/shell/system_state.ts); llmctl eval reads it from a file.

export class SystemState {
  freeMiB: u32 = 0;
  totalMiB: u32 = 0;
  fragPct: u32 = 0;
  bigKiB: u32 = 4;
  oomPct: u32 = 0;
  oomEvents: u32 = 0;
  policy: string = "fair";
  runnable: u32 = 0;
  switchesPerSec: u32 = 0;
  diskUsedPct: u32 = 0;
  cacheHitPct: u32 = 0;
  readOnly: bool = false;
  netUp: bool = false;
  uptimeMin: u64 = 0;
  tasks: u32 = 0;
  traces: u32 = 0;
}

function block(k: u32): string {
  return k >= 1024 ? (k / 1024).toString() + "M" : k.toString() + "K";
}

function uptime(m: u64): string {
  if (m < 60) return m.toString() + "m";
  if (m < 48 * 60) return (m / 60).toString() + "h";
  return (m / 1440).toString() + "d";
}

export function stateLine(s: SystemState): string {
  return "mem " + s.freeMiB.toString() + "/" + s.totalMiB.toString() + " frag " + s.fragPct.toString() +
    " big " + block(s.bigKiB) + " oom " + s.oomPct.toString() + " ev " + s.oomEvents.toString() +
    " sched " + s.policy + " run " + s.runnable.toString() + " sw " + s.switchesPerSec.toString() +
    " vda " + s.diskUsedPct.toString() + " hit " + s.cacheHitPct.toString() + " fs " + (s.readOnly ? "ro" : "rw") +
    " net " + (s.netUp ? "up" : "down") + " uptime " + uptime(s.uptimeMin) + " tasks " + s.tasks.toString() +
    " trace " + s.traces.toString();
}

/** The prompt: state, question, and "A:" after which the model writes the answer. */
export function promptText(state: string, question: string): string {
  return state + "\nQ: " + question + "\nA:";
}
