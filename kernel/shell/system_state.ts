// The live state the domain model is asked about (kernel/llm/infer/state.ts has the line's
// format): memory and fragmentation (mm), the OOM predictor (ai/oom), recent OOM events,
// the scheduler, the system disk's file system and buffer cache, the network, tasks and the
// decision trace. Lives in the shell layer because it reads every subsystem.
import { SystemState } from "../llm/infer/state";
import { freePagesNow, managedPages, memoryReady } from "../mm/pages";
import { fragmentationRatio, largestFreeBlockPages } from "../mm/stats";
import { oomLogLength, oomLogEvent } from "../mm/reclaim";
import { predictor } from "../ai/oom/predictor";
import { activePolicy, runnableCount, liveTasks, counters } from "../sched/scheduler";
import { blockCaches } from "../block/cache";
import { statfs } from "../fs/vfs";
import { rootMount } from "../fs/namespace";
import { FsStats } from "../fs/types";
import { netStack, netDevice } from "../net/init";
import { traceCount } from "../ai/trace";
import { nowUs } from "../platform/time";

/** OOM events newer than this count as recent. */
const RECENT_US: u64 = 600_000_000;

let lastSwitches: u64 = 0;
let lastAtUs: u64 = 0;

function pct(part: f64, whole: f64): u32 {
  if (whole <= 0) return 0;
  const p = part * 100.0 / whole;
  return p < 0 ? 0 : p > 99 ? 99 : <u32>Math.round(p);
}

export function snapshotState(): SystemState {
  const s = new SystemState();
  const now = nowUs();
  if (memoryReady()) {
    s.freeMiB = <u32>((<u64>freePagesNow() << 12) >> 20);
    s.totalMiB = <u32>((<u64>managedPages() << 12) >> 20);
    s.fragPct = pct(fragmentationRatio(), 1.0);
    const big = largestFreeBlockPages() << 2;
    s.bigKiB = big < 4 ? 4 : big;
  }
  s.oomPct = pct(predictor.confidence, 1.0);
  let recent: u32 = 0;
  for (let i = 0; i < oomLogLength(); i++) {
    const e = oomLogEvent(i)!;
    if (e.timeUs + RECENT_US >= now) recent++;
  }
  s.oomEvents = recent;
  s.policy = activePolicy().name;
  s.runnable = <u32>runnableCount();
  // context switches per second since the previous snapshot (since boot the first time)
  const sw = counters.contextSwitches;
  const dt = now - lastAtUs;
  s.switchesPerSec = dt > 0 ? <u32>((sw - lastSwitches) * 1_000_000 / dt) : 0;
  lastSwitches = sw;
  lastAtUs = now;
  const st = new FsStats();
  if (statfs("/", st) == 0 && st.totalBlocks > 0) s.diskUsedPct = pct(<f64>(st.totalBlocks - st.freeBlocks), <f64>st.totalBlocks);
  const caches = blockCaches();
  for (let i = 0; i < caches.length; i++) {
    if (caches[i].device.name != "vda") continue;
    const c = caches[i].stats;
    s.cacheHitPct = pct(<f64>c.hits, <f64>(c.hits + c.misses));
  }
  const root = rootMount();
  s.readOnly = root != null && root.fs.readOnly;
  s.netUp = netStack != null && netStack!.configured && netDevice != null && netDevice!.linkUp();
  s.uptimeMin = now / 60_000_000;
  s.tasks = <u32>liveTasks().length;
  s.traces = <u32>traceCount();
  return s;
}
